#!/usr/bin/python3
"""CPU of an idle `cortexloop serve` (issue 9, item 9): start it in a mode where it has nothing to do
(stepped, no Step; or realtime paused), wait for it to settle, then read utime+stime of the process from
/proc/<pid>/stat over a window. Usage: bench/idle_cpu.py BUILD/cortexloop [--mode stepped] [--seconds 10]
Exit codes: 0 measured; 1 the server exited or failed (named); 2 a wrong command line; 130 / 143 stopped by Ctrl-C /
SIGTERM (the server it started is ended whatever ends it)."""
import argparse, os, subprocess, sys, time
from pathlib import Path

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path[:0] = [os.path.join(REPO, "build", "python"), os.path.join(REPO, "tools", "python")]
from cortexloop_client.cli import ServerExited, executable, float_type, run  # noqa: E402
from cortexloop_client.loop import end_process, exit_reason, serve_on_free_ports  # noqa: E402

MAX_SECONDS = 86400.0
# --seconds: inf raised an OverflowError from time.sleep after the server had started (an outside audit).
window_seconds = float_type(lambda v: 0 < v <= MAX_SECONDS, f"a finite number in (0, {MAX_SECONDS:g}]")


def main():
    ap = argparse.ArgumentParser(description="CPU of an idle `cortexloop serve`, in % of one core", epilog=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("binary", type=executable, help="the cortexloop executable, e.g. build/cortexloop")
    ap.add_argument("--mode", default="stepped", choices=["stepped", "realtime-paused"],
                    help="stepped: no Step sent; realtime-paused: realtime, then Pause (default %(default)s)")
    ap.add_argument("--seconds", type=window_seconds, default=10.0,
                    help=f"measuring window, s (in (0, {MAX_SECONDS:g}]; default %(default)s)")
    a = ap.parse_args()

    mode = "stepped" if a.mode == "stepped" else "realtime"
    # A binary that is not cortexloop (/bin/true) exits at once: ServerExited, one line (a traceback before).
    server, pub, cmd = serve_on_free_ports([a.binary, "serve", "--mode", mode, "--quiet"])
    try:
        time.sleep(3.0)
        if a.mode == "realtime-paused":
            subprocess.run([a.binary, "stim", "pause", "--commands", cmd], check=True, stdout=subprocess.DEVNULL)
            time.sleep(1.0)
        tck = os.sysconf("SC_CLK_TCK")

        def cpu_s():
            if server.poll() is not None:  # its /proc entry is gone once reaped: say why it ended instead
                raise ServerExited(exit_reason(server))
            fields = Path(f"/proc/{server.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / tck  # utime, stime
        c0, t0 = cpu_s(), time.monotonic()
        time.sleep(a.seconds)
        c1, t1 = cpu_s(), time.monotonic()
        # /proc counts CPU time in clock ticks (10 ms at 100 Hz): one tick over the window is the smallest non-zero
        # figure, and "0.0 %" over 3 s meant "below 0.33 %" (an outside check, 2026-12-06).
        resolution = 100.0 / tck / (t1 - t0)
        print(f"idle {a.mode}: {100.0 * (c1 - c0) / (t1 - t0):.{2 if resolution < 0.1 else 1}f} % of one core over "
              f"{t1 - t0:.1f} s (resolution {resolution:.2g} %: /proc/PID/stat counts CPU in {1000 / tck:g} ms ticks)")
    finally:
        end_process(server)


if __name__ == "__main__":
    run(main, sigterm=True)  # SIGTERM as Ctrl-C: one line, 143, the server ended (it was left running before)
