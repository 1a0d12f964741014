"""The bench tools that run a server (bench/soak.py, closed_loop_latency.py, next_tick.py, idle_cpu.py,
reset_readout_age.py, reset_rss.py) on the defects of an outside audit: a dead recorder passed the soak;
closed_loop_latency cleared every channel of a --connect server and, stopped by Ctrl-C, left its own program loaded
and printed a traceback; a run it stopped short of --commands was printed as the full result, exit 0, and so was a
failed on-device peer; next_tick ignored a refused set-up command, put refused Pings in its histogram and passed with
no sample; SIGTERM (and for reset_rss even SIGINT) left `cortexloop serve` and `record` running; nonsense option
values ended in tracebacks or were taken silently. Each test names its reference and the breaks tried on the code
(each seen to fail). Offline where a stand-in does (cli.run's signal handling, next_tick's tally, the on-device peer),
else short runs on a 200-cell or the default server (the whole file ~25 s here). Run by ctest (python_bench_live_tools)
with PYTHONPATH and CORTEXLOOP_BIN set."""
import importlib.util
import json
import os
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

from cortexloop_client.client import Ack, Client, decode_message
from cortexloop_client.cli import ToolError
from cortexloop_client.loop import Server

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("CORTEXLOOP_BIN", os.path.join(ROOT, "build", "cortexloop"))
BENCH = os.path.join(ROOT, "bench")
SMALL = ["--config", os.path.join(ROOT, "configs", "zerlaut2018_network.toml"), "--set", "network.n_neurons=200"]


def tool(script, *args):
    return [sys.executable, os.path.join(BENCH, script), *args]


def error_lines(stderr):
    """stderr's lines but argparse's usage."""
    return [line for line in stderr.strip().splitlines() if line and not line.startswith(("usage:", " "))]


def one_line_error(test, r, code, *needles):
    test.assertEqual(r.returncode, code, r.stdout + r.stderr)
    test.assertNotIn("Traceback", r.stderr)
    lines = error_lines(r.stderr)
    test.assertEqual(len(lines), 1, r.stderr)
    for needle in needles:
        test.assertIn(needle, lines[0])


