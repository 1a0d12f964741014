#!/usr/bin/python3
"""How often does an external loop's command land on the next tick? (issue 9, item 14)

A closed-loop client answers every readout at once: on the readout of tick k it sends a Ping (applied by
the real-time thread like any command) and later reads its ack's tick_applied. The fraction with
tick_applied == k + 1 is what a controller gets; the rest land one or more ticks later. Last it prints the
scheduling the server got (its Status): `-- --rt` without the privileges for it is SCHED_OTHER, memory not locked.
Usage: /usr/bin/python3 bench/next_tick.py build/cortexloop [--seconds 10] [-- serve flags]
"""
import argparse, collections, os, sys, tempfile, time

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path[:0] = [os.path.join(REPO, "build", "python"), os.path.join(REPO, "tools", "python")]
from cortexloop_client import Client  # noqa: E402
from cortexloop_client.cli import executable, positive_float, positive_int  # noqa: E402
from cortexloop_client.loop import ServerExited, newest_status, scheduling_line, serve_on_free_ports  # noqa: E402

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
# A missing binary was started through taskset, which exited 127: a traceback ending "cortexloop serve exited with
# code 127" (an outside check, 2026-12-05).
ap.add_argument("binary", type=executable, help="the cortexloop executable (e.g. build/cortexloop)")
# Each wrong value named alone ("--every 10 (>= 1) and --seconds 0.0 (> 0)" did not say which: an outside check,
# 2026-12-06).
ap.add_argument("--seconds", type=positive_float, default=10.0,
                help="how long the client answers readouts, s of wall time (> 0; default %(default)s)")
ap.add_argument("--every", type=positive_int, default=10,
                help="answer every n-th tick (stream.readout_every): a Python client cannot decode 1000 readouts/s "
                     "on a loaded 2-CPU machine, and a backlog would measure the client, not the server")
ap.add_argument("--client-cpus", default="off-last", choices=["off-last", "any"],
                help="'off-last' (default): this client runs off the last CPU, where `serve --rt` puts its real-time "
                     "thread, as a closed-loop user should; 'any': wherever the kernel puts it")
argv = sys.argv[1:]
serve_args = argv[argv.index("--") + 1:] if "--" in argv else []
a = ap.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
a.serve_args = serve_args

if a.client_cpus == "off-last" and os.cpu_count() > 1:
    # A client thread (ours or libzmq's) that lands on the SCHED_FIFO CPU waits for the spin and the compute:
    # with it there, 3 % of commands made the next tick; with it off, 56-84 % (bench/README.md).
    os.sched_setaffinity(0, set(range(os.cpu_count() - 1)))
# The server chooses its own CPUs (--rt: real-time thread on the last one, I/O threads on the others).
try:
    server, pub, cmd = serve_on_free_ports(["taskset", "-c", f"0-{os.cpu_count() - 1}", a.binary, "serve", "--quiet"] +
                                           a.serve_args, stderr=tempfile.TemporaryFile())  # not a pipe: it could fill
except ServerExited as e:  # a serve flag it refused, a port: its reason, in one line
    sys.exit(f"next_tick: {' '.join(str(e).split())}")
try:
    c = Client(cmd, pub, topics=(b"readout", b"status"))  # status: the scheduling the server got
    info = c.info(20.0)
    if info is None:
        sys.exit("next_tick: the server did not answer GetInfo within 20 s")
    tick_ns = round(info["tick_ms"] * 1e6)  # the next tick starts this long after a tick's start (any config)
    c.wait_ack(c.set_parameter("stream.readout_every", a.every), 10.0)
    time.sleep(1.0)  # let the drive ramp and the subscription settle
    while c.receive(0.01):
        pass
    sent = {}  # seq -> (tick, tick_start_ns) of the readout it answers
    lags = collections.Counter()
    # Commands the client sent early enough (> 50 us before the next tick's start): those the server should put
    # on the next tick. What happens to them separates the server's path from the client's speed.
    early = collections.Counter()
    recv_delay_us, queue_delay_us = [], []
    def record(ack, tick, tick_start_ns):
        lags[ack.tick_applied - tick] += 1
        next_start = tick_start_ns + tick_ns
        if ack.client_send_ns < next_start - 50_000:
            early[ack.tick_applied - tick] += 1
            recv_delay_us.append((ack.server_recv_ns - ack.client_send_ns) / 1e3)
            queue_delay_us.append((ack.server_applied_ns - ack.server_recv_ns) / 1e3)
    end = time.monotonic() + a.seconds
    while time.monotonic() < end:
        m = c.receive(0.5)
        if m and m[1] == "readout":
            sent[c.ping()] = (m[2]["tick"], m[2]["tick_start_ns"])
        while c.dealer.poll(0):
            ack = c.next_ack(0)
            if ack and ack.seq in sent:
                record(ack, *sent.pop(ack.seq))
    deadline = time.monotonic() + 2.0
    while sent and time.monotonic() < deadline:
        ack = c.next_ack(0.2)
        if ack and ack.seq in sent:
            record(ack, *sent.pop(ack.seq))
    n, ne = sum(lags.values()), sum(early.values())
    pct = lambda v, q: sorted(v)[int(q * (len(v) - 1))] if v else float("nan")
    # First what the server got, then the flags it was given: "serve --rt: ..." alone read as SCHED_FIFO with locked
    # memory for a server the system had refused both (an outside check, 2026-12-06).
    print(scheduling_line(newest_status(c)))
    print(f"serve {' '.join(a.serve_args) or '(stock)'}: {n} commands, next tick {100.0 * lags[1] / max(n, 1):.1f} %,"
          f" lag histogram (ticks: count) {dict(sorted(lags.items())[:8])}")
    print(f"  sent > 50 us before the next tick: {ne} ({100.0 * ne / max(n, 1):.1f} %), of which on the next tick "
          f"{100.0 * early[1] / max(ne, 1):.1f} %; send->I/O-thread recv p50 {pct(recv_delay_us, 0.5):.0f} us, "
          f"p90 {pct(recv_delay_us, 0.9):.0f} us")
finally:
    server.terminate()
    server.wait()
