#!/usr/bin/python3
"""RSS of `cortexloop serve` (configs/default.toml, realtime, loopback) after each of N Resets sent back to back
(each waits for its ack). Usage: bench/reset_rss.py [N] [ENV=VALUE] [--binary PATH], e.g.
`bench/reset_rss.py 30 MALLOC_MMAP_THRESHOLD_=131072` to run the server with glibc's mmap threshold fixed."""
import os
import signal
import socket
import subprocess
import sys
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path[:0] = [os.path.join(REPO, "build", "python"), os.path.join(REPO, "tools", "python")]
from cortexloop_client import Client  # noqa: E402


def port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def main():
    args = sys.argv[1:]
    binary = os.path.join(REPO, "build", "cortexloop")
    if "--binary" in args:
        i = args.index("--binary")
        binary = args[i + 1]
        del args[i:i + 2]
    n = int(args[0]) if args else 30
    env = dict(os.environ)
    for a in args[1:]:
        k, v = a.split("=", 1)
        env[k] = v
    pub, cmd = f"tcp://127.0.0.1:{port()}", f"tcp://127.0.0.1:{port()}"
    srv = subprocess.Popen([binary, "serve", "--config", os.path.join(REPO, "configs", "default.toml"), "--pub", pub,
                            "--commands", cmd, "--quiet"], env=env)

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
    srv.send_signal(signal.SIGINT)
    print("exit code", srv.wait(60))


if __name__ == "__main__":
    main()
