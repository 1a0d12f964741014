#!/usr/bin/python3
"""The engine's own seed-to-seed spread of the steady-state rates: tests/reference/data/cortexloop_network_seeds.json.

Usage:  /usr/bin/python3 tests/reference/cortexloop_network_seeds.py [--binary build/cortexloop] [--seeds 5]
            [--reference brian2_network] [--out cortexloop_network_seeds]

Runs `cortexloop simulate` on the config of tests/reference/data/REFERENCE_rates.json (the Brian2 reference,
configs/zerlaut2018_network.toml by default) for seeds 1..S at each of its drives (its duration and window), and
writes the per-seed mean rates, their mean and sample SD to tests/reference/data/OUT.json.
tests/test_network_brian2.cpp (and tests/test_carlu2020_network.cpp, with --reference brian2_carlu_hh_network
--out cortexloop_carlu_hh_seeds) derive their tolerances from these SDs and Brian2's, so rerun this whenever the
engine's random streams change (it is our output, not a reference).
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
DATA = os.path.join(ROOT, "tests", "reference", "data")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "cortexloop"),
                    help="cortexloop executable (default build/cortexloop)")
    ap.add_argument("--seeds", type=int, default=5, help="number of seeds, 1..N (default %(default)s)")
    ap.add_argument("--reference", default="brian2_network",
                    help="the Brian2 reference, tests/reference/data/REFERENCE_rates.json (default %(default)s)")
    ap.add_argument("--out", default="cortexloop_network_seeds",
                    help="writes tests/reference/data/OUT.json (default %(default)s)")
    args = ap.parse_args()
    out_path = os.path.join(DATA, args.out + ".json")
    if not os.access(args.binary, os.X_OK):
        sys.exit(f"{args.binary} not found; build first")
    ref_path = os.path.join(DATA, args.reference + "_rates.json")
    if not os.path.exists(ref_path):
        sys.exit(f"{ref_path} not found (--reference names tests/reference/data/REFERENCE_rates.json)")
    ref = json.loads(Path(ref_path).read_text())
    t0, t1 = ref["window_s"]
    seeds = list(range(1, args.seeds + 1))
    commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    # The engine that ran is the working tree's: say so when it is not the commit's (an outside check found a file
    # naming the commit before the model it measured).
    if subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                      text=True).stdout.strip():
        commit += " with uncommitted changes"
    result = {
        "source": f"cortexloop simulate, the engine's network ({ref['config']}), seeds {seeds[0]}-{seeds[-1]}, "
                  f"mean rate over [{t0} s, {t1} s)",
        "command": "/usr/bin/python3 tests/reference/cortexloop_network_seeds.py" + (
            f" --reference {args.reference} --out {args.out}" if args.out != "cortexloop_network_seeds" else ""),
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
    with open(out_path, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print(f"wrote {out_path}")


if __name__ == "__main__":
    main()
