#!/usr/bin/python3
"""Readout age around Resets: how late the first readouts of a new epoch leave `cortexloop serve`.

A readout's age is publish_ns - tick_start_ns (both stamped by the server on one monotonic clock: from its tick's
start until the I/O thread publishes it). The script starts `serve` (configs/default.toml, realtime, free loopback
ports), takes 3 s of readouts as the quiet peer, then sends N Resets 1.5 s apart and prints, for each, the ages of
the new epoch's first readouts and the largest of its first 50; last the median of those maxima, and the server's
deadline misses per Reset (Status.deadline_misses over the Resets) next to its misses per 1.5 s while quiet.
Usage: bench/reset_readout_age.py [N] [--binary PATH] (bench/README.md, "Reset: the old engine destroyed off the
I/O thread"). Exit codes: 0 measured; 1 the server exited, fell silent or refused a Reset (named); 2 a wrong command
line; 130 / 143 stopped by Ctrl-C / SIGTERM (the server is ended whatever ends the script)."""
import argparse
import os
import sys
import time

import numpy as np

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path[:0] = [os.path.join(REPO, "build", "python"), os.path.join(REPO, "tools", "python")]
from cortexloop_client import Client  # noqa: E402
from cortexloop_client.cli import ServerExited, ToolError, executable, run  # noqa: E402
from cortexloop_client.loop import end_process, exit_reason, serve_on_free_ports  # noqa: E402


def main():
    # The epilog is the rest of the docstring: its first line is the description (--help printed it twice).
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog="\n".join(__doc__.splitlines()[1:]),
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("resets", type=int, nargs="?", default=8, help="Resets to send (default %(default)s)")
    ap.add_argument("--binary", type=executable, default=os.path.join(REPO, "build", "cortexloop"),
                    help="cortexloop executable (default build/cortexloop)")
    args = ap.parse_args()
    if args.resets < 1:
        ap.error("resets must be at least 1")
    srv, pub, cmd = serve_on_free_ports([args.binary, "serve", "--config",
                                         os.path.join(REPO, "configs", "default.toml"), "--quiet"])
    try:
        measure(srv, pub, cmd, args.resets)
    finally:
        end_process(srv)  # however this ends: an error, Ctrl-C, SIGTERM (it was left running on SIGTERM before)


def measure(srv, pub, cmd, resets):
    def failed(what):
        """ToolError saying `what` went wrong, or that the server exited (the reason it did)."""
        return ServerExited(exit_reason(srv)) if srv.poll() is not None else ToolError(what)

    c = Client(cmd, pub, topics=(b"readout", b"status"))
    status = {}  # the newest Status
    if c.info(60) is None:
        raise failed("the server did not answer GetInfo within 60 s")

    def ages(seconds):
        out, end = [], time.monotonic() + seconds
        while time.monotonic() < end:
            m = c.receive(0.2, device=False)
            if m and m[1] == "status":
                status.update(m[2])
            if m and m[1] == "readout":
                out.append((m[2]["epoch"], (m[2]["publish_ns"] - m[2]["tick_start_ns"]) / 1e3))
        return out

    ages(1.2)  # a first Status
    quiet_misses0, quiet_t0 = status.get("deadline_misses", 0), time.monotonic()
    quiet = np.array([a for _, a in ages(3.0)])
    if not len(quiet):
        raise failed("no readout from the server in 3 s")
    quiet_misses = (status.get("deadline_misses", 0) - quiet_misses0) / ((time.monotonic() - quiet_t0) / 1.5)
    print(f"quiet: {len(quiet)} readouts, age p50 {np.median(quiet):.0f} us, p99 {np.percentile(quiet, 99):.0f} us,"
          f" max {quiet.max():.0f} us", flush=True)
    worst = []
    misses0 = status.get("deadline_misses", 0)
    for k in range(resets):
        ack = c.wait_ack(c.reset(k + 2), 60)
        if ack is None:
            raise failed(f"Reset {k + 1}: no ack within 60 s")
        if not ack.accepted:
            raise ToolError(f"Reset {k + 1} refused: {ack.code_name}: {ack.reason}")
        got = ages(1.5)
        after = [a for e, a in got if e == ack.epoch][:50] if got else []
        if not after:
            raise failed(f"no readout of epoch {ack.epoch} within 1.5 s of Reset {k + 1}")
        worst.append(max(after))
        print(f"reset {k + 1}: first ages (us) {[round(a) for a in after[:8]]}, max of first {len(after)}: "
              f"{max(after):.0f}", flush=True)
    print(f"median over {len(worst)} Resets of the new epoch's largest age: {np.median(worst):.0f} us")
    ages(1.2)  # the Status after the last Reset's window
    print(f"deadline misses: {(status.get('deadline_misses', 0) - misses0) / resets:.1f} per Reset (each with "
          f"its 1.5 s of readouts), {quiet_misses:.1f} per 1.5 s while quiet")


if __name__ == "__main__":
    # A server that exits at start: one line, as a missing --binary (exit 2, argparse); SIGTERM as Ctrl-C (one line,
    # exit 143 / 130), the server ended.
    run(main, sigterm=True)
