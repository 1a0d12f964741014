#!/usr/bin/python3
"""Runs a command starved of CPU the way a heavily loaded machine starves it, without loading the machine: every
SLICE_MS each process of the command's tree is independently continued with probability SHARE and stopped
(SIGSTOP) otherwise. Used to reproduce load-only failures of the realtime tests on a shared machine, e.g.

    CORTEXLOOP_BIN=build/cortexloop PYTHONPATH=build/python /usr/bin/python3 tests/python/starve.py 0.3 5 \\
        /usr/bin/python3 tests/python/test_external_loop.py ExternalLoopTest.test_pi_clamp_realtime_holds_and_tracks

Exits with the command's status; every process is continued before it returns.
"""
import os
import random
import signal
import subprocess
import sys
import time


def tree(root):
    """root and its descendants (from /proc)."""
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        try:
            with open(f"/proc/{pid}/task/{pid}/children") as f:
                todo += [int(x) for x in f.read().split()]
        except OSError:
            pass
    return out


def signal_all(pids, sig):
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    share, slice_ms, cmd = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3:]
    if not 0.0 < share <= 1.0 or slice_ms <= 0:
        print(f"starve: SHARE must be in (0, 1] and SLICE_MS > 0, got {share} and {slice_ms}", file=sys.stderr)
        return 2
    proc = subprocess.Popen(cmd, start_new_session=True)
    rng = random.Random(1)
    try:
        while proc.poll() is None:
            for pid in tree(proc.pid):
                signal_all([pid], signal.SIGCONT if rng.random() < share else signal.SIGSTOP)
            time.sleep(slice_ms / 1000.0)
    finally:
        signal_all(tree(proc.pid), signal.SIGCONT)
    return proc.wait()


if __name__ == "__main__":
    sys.exit(main())