def group(pgid):
    """The live processes (not zombies) of process group `pgid`, from /proc: a tool's children stay in its group."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            out.append(int(name))
    return out


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


class Tool:
    """A bench tool started in a process group of its own, its output in files, not pipes (a child it leaves running
    would hold a pipe open, and a wait for its end would wait for the child). end() kills whatever of the group is
    left (a test that fails, or a break tried, leaves nothing running)."""

    def __init__(self, args, cwd=None, ignore_sigint=False):
        """ignore_sigint: started with SIGINT ignored, as a shell script's `&` starts a program."""
        self.files = [tempfile.TemporaryFile(), tempfile.TemporaryFile()]
        self.proc = subprocess.Popen(args, stdout=self.files[0], stderr=self.files[1], cwd=cwd, start_new_session=True,
                                     preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if ignore_sigint
                                     else None)
        self.pid = self.proc.pid

    def wait(self, timeout=60):
        """(exit code, stdout, stderr) once it has exited."""
        self.proc.wait(timeout)
        return subprocess.CompletedProcess(self.proc.args, self.proc.returncode, *(self.output(f) for f in self.files))

    @staticmethod
    def output(f):
        """What the tool wrote to `f` so far, read without moving the file offset it writes at (shared with it)."""
        return os.pread(f.fileno(), os.fstat(f.fileno()).st_size, 0).decode(errors="replace")

    def members(self):
        """The group's live processes but the tool's own."""
        return [pid for pid in group(self.pid) if pid != self.pid]

    def wait_for_children(self, test, wanted, timeout=30):
        """Its children once one of each kind in `wanted` (words of their command lines) runs."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            kids = {pid: cmdline(pid) for pid in self.members()}
            if all(any(w in c for c in kids.values()) for w in wanted):
                return kids
            if self.proc.poll() is not None:
                test.fail(f"{self.proc.args[1]} exited with {self.proc.returncode} before starting {wanted}: "
                          f"{self.output(self.files[1])[-2000:]}")
            time.sleep(0.05)
        test.fail(f"no {wanted} started by {self.proc.args[1]} within {timeout} s")

    def wait_for_output(self, test, needle, timeout=30):
        """Returns once its stdout holds `needle`."""
        end = time.monotonic() + timeout
        while needle not in self.output(self.files[0]):
            if self.proc.poll() is not None or time.monotonic() > end:
                test.fail(f"no {needle!r} from {self.proc.args[1]} (exit {self.proc.poll()}): "
                          f"{self.output(self.files[1])[-2000:]}")
            time.sleep(0.05)

    def end(self):
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        for f in self.files:
            f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.end()


def run(args, timeout=60):
    with Tool(args) as t:
        return t.wait(timeout)


def load_script(name):
    spec = importlib.util.spec_from_file_location("bench_" + name[:-3], os.path.join(BENCH, name))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class SharedSignalHandling(unittest.TestCase):
    """cli.run(main, sigterm=True), the one mechanism the bench tools share: SIGTERM raises Terminated (a
    KeyboardInterrupt) where the tool is, its finally ends its child, then one line and exit 143; a second SIGTERM
    while it ends it is ignored. Reference: `cortexloop probe` and `record` (130 / 143 for Ctrl-C / SIGTERM, what they
    started or loaded undone). Breaks tried: run()'s `except Terminated` clause removed -> "stand_in: interrupted",
    exit 130: fails; the handlers left armed after the first signal -> the second SIGTERM cuts the cleanup short and
    the child `sleep` is left running: fails."""

    def test_sigterm_runs_the_finally_then_one_line_143(self):
        script = textwrap.dedent("""
            import subprocess, sys, time
            from cortexloop_client import cli
            from cortexloop_client.loop import end_process
            def main():
                child = subprocess.Popen(["sleep", "60"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                try:
                    print(child.pid, flush=True)  # inside the try: the test's SIGTERM may come at once
                    time.sleep(60)
                finally:
                    print("cleanup", flush=True)
                    time.sleep(0.5)  # a second SIGTERM comes here
                    end_process(child)
            cli.run(main, "stand_in", sigterm=True)
        """)
        proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, start_new_session=True)
        try:
            child = int(proc.stdout.readline())
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.stdout.readline().strip(), "cleanup")
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=20)
            self.assertEqual(proc.returncode, 143, err)
            self.assertEqual(err.strip(), "stand_in: stopped by SIGTERM")
            self.assertNotIn(child, group(proc.pid))
        finally:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.communicate()


class NextTickTally(unittest.TestCase):
    """next_tick's figures leave refused Pings out and count them; no sample is a failure. Reference: an ack refused
    QueueFull has tick_applied -1 (docs/protocol.md): the audit saw "lag histogram {-126782: 1, ...}"; a run of 0
    commands printed "next tick 0.0 %", exit 0. Breaks tried: record() without its `if not ack.accepted` -> the refused
    Ping in the histogram at -1001 ticks: fails; check() returning always -> no ToolError: fails."""

    def ack(self, accepted, tick_applied, code=0):
        return Ack(seq=1, accepted=accepted, code=code, reason="", tick_applied=tick_applied, epoch=0,
                   client_send_ns=1_000_000, server_recv_ns=1_100_000, server_applied_ns=2_000_000,
                   server_send_ns=2_100_000)

    def test_refused_pings_are_left_out_and_counted(self):
        nt = load_script("next_tick.py")
        tally = nt.Tally(1_000_000)
        tally.record(self.ack(True, 1001), 1000, 0)
        tally.record(self.ack(False, -1, code=5), 1000, 0)  # QueueFull
        self.assertEqual(dict(tally.lags), {1: 1})
        self.assertEqual(dict(tally.refused), {"QueueFull": 1})
        line = tally.lines(["--rt"])[0]
        self.assertIn("1 commands, next tick 100.0 %", line)
        self.assertIn("refused, left out: 1 (QueueFull 1)", line)
        tally.check(1.0, 0)  # one sample: no error

    def test_no_sample_is_a_failure_saying_why(self):
        nt = load_script("next_tick.py")
        tally = nt.Tally(1_000_000)
        with self.assertRaisesRegex(ToolError, "no command measured in 2 s \\(no readout came\\)"):
            tally.check(2.0, 0)
        tally.record(self.ack(False, -1, code=5), 1000, 0)
        with self.assertRaisesRegex(ToolError, "the server refused all 1 Pings"):
            tally.check(2.0, 0)


class CommandLines(unittest.TestCase):
    """Nonsense values refused with the command line: one line naming the option, exit 2, nothing started (the
    audit: --tick-ms 0 a ZeroDivisionError after the measurement; --seconds inf an OverflowError; reset_rss.py -3 ran
    0 Resets and --stall-s -5 skipped the stall, exit 0). Reference: reset_readout_age.py refuses resets < 1 with exit
    2; argparse's exit 2 for a wrong command line; device_loop_latency arms its controller at 0.5 s (a shorter
    --device-seconds failed after the measurement). Breaks tried: --tick-ms back to type=float, and --device-seconds
    back to the old [0.1, 3600] -> past the parse, exit 1 for the --bin given: fail; reset_rss's resets and --stall-s
    back to type=int / float -> a server started, exit 0: fail; idle_cpu's --seconds back to type=float -> an
    OverflowError traceback after its server's 3 s: fails."""

    def test_refused_at_the_parse(self):
        for args, needle in (
                (tool("closed_loop_latency.py", "--tick-ms", "0", "--bin", "/nonexistent/cortexloop"),
                 "argument --tick-ms: must be a finite number > 0, got 0"),
                (tool("closed_loop_latency.py", "--gain-pA-per-Hz", "nan", "--bin", "/nonexistent/cortexloop"),
                 "argument --gain-pA-per-Hz: must be a finite number, got nan"),
                (tool("closed_loop_latency.py", "--warmup", "-1", "--bin", "/nonexistent/cortexloop"),
                 "argument --warmup: must be >= 0, got -1"),
                (tool("closed_loop_latency.py", "--device-seconds", "0.3", "--bin", "/nonexistent/cortexloop"),
                 "argument --device-seconds: must be more than 0.5"),
                (tool("idle_cpu.py", BIN, "--seconds", "inf"), "argument --seconds: must be a finite number in"),
                (tool("reset_rss.py", "-3", "--binary", BIN), "argument resets: must be >= 0, got -3"),
                (tool("reset_rss.py", "--stall-s", "-5", "--binary", BIN),
                 "argument --stall-s: must be a finite number >= 0, got -5")):
            with self.subTest(args=args[1:]):
                one_line_error(self, run(args, timeout=30), 2, needle)

    def test_idle_cpu_on_a_binary_that_is_not_cortexloop(self):
        # The audit: `idle_cpu.py /bin/true` -> a ServerExited traceback. Reference: cli.run's one line for a
        # ToolError. Break tried: main() called without cli.run -> "Traceback": fails.
        one_line_error(self, run(tool("idle_cpu.py", "/bin/true"), timeout=30), 1,
                       "idle_cpu: cortexloop serve exited with code 0")


class NextTickLive(unittest.TestCase):
    """next_tick checks the ack of its set-up command and refuses a stepped server. Reference: the server's own
    refusal (stream.readout_every in [1, 1000], OutOfRange); a stepped server publishes a readout only when stepped.
    Breaks tried: setup_ack replaced by the old unchecked wait_ack -> the run went on with every readout (exit 0, or
    not done within the test's 60 s, the client behind 1000 readouts/s): fails; the stepped-mode check removed -> "no command measured ...
    (no readout came)" (the Tally check still fails the run, without naming the mode): fails on the needle."""

    def test_a_refused_every_is_one_line(self):
        r = run(tool("next_tick.py", BIN, "--seconds", "0.5", "--every", "100000000", "--", *SMALL), timeout=60)
        one_line_error(self, r, 1, "the server refused --every 100000000 (stream.readout_every): OutOfRange")

    def test_a_stepped_server_is_refused(self):
        r = run(tool("next_tick.py", BIN, "--seconds", "0.5", "--", *SMALL, "--mode", "stepped"), timeout=60)
        one_line_error(self, r, 1, "stepped mode")
        self.assertNotIn("0 commands", r.stdout)


class ClosedLoopOnAUsersServer(unittest.TestCase):
    """closed_loop_latency --connect against a server of the test's own (200 cells, realtime) with the user's DC on
    channel 0. Reference: `cortexloop probe`, which clears only its channel on every way out; the active channels of
    the server's own readouts (device.channels[i].active)."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server(SMALL[1], "realtime", 1, [SMALL[3]], BIN)
        cls.connect = f"{cls.server.commands},{cls.server.pub}"
        subprocess.run([BIN, "stim", "dc", "--channel", "0", "--amplitude", "5", "--commands", cls.server.commands],
                       check=True, capture_output=True, timeout=30)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def active_channels(self):
        """The active stimulator channels in the newest readout."""
        c = Client(self.server.commands, self.server.pub, topics=(b"readout",))
        try:
            self.assertTrue(c.sync(10))
            last, end = None, time.monotonic() + 0.3
            while time.monotonic() < end or last is None:
                m = c.receive_raw(2.0)
                self.assertIsNotNone(m, "no readout from the test's server")
                last = m[1]
            channels = decode_message(last)[1]["device"]["channels"]
            return [i for i, ch in enumerate(channels) if ch["active"]]
        finally:
            c.close()

    def setUp(self):
        self.clear_channel_7()

    def clear_channel_7(self):
        """Each run starts with channel 7 free (what a failed one left there would pass for the next one's drive)."""
        subprocess.run([BIN, "stim", "clear", "--channel", "7", "--commands", self.server.commands], check=True,
                       capture_output=True, timeout=30)

    def start(self, *args, ignore_sigint=False):
        return Tool(tool("closed_loop_latency.py", "--connect", self.connect, "--warmup", "0", *args),
                    ignore_sigint=ignore_sigint)

    def wait_until_driving(self, t):
        end = time.monotonic() + 30
        while 7 not in self.active_channels():
            self.assertIsNone(t.proc.poll(), "closed_loop_latency ended before driving channel 7")
            self.assertLess(time.monotonic(), end, "the loop's channel 7 never became active")
            time.sleep(0.1)

    def test_a_run_clears_its_channel_only(self):
        # The audit: `--connect ... --commands 50 --no-device` left active channels [] (ClearStimulation all=true).
        # Break tried: clear_channel's client.clear(CHANNEL) -> client.clear() -> channels [] after: fails.
        r = run(tool("closed_loop_latency.py", "--connect", self.connect, "--warmup", "0", "--commands", "50",
                     "--no-device"), timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.active_channels(), [0])

    def test_ctrl_c_and_sigterm_clear_the_channel_in_one_line(self):
        # The audit: Ctrl-C -> a KeyboardInterrupt traceback, exit 130, channel 7's DC left loaded. SIGINT also with
        # the tool started with SIGINT ignored (a script's `&`; `cortexloop probe` takes it then too). Breaks tried:
        # the clear moved out of the finally (after the run, as before) -> channels [0, 7] after either signal: fails;
        # run_tool(main) without sigterm=True -> SIGTERM: exit -15: fails; cli's SIGINT handler set only when SIGINT
        # was not ignored (Python's own rule) -> the ignored SIGINT never ends the run (30 s): fails.
        for sig, code, line, ignored in ((signal.SIGINT, 130, "closed_loop_latency: interrupted", False),
                                         (signal.SIGINT, 130, "closed_loop_latency: interrupted", True),
                                         (signal.SIGTERM, 143, "closed_loop_latency: stopped by SIGTERM", False)):
            with self.subTest(signal=sig.name, sigint_ignored=ignored):
                self.clear_channel_7()
                with self.start("--commands", "1000000", "--no-device", ignore_sigint=ignored) as t:
                    self.wait_until_driving(t)
                    t.proc.send_signal(sig)
                    r = t.wait(30)
                self.assertEqual(r.returncode, code, r.stderr)
                self.assertEqual(r.stderr.strip(), line)
                self.assertEqual(self.active_channels(), [0])

    def test_a_run_stopped_short_says_so_and_fails(self):
        # The audit: the server paused mid-run -> "979 commands, 60.5 s wall", the table and JSON, exit 0. Reference:
        # the --commands asked for. Breaks tried: the `failures` raise turned into a print -> exit 0: fails; run()
        # without its stall check -> it waits for its time limit (10,030 s here) past the test's 40 s: fails
        # (TimeoutExpired).
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "cl.json")
            with self.start("--commands", "1000000", "--no-device", "--json", out) as t:
                try:
                    self.wait_until_driving(t)
                    subprocess.run([BIN, "stim", "pause", "--commands", self.server.commands], check=True,
                                   capture_output=True, timeout=30)
                    r = t.wait(40)
                finally:
                    subprocess.run([BIN, "stim", "resume", "--commands", self.server.commands], capture_output=True,
                                   timeout=30)
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertNotIn("Traceback", r.stderr)
            self.assertRegex(r.stderr, r"stopped short: \d+ of 1000000 commands measured \(no readout for 5 s")
            self.assertIn("of 1000000 (STOPPED SHORT)", r.stdout)
            with open(out) as f:
                result = json.load(f)
            self.assertFalse(result["complete"])
            self.assertEqual(result["commands_requested"], 1000000)
            self.assertGreater(result["commands"], 0)
        self.assertEqual(self.active_channels(), [0])

    def test_a_failed_on_device_peer_fails_the_run(self):
        # The audit: exit 0 when build/bench/device_loop_latency failed. A stand-in peer beside a stand-in --bin (with
        # --connect, --bin only locates the peer) exits 1. Break tried: device_error left out of `failures` -> exit
        # 0: fails.
        with tempfile.TemporaryDirectory() as tmp:
            os.makedirs(os.path.join(tmp, "bench"))
            peer = os.path.join(tmp, "bench", "device_loop_latency")
            with open(peer, "w") as f:
                f.write("#!/bin/sh\necho 'device_loop_latency: no triggers' >&2\nexit 1\n")
            os.chmod(peer, os.stat(peer).st_mode | stat.S_IEXEC)
            out = os.path.join(tmp, "cl.json")
            r = run(tool("closed_loop_latency.py", "--connect", self.connect, "--warmup", "0", "--commands", "20",
                         "--bin", os.path.join(tmp, "cortexloop"), "--json", out), timeout=60)
            one_line_error(self, r, 1, "the on-device loop failed", "no triggers")
            with open(out) as f:
                self.assertIn("no triggers", json.load(f)["on_device_error"])


class SoakRecorderDeath(unittest.TestCase):
    """soak.py fails when its recorder dies. Reference: record exits 0 when the soak stops it (SIGINT, what it
    received written: tools/record_command.cpp's exit codes); the audit's kill -9 of the recorder gave
    "exit_codes": [-9], no readout received, "soak: PASS", exit 0. Breaks tried: the loop's `dead` check and the three
    recorder failures removed -> exit 0: fails; only the loop's check removed -> FAIL for the exit codes after the
    whole --duration-s, without "exited by itself with code -9": fails on the needle."""

    def test_a_killed_recorder_fails_the_soak(self):
        with tempfile.TemporaryDirectory() as tmp:
            with Tool(tool("soak.py", "--binary", BIN, "--duration-s", "20", "--rate", "20", "--log-every-s", "3",
                           "--out", os.path.join(tmp, "soak"))) as t:
                kids = t.wait_for_children(self, ["serve", "record"])
                t.wait_for_output(self, "soak: minute=")  # the recorder has subscribed: the run is under way
                os.kill(next(pid for pid, c in kids.items() if " record " in c), signal.SIGKILL)
                r = t.wait(60)
                left = t.members()
            self.assertEqual(r.returncode, 1, r.stdout[-3000:] + r.stderr)
            self.assertRegex(r.stdout, r"soak: FAIL: recorder segment 0 exited by itself with code -9")
            self.assertNotIn("soak: PASS", r.stdout)
            self.assertEqual(left, [])


class SigtermEndsEveryChild(unittest.TestCase):
    """SIGTERM to a bench tool's Python ends it as Ctrl-C does: one line, exit 143, and no process it started left
    running (the audit, `setsid TOOL & kill -TERM $!`: idle_cpu, reset_readout_age, closed_loop_latency and soak left
    `cortexloop serve` running, soak also `record`; reset_rss even on SIGINT). Reference: `cortexloop probe` / `record`
    (143 on SIGTERM, 130 on SIGINT); the tool's process group, which its children share. Breaks tried, one tool at a
    time: cli.run without sigterm=True (idle_cpu, reset_readout_age, reset_rss, next_tick, closed_loop_latency, soak)
    -> exit -15 (Python ended at once, its serve, and soak's record, orphaned): fails for each; reset_rss without its
    try/finally -> on SIGINT exit 130 but serve left running: fails."""

    def check(self, args, wanted, sig=signal.SIGTERM, code=143, line="stopped by SIGTERM"):
        with Tool(args) as t:
            t.wait_for_children(self, wanted)
            time.sleep(0.3)
            t.proc.send_signal(sig)
            r = t.wait(60)
            left = {pid: cmdline(pid) for pid in t.members()}
        self.assertEqual(r.returncode, code, r.stderr)
        self.assertNotIn("Traceback", r.stderr)
        self.assertEqual(error_lines(r.stderr), [line], r.stderr)
        self.assertEqual(left, {}, "left running")

    def test_each_tool(self):
        with tempfile.TemporaryDirectory() as tmp:
            for name, args, wanted in (
                    ("idle_cpu", tool("idle_cpu.py", BIN, "--seconds", "60"), ["serve"]),
                    ("reset_readout_age", tool("reset_readout_age.py", "4", "--binary", BIN), ["serve"]),
                    ("reset_rss", tool("reset_rss.py", "30", "--binary", BIN), ["serve"]),
                    ("next_tick", tool("next_tick.py", BIN, "--seconds", "60", "--", *SMALL), ["serve"]),
                    ("closed_loop_latency", tool("closed_loop_latency.py", "--commands", "20000", "--no-device",
                                                 "--bin", BIN, *SMALL), ["serve"]),
                    ("soak", tool("soak.py", "--binary", BIN, "--duration-s", "60", "--rate", "20", "--out",
                                  os.path.join(tmp, "soak")), ["serve", "record"])):
                with self.subTest(tool=name):
                    self.check(args, wanted, line=f"{name}: stopped by SIGTERM")

    def test_reset_rss_on_sigint(self):
        self.check(tool("reset_rss.py", "30", "--binary", BIN), ["serve"], signal.SIGINT, 130,
                   "reset_rss: interrupted")


if __name__ == "__main__":
    if not os.path.exists(BIN):
        print(f"{BIN} not built: skipped", file=sys.stderr)
        sys.exit(77)
    unittest.main()
