#!/usr/bin/python3
"""How often does an external loop's command land on the next tick? (issue 9, item 14)

A closed-loop client answers every readout at once: on the readout of tick k it sends a Ping (applied by
the real-time thread like any command) and later reads its ack's tick_applied. The fraction with
tick_applied == k + 1 is what a controller gets; the rest land one or more ticks later. Last it prints the
scheduling the server got (its Status): `-- --rt` without the privileges for it is SCHED_OTHER, memory not locked.
Usage: /usr/bin/python3 bench/next_tick.py build/cortexloop [--seconds 10] [-- serve flags]
Commands the server refused (a Ping refused QueueFull has no tick) are left out of the figures and counted apart.
Exit codes: 0 measured; 1 the server refused a set-up command (--every out of its range), runs stepped (no readout
comes unstepped), exited, or no command was measured (each named); 2 a wrong command line; 130 / 143 stopped by
Ctrl-C / SIGTERM (the server is ended whatever ends the script).
"""
import argparse, collections, os, sys, tempfile, time

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path[:0] = [os.path.join(REPO, "build", "python"), os.path.join(REPO, "tools", "python")]
from cortexloop_client import Client  # noqa: E402
from cortexloop_client import _protocol as p  # noqa: E402
from cortexloop_client.cli import ToolError, executable, positive_float, positive_int, run  # noqa: E402
from cortexloop_client.loop import (ServerExited, end_process, exit_reason, newest_status,  # noqa: E402
                                    scheduling_line, serve_on_free_ports)


def setup_ack(c, server, stderr, seq, what):
    """The ack of a set-up command, checked: refused or unanswered is a ToolError naming it (a refused
    stream.readout_every, --every 100000000, was ignored and the run measured another thinning: an outside audit)."""
    ack = c.wait_ack(seq, 10.0)
    if ack is None:
        if server.poll() is not None:
            raise ServerExited(exit_reason(server, stderr))
        raise ToolError(f"{what}: no ack from the server within 10 s")
    if not ack.accepted:
        raise ToolError(f"the server refused {what}: {ack.code_name}: {ack.reason}")
    return ack


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    # A missing binary was started through taskset, which exited 127: a traceback ending "cortexloop serve exited with
    # code 127" (an outside check, 2026-12-05).
    ap.add_argument("binary", type=executable, help="the cortexloop executable (e.g. build/cortexloop)")
    # Each wrong value named alone ("--every 10 (>= 1) and --seconds 0.0 (> 0)" did not say which: an outside check,
    # 2026-12-06).
    ap.add_argument("--seconds", type=positive_float, default=10.0,
                    help="how long the client answers readouts, s of wall time (> 0; default %(default)s)")
    ap.add_argument("--every", type=positive_int, default=10,
                    help="answer every n-th tick (stream.readout_every, in the server's range; default %(default)s): "
                         "a Python client cannot decode 1000 readouts/s on a loaded 2-CPU machine, and a backlog would "
                         "measure the client, not the server")
    ap.add_argument("--client-cpus", default="off-last", choices=["off-last", "any"],
                    help="'off-last' (default): this client runs off the last CPU, where `serve --rt` puts its "
                         "real-time thread, as a closed-loop user should; 'any': wherever the kernel puts it")
    argv = sys.argv[1:]
    serve_args = argv[argv.index("--") + 1:] if "--" in argv else []
    a = ap.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    a.serve_args = serve_args

    if a.client_cpus == "off-last" and os.cpu_count() > 1:
        # A client thread (ours or libzmq's) that lands on the SCHED_FIFO CPU waits for the spin and the compute:
        # with it there, 3 % of commands made the next tick; with it off, 56-84 % (bench/README.md).
        os.sched_setaffinity(0, set(range(os.cpu_count() - 1)))
    # The server chooses its own CPUs (--rt: real-time thread on the last one, I/O threads on the others).
    stderr = tempfile.TemporaryFile()  # not a pipe: it could fill
    try:
        # A serve flag it refused, a port: ServerExited, its reason in one line (cli.run).
        server, pub, cmd = serve_on_free_ports(["taskset", "-c", f"0-{os.cpu_count() - 1}", a.binary, "serve",
                                                "--quiet"] + a.serve_args, stderr=stderr)
        try:
            measure(a, server, stderr, pub, cmd)
        finally:
            end_process(server)  # however this ends: an error, Ctrl-C, SIGTERM (left running on SIGTERM before)
    except ServerExited as e:  # its reason (serve's own message) in one line
        raise ServerExited(" ".join(str(e).split())) from None
    finally:
        stderr.close()


