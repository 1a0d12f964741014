"""A stall of the server is counted as a missed deadline and its dropped ticks as ticks_skipped (ctest: python_deadline_misses; configs/default.toml,
realtime, 1 ms ticks; ~8 s).

The status's deadline counters had no test (a break of the miss count or of the lateness passed the whole suite).
Their law: a tick that finishes more than one tick after its deadline is a miss (realtime_loop.cpp); lateness is
the tick's start minus its deadline, compute its end minus its start. So when the whole server is stopped (SIGSTOP)
for S = 300 ms while it runs, the stall falls either before a tick starts (that tick's lateness >= S) or inside
its compute (compute >= S), and either way that tick ends at least S late: the total `deadline_misses` grows by at
least 1, some window counts it in `window_deadline_misses`, and the loop, more than 100 ms behind, restarts its tick
grid (`resyncs` + 1) instead of catching up 300 ticks. A stall only adds, so this holds at any load (under ASan,
where compute fills most of each tick, the stall mostly lands in the compute). The one exception, a stall inside
the few instructions between a tick's end and the loop's next clock read, is counted only as the resync.
Reference: the stall's length, measured by this test's clock from the moment every thread of the server is seen
stopped (wait_until_stopped) to SIGCONT. Breaks tried: the miss count not incremented
(realtime_loop.cpp, `++misses_` removed) -> the total stays; the window lateness recorded as 0 -> the stall check
(in Release, where the stall mostly lands in the sleep).
"""
import os
import signal
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path[:0] = [os.path.join(REPO, "build", "python"), os.path.join(REPO, "tools", "python")]
from cortexloop_client import loop  # noqa: E402

BIN = os.environ.get("CORTEXLOOP_BIN", os.path.join(REPO, "build", "cortexloop"))
STALL_S = 0.3


def next_status(client, timeout_s=5.0):
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        got = client.receive(0.5, device=False)
        if got and got[1] == "status":
            return got[2]
    raise AssertionError(f"no status within {timeout_s} s")


