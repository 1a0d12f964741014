"""The Python side's waits end when they promise to, offline (stand-in clients, no server): tick_readouts' and
run_stepped's timeouts are for the awaited readout and are not restarted by other messages; the viewer's headless
loop (--snapshot) waits for messages instead of polling without pause; Client(topics="readout") subscribes to that
one topic. An outside audit (2026-12) found all four broken. Run by ctest (python_client_waits) with PYTHONPATH set."""
import os
import tempfile
import time
import unittest

import matplotlib

matplotlib.use("Agg")

from cortexloop_client import cli, viewer  # noqa: E402
from cortexloop_client.client import Client  # noqa: E402
from cortexloop_client.experiments import run_stepped  # noqa: E402
from cortexloop_client.readouts import tick_readouts  # noqa: E402

MESSAGE_EVERY_S = 0.05  # the stand-ins' stream: a message this often, never the awaited readout


class Stream:
    """A stand-in client whose stream carries `message()` every MESSAGE_EVERY_S (as a paused server's statuses, or
    readouts of ticks nobody awaits), and which stops a wait that has gone on past `give_up_s` with an
    AssertionError (the hang the test is about, bounded)."""

    def __init__(self, message, give_up_s):
        self.message, self.start, self.give_up_s = message, time.monotonic(), give_up_s

    def step(self, n):
        pass

    def _next(self, timeout):
        if time.monotonic() - self.start > self.give_up_s:
            raise AssertionError(f"still waiting after {self.give_up_s:g} s")
        if timeout < MESSAGE_EVERY_S:
            time.sleep(max(0.0, timeout))
            return None
        time.sleep(MESSAGE_EVERY_S)
        return self.message(self)

    def receive_raw(self, timeout=1.0):
        return self._next(timeout)

    def receive(self, timeout=1.0, device=True):
        return self._next(timeout)


def other_tick(payload):
    """tick_readouts' decode for the stand-in's readouts: all of a tick nobody waits for."""
    return (10 ** 6, 0, None)


class TickReadoutsTimeout(unittest.TestCase):
    # Reference: readouts.py's docstring, "A readout that never comes ... ends the run with an error after timeout_s".
    # Break tried: receive_raw(timeout_s) per message as before (no deadline) -> the stand-in's AssertionError
    # "still waiting after 1.5 s" instead of the ToolError, in both modes.
    def test_statuses_and_other_ticks_do_not_restart_the_wait(self):
        timeout_s = 0.5
        for stepped in (True, False):
            for topic in (b"status", b"readout"):
                with self.subTest(stepped=stepped, topic=topic):
                    client = Stream(lambda c, topic=topic: (topic, b""), give_up_s=3 * timeout_s)
                    with self.assertRaisesRegex(cli.ToolError, r"no readout for 0.5 s \(0 of 10 ticks received"):
                        for _ in tick_readouts(client, ticks=10, stepped=stepped, timeout_s=timeout_s,
                                               decode=other_tick):
                            pass

    def test_a_slow_run_of_readouts_each_in_time_completes(self):
        # The deadline is per readout, not for the whole run: 8 readouts 0.2 s apart (statuses between them) with
        # timeout_s 0.5 take 1.6 s and all come. Break tried: the deadline set once before the loop -> ToolError.
        ticks_due = iter(range(8))

        def message(c):
            c.n = getattr(c, "n", 0) + 1
            return (b"readout", b"") if c.n % 4 == 0 else (b"status", b"")

        def decode(payload):
            return (next(ticks_due), 0, "r")

        got = [k for k, _ in tick_readouts(Stream(message, give_up_s=10), ticks=8, stepped=False, timeout_s=1.0,
                                           decode=decode)]
        self.assertEqual(got, list(range(8)))


class RunSteppedTimeout(unittest.TestCase):
    # Reference: run_stepped's docstring ("A readout that does not come within timeout_s ... ends the run"). Break
    # tried: client.receive(timeout_s) per message as before -> "still waiting after 1.5 s" (AssertionError), not the
    # ToolError. Since 2026-12-07 run_stepped steps through tick_readouts (one loop for both).
    def test_statuses_do_not_restart_the_wait(self):
        client = Stream(lambda c: ("status", "status", {}), give_up_s=1.5)
        with self.assertRaisesRegex(cli.ToolError, r"no readout for 0.5 s \(0 of 100 ticks received; is the server paused"):
            run_stepped(None, 100, [], client=client, timeout_s=0.5)


class ViewerSnapshotWaits(unittest.TestCase):
    # Reference: the viewer's GUI loop, which waits in plt.pause; the headless one (--snapshot) read what was queued
    # and looped straight back (100 % CPU, and on after the server was gone). Here the stand-in server sends one
    # readout and then nothing; over --seconds 1 a loop that waits asks for messages a few dozen times. Break tried:
    # drain without wait_s as before -> tens of thousands of receive calls in 1 s.
    def test_the_headless_loop_waits_for_messages(self):
        calls = []

        class Silent:
            def __init__(self, *args, **kwargs):
                pass

            def sync(self, timeout):
                return True

            def info(self, timeout=5.0):
                return {"tick_ms": 1.0}

            def receive(self, timeout=1.0, device=True):
                calls.append(timeout)
                if len(calls) == 1:
                    return ("readout", "readout", {
                        "epoch": 0, "tick": 0, "t_ms": 1.0, "exc": {"rate_hz": 5.0, "i_stim_pa": 0.0},
                        "inh": {"rate_hz": 5.0}, "lfp_proxy_na": 0.0, "vsdi_percent": [], "device": None,
                        "aln": None})
                time.sleep(timeout)  # as zmq's poll: nothing comes
                return None

            def close(self):
                pass

        real = viewer.Client
        viewer.Client = Silent
        self.addCleanup(setattr, viewer, "Client", real)
        with tempfile.TemporaryDirectory() as folder:
            viewer.main(["--seconds", "1", "--snapshot", os.path.join(folder, "v.png")])
            self.assertTrue(os.path.exists(os.path.join(folder, "v.png")))
        self.assertLess(len(calls), 200, f"{len(calls)} receive calls in 1 s: the loop does not wait")


class OneTopic(unittest.TestCase):
    # Reference: Client's topics, a sequence of topics. A str given alone was split into one-letter prefixes ("r",
    # "e", ...: nearly every topic). Break tried: the isinstance check removed -> topics (b"r", b"e", b"a", ...).
    def test_a_str_or_bytes_is_one_topic(self):
        for topic in ("readout", b"readout"):
            with self.subTest(topic=topic):
                c = Client("tcp://127.0.0.1:1", None, topics=topic)
                self.addCleanup(c.close)
                self.assertEqual(c.topics, (b"readout",))


if __name__ == "__main__":
    unittest.main()