class Tally:
    """The acks of the Pings, each against the readout (tick, its start) it answered."""

    def __init__(self, tick_ns):
        self.tick_ns = tick_ns
        self.lags = collections.Counter()
        # Pings the server refused (QueueFull under load) were applied on no tick (tick_applied -1), so they have no
        # lag: they went into the histogram as one of -126782 ticks (an outside audit). Counted apart, by code.
        self.refused = collections.Counter()
        # Commands the client sent early enough (> 50 us before the next tick's start): those the server should put
        # on the next tick. What happens to them separates the server's path from the client's speed.
        self.early = collections.Counter()
        self.recv_delay_us, self.queue_delay_us = [], []

    def record(self, ack, tick, tick_start_ns):
        if not ack.accepted:
            self.refused[ack.code_name] += 1
            return
        self.lags[ack.tick_applied - tick] += 1
        if ack.client_send_ns < tick_start_ns + self.tick_ns - 50_000:
            self.early[ack.tick_applied - tick] += 1
            self.recv_delay_us.append((ack.server_recv_ns - ack.client_send_ns) / 1e3)
            self.queue_delay_us.append((ack.server_applied_ns - ack.server_recv_ns) / 1e3)

    def lines(self, serve_args):
        lags, early, refused = self.lags, self.early, self.refused
        n, ne, n_refused = sum(lags.values()), sum(early.values()), sum(refused.values())
        pct = lambda v, q: sorted(v)[int(q * (len(v) - 1))] if v else float("nan")  # noqa: E731
        refusals = (f"; refused, left out: {n_refused} (" + ", ".join(f"{k} {v}" for k, v in sorted(refused.items()))
                    + ")" if n_refused else "")
        return [f"serve {' '.join(serve_args) or '(stock)'}: {n} commands, next tick {100.0 * lags[1] / max(n, 1):.1f}"
                f" %, lag histogram (ticks: count) {dict(sorted(lags.items())[:8])}{refusals}",
                f"  sent > 50 us before the next tick: {ne} ({100.0 * ne / max(n, 1):.1f} %), of which on the next "
                f"tick {100.0 * early[1] / max(ne, 1):.1f} %; send->I/O-thread recv p50 {pct(self.recv_delay_us, 0.5):.0f} "
                f"us, p90 {pct(self.recv_delay_us, 0.9):.0f} us"]

    def check(self, seconds, unacked):
        """ToolError when no command was measured ("0 commands, next tick 0.0 %" and exit 0 read as a measurement: an
        outside audit), saying why: every one refused, none sent (no readout came), or none acked."""
        if sum(self.lags.values()):
            return
        n_refused = sum(self.refused.values())
        why = (f"the server refused all {n_refused} Pings" if n_refused else
               f"no ack of the {unacked} Pings sent" if unacked else "no readout came")
        raise ToolError(f"no command measured in {seconds:g} s ({why}): no figure to give")


def measure(a, server, stderr, pub, cmd):
    c = Client(cmd, pub, topics=(b"readout", b"status"))  # status: the scheduling the server got
    info = c.info(20.0)
    if info is None:
        if server.poll() is not None:
            raise ServerExited(exit_reason(server, stderr))
        raise ToolError("the server did not answer GetInfo within 20 s")
    if info["mode"] == p.Mode.Mode.Stepped:
        # A stepped server publishes a readout only when stepped: the run measured nothing and printed "0 commands,
        # next tick 0.0 %", exit 0 (an outside audit).
        raise ToolError("the server runs in stepped mode (--mode stepped among the serve flags?): it publishes no "
                        "readout unless stepped, and next_tick answers readouts; run it in realtime mode")
    tally = Tally(round(info["tick_ms"] * 1e6))  # the next tick starts this long after a tick's start (any config)
    setup_ack(c, server, stderr, c.set_parameter("stream.readout_every", a.every),
              f"--every {a.every} (stream.readout_every)")
    time.sleep(1.0)  # let the drive ramp and the subscription settle
    while c.receive(0.01):
        pass
    sent = {}  # seq -> (tick, tick_start_ns) of the readout it answers
    end = time.monotonic() + a.seconds
    while time.monotonic() < end:
        m = c.receive(0.5)
        if m and m[1] == "readout":
            sent[c.ping()] = (m[2]["tick"], m[2]["tick_start_ns"])
        while c.dealer.poll(0):
            ack = c.next_ack(0)
            if ack and ack.seq in sent:
                tally.record(ack, *sent.pop(ack.seq))
    deadline = time.monotonic() + 2.0
    while sent and time.monotonic() < deadline:
        ack = c.next_ack(0.2)
        if ack and ack.seq in sent:
            tally.record(ack, *sent.pop(ack.seq))
    # First what the server got, then the flags it was given: "serve --rt: ..." alone read as SCHED_FIFO with locked
    # memory for a server the system had refused both (an outside check, 2026-12-06).
    print(scheduling_line(newest_status(c)))
    print("\n".join(tally.lines(a.serve_args)))
    if sent:
        print(f"  {len(sent)} Pings without an ack within 2 s, left out")
    if server.poll() is not None:
        raise ServerExited(exit_reason(server, stderr))
    tally.check(a.seconds, len(sent))


if __name__ == "__main__":
    run(main, sigterm=True)  # one line for a failure; SIGTERM as Ctrl-C (one line, exit 143 / 130), the server ended
