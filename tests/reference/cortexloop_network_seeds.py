#!/usr/bin/env python3
"""The engine's own seed-to-seed spread of the steady-state rates: tests/reference/data/cortexloop_network_seeds.json.

Usage:  /usr/bin/python3 tests/reference/cortexloop_network_seeds.py [--binary build/cortexloop] [--seeds 5]

Runs `cortexloop simulate` on configs/zerlaut2018_network.toml for seeds 1..S at each drive of
tests/reference/data/brian2_network_rates.json (its duration and window), and writes the per-seed mean rates, their
mean and sample SD. tests/test_network_brian2.cpp derives its tolerances from these SDs and Brian2's, so rerun this
whenever the engine's random streams change (it is our output, not a reference).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "reference", "data", "cortexloop_network_seeds.json")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "cortexloop"),
                    help="cortexloop executable (default build/cortexloop)")
    ap.add_argument("--seeds", type=int, default=5, help="number of seeds, 1..N (default %(default)s)")
    args = ap.parse_args()
    if not os.access(args.binary, os.X_OK):
        sys.exit(f"{args.binary} not found; build first")
    ref = json.load(open(os.path.join(ROOT, "tests", "reference", "data", "brian2_network_rates.json")))
    t0, t1 = ref["window_s"]
    seeds = list(range(1, args.seeds + 1))
    commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    result = {
        "source": f"cortexloop simulate, the engine's network ({ref['config']}), seeds {seeds[0]}-{seeds[-1]}, "
                  f"mean rate over [{t0} s, {t1} s)",
        "command": "/usr/bin/python3 tests/reference/cortexloop_network_seeds.py",
        "commit": f"{commit} (the engine as committed next to this file)",
        "window_s": [t0, t1],
        "seeds": seeds,
        "drives": {},
    }
    for drive in ref["drives"]:
        exc, inh = [], []
        for seed in seeds:
            with tempfile.TemporaryDirectory() as out:
                subprocess.run([args.binary, "simulate", "--config", os.path.join(ROOT, ref["config"]), "--out", out,
                                "--quiet", "--duration", str(ref["duration_s"]), "--seed", str(seed),
                                "--set", f"network.drive.rate_Hz={drive}"], check=True)
                rates = np.load(os.path.join(out, "rates.npy"))[int(t0 * 1000):int(t1 * 1000)].mean(axis=0)
            exc.append(float(rates[0]))
            inh.append(float(rates[1]))
            print(f"drive {drive} Hz seed {seed}: exc {rates[0]:.4f} inh {rates[1]:.4f} Hz", flush=True)
        result["drives"][drive] = {
            "exc_Hz_per_seed": exc, "inh_Hz_per_seed": inh,
            "exc_Hz": float(np.mean(exc)), "inh_Hz": float(np.mean(inh)),
            "exc_Hz_sd": float(np.std(exc, ddof=1)), "inh_Hz_sd": float(np.std(inh, ddof=1)),
        }
    with open(OUT, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
