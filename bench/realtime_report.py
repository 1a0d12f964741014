#!/usr/bin/python3
"""Puts the server's end-to-end figures next to their peers measured in the same run on the same machine.

Inputs (written by bench/realtime_latency.sh under one prefix OUT):
  OUT.json            `cortexloop probe` figures, with the server's first and last status of the probe
  OUT.cyclictest.txt  cyclictest histogram (1 us bins): the wake-up latency of a thread that does nothing,
                      with the same CPU, priority and memory locking as the server's real-time thread, but
                      no spin: it sleeps to each deadline, where the server (--spin-us, 100 us under --rt)
                      wakes that long before it and spins to it
  OUT.floor.json      bench/pubsub_floor: a bare ZeroMQ PUB -> SUB pair between two processes

The three phases ran one after another (cyclictest, pubsub_floor, then the server), not at the same time: a
ratio compares minutes between which the machine's noise may have changed.

Spans: the server's deadline misses are counted between the probe's first and last status (the settle before
the probe left out), the peers' over their DURATION; the server's tick lateness (p99, p99.9, max) comes from
its status, which covers every tick since the server started, settle included (the status carries no
window of it), against cyclictest's DURATION.

Peers: the lateness of a tick can be no better than the machine's wake-up latency (cyclictest), and a
readout cannot cross the sockets faster than a bare PUB/SUB pair (pubsub_floor). A zero-compute loop at the
same period would miss every tick whose wake-up was at least one period late, and every period that passed
while it was stalled (cyclictest skips those): that count is the machine's own share of the server's misses.

Settings: realtime_latency.sh gives the peers' (--peer-fifo, --peer-cpu, --peer-mlock); those the server got are
in its status (a FIFO priority or an mlockall the system refused is named there). When they differ the report says
so above the rows, and the ratios compare unlike runs. With --no-peers (PEERS=0) it prints the server's figures
alone, with the settings it was refused.

  /usr/bin/python3 bench/realtime_report.py OUT [--period-us 1000] [--markdown]
"""
import argparse
import os
import json
import re
import sys
from pathlib import Path

from bench_args import non_negative_float, positive_float


def cyclictest_histogram(path):
    """{latency_us: count} from cyclictest -h output, plus its overflow count and reported max."""
    hist, overflows, max_us = {}, 0, None
    with open(path) as f:
        for line in f:
            if line.startswith("# Histogram Overflows:"):
                overflows = int(line.split(":")[1].split()[0])
            elif line.startswith("# Max Latencies:"):
                max_us = int(line.split(":")[1].split()[0])
            elif line.strip() and not line.startswith("#"):
                fields = line.split()
                if len(fields) >= 2 and fields[0].isdigit():
                    count = int(fields[1])
                    if count:
                        hist[int(fields[0])] = count
    if not hist:
        sys.exit(f"realtime_report: no histogram in {path} (was cyclictest run with -h?)")
    return hist, overflows, max_us


def quantile(hist, overflows, max_us, q):
    total = sum(hist.values()) + overflows
    rank, seen = q * total, 0
    for us in sorted(hist):
        seen += hist[us]
        if seen >= rank:
            return us
    return max_us


def server_settings(scheduling):
    """(FIFO priority or 0, CPU or -1, memory locked) of the server's real-time thread, from its status's scheduling
    text ("SCHED_FIFO 80; pinned to CPU 1; memory locked", or "SCHED_OTHER (SCHED_FIFO not permitted: ...; needs
    ...); ...; memory not locked (mlockall: ...)" for what the system refused), and the names of those refused."""
    items, depth, item = [], 0, ""
    for ch in scheduling + ";":  # split at the "; " outside parentheses (the reasons hold some)
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == ";" and depth == 0:
            items.append(item.strip())
            item = ""
        else:
            item += ch
    fifo = re.match(r"SCHED_FIFO (\d+)$", items[0])
    cpu = next((int(m.group(1)) for m in map(re.compile(r"pinned to CPU (\d+)$").match, items) if m), -1)
    refused = [name for name, sign in (("SCHED_FIFO", "SCHED_FIFO not permitted"), ("mlockall", "memory not locked"),
                                       ("the CPU", "not pinned (CPU")) if any(i.startswith(sign) or f"({sign}" in i
                                                                             for i in items)]
    return (int(fifo.group(1)) if fifo else 0, cpu, "memory locked" in items), refused


