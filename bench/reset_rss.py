#!/usr/bin/python3
"""RSS of `cortexloop serve` (configs/default.toml, realtime, loopback) after each of N Resets sent back to back
(each waits for its ack). Usage: bench/reset_rss.py [N] [ENV=VALUE] [--binary PATH] [--stall-s S], e.g.
`bench/reset_rss.py 30 MALLOC_MMAP_THRESHOLD_=131072` to run the server with glibc's mmap threshold fixed.
--stall-s S: after the Resets, a subscriber to every topic that never reads (ZMQ_RCVHWM 1, 4 kB socket buffer)
for S seconds, so that the server's PUB queue for it fills to its high-water mark; then it leaves. RSS is
printed each second while it stalls and 1, 2, 5 and 12 s after it left (what the server kept of that queue).
Exit codes: 0 measured; 1 the server exited, did not answer or refused a Reset (named, no row for it); 2 a wrong
command line; 130 / 143 stopped by Ctrl-C / SIGTERM (the server is ended whatever ends the script)."""
import argparse
import os
import signal
import sys
import time

import zmq

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path[:0] = [os.path.join(REPO, "build", "python"), os.path.join(REPO, "tools", "python")]
from cortexloop_client import Client  # noqa: E402
from cortexloop_client.cli import (ServerExited, ToolError, executable, non_negative_float,  # noqa: E402
                                   non_negative_int, run)
from cortexloop_client.loop import end_process, exit_reason, serve_on_free_ports  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description="RSS of `cortexloop serve` after each of N Resets sent back to back.",
                                 epilog=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    # Checked with the command line: -3 ran 0 Resets and --stall-s -5 skipped the stall, both silently, exit 0 (an
    # outside audit; reset_readout_age.py refused the same value).
    ap.add_argument("resets", type=non_negative_int, nargs="?", default=30,
                    help="Resets to send (>= 0; 0: none, the stall alone; default %(default)s)")
    ap.add_argument("env", nargs="*", metavar="ENV=VALUE", help="environment variables for the server")
    ap.add_argument("--binary", type=executable, default=os.path.join(REPO, "build", "cortexloop"),
                    help="cortexloop executable (default build/cortexloop)")
    ap.add_argument("--stall-s", type=non_negative_float, default=0.0,
                    help="seconds of a subscriber that never reads, after the Resets (>= 0; default %(default)s: "
                         "none)")
    args = ap.parse_args()
    binary, stall_s, n = args.binary, args.stall_s, args.resets
    env = dict(os.environ)
    for a in args.env:
        if "=" not in a:
            ap.error(f"{a!r} is not ENV=VALUE")
        k, v = a.split("=", 1)
        env[k] = v
    srv, pub, cmd = serve_on_free_ports([binary, "serve", "--config", os.path.join(REPO, "configs", "default.toml"),
                                         "--quiet"], env=env)
    # The server is ended however this ends (an error, Ctrl-C, SIGTERM): without the finally, even a SIGINT to this
    # process left it running (an outside audit).
    try:
        measure(srv, pub, cmd, n, stall_s)
    finally:
        end_process(srv, 60, signal.SIGINT)


def measure(srv, pub, cmd, n, stall_s):
    def rss():
        """VmRSS of the server in kB; ServerExited once it has exited (a row "7 Ok None kB" was printed for a server
        that had died, before the error: an outside audit)."""
        if srv.poll() is None:
            try:
                with open(f"/proc/{srv.pid}/status") as f:
                    for line in f:
                        if line.startswith("VmRSS"):
                            return int(line.split()[1])
            except OSError:
                pass
        end_process(srv)  # a zombie has no VmRSS: reaped here, its exit code said
        raise ServerExited(exit_reason(srv))

    c = Client(cmd, None)
    if c.info(60) is None:
        raise ToolError("the server did not answer GetInfo within 60 s")
    print("start", rss(), "kB", flush=True)
    for k in range(n):
        try:
            seq = c.reset(k + 1)
        except TimeoutError:  # no connection to queue it on: a server that has exited is named
            rss()
            raise
        a, end = None, time.monotonic() + 120
        while a is None and time.monotonic() < end:
            rss()  # a server that exits while the Reset waits is named at once, not after 120 s
            a = c.wait_ack(seq, 1.0)
        if a is None:
            raise ToolError(f"Reset {k + 1}: no ack within 120 s")
        if not a.accepted:
            raise ToolError(f"Reset {k + 1} refused: {a.code_name}: {a.reason}")
        time.sleep(0.5)
        print(k + 1, a.code_name, rss(), "kB", flush=True)
    if stall_s > 0:
        ctx = zmq.Context.instance()
        sub = ctx.socket(zmq.SUB)
        sub.setsockopt(zmq.RCVHWM, 1)
        sub.setsockopt(zmq.RCVBUF, 4096)
        sub.setsockopt(zmq.LINGER, 0)
        sub.setsockopt(zmq.SUBSCRIBE, b"")
        sub.connect(pub)
        t0 = time.monotonic()
        try:
            while time.monotonic() - t0 < stall_s:
                time.sleep(1.0)
                print(f"stalled {time.monotonic() - t0:.0f} s", rss(), "kB", flush=True)
        finally:
            sub.close()
        t1 = time.monotonic()
        for after in (1, 2, 5, 12):
            time.sleep(max(0.0, t1 + after - time.monotonic()))
            print(f"left {after} s", rss(), "kB", flush=True)
    c.close()
    print("exit code", end_process(srv, 60, signal.SIGINT))


if __name__ == "__main__":
    # A server that exits at start or dies mid-run: one line (a missing --binary: exit 2, argparse); SIGTERM as Ctrl-C
    # (one line, exit 143 / 130), the server ended.
    run(main, sigterm=True)
