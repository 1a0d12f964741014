#!/usr/bin/env python3
"""Steady-state rates of cortexloop next to Brian2's reference, drive by drive.

Usage:  /usr/bin/python3 tests/reference/compare_network_rates.py [--seed N] [--binary build/cortexloop]

Runs `cortexloop simulate` on configs/zerlaut2018_network.toml at each drive of
tests/reference/data/brian2_network_rates.json for its duration, averages the population rates over its
window, and prints them next to Brian2's mean and standard deviation across seeds. The Catch2 test
tests/test_network_brian2.cpp asserts the same comparison for seed 1, within 3 standard deviations of the difference
(7.2-9.8% RS, 1.7-1.9% FS; the bounds are listed at the top of that file).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1, help="network seed (default %(default)s)")
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "cortexloop"),
                    help="cortexloop executable (default build/cortexloop)")
    args = ap.parse_args()
    if not os.access(args.binary, os.X_OK):
        sys.exit(f"{args.binary} not found; build first (scripts/build.sh)")
    ref = json.loads(Path(os.path.join(ROOT, "tests", "reference", "data", "brian2_network_rates.json")).read_text())
    t0, t1 = ref["window_s"]
    print(f"window [{t0}, {t1}] s, seed {args.seed}; Brian2: mean ± sd over seeds {ref['seeds']}")
    print(f"{'drive':>6} {'exc Hz':>8} {'Brian2':>14} {'diff':>7} {'inh Hz':>8} {'Brian2':>14} {'diff':>7}")
    for drive, b in ref["drives"].items():
        with tempfile.TemporaryDirectory() as out:
            subprocess.run([args.binary, "simulate", "--config", os.path.join(ROOT, ref["config"]), "--out", out,
                            "--quiet", "--duration", str(ref["duration_s"]), "--seed", str(args.seed),
                            "--set", f"network.drive.rate_Hz={drive}"], check=True)
            rates = np.load(os.path.join(out, "rates.npy"))[int(t0 * 1000):int(t1 * 1000)].mean(axis=0)
        print(f"{drive:>5}  {rates[0]:8.3f} {b['exc_Hz']:7.3f}±{b['exc_Hz_sd']:.3f} {100 * (rates[0] / b['exc_Hz'] - 1):+6.1f}%"
              f" {rates[1]:8.3f} {b['inh_Hz']:7.3f}±{b['inh_Hz_sd']:.3f} {100 * (rates[1] / b['inh_Hz'] - 1):+6.1f}%")


if __name__ == "__main__":
    main()
