#!/usr/bin/python3
"""Strong and weak scaling of `mpirun -n K cortexloop simulate` (the network split over K MPI ranks, issue 10).

Usage:  /usr/bin/python3 bench/mpi_scaling.py [--duration S] [--strong-n 100000] [--weak-n-per-rank 50000]
                                              [--in-degree 500] [--set KEY=VALUE ...] [--ranks 1 2]
                                              [--repeats 3]

Strong scaling: N = --strong-n cells over each K of --ranks. Weak scaling: N = K x --weak-n-per-rank. Every size
keeps the mean in-degree at --in-degree (p_connect = in-degree / N; the default 500 is the paper's 10k network:
~400 excitatory and ~100 inhibitory inputs per cell, as bench/scaling.py) and the Zerlaut 2018 drive; one worker
thread per rank. K = 1 runs without mpirun (the one-process path, no exchange). NEST's published case of the
same size and in-degree, the cortical microcircuit (Potjans & Diesmann 2014: ~77,000 cells, ~0.3 billion
synapses), is `--strong-n 77000 --weak-n-per-rank 38500 --in-degree 3850` (docs/scaling.md, section 4); with
`--set network.q_inh_nS=0.75` our network carries ~0.8x its load of synaptic events (7.5e8 against ~9.7e8 per
simulated second). Also printed: the second half's mean rates (summary.json second_half_rate_*_Hz, the steady
state) and from the same rates the synaptic events per simulated second (n_exc x exc_Hz + n_inh x inh_Hz spikes
per second x the mean out-degree n_synapses / N, which equals the in-degree here), the load the exchange and the
delivery carry, and the steps per spike exchange (1 without delays;
with delays the ranks exchange once per minimum delay, docs/engine.md "Across processes").
Figures: wall_s of rank 0's stepping loop (summary.json; rank 0 waits in every step's exchange for the slowest
rank, so this is the run's time), median of --repeats; speed-up = wall(1) / wall(K) (strong) and efficiency =
wall(1) / wall(K) (weak, ideal 1). Also the wall-clock seconds each rank spent inside its stepping phases
(rank_busy_s: the time inside the update and deliver phases, not in the exchange), which separates compute from communication.
Runs use mpirun --bind-to core (one rank per core) and mpi_yield_when_idle (the cores are shared with other
jobs here) and print /proc/loadavg: on a machine shared with other jobs
wall times are noisy; the busy seconds much less.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_args import positive_float, positive_int

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MPI_FLAGS = ["--allow-run-as-root", "--oversubscribe", "--bind-to", "core", "--mca", "mpi_yield_when_idle", "1"]


def run(binary, n, ranks, duration, in_degree, sets):
    with tempfile.TemporaryDirectory() as out:
        cmd = [binary, "simulate", "--config", os.path.join(ROOT, "configs", "zerlaut2018_network.toml"),
               "--out", out, "--quiet", "--duration", str(duration), "--threads", "1",
               "--set", f"network.n_neurons={n}", "--set", f"network.p_connect={in_degree / n}"]
        for kv in sets:
            cmd += ["--set", kv]
        if ranks > 1:
            cmd = ["mpirun", *MPI_FLAGS, "-n", str(ranks), *cmd]
        subprocess.run(cmd, check=True)
        return json.loads(Path(os.path.join(out, "summary.json")).read_text())


def measure(binary, n, ranks, duration, repeats, in_degree, sets):
    runs = [run(binary, n, ranks, duration, in_degree, sets) for _ in range(repeats)]
    wall = statistics.median(s["wall_s"] for s in runs)
    busy = [statistics.median(s["rank_busy_s"][r] for s in runs) for r in range(ranks)]
    cpu = [statistics.median(s["rank_loop_cpu_s"][r] for s in runs) for r in range(ranks)]
    return wall, busy, cpu, runs[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=positive_float, default=2.0, help="simulated seconds per run (default 2)")
    ap.add_argument("--strong-n", type=positive_int, default=100000,
                    help="cells of the strong-scaling network (default %(default)s)")
    ap.add_argument("--weak-n-per-rank", type=positive_int, default=50000,
                    help="cells per rank, weak scaling (default %(default)s)")
    ap.add_argument("--in-degree", type=positive_float, default=500.0,
                    help="mean synapses per cell, kept at every size (default %(default)s)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="a config override passed on to every run (cortexloop simulate --set), repeatable")
    ap.add_argument("--ranks", type=positive_int, nargs="+", default=[1, 2],
                    help="numbers of MPI ranks to run, 1 among them (the reference of the speed-up and the "
                         "efficiency); run in increasing order (default 1 2)")
    ap.add_argument("--repeats", type=positive_int, default=3,
                    help="runs per configuration; the median is reported (default %(default)s)")
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "cortexloop"),
                    help="cortexloop executable (default build/cortexloop)")
    args = ap.parse_args()
    for n in [args.strong_n, args.weak_n_per_rank]:
        if not 0 < args.in_degree < n:
            sys.exit(f"mpi_scaling.py: --in-degree {args.in_degree:g} must lie in (0, {n}) (the cells of a run)")
    # --binary build (a folder) passed os.access and ended in a FileNotFoundError traceback (an outside audit).
    if os.path.isdir(args.binary):
        ap.error(f"--binary {args.binary}: is a folder; give the cortexloop executable (e.g. "
                 f"{os.path.join(args.binary, 'cortexloop')})")
    if not (os.path.isfile(args.binary) and os.access(args.binary, os.X_OK)):
        ap.error(f"--binary {args.binary}: no such executable; build first (scripts/build.sh)")
    # The speed-up and the efficiency are wall(1) / wall(K): against the 1-rank run, which runs first. They were
    # taken against whichever came first: `--ranks 2 1` printed speed-up 1.00 for 2 ranks and 1.60 for 1, a weak
    # "efficiency" of 5.61 (an outside audit).
    if 1 not in args.ranks:
        ap.error(f"--ranks {' '.join(map(str, args.ranks))}: give 1 among them (the speed-up and the efficiency "
                 "are wall(1) / wall(K))")
    args.ranks = sorted(set(args.ranks))
    print(f"loadavg before: {Path('/proc/loadavg').read_text().strip()}; {os.cpu_count()} CPUs")
    header = (f"{'kind':>6} {'ranks':>5} {'neurons':>8} {'synapses':>10} {'wall_s':>7} {'sim/wall':>9} "
              f"{'speed-up/eff':>12} {'busy_s per rank':>16} {'loop CPU s/rank':>16} {'exc_Hz':>7} {'inh_Hz':>7} "
              f"{'syn events/s':>12} {'steps/exch':>10}")
    for kind in ["strong", "weak"]:
        print(header)
        wall_1 = None  # the 1-rank run's, the first
        for k in args.ranks:
            n = args.strong_n if kind == "strong" else k * args.weak_n_per_rank
            wall, busy, cpu, s = measure(args.binary, n, k, args.duration, args.repeats, args.in_degree,
                                         args.set)
            # The rates printed (the second half's, past the start's transient) are the rates the events use.
            exc_hz, inh_hz = s["second_half_rate_exc_Hz"], s["second_half_rate_inh_Hz"]
            spikes_per_s = s["n_exc"] * exc_hz + s["n_inh"] * inh_hz
            if k == 1:
                wall_1 = wall
            print(f"{kind:>6} {k:>5} {n:>8} {s['n_synapses']:>10} {wall:>7.3f} {s['simulated_s'] / wall:>9.2f} "
                  f"{wall_1 / wall:>12.2f} {'/'.join(f'{b:.2f}' for b in busy):>16} "
                  f"{'/'.join(f'{c:.2f}' for c in cpu):>16} "
                  f"{exc_hz:>7.2f} {inh_hz:>7.2f} "
                  f"{spikes_per_s * s['n_synapses'] / n:>12.3g} {s.get('exchange_every_steps', 1):>10}", flush=True)
    print(f"loadavg after: {Path('/proc/loadavg').read_text().strip()}")


if __name__ == "__main__":
    try:
        main()
    except subprocess.CalledProcessError as e:  # cortexloop printed why above
        sys.exit(f"mpi_scaling.py: a run failed (exit {e.returncode}): {' '.join(e.cmd)}")