def settings_text(fifo, cpu, mlock):
    return (f"SCHED_FIFO {fifo}" if fifo > 0 else "SCHED_OTHER") + \
        (f", pinned to CPU {cpu}" if cpu >= 0 else ", not pinned") + (", memory locked" if mlock else ", memory not locked")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", help="prefix given to bench/realtime_latency.sh")
    ap.add_argument("--period-us", type=positive_float, default=1000.0, help="tick period (default 1000)")
    ap.add_argument("--peer-duration", type=positive_float, help="seconds cyclictest ran (default: the probe's duration)")
    ap.add_argument("--spin-us", type=non_negative_float,
                    help="the server's --spin-us (realtime_latency.sh passes it: 0 unless the serve flags name it), "
                         "for the note on the lateness rows (default: not known)")
    ap.add_argument("--markdown", action="store_true", help="print a markdown table")
    ap.add_argument("--no-peers", action="store_true",
                    help="the peers were not run (PEERS=0): the server's figures alone, no OUT.cyclictest.txt or "
                         "OUT.floor.json read")
    ap.add_argument("--peer-fifo", type=int, help="the peers' SCHED_FIFO priority, 0 for SCHED_OTHER (default: not known)")
    ap.add_argument("--peer-cpu", type=int, help="the peers' CPU, -1 for none (default: not known)")
    ap.add_argument("--peer-mlock", action="store_true", help="the peers locked their memory (cyclictest -m)")
    ap.add_argument("--peer-note", action="append", default=[],
                    help="a line on how a peer ran (e.g. what pubsub_floor was refused), repeatable")
    a = ap.parse_args()

    for suffix in (".json",) if a.no_peers else (".json", ".floor.json", ".cyclictest.txt"):
        if not os.path.exists(a.out + suffix):
            ap.error(f"{a.out + suffix} not found: OUT is the prefix bench/realtime_latency.sh was given (its peers' "
                     "files are written unless PEERS=0)")
    try:
        probe = json.loads(Path(a.out + ".json").read_text())
        server = probe["server"]
        first, last = server["first_status"], server["last_status"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        sys.exit(f"realtime_report: {a.out}.json: not a probe's figures with the server's first and last status ({e!r})")
    peers = not a.no_peers
    if peers:
        hist, overflows, cyc_max = cyclictest_histogram(a.out + ".cyclictest.txt")
        cyc_n = sum(hist.values()) + overflows
        # cyclictest skips the periods that passed while it was stalled (it moves its next wake-up past now), so
        # a zero-compute loop's lost ticks are its late wake-ups plus the periods missing from its sample count.
        peer_s = a.peer_duration if a.peer_duration else probe["duration_s"]
        cyc_expected = int(peer_s * 1e6 / a.period_us)
        cyc_skipped = max(0, cyc_expected - cyc_n)
        cyc_late = sum(c for us, c in hist.items() if us >= a.period_us) + overflows
        floor = json.loads(Path(a.out + ".floor.json").read_text())

    # Counted alike on both sides: the server's late ticks plus the periods its resyncs dropped (ticks_skipped), as
    # the peer's late wake-ups plus its skipped periods (before ticks_skipped existed the server's skipped periods
    # were left out: bench/README.md, "realtime_latency.sh"). And over a like span: the server between the probe's
    # first and last status, as the peers over their DURATION. It was counted since the server started, settle
    # included: a 30 s --rt run whose 4 misses all came before the probe read "server 12.1 peer 6.7 ratio 1.82"
    # (an outside check, 2026-12-05).
    def delta(key):
        return last.get(key, 0) - first.get(key, 0)
    skipped = delta("ticks_skipped")
    ticks = delta("server_ticks") + skipped
    misses = delta("deadline_misses") + skipped
    # The lateness rows are like for like only without a spin: the server wakes --spin-us early and spins to the
    # deadline, so a wake-up up to that late does not show in its lateness; cyclictest sleeps to the deadline (it
    # has no option to spin).
    if a.spin_us is None:
        spin = "the server may spin before each deadline (--spin-us; --rt: 100 us), cyclictest does not"
    elif a.spin_us > 0:
        spin = f"the server spins its last {a.spin_us:g} us before each deadline, cyclictest does not"
    else:
        spin = "no spin, as cyclictest"
    def peer(value):
        return value() if peers else None
    rows = [
        ("deadline misses (per 100k ticks)", 100e3 * misses / ticks if ticks > 0 else None,
         peer(lambda: 100e3 * (cyc_late + cyc_skipped) / cyc_expected),
         "server: ticks ending after the next deadline + periods skipped, during the probe; peer: wake-ups >= 1 "
         "period late + periods skipped"),
        ("tick lateness p99 (us)", last["lateness_total_p99_us"], peer(lambda: quantile(hist, overflows, cyc_max, 0.99)),
         "server: since it started; " + spin),
        ("tick lateness p99.9 (us)", last["lateness_total_p999_us"],
         peer(lambda: quantile(hist, overflows, cyc_max, 0.999)), "server: since it started; " + spin),
        ("tick lateness max (us)", last["lateness_total_max_us"], peer(lambda: cyc_max), "server: since it started"),
    ]
    for traffic in ("back-to-back", "sporadic"):
        if traffic not in probe:
            continue
        p = probe[traffic]["publish_to_receive"]
        for key, label in (("p50_us", "p50"), ("p99_us", "p99"), ("p999_us", "p99.9")):
            rows.append((f"publish -> receive {label} (us), {traffic}", p[key], peer(lambda: floor[key]), ""))

    def fmt(v):
        return "-" if v is None else f"{v:.1f}" if isinstance(v, float) else str(v)

    # The settings the server got (its status) against the peers': the peers of an "=" form of a serve flag ran
    # unpinned under SCHED_OTHER beside a server under SCHED_FIFO 80, their ratios printed without a word (an outside
    # check, 2026-12-06); a server refused FIFO or mlockall (no privileges) ran otherwise than its peers too.
    got, refused = server_settings(last.get("scheduling", ""))
    unlike = None
    if peers and a.peer_fifo is not None and a.peer_cpu is not None:
        asked = (a.peer_fifo, a.peer_cpu, a.peer_mlock)
        if asked != got:
            unlike = (f"the peers ran with {settings_text(*asked)}, the server with {settings_text(*got)}: the ratios "
                      "compare unlike settings")
    if peers:
        print("phases one after another, not at the same time: cyclictest, then pubsub_floor, then the server")
        print(f"server: {ticks} ticks, {misses} misses between the probe's first and last status "
              f"({delta('uptime_s'):.0f} s; {last['deadline_misses']} misses since it started), {last['scheduling']}; "
              f"cyclictest: {cyc_n} wake-ups of {cyc_expected} periods ({cyc_late} >= 1 period late, {cyc_skipped} skipped); pubsub_floor: {floor['n']} messages on {floor['endpoint']}")
    else:
        print("no peers (PEERS=0): the server's figures alone, no cyclictest or pubsub_floor to set them against")
        print(f"server: {ticks} ticks, {misses} misses between the probe's first and last status "
              f"({delta('uptime_s'):.0f} s; {last['deadline_misses']} misses since it started), {last['scheduling']}")
    print("server's settings refused by the system: " + (", ".join(refused) + " (why: its scheduling above)"
                                                          if refused else "none"))
    for note in a.peer_note:
        print(f"peer: {note}")
    if unlike:
        print(f"NOTE: {unlike}")
    if ticks <= 0:
        print("server: the probe saw fewer than two statuses (one a second): no misses counted over its span")
    if a.markdown:
        print("| figure | server | peer | server / peer | note |\n| --- | --- | --- | --- | --- |")
    for name, ours, peer_value, note in rows:
        ratio = f"{ours / peer_value:.2f}" if peer_value and ours is not None else "-"
        if unlike and ratio != "-":
            ratio += "*"  # NOTE above: unlike settings
        if a.markdown:
            print(f"| {name} | {fmt(ours)} | {fmt(peer_value)} | {ratio} | {note} |")
        else:
            print(f"{name:48s} server {fmt(ours):>9s}   peer {fmt(peer_value):>9s}   ratio {ratio:>6s}  {note}")
    for traffic in ("back-to-back", "sporadic"):
        if traffic in probe:
            c = probe[traffic]["command_to_applied"]
            print(f"command -> applied, {traffic}: p50 {c['p50_us']:.0f} us, p99 {c['p99_us']:.0f} us, "
                  f"p99.9 {c['p999_us']:.0f} us (target p99 <= 1 tick + 200 us = {a.period_us + 200:.0f} us)")
    if "readout_age_p99_us_max_window" in server:  # probes before 2026-12-05 did not keep it
        # What a client waits before the publish: the tick's compute, the real-time -> I/O hand-off and the I/O
        # thread's own delay (Status.readout_age); its latency is this plus publish -> receive above.
        print(f"readout age at publish (tick start -> publish): worst window p99 "
              f"{server['readout_age_p99_us_max_window']:.0f} us, max {server['readout_age_max_us']:.0f} us "
              "(add publish -> receive for what a client sees)")
    lost = {t: (probe[t].get("lost", 0), probe[t].get("refused", 0)) for t in ("back-to-back", "sporadic") if t in probe}
    if any(n or r for n, r in lost.values()):
        print("probe commands lost / refused: " + "; ".join(f"{t} {n} / {r}" for t, (n, r) in lost.items()) +
              " (the probe's exit 5): the command latencies above leave them out")
    print(f"CPU: real-time thread {server['rt_cpu_percent_mean']:.0f} %, I/O thread {server['io_cpu_percent_mean']:.0f} %")


if __name__ == "__main__":
    main()
