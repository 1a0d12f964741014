#!/usr/bin/python3
"""CPU use of each thread of a running process over an interval, from /proc/PID/task/*/stat (utime + stime,
clock ticks). Used by bench/realtime_latency.sh around the probe, for the server's threads (cl-realtime,
cl-io, libzmq's ZMQbg/IO/0 and ZMQbg/Reaper, and the main thread).

  /usr/bin/python3 bench/thread_cpu.py snapshot PID > BEFORE.json
  /usr/bin/python3 bench/thread_cpu.py report PID BEFORE.json [--json OUT.json]
"""
import argparse
import json
import os
import sys
import time
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def snapshot(pid):
    threads = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                stat = f.read()
        except FileNotFoundError:
            continue  # the thread ended
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        threads[tid] = {"name": name, "cpu_ticks": int(fields[11]) + int(fields[12])}  # utime + stime
    return {"time": time.monotonic(), "threads": threads}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["snapshot", "report"])
    ap.add_argument("pid", type=int)
    ap.add_argument("before", nargs="?", help="snapshot file (report)")
    ap.add_argument("--json", help="also write the report here")
    a = ap.parse_args()
    if not os.path.isdir(f"/proc/{a.pid}"):
        sys.exit(f"thread_cpu: no process {a.pid}")
    if a.what == "snapshot":
        json.dump(snapshot(a.pid), sys.stdout)
        return
    if not a.before:
        ap.error("report needs the snapshot file taken before (BEFORE.json)")
    # The snapshot named in one line when it cannot be read: a missing one was a FileNotFoundError traceback (an
    # outside audit).
    try:
        before = json.loads(Path(a.before).read_text())
        before_time, before_threads = float(before["time"]), before["threads"]
        if not isinstance(before_threads, dict):
            raise TypeError("threads is not an object")
    except OSError as e:
        ap.error(f"{a.before}: {e.strerror} (the snapshot file taken before)")
    except (ValueError, KeyError, TypeError) as e:
        ap.error(f"{a.before}: not a snapshot of thread_cpu.py ({e!r})")
    if a.json and (os.path.isdir(a.json) or a.json.endswith(os.sep)):
        ap.error(f"--json {a.json}: is a folder; name a file")
    after = snapshot(a.pid)
    seconds = after["time"] - before_time
    rows = []
    for tid, t in sorted(after["threads"].items(), key=lambda kv: int(kv[0])):
        start = before_threads.get(tid, {"cpu_ticks": 0})["cpu_ticks"]
        rows.append({"tid": int(tid), "name": t["name"], "cpu_percent": 100.0 * (t["cpu_ticks"] - start) / TICKS / seconds})
    print(f"CPU per thread over {seconds:.0f} s (percent of one CPU):")
    for r in rows:
        print(f"  {r['name']:16s} {r['cpu_percent']:6.1f} %")
    if a.json:
        try:
            with open(a.json, "w") as f:
                json.dump({"seconds": seconds, "threads": rows}, f, indent=1)
        except OSError as e:
            sys.exit(f"thread_cpu: --json {a.json}: {e.strerror}")


if __name__ == "__main__":
    main()
