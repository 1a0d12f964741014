#!/usr/bin/python3
"""RSS of `cortexloop serve` (configs/default.toml, realtime, loopback) after each of N Resets sent back to back
(each waits for its ack). Usage: bench/reset_rss.py [N] [ENV=VALUE] [--binary PATH] [--stall-s S], e.g.
`bench/reset_rss.py 30 MALLOC_MMAP_THRESHOLD_=131072` to run the server with glibc's mmap threshold fixed.
--stall-s S: after the Resets, a subscriber to every topic that never reads (ZMQ_RCVHWM 1, 4 kB socket buffer)
for S seconds, so that the server's PUB queue for it fills to its high-water mark; then it leaves. RSS is
printed each second while it stalls and 1, 2, 5 and 12 s after it left (what the server kept of that queue)."""
import argparse
import os
import signal
import sys
import time

import zmq

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path[:0] = [os.path.join(REPO, "build", "python"), os.path.join(REPO, "tools", "python")]
from cortexloop_client import Client  # noqa: E402
from cortexloop_client.cli import executable, run  # noqa: E402
from cortexloop_client.loop import serve_on_free_ports  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description="RSS of `cortexloop serve` after each of N Resets sent back to back.",
                                 epilog=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("resets", type=int, nargs="?", default=30, help="Resets to send (default %(default)s)")
    ap.add_argument("env", nargs="*", metavar="ENV=VALUE", help="environment variables for the server")
    ap.add_argument("--binary", type=executable, default=os.path.join(REPO, "build", "cortexloop"),
                    help="cortexloop executable (default build/cortexloop)")
    ap.add_argument("--stall-s", type=float, default=0.0,
                    help="seconds of a subscriber that never reads, after the Resets (default %(default)s: none)")
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

    def rss():
        with open(f"/proc/{srv.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS"):
                    return int(line.split()[1])

    c = Client(cmd, None)
    assert c.info(60) is not None, "server did not answer"
    print("start", rss(), "kB", flush=True)
    for k in range(n):
        a = c.wait_ack(c.reset(k + 1), 120)
        time.sleep(0.5)
        print(k + 1, a.code_name if a else None, rss(), "kB", flush=True)
    if stall_s > 0:
        ctx = zmq.Context.instance()
        sub = ctx.socket(zmq.SUB)
        sub.setsockopt(zmq.RCVHWM, 1)
        sub.setsockopt(zmq.RCVBUF, 4096)
        sub.setsockopt(zmq.LINGER, 0)
        sub.setsockopt(zmq.SUBSCRIBE, b"")
        sub.connect(pub)
        t0 = time.monotonic()
        while time.monotonic() - t0 < stall_s:
            time.sleep(1.0)
            print(f"stalled {time.monotonic() - t0:.0f} s", rss(), "kB", flush=True)
        sub.close()
        t1 = time.monotonic()
        for after in (1, 2, 5, 12):
            time.sleep(max(0.0, t1 + after - time.monotonic()))
            print(f"left {after} s", rss(), "kB", flush=True)
    srv.send_signal(signal.SIGINT)
    print("exit code", srv.wait(60))


if __name__ == "__main__":
    run(main)  # a server that exits at start: one line, as a missing --binary (exit 2, argparse)
