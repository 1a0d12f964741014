#!/usr/bin/env python3
"""Real-time factor and peak memory of `cortexloop simulate` at 10k, 20k and 40k neurons, fixed in-degree.

Usage:  /usr/bin/python3 bench/scaling.py [--duration S] [--sizes 10000 20000 40000] [--cpu 0]

Each size keeps ~400 excitatory and ~100 inhibitory inputs per cell (p_connect = 0.05 * 10^4 / N) and the
Zerlaut 2018 drive. Each run is pinned to one core (taskset) and measured by the engine itself
(summary.json: wall_s over the stepping loop only, realtime_factor, peak_rss_MB of the whole process).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=float, default=4.0, help="simulated seconds per run (default 4)")
    ap.add_argument("--sizes", type=int, nargs="+", default=[10000, 20000, 40000])
    ap.add_argument("--cpu", type=int, default=0, help="core to pin to (default 0)")
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "cortexloop"))
    args = ap.parse_args()
    if not os.access(args.binary, os.X_OK):
        sys.exit(f"scaling.py: {args.binary} not found; build first (scripts/build.sh)")
    print(f"{'neurons':>8} {'synapses':>10} {'wall_s':>8} {'realtime_factor':>16} {'peak_rss_MB':>12} {'exc_Hz':>7} {'inh_Hz':>7}")
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as out:
            cmd = ["taskset", "-c", str(args.cpu), args.binary, "simulate", "--config",
                   os.path.join(ROOT, "configs", "zerlaut2018_network.toml"), "--out", out, "--quiet",
                   "--duration", str(args.duration), "--set", f"network.n_neurons={n}",
                   "--set", f"network.p_connect={0.05 * 10000 / n}"]
            subprocess.run(cmd, check=True)
            s = json.load(open(os.path.join(out, "summary.json")))
            print(f"{n:>8} {s['n_synapses']:>10} {s['wall_s']:>8.3f} {s['realtime_factor']:>16.2f} "
                  f"{s['peak_rss_MB']:>12.1f} {s['second_half_rate_exc_Hz']:>7.2f} {s['second_half_rate_inh_Hz']:>7.2f}",
                  flush=True)


if __name__ == "__main__":
    main()
