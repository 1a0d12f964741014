#!/usr/bin/python3
"""Real-time factor and peak memory of `cortexloop simulate` at 10k-200k neurons, fixed in-degree, 1 or more threads.

Usage:  /usr/bin/python3 bench/scaling.py [--duration S] [--sizes 10000 50000 100000 200000] [--threads 1 2]
                                          [--cpus 0,1]

Each size keeps ~400 excitatory and ~100 inhibitory inputs per cell (p_connect = 0.05 * 10^4 / N) and the
Zerlaut 2018 drive. Each run is pinned to --cpus (taskset) and measured by the engine itself (summary.json:
wall_s over the stepping loop only, realtime_factor, peak_rss_MB of the whole process, worker_busy_s and
worker_imbalance of the network's workers); with several --threads the speed-up over the first is printed.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_args import int_type, positive_float

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


IN_DEGREE = 500  # inputs per cell at every size: p_connect = IN_DEGREE / N
# --sizes: cells enough for IN_DEGREE inputs each (--sizes 0 ended in a ZeroDivisionError traceback: an outside audit).
network_size = int_type(lambda v: v >= IN_DEGREE, f">= {IN_DEGREE} (each cell keeps ~{IN_DEGREE} inputs: p_connect = "
                                                  f"{IN_DEGREE} / N <= 1)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=positive_float, default=4.0, help="simulated seconds per run (default 4)")
    ap.add_argument("--sizes", type=network_size, nargs="+", default=[10000, 50000, 100000, 200000],
                    help="network sizes in cells (default 10000 50000 100000 200000)")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="worker threads to compare (default 1 2)")
    ap.add_argument("--cpus", default="0,1", help="CPUs to pin to (taskset -c; default 0,1)")
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "cortexloop"),
                    help="cortexloop executable (default build/cortexloop)")
    args = ap.parse_args()
    if not os.access(args.binary, os.X_OK):
        sys.exit(f"scaling.py: {args.binary} not found; build first (scripts/build.sh)")
    # The engine refuses more workers than usable CPUs: say so before the first run (the documented `--cpu 1`, read
    # as --cpus 1 with the default --threads 1 2, ran the 1-thread rows and then failed with a traceback).
    n_cpus = len(cpu_list(args.cpus))
    if max(args.threads) > n_cpus or min(args.threads) < 1:
        sys.exit(f"scaling.py: --threads {' '.join(map(str, args.threads))} with --cpus {args.cpus} ({n_cpus} CPU(s)): "
                 f"each thread count must be in [1, {n_cpus}] (e.g. --cpus {args.cpus} --threads 1)")
    print(f"{'neurons':>8} {'threads':>7} {'synapses':>10} {'wall_s':>8} {'rt_factor':>9} {'speed-up':>8} "
          f"{'busy_s per worker':>20} {'imbalance':>9} {'peak_MB':>8} {'exc_Hz':>7} {'inh_Hz':>7}")
    for n in args.sizes:
        first_wall = None
        for threads in args.threads:
            with tempfile.TemporaryDirectory() as out:
                cmd = ["taskset", "-c", args.cpus, args.binary, "simulate", "--config",
                       os.path.join(ROOT, "configs", "zerlaut2018_network.toml"), "--out", out, "--quiet",
                       "--duration", str(args.duration), "--threads", str(threads),
                       "--set", f"network.n_neurons={n}", "--set", f"network.p_connect={IN_DEGREE / n}"]
                run = subprocess.run(cmd, capture_output=True, text=True)
                if run.returncode != 0:
                    sys.exit(f"scaling.py: {' '.join(cmd)} failed ({run.returncode}): {run.stderr.strip()}")
                s = json.loads(Path(os.path.join(out, "summary.json")).read_text())
            first_wall = first_wall or s["wall_s"]
            busy = "/".join(f"{b:.2f}" for b in s["worker_busy_s"])
            print(f"{n:>8} {threads:>7} {s['n_synapses']:>10} {s['wall_s']:>8.3f} {s['realtime_factor']:>9.2f} "
                  f"{first_wall / s['wall_s']:>8.2f} {busy:>20} {s['worker_imbalance']:>9.3f} {s['peak_rss_MB']:>8.1f} "
                  f"{s['second_half_rate_exc_Hz']:>7.2f} {s['second_half_rate_inh_Hz']:>7.2f}", flush=True)

def cpu_list(spec):
    """The CPUs of a taskset list such as 0,1 or 0-3,6."""
    cpus = set()
    for part in spec.split(","):
        lo, _, hi = part.partition("-")
        try:
            cpus.update(range(int(lo), int(hi or lo) + 1))
        except ValueError:
            sys.exit(f"scaling.py: --cpus {spec}: not a CPU list such as 0,1 or 0-3")
    return cpus


if __name__ == "__main__":
    main()