def wait_until_stopped(pid, timeout_s=5.0):
    """Waits until every thread of `pid` is stopped. kill() only queues SIGSTOP: one thread of the server takes it
    and then stops the others, and under load that thread may wait milliseconds for a CPU while the real-time
    thread still runs ticks (CI saw a stall of 300 ms by this test's clock seen as 292 ms of lateness). The stall
    is timed from here, when the real-time thread is known to be stopped."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        states = []
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/stat") as f:
                    states.append(f.read().rsplit(")", 1)[1].split()[0])
            except FileNotFoundError:  # a thread that has just exited
                pass
        if states and all(state in "tT" for state in states):
            return
        time.sleep(0.0002)
    raise AssertionError(f"server {pid} not stopped {timeout_s} s after SIGSTOP")


def stalled_server(stall_s, windows_after):
    """A realtime server on configs/default.toml stopped (SIGSTOP, every thread) for stall_s by this test's clock:
    the status of the whole window before the stall, the stall's measured length, and the next windows_after
    statuses."""
    config = os.path.join(REPO, "configs", "default.toml")
    with loop.Server(config, "realtime", 1, [], BIN, extra=["--quiet"]) as server:
        client = loop.connect(server)
        try:
            next_status(client)  # a whole window before the stall
            before = next_status(client)
            os.kill(server.proc.pid, signal.SIGSTOP)
            wait_until_stopped(server.proc.pid)
            t0 = time.monotonic()
            time.sleep(stall_s)
            os.kill(server.proc.pid, signal.SIGCONT)
            stalled_s = time.monotonic() - t0
            return before, stalled_s, [next_status(client) for _ in range(windows_after)]
        finally:
            client.close()


class DeadlineMissTest(unittest.TestCase):
    def test_a_stall_is_counted_as_a_miss_and_as_lateness(self):
        before, stalled_s, windows = stalled_server(STALL_S, 3)
        after = windows[-1]
        print(f"stall {stalled_s * 1e3:.0f} ms: misses {before['deadline_misses']} -> {after['deadline_misses']}, "
              f"window misses {[w['window_deadline_misses'] for w in windows]}, windows' lateness max "
              f"{[round(w['lateness_max_us'] / 1e3, 1) for w in windows]} ms, compute max "
              f"{[round(w['compute_max_us'] / 1e3, 1) for w in windows]} ms, resyncs {before['resyncs']} -> "
              f"{after['resyncs']}, windows' ticks {[w['window_ticks'] for w in windows]}")
        self.assertGreaterEqual(after["deadline_misses"], before["deadline_misses"] + 1)
        self.assertGreaterEqual(after["resyncs"], before["resyncs"] + 1)  # more than 100 ms late: the grid restarts
        self.assertGreaterEqual(sum(w["window_deadline_misses"] for w in windows), 1)
        stall_seen_us = max(max(w["lateness_max_us"], w["compute_max_us"]) for w in windows)
        self.assertGreaterEqual(stall_seen_us, (STALL_S - 0.001) * 1e6)
        # No catch-up of the stall: a window computes the ticks due in its wall time (1 ms ticks) plus at most the
        # ~100 ms of lag the loop catches up before it resynchronises (and two ticks for the window's edges).
        for w in windows:
            self.assertLessEqual(w["window_ticks"], w["window_s"] * 1000 + 100 + 2)
        # The ticks the stall dropped are counted (the one late tick is one miss, however long the stall: an outside
        # check, 2026-12-04, saw 308 ticks of a 0.3 s stall counted nowhere). Reference: the stall's length; at
        # most ~100 ms of it may be caught up before the resync, and the thread may be kept from its CPU a little
        # longer than the stall. Break tried: realtime_loop without `ticks_skipped_ +=` -> 0 skipped, fails here.
        # Counted in the status of the stall's own window (it came one window late when the stall crossed the end of
        # a window: a second outside check). The old order fails this only in such runs, not in every one.
        stalled_window = next(w for w in windows if max(w["lateness_max_us"], w["compute_max_us"]) >= stall_seen_us)
        self.assertGreaterEqual(stalled_window["ticks_skipped"] - before["ticks_skipped"], stalled_s * 1000 - 100 - 2)
        skipped = after["ticks_skipped"] - before["ticks_skipped"]
        wall_ticks = sum(w["window_s"] for w in windows) * 1000
        computed = sum(w["window_ticks"] for w in windows)
        print(f"ticks skipped {skipped} for a stall of {stalled_s * 1e3:.0f} ms; windows: {computed} computed + "
              f"{skipped} skipped against {wall_ticks:.0f} ticks of wall time")
        self.assertGreaterEqual(skipped, stalled_s * 1000 - 100 - 2)
        # Conservation: every tick period of wall time is computed or skipped, but for the lag the loop carries (0 to
        # 100 ms, then it resyncs) and a tick across each window's edges. Holds at any load: under ASan the server
        # is behind on its own and resyncs besides the stall (CI run 79: 606 skipped for a 306 ms stall, which
        # the first bound here, stall + 50 ms, refused).
        self.assertLessEqual(abs(computed + skipped - wall_ticks), 100 + 2 * len(windows) + 1)

    def test_a_short_stall_counts_a_miss_per_late_tick(self):
        # Below the resync's 100 ms the loop catches up the ticks a stall delayed, and each one that ends more than a
        # tick after its deadline is a miss (docs/protocol.md: a 20 ms SIGSTOP gives ~22). For a stall of S ms the
        # ticks due in it all end after it, so at least ~S - 1 of them are late by more than a tick; the bound leaves
        # 10 for the catch-up's own speed. A mutation audit (2026-12-06) found only the 300 ms stall above tested,
        # where the miss is counted whatever the threshold. Break tried: a miss only past 100 ms of lateness -> 0
        # misses for this stall, fails.
        stall_s = 0.04
        before, stalled_s, windows = stalled_server(stall_s, 2)
        after = windows[-1]
        added = after["deadline_misses"] - before["deadline_misses"]
        print(f"stall {stalled_s * 1e3:.1f} ms: {added} misses added, resyncs {before['resyncs']} -> {after['resyncs']}")
        if after["resyncs"] != before["resyncs"]:  # the server was held past the resync's 100 ms (a loaded machine)
            self.skipTest(f"the loop resynchronised: the stall was longer than the {stall_s * 1e3:g} ms asked")
        self.assertGreaterEqual(added, stall_s * 1000 - 10)


if __name__ == "__main__":
    unittest.main()
