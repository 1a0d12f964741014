#!/usr/bin/python3
"""Where a tick's tail comes from, from two or more bench/tick_trace CSV files of the same network (same seed).

The network is deterministic, so every run steps the same spikes at the same tick. For each run: tick p50/p99 (sum
of its phases' wall times, as a fraction of the 1 ms tick), the busiest worker's, and how much of the tick-to-tick
variance the spikes delivered explain (a least-squares line of tick time on spikes). Across runs: the correlation
of the same ticks' times and how many of one run's slowest 1 % ticks are among another's; with a tail made by the
work these are high, with one made by the machine (a vCPU taken away, the VM's speed changing) near chance (1 %).

    /usr/bin/python3 bench/tick_tail.py /tmp/trace_a.csv /tmp/trace_b.csv
"""
import argparse
import csv

import numpy as np

TICK_NS = 1e6
STALL = 2.0  # a phase longer than 2 ticks: the thread was stopped (RT throttling: 50 ms of each second)


def load(path):
    try:
        rows = list(csv.DictReader(open(path)))
    except OSError as e:
        raise SystemExit(f"tick_tail.py: {path}: {e.strerror}")
    needed = {"tick", "wall_ns", "w0_ns", "w1_ns", "spikes_delivered"}
    if not rows or not needed <= set(rows[0]):
        raise SystemExit(f"tick_tail.py: {path}: not a bench/tick_trace CSV with rows (its header: tick,phase,wall_ns,...)")
    ticks = int(rows[-1]["tick"]) + 1
    wall = np.zeros(ticks); w = np.zeros((2, ticks)); spikes = np.zeros(ticks); faults = np.zeros(ticks)
    switches = np.zeros(ticks); phase_max = np.zeros(ticks); phase_even = np.zeros(ticks); phase_busiest = np.zeros(ticks)
    for r in rows:
        t = int(r["tick"])
        wall[t] += int(r["wall_ns"])
        w[0, t] += int(r["w0_ns"]); w[1, t] += int(r["w1_ns"])
        spikes[t] += int(r["spikes_delivered"])
        faults[t] = int(r["tick_faults"]); switches[t] = int(r["tick_nivcsw"])
        phase_max[t] = max(phase_max[t], int(r["wall_ns"]))
        w0, w1 = int(r["w0_ns"]), int(r["w1_ns"])
        phase_busiest[t] += max(w0, w1); phase_even[t] += (w0 + w1) / 2 if w1 else w0
    return dict(phase_busiest=phase_busiest / TICK_NS, phase_even=phase_even / TICK_NS, wall=wall / TICK_NS, busiest=w.max(axis=0) / TICK_NS, w=w / TICK_NS, spikes=spikes, faults=faults,
                switches=switches, phase_max=phase_max / TICK_NS)


def main(paths):
    runs = [load(p) for p in paths]
    for p, r in zip(paths, runs):
        stalls = int((r["phase_max"] > STALL).sum())
        ok = r["phase_max"] <= STALL  # the fit leaves out ticks with a stalled phase (printed apart)
        wall, sp = r["wall"][ok], r["spikes"][ok]
        fit = np.polyfit(sp, wall, 1)
        resid = wall - np.polyval(fit, sp)
        explained = 1 - resid.var() / wall.var()
        slow = wall >= np.quantile(wall, 0.99)
        print(f"{p}: {stalls} ticks with a phase over {STALL:g} of the tick (left out below, max tick "
              f"{r['wall'].max():.1f})")
        print(f"  tick p50 {np.median(wall):.3f} p99 {np.quantile(wall, 0.99):.3f} max {wall.max():.3f}; "
              f"busiest p50 {np.median(r['busiest']):.3f} p99 {np.quantile(r['busiest'], 0.99):.3f}; "
              f"w0/w1 p50 {np.median(r['w'][0]):.3f}/{np.median(r['w'][1]):.3f}")
        print(f"  spikes/tick p50 {np.median(sp):.0f} p99 {np.quantile(sp, 0.99):.0f}; tick = {fit[1]:.3f} + "
              f"{fit[0] * 1e3:.3f}e-3 x spikes, R^2 {explained:.2f}; slowest 1 %: spikes mean {sp[slow].mean():.0f} "
              f"(all {sp.mean():.0f}); page faults in ticks {int(r['faults'].sum())}, involuntary switches "
              f"{int(r['switches'].sum())}")
        # Ideal balance: each phase's work split evenly between the workers, at no cost.
        pb, pe = r["phase_busiest"][ok], r["phase_even"][ok]
        print(f"  sum of each phase's busiest worker p50 {np.median(pb):.3f} p99 {np.quantile(pb, 0.99):.3f}; "
              f"if evenly split p50 {np.median(pe):.3f} p99 {np.quantile(pe, 0.99):.3f}")
        print(f"  windows of 100 ticks, p50 of the tick: {' '.join(f'{np.median(x):.2f}' for x in np.array_split(r['wall'], len(r['wall']) // 100))}")
    for i in range(len(runs)):
        for j in range(i + 1, len(runs)):
            a, b = runs[i]["wall"], runs[j]["wall"]
            sa, sb = a >= np.quantile(a, 0.99), b >= np.quantile(b, 0.99)
            print(f"runs {i}/{j}: correlation of tick times {np.corrcoef(a, b)[0, 1]:.2f}; slowest 1 % shared "
                  f"{int((sa & sb).sum())} of {int(sa.sum())} (chance ~{sa.sum() * 0.01:.1f})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Where a tick's tail comes from: two or more bench/tick_trace CSV "
                                     "files of the same network and seed, compared tick by tick.")
    parser.add_argument("traces", nargs="+", metavar="CSV", help="bench/tick_trace output files (same network, seed)")
    main(parser.parse_args().traces)
