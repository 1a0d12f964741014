"""The latency bench tools (bench/) on their failures and on what their reports compare; fast, no real server.

- bench/realtime_report.py counts the server's deadline misses between the probe's first and last status (the
  span the peers are counted over), not since the server started; it states lost probe commands.
  Break seen: `misses = last["deadline_misses"] + ...` (since start) -> server 13.8 per 100k where 0.0 is right.
- bench/realtime_latency.sh with a probe that loses a command (exit 5) goes on to the report, states the loss and
  exits 5; an unwritable OUT is named before anything runs. Run on a copy of the script in a made-up tree whose
  build/cortexloop, build/bench/pubsub_floor and cyclictest are stand-ins.
  Breaks seen: `build/cortexloop probe ...` without `|| probe_rc=$?` -> exit 5, no OUT.threads.json, OUT.txt its
  header only; the OUT check moved after the serve-flag check -> "the serve flags do not start a server".
- build/bench/pubsub_floor and build/bench/device_loop_latency refuse an unwritable --json before the run, in one
  line (breaks seen: the check removed -> pubsub_floor exit 0 silent after the run, device_loop_latency exit 1
  silent after it); device_loop_latency with no trigger says so (break seen: "p50 0 ... = 0 us").
- bench/closed_loop_latency.py: a malformed --connect, no server at --connect, an unwritable --json: one line, no
  traceback (breaks seen: `args.connect.split(",")` -> ValueError traceback; `raise RuntimeError("server did not
  answer")` -> a traceback naming no endpoint; the early --json check removed -> the run went on).
- bench/next_tick.py with a missing binary says so (break seen: the check removed -> traceback ending "exited with
  code 127").
- The audit of 2026-12-07: realtime_latency.sh keeps the last report when refused, refuses an OUT naming a folder and
  a taken FLOOR_ENDPOINT before phase 1, leaves only its documented files and ends every child on SIGTERM;
  cpu_stalls says the scheduling it got and counts long gaps whatever --threshold-ns; the positive options' messages;
  pubsub_floor's "another run on it?" only for a taken address, its publisher ending with it; device_loop_latency
  refuses --seconds that cannot trigger; realtime_report.py, scaling.py, thread_cpu.py, count_block_ops.py,
  mpi_scaling.py and the Brian2 comparisons refuse bad arguments in one line before running (no Brian2 run here);
  mpi_scaling.py's speed-up is against 1 rank; bench/README.md's "Current figures" rows have the header's cells.
  Each test names the break tried.
Run by ctest (PYTHONPATH, CORTEXLOOP_BIN); the bench binaries are looked for next to CORTEXLOOP_BIN, under bench/,
and their cases skipped when the build has no benchmarks (CORTEXLOOP_BUILD_BENCH=OFF)."""
import json
import os
import resource
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("CORTEXLOOP_BIN", os.path.join(ROOT, "build", "cortexloop"))
BENCH_BIN = os.path.join(os.path.dirname(BIN), "bench")
UNWRITABLE = "/proc/nonexistent/out"  # no folder can be made there, root or not


def status(ticks, misses, uptime, skipped=0):
    return {"server_ticks": ticks, "deadline_misses": misses, "ticks_skipped": skipped, "resyncs": 0,
            "readout_drops": 0, "lateness_total_p99_us": 20.0, "lateness_total_p999_us": 120.0,
            "lateness_total_max_us": 900.0, "uptime_s": uptime, "mode": 0,
            "scheduling": "SCHED_FIFO 80; pinned to CPU 1; memory locked", "worker_imbalance": 0.0,
            "worker_compute_us": []}


def latency(p50):
    return {"n": 100, "p50_us": p50, "p99_us": 2 * p50, "p999_us": 3 * p50, "max_us": 4 * p50}


def probe_figures(lost=0):
    """A 30 s probe whose server had 4 misses, all before the probe (its first status already counts them)."""
    phase = {"ping_round_trip": latency(900.0), "command_to_applied": latency(800.0),
             "command_to_first_readout": latency(1000.0), "publish_to_receive": latency(60.0), "refused": 0}
    return {"duration_s": 30.0, "commands": "tcp://127.0.0.1:9301", "pub": "tcp://127.0.0.1:9300",
            "back-to-back": dict(phase, lost=lost), "sporadic": dict(phase, lost=0),
            "server": {"ticks_during_probe": 29000, "deadline_misses_during_probe": 0,
                       "first_status": status(3000, 4, 3.0), "last_status": status(32000, 4, 32.0),
                       "tick_compute_p99_us_max_window": 300.0, "readout_age_p99_us_max_window": 150.0,
                       "readout_age_max_us": 400.0, "rt_cpu_percent_mean": 20.0, "io_cpu_percent_mean": 5.0}}


CYCLICTEST = "".join(f"{us:06d} {n:06d}\n" for us, n in ((5, 29000), (50, 990), (1200, 2))) + \
    "# Total: 000029992\n# Histogram Overflows: 00000\n# Max Latencies: 01200\n"
FLOOR = {"endpoint": "tcp://127.0.0.1:9302", "n": 30000, "size_bytes": 1816, "period_us": 1000, "p50_us": 80.0,
         "p99_us": 200.0, "p999_us": 900.0, "max_us": 2000.0}


def write_peer_files(out, lost=0):
    with open(out + ".json", "w") as f:
        json.dump(probe_figures(lost), f)
    with open(out + ".cyclictest.txt", "w") as f:
        f.write(CYCLICTEST)
    with open(out + ".floor.json", "w") as f:
        json.dump(FLOOR, f)


def run(args, timeout=60, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kw)


def ended(pid, wait_s=3.0):
    """The process has ended (or is a zombie not yet reaped: its parent gone) within wait_s."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            with open(f"/proc/{pid}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError, IndexError):
            return True
        if state == "Z":
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


def one_line_error(test, r, *needles):
    test.assertNotEqual(r.returncode, 0, r.stdout + r.stderr)
    test.assertNotIn("Traceback", r.stderr)
    lines = [line for line in r.stderr.strip().splitlines() if not line.startswith(("usage:", " "))]
    test.assertEqual(len(lines), 1, r.stderr)
    for needle in needles:
        test.assertIn(needle, lines[0])


class RealtimeReport(unittest.TestCase):
    def test_server_misses_counted_over_the_probe_and_loss_stated(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "rt")
            write_peer_files(out, lost=1)
            r = run([sys.executable, os.path.join(ROOT, "bench", "realtime_report.py"), out, "--spin-us", "100"])
            self.assertEqual(r.returncode, 0, r.stderr)
            row = next(line for line in r.stdout.splitlines() if line.startswith("deadline misses"))
            # 0 misses over the probe's 29,000 ticks; the peer 2 late (1200 us) + 8 skipped of 30,000 periods.
            self.assertEqual(row.split()[5:10], ["server", "0.0", "peer", "33.3", "ratio"], row)
            self.assertIn("one after another", r.stdout)
            self.assertIn("spins its last 100 us", r.stdout)
            self.assertIn("lost / refused: back-to-back 1 / 0", r.stdout)

    def test_markdown_keeps_the_notes_and_unlike_settings_are_said(self):
        # --markdown dropped the notes column, the spin caveat with it; and peers run otherwise than the server got
        # (an "=" flag unread, FIFO refused) were ratioed without a word (an outside check, 2026-12-06). Breaks seen:
        # the markdown row without {note} -> no "spins its last"; the NOTE line removed -> no "unlike settings".
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "rt")
            write_peer_files(out)
            r = run([sys.executable, os.path.join(ROOT, "bench", "realtime_report.py"), out, "--spin-us", "100",
                     "--markdown", "--peer-fifo", "0", "--peer-cpu", "-1"])
            self.assertEqual(r.returncode, 0, r.stderr)
            row = next(line for line in r.stdout.splitlines() if line.startswith("| tick lateness p99 (us)"))
            self.assertIn("spins its last 100 us", row)
            self.assertIn("| 0.40* |", row)
            self.assertIn("NOTE: the peers ran with SCHED_OTHER, not pinned, memory not locked, the server with "
                          "SCHED_FIFO 80, pinned to CPU 1, memory locked: the ratios compare unlike settings", r.stdout)


NO_CAP_SYS_NICE = ("Unable to change scheduling policy!\n"
                   "Probably missing capabilities, either run as root or increase RLIMIT_RTPRIO limits.\n")


TAKEN_FLOOR = "tcp://127.0.0.1:9909"  # the stand-in pubsub_floor cannot bind it, as a port another run holds


def fake_tree(tmp, probe_rc, cyclictest_refuses=False, hang=None):
    """A copy of the script, its report and thread_cpu.py, with stand-ins for the binaries and cyclictest (which
    write their arguments to tmp/NAME.args; cyclictest_refuses: as cyclictest without CAP_SYS_NICE, whatever its
    policy). The stand-in server writes its pid to tmp/serve.pid and refuses --bogus; pubsub_floor refuses
    TAKEN_FLOOR as a port in use. hang="probe" (or "cyclictest"): the probe (cyclictest -D) writes its pid to
    tmp/probe.pid (tmp/cyclictest.pid) and sleeps 30 s."""
    os.makedirs(os.path.join(tmp, "bench"))
    os.makedirs(os.path.join(tmp, "build", "bench"))
    os.makedirs(os.path.join(tmp, "path"))
    for name in ("realtime_latency.sh", "realtime_report.py", "thread_cpu.py"):
        shutil.copy(os.path.join(ROOT, "bench", name), os.path.join(tmp, "bench", name))
    # The scripts' shared argument checks, linked: it finds the checkout's client package from its real place.
    os.symlink(os.path.join(ROOT, "bench", "bench_args.py"), os.path.join(tmp, "bench", "bench_args.py"))
    figures = os.path.join(tmp, "figures")
    write_peer_files(figures, lost=1 if probe_rc == 5 else 0)
    probe_hangs = f"echo $$ >{tmp}/probe.pid; exec sleep 30\n" if hang == "probe" else ""
    cyclictest_hangs = f'case " $* " in *" -D "*) echo $$ >{tmp}/cyclictest.pid; exec sleep 30 ;; esac\n' \
        if hang == "cyclictest" else ""
    scripts = {
        "build/cortexloop": f"""#!/bin/sh
case "$1" in
  serve) for a; do [ "$a" = --bogus ] && {{ echo "serve: --bogus: unknown option" >&2; exit 2; }}; done
         for a; do [ "$a" = --duration ] && exit 0; done; echo $$ >{tmp}/serve.pid; exec sleep 30 ;;
  probe) {probe_hangs}while [ $# -gt 0 ]; do [ "$1" = --json ] && cp {figures}.json "$2"; shift; done
         echo "probe: 1 probe command(s) lost or refused" >&2; exit {probe_rc} ;;
esac
exit 3
""",
        "build/bench/pubsub_floor": f"""#!/bin/sh
echo "$@" >>{tmp}/pubsub_floor.args
case " $* " in *" --endpoint {TAKEN_FLOOR} "*)
  echo "pubsub_floor: cannot bind {TAKEN_FLOOR}: Address already in use (another run on it? --endpoint)" >&2; exit 1 ;;
esac
while [ $# -gt 0 ]; do [ "$1" = --json ] && cp {figures}.floor.json "$2"; shift; done
""",
        "path/cyclictest": f"#!/bin/sh\necho \"$@\" >>{tmp}/cyclictest.args\n" + cyclictest_hangs + (
            f"printf '{NO_CAP_SYS_NICE}' >&2; exit 1\n" if cyclictest_refuses else f"cat {figures}.cyclictest.txt\n"),
    }
    for rel, text in scripts.items():
        path = os.path.join(tmp, rel)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)
    # TMPDIR: the script's scratch folder inside tmp, removed with it even when a run is killed.
    return dict(os.environ, PATH=os.path.join(tmp, "path") + os.pathsep + os.environ["PATH"], TMPDIR=tmp)


class RealtimeLatencyScript(unittest.TestCase):
    def test_a_lost_probe_command_still_gives_the_report_and_exit_5(self):
        with tempfile.TemporaryDirectory() as tmp:
            env = fake_tree(tmp, probe_rc=5)
            out = os.path.join(tmp, "out", "rt")
            r = run(["bash", os.path.join(tmp, "bench", "realtime_latency.sh"), "1", out, "--spin-us", "100"],
                    env=env)
            self.assertEqual(r.returncode, 5, r.stdout + r.stderr)
            self.assertTrue(os.path.exists(out + ".threads.json"))
            with open(out + ".txt") as f:
                report = f.read()
            self.assertIn("deadline misses (per 100k ticks)", report)
            self.assertIn("lost / refused: back-to-back 1 / 0", report)
            self.assertIn("the probe lost or refused commands (exit 5", report)

    def test_the_serve_flags_equals_forms_reach_the_peers(self):
        # serve takes --fifo=80 as --fifo 80: the script read only --spin-us=, and the peers ran unpinned under
        # SCHED_OTHER while the ratios were printed (an outside check, 2026-12-06). Break seen: the "=" cases
        # removed -> cyclictest got --policy=other, no -a, no -m.
        with tempfile.TemporaryDirectory() as tmp:
            env = fake_tree(tmp, probe_rc=0)
            out = os.path.join(tmp, "out", "rt")
            r = run(["bash", os.path.join(tmp, "bench", "realtime_latency.sh"), "1", out, "--fifo=80", "--cpu=0",
                     "--mlock", "--spin-us=100"], env=env)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            with open(os.path.join(tmp, "cyclictest.args")) as f:
                run_args = f.read().splitlines()[-1].split()
            self.assertIn("--policy=fifo -p 80 -a 0 -m", " ".join(run_args))
            with open(os.path.join(tmp, "pubsub_floor.args")) as f:
                self.assertIn("--fifo 80 --endpoint tcp://127.0.0.1:5599 --cpu 0", f.read())
            with open(out + ".txt") as f:
                report = f.read()
            self.assertIn("spins its last 100 us", report)
            # The stand-in server's status says "pinned to CPU 1": the peers on CPU 0 are said to differ.
            self.assertIn("NOTE: the peers ran with SCHED_FIFO 80, pinned to CPU 0, memory locked, the server with "
                          "SCHED_FIFO 80, pinned to CPU 1, memory locked", report)
            r = run(["bash", os.path.join(tmp, "bench", "realtime_latency.sh"), "1", out, "--mlock=true"], env=env)
            one_line_error(self, r, "--mlock=true: give --mlock without a value")
            self.assertEqual(r.returncode, 2)

    def test_cyclictest_without_cap_sys_nice_is_explained_before_the_run(self):
        # cyclictest refuses even --policy=other without CAP_SYS_NICE; the script ended in its message, exit 1 (an
        # outside check, 2026-12-06). Break seen: the two-wake-up check removed -> OUT.txt's header written, and
        # stderr cyclictest's own two lines, nothing on PEERS=0.
        with tempfile.TemporaryDirectory() as tmp:
            env = fake_tree(tmp, probe_rc=0, cyclictest_refuses=True)
            out = os.path.join(tmp, "out", "rt")
            r = run(["bash", os.path.join(tmp, "bench", "realtime_latency.sh"), "1", out], env=env)
            one_line_error(self, r, "cyclictest may not set its scheduling policy (--policy=other", "CAP_SYS_NICE",
                           "PEERS=0")
            self.assertEqual(r.returncode, 1)
            self.assertFalse(os.path.exists(out + ".txt"))  # nothing ran, nothing written
            h = run(["bash", os.path.join(tmp, "bench", "realtime_latency.sh"), "--help"])
            self.assertIn("CAP_SYS_NICE", h.stdout)

    def test_without_peers_the_report_is_the_servers(self):
        # PEERS=0 left OUT.txt with its header only (an outside check, 2026-12-06); and a relative OUT is the
        # caller's (it was the checkout's). Breaks seen: the report skipped under PEERS=0 -> no "refused" line;
        # `cd` to the checkout kept -> OUT under the copy's tree, not the caller's folder.
        with tempfile.TemporaryDirectory() as tmp:
            env = fake_tree(tmp, probe_rc=0)
            env["PEERS"] = "0"
            here = os.path.join(tmp, "here")
            os.makedirs(here)
            r = run(["bash", os.path.join(tmp, "bench", "realtime_latency.sh"), "1", "rel/rt", "--rt"], env=env,
                    cwd=here)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            with open(os.path.join(here, "rel", "rt.txt")) as f:
                report = f.read()
            self.assertIn("phases 1 and 2 skipped (PEERS=0)", report)
            self.assertIn("server's settings refused by the system: none", report)
            self.assertIn("SCHED_FIFO 80; pinned to CPU 1; memory locked", report)
            self.assertIn("deadline misses (per 100k ticks)", report)
            self.assertFalse(os.path.exists(os.path.join(tmp, "cyclictest.args")))

    def test_an_unwritable_out_is_named_first(self):
        # Its folder exists (the outside check's case, /sys/rtout): only writing the files fails.
        r = run(["bash", os.path.join(ROOT, "bench", "realtime_latency.sh"), "5", "/proc/rtout"])
        one_line_error(self, r, "OUT = '/proc/rtout'", "cannot write")
        self.assertEqual(r.returncode, 2)

    def test_a_refused_run_keeps_the_last_report(self):
        # The writability check `: >OUT.txt` emptied the last run's report before the flags were refused, and left
        # OUT.check.log (an outside audit, 2026-12-07: `realtime_latency.sh 2 keep --bogus` -> keep.txt 0 bytes).
        # Break tried: the check back to `: >"$out.txt"` -> rt.txt "" (both cases fail).
        with tempfile.TemporaryDirectory() as tmp:
            env = fake_tree(tmp, probe_rc=0)
            folder = os.path.join(tmp, "out")
            os.makedirs(folder)
            out = os.path.join(folder, "rt")
            for flags in (["--bogus"], ["--mlock=true"]):
                with self.subTest(flags=flags):
                    with open(out + ".txt", "w") as f:
                        f.write("the last run's report\n")
                    r = run(["bash", os.path.join(tmp, "bench", "realtime_latency.sh"), "1", out, *flags], env=env)
                    self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
                    with open(out + ".txt") as f:
                        self.assertEqual(f.read(), "the last run's report\n")
                    self.assertEqual(os.listdir(folder), ["rt.txt"])  # no rt.check.log, no probe file

    def test_out_naming_a_folder_is_refused(self):
        # `realtime_latency.sh 2 DIR` wrote DIR.txt, DIR.json ... beside DIR, and `DIR/` the hidden DIR/.txt (an
        # outside audit, 2026-12-07). Break tried: the folder check removed -> exit 0, DIR.txt and DIR/.txt written.
        with tempfile.TemporaryDirectory() as tmp:
            env = fake_tree(tmp, probe_rc=0)
            folder = os.path.join(tmp, "somedir")
            os.makedirs(folder)
            before = sorted(os.listdir(tmp))
            for out in (folder, folder + "/"):
                with self.subTest(out=out):
                    r = run(["bash", os.path.join(tmp, "bench", "realtime_latency.sh"), "1", out], env=env)
                    one_line_error(self, r, f"OUT = '{out}': is a folder")
                    self.assertEqual(r.returncode, 2)
                    self.assertEqual(sorted(os.listdir(tmp)), before)
                    self.assertEqual(os.listdir(folder), [])

    def test_a_taken_floor_endpoint_is_refused_before_phase_1(self):
        # A FLOOR_ENDPOINT another run holds was found by pubsub_floor in phase 2, after phase 1's DURATION (an outside
        # audit, 2026-12-07). Break tried: the up-front pubsub_floor check removed -> cyclictest -D ran, then exit 1.
        with tempfile.TemporaryDirectory() as tmp:
            env = dict(fake_tree(tmp, probe_rc=0), FLOOR_ENDPOINT=TAKEN_FLOOR)
            out = os.path.join(tmp, "out", "rt")
            r = run(["bash", os.path.join(tmp, "bench", "realtime_latency.sh"), "1", out], env=env)
            one_line_error(self, r, f"FLOOR_ENDPOINT = '{TAKEN_FLOOR}'", "Address already in use")
            self.assertEqual(r.returncode, 2)
            with open(os.path.join(tmp, "cyclictest.args")) as f:
                self.assertNotIn("-D", f.read().split())  # only the two-wake-up check ran
            self.assertFalse(os.path.exists(out + ".txt"))

    def test_a_run_leaves_the_documented_files_only(self):
        # OUT.threads_before.json and OUT.floor.err were left beside the documented files (an outside audit,
        # 2026-12-07). Break tried: the snapshot written to "$out.threads_before.json" again -> listed here.
        with tempfile.TemporaryDirectory() as tmp:
            env = fake_tree(tmp, probe_rc=0)
            folder = os.path.join(tmp, "out")
            r = run(["bash", os.path.join(tmp, "bench", "realtime_latency.sh"), "1", os.path.join(folder, "rt")],
                    env=env)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertEqual(sorted(os.listdir(folder)), ["rt.cyclictest.txt", "rt.floor.json", "rt.json", "rt.log",
                                                          "rt.threads.json", "rt.txt"])

    def test_sigterm_ends_every_child(self):
        # On SIGTERM the EXIT trap stopped the server only: a `cortexloop probe` in the foreground lingered > 17 s,
        # and in phase 1 `cyclictest -D DURATION` (an outside audit, 2026-12-07). Break tried: the probe run in the
        # foreground again (no run_fg) -> the script still running 10 s after the SIGTERM (its trap waits for the
        # probe); cyclictest likewise -> the same.
        for hang in ("cyclictest", "probe"):
            with self.subTest(hang=hang), tempfile.TemporaryDirectory() as tmp:
                env = fake_tree(tmp, probe_rc=0, hang=hang)
                p = subprocess.Popen(["bash", os.path.join(tmp, "bench", "realtime_latency.sh"), "30",
                                      os.path.join(tmp, "out", "rt")], env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
                pids = {}
                try:
                    pid_file = os.path.join(tmp, hang + ".pid")
                    for _ in range(300):
                        if os.path.exists(pid_file) and os.path.getsize(pid_file):
                            break
                        time.sleep(0.05)
                    else:
                        self.fail(f"the stand-in {hang} did not start")
                    for name in ("serve", hang):
                        if os.path.exists(os.path.join(tmp, name + ".pid")):
                            with open(os.path.join(tmp, name + ".pid")) as f:
                                pids[name] = int(f.read())
                    p.send_signal(signal.SIGTERM)
                    try:
                        rc = p.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        self.fail(f"the script still runs 10 s after SIGTERM ({hang})")
                    self.assertEqual(rc, 143, p.stderr.read())
                    for name, pid in pids.items():
                        self.assertTrue(ended(pid), f"the {name} stand-in (pid {pid}) outlived the script")
                finally:
                    if p.poll() is None:
                        p.kill()
                        p.wait()
                    p.stderr.close()
                    for pid in pids.values():
                        if not ended(pid, wait_s=0):
                            os.kill(pid, signal.SIGKILL)


class BenchBinaries(unittest.TestCase):
    def tool(self, name):
        path = os.path.join(BENCH_BIN, name)
        if not os.access(path, os.X_OK):
            self.skipTest(f"{path} not built (CORTEXLOOP_BUILD_BENCH=OFF)")
        return path

    def test_unwritable_json_refused_before_the_run(self):
        for name, args in (("pubsub_floor", ["--duration", "30", "--endpoint", "tcp://127.0.0.1:*"]),
                           ("device_loop_latency", ["--seconds", "3600"])):
            with self.subTest(tool=name):
                r = run([self.tool(name), *args, "--json", UNWRITABLE + ".json"], timeout=10)
                one_line_error(self, r, f"{name}: cannot write --json {UNWRITABLE}.json")

    def test_pubsub_floor_on_a_wildcard_port(self):
        # The subscriber connected to "tcp://127.0.0.1:*" itself and died in an uncaught zmq::error_t (noticed
        # while fixing the tools, 2026-12-05); it now connects to the port the publisher bound. Break tried: the
        # subscriber given --endpoint as typed -> "terminate called ... zmq::error_t", no line received.
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "f.json")
            r = run([self.tool("pubsub_floor"), "--duration", "0.3", "--endpoint", "tcp://127.0.0.1:*", "--json", out],
                    timeout=30)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertRegex(r.stdout, r"pubsub_floor: tcp://127\.0\.0\.1:\d+, 1816-byte messages every 1000 us, "
                                       r"\d+ received")
            with open(out) as f:
                self.assertRegex(json.load(f)["endpoint"], r"^tcp://127\.0\.0\.1:\d+$")

    def test_no_trigger_is_not_a_latency(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "d.json")
            # A threshold the sensed envelope (range 0-1000 Hz) cannot reach: nothing triggers. (0.2 s, where the
            # controller was not yet armed, is refused now.)
            r = run([self.tool("device_loop_latency"), "--seconds", "0.6", "--threshold", "1e6", "--neurons", "100",
                     "--json", out])
            self.assertEqual(r.returncode, 2)
            self.assertIn("no triggers", r.stderr)
            self.assertNotIn("p50", r.stdout)
            with open(out) as f:
                self.assertEqual(json.load(f), {"triggers": 0})


    def test_device_loop_latency_refuses_a_run_that_cannot_trigger(self):
        # --seconds 0.1-0.5 was taken, though the controller is armed at 0.5 s (an outside audit, 2026-12-07). Break
        # tried: the check after the config removed -> 0.3 s ran, stderr "no triggers ...", not the reason.
        r = run([self.tool("device_loop_latency"), "--seconds", "0.3", "--neurons", "100"], timeout=30)
        one_line_error(self, r, "--seconds 0.3: must be more than 0.5", "armed at 0.5 s")
        self.assertEqual(r.returncode, 2)

    def test_positive_options_say_so(self):
        # CLI::PositiveNumber said "Value 0 not in range 0.000000 to 1797693...": an outside audit, 2026-12-07. Break
        # tried: cpu_stalls' --duration back to CLI::PositiveNumber -> "Value 0 not in range" (its subtest fails).
        for name in ("cpu_stalls", "pubsub_floor"):
            with self.subTest(tool=name):
                r = run([self.tool(name), "--duration", "0"], timeout=10)
                # CLI11's own second line, "Run with --help for more information.", follows.
                self.assertEqual(r.stderr.splitlines()[0], "--duration: must be > 0, got 0", r.stderr)
                self.assertEqual(r.returncode, 2)

    def test_pubsub_floor_asks_of_another_run_only_for_a_taken_address(self):
        # `--endpoint foo://bar` was asked "another run on it?" (an outside audit, 2026-12-07). Break tried: the hint
        # unconditional again -> the foo://bar subtest fails.
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            endpoint = "tcp://127.0.0.1:%d" % taken.getsockname()[1]
            r = run([self.tool("pubsub_floor"), "--duration", "0.1", "--endpoint", endpoint], timeout=10)
            one_line_error(self, r, f"cannot bind {endpoint}: Address already in use (another run on it? --endpoint)")
        r = run([self.tool("pubsub_floor"), "--duration", "0.1", "--endpoint", "foo://bar"], timeout=10)
        one_line_error(self, r, "cannot bind foo://bar")
        self.assertNotIn("another run", r.stderr)

    def test_pubsub_floor_publisher_ends_with_it(self):
        # A SIGTERM to pubsub_floor (realtime_latency.sh stopped) left its forked publisher sending to nobody for
        # the rest of --duration (found with the audit's SIGTERM case, 2026-12-07). Break tried: no PR_SET_PDEATHSIG
        # -> the publisher alive after its parent ended.
        p = subprocess.Popen([self.tool("pubsub_floor"), "--duration", "30", "--endpoint", "tcp://127.0.0.1:*"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        children = []
        try:
            for _ in range(100):
                with open(f"/proc/{p.pid}/task/{p.pid}/children") as f:
                    children = [int(c) for c in f.read().split()]
                if children:
                    break
                time.sleep(0.05)
            self.assertEqual(len(children), 1, "pubsub_floor forked no publisher")
            p.terminate()
            p.wait(timeout=10)
            self.assertTrue(ended(children[0]), "the publisher outlived pubsub_floor")
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            for c in children:
                if not ended(c, wait_s=0):
                    os.kill(c, signal.SIGKILL)

    def test_cpu_stalls_says_the_scheduling_it_got(self):
        # A refused SCHED_FIFO ran under SCHED_OTHER, printed "(SCHED_FIFO)" (an outside audit, 2026-12-07). Without
        # CAP_SYS_NICE (setpriv drops it when this runs as root) and with RLIMIT_RTPRIO 0 FIFO is refused. Break tried:
        # the label back to `fifo > 0 ? "SCHED_FIFO" : ...` -> "(SCHED_FIFO, " in the line.
        drop = ["setpriv", "--inh-caps=-sys_nice", "--bounding-set=-sys_nice"]
        dropped = os.geteuid() == 0 and shutil.which("setpriv") is not None
        if os.geteuid() == 0 and not dropped:
            self.skipTest("root without setpriv: SCHED_FIFO would be granted")
        if resource.getrlimit(resource.RLIMIT_RTPRIO)[0] != 0:
            self.skipTest("RLIMIT_RTPRIO would grant SCHED_FIFO without privileges")
        r = run((drop if dropped else []) + [self.tool("cpu_stalls"), "--duration", "0.2", "--fifo", "80"], timeout=10)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout.splitlines()[0], r"^cpu_stalls: 0\.2\d s not pinned \(SCHED_OTHER \(SCHED_FIFO 80 "
                                                   r"refused: [^)]+\), memory (not )?locked")

    def test_cpu_stalls_counts_long_gaps_whatever_the_threshold(self):
        # --threshold-ns 1000000000 printed "0 >= 100 us, 0 >= 1 ms", counting only the stalls above it; and "%.0f s"
        # a 0.2 s run as "0 s" (an outside audit, 2026-12-07). A SIGSTOP of 50 ms makes a gap >= 1 ms for certain.
        # Breaks tried: the two counts back inside `gap >= threshold_ns` -> "gaps >= 100 us: 0, >= 1 ms: 0"; the
        # seconds printed "%.0f" -> "1 s" (no "1.00 s").
        p = subprocess.Popen([self.tool("cpu_stalls"), "--duration", "1", "--threshold-ns", "1000000000"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            # Stopped once it spins (30 ms of CPU: its loop is all it spends CPU on), not while it starts.
            deadline = time.monotonic() + 0.8
            while time.monotonic() < deadline:
                with open(f"/proc/{p.pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK") >= 30:
                    break
                time.sleep(0.01)
            p.send_signal(signal.SIGSTOP)
            time.sleep(0.05)
        finally:
            p.send_signal(signal.SIGCONT)
        out, err = p.communicate(timeout=10)
        self.assertEqual(p.returncode, 0, err)
        m = re.search(r"^cpu_stalls: 1\.0\d s .*: 0 stalls >= 1000000 us .*gaps >= 100 us: (\d+), >= 1 ms: (\d+)", out)
        self.assertIsNotNone(m, out)
        self.assertGreaterEqual(int(m.group(2)), 1, out)
        self.assertGreaterEqual(int(m.group(1)), int(m.group(2)), out)
        self.assertIn("stall length (us): no stalls", out)


class PythonBenchTools(unittest.TestCase):
    def run_tool(self, script, *args):
        return run([sys.executable, os.path.join(ROOT, "bench", script), *args], timeout=30)

    NOBODY = "tcp://127.0.0.1:9,tcp://127.0.0.1:7"  # discard/echo ports: no cortexloop server there

    def test_closed_loop_latency_malformed_connect(self):
        r = self.run_tool("closed_loop_latency.py", "--connect", "tcp://127.0.0.1:abc,tcp://127.0.0.1:9")
        one_line_error(self, r, "--connect", "tcp://127.0.0.1:abc")
        r = self.run_tool("closed_loop_latency.py", "--connect", "tcp://127.0.0.1:9")
        one_line_error(self, r, "--connect", "COMMANDS,PUB")

    def test_closed_loop_latency_no_server(self):
        r = self.run_tool("closed_loop_latency.py", "--connect", self.NOBODY, "--timeout", "0.5")
        one_line_error(self, r, "no server answered at tcp://127.0.0.1:9 (commands) / tcp://127.0.0.1:7 (pub)")

    def test_closed_loop_latency_unwritable_json(self):
        r = self.run_tool("closed_loop_latency.py", "--connect", self.NOBODY, "--timeout", "0.5", "--json",
                          UNWRITABLE + ".json")
        one_line_error(self, r, f"--json {UNWRITABLE}.json: cannot write it")

    def test_closed_loop_latency_commands_refused_before_a_server(self):
        # --commands 0 or -5 started a server, then failed "no commands measured" (an outside check, 2026-12-06).
        # Break seen: type=int as before -> a server started, exit 1 "no commands measured".
        for n in ("0", "-5"):
            r = self.run_tool("closed_loop_latency.py", "--commands", n, "--bin", "/nonexistent/cortexloop")
            one_line_error(self, r, "--commands: must be > 0")
            self.assertEqual(r.returncode, 2)

    def test_closed_loop_latency_send_is_before_the_server_receives(self):
        # The send time was read after apply_command returned, after the send: "send -> server receives" had a p50
        # of -17.8 us (an outside check, 2026-12-06). It is now the command's own client_send_ns, stamped before the
        # send: never after the server's receive stamp (one CLOCK_MONOTONIC). Break seen: time.monotonic_ns() after
        # apply_command again -> min -130 to -219 us in 4 runs of 100 commands (p50 -20.7 to 160 us).
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "cl.json")
            r = run([sys.executable, os.path.join(ROOT, "bench", "closed_loop_latency.py"), "--commands", "100",
                     "--warmup", "0", "--no-device", "--bin", BIN, "--config",
                     os.path.join(ROOT, "configs", "zerlaut2018_network.toml"), "--set", "network.n_neurons=200",
                     "--json", out], timeout=60)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            with open(out) as f:
                rows = json.load(f)["external_python"]
            self.assertGreaterEqual(rows["send -> server receives (us)"]["min"], 0.0)
            self.assertIn("Python decode+decide (us)", rows)

    def test_next_tick_says_the_scheduling_the_server_got(self):
        # "serve --fifo 80 --mlock: ..." was all it printed for a server the system had refused both (an outside
        # check, 2026-12-06, without CAP_SYS_NICE). Without the privileges (setpriv drops them when this runs as
        # root; another user has none) the first line says SCHED_OTHER. Break seen: the scheduling line removed ->
        # the first line is "serve --fifo 80 ...".
        config = os.path.join(ROOT, "configs", "zerlaut2018_network.toml")
        args = [sys.executable, os.path.join(ROOT, "bench", "next_tick.py"), BIN, "--seconds", "0.5", "--", "--config",
                config, "--set", "network.n_neurons=200", "--fifo", "80", "--mlock"]
        drop = ["setpriv", "--inh-caps=-sys_nice,-ipc_lock", "--bounding-set=-sys_nice,-ipc_lock"]
        dropped = os.geteuid() == 0 and shutil.which("setpriv") is not None
        if os.geteuid() == 0 and not dropped:
            self.skipTest("root without setpriv: SCHED_FIFO would be granted")
        # Without the capabilities the rlimits still grant: SCHED_FIFO up to RLIMIT_RTPRIO (an rtprio or audio group)
        # and mlockall within RLIMIT_MEMLOCK (unlimited in many MPI and container images): a reviewer, 2026-12-06.
        memlock = resource.getrlimit(resource.RLIMIT_MEMLOCK)[0]
        if resource.getrlimit(resource.RLIMIT_RTPRIO)[0] != 0 or memlock == resource.RLIM_INFINITY or \
                memlock >= 64 << 20:
            self.skipTest("RLIMIT_RTPRIO or RLIMIT_MEMLOCK would grant SCHED_FIFO or mlockall without privileges")
        r = run((drop if dropped else []) + args, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        lines = r.stdout.splitlines()
        self.assertTrue(lines[0].startswith("server: SCHED_OTHER (SCHED_FIFO not permitted"), r.stdout)
        self.assertIn("memory not locked", lines[0])
        self.assertTrue(lines[1].startswith("serve --config"), r.stdout)

    def test_next_tick_names_the_wrong_value(self):
        # "--every 10 (>= 1) and --seconds 0.0 (> 0)" did not say which was wrong (an outside check, 2026-12-06).
        # Break seen: the old joint message -> "--every 10" in the line.
        r = self.run_tool("next_tick.py", BIN, "--seconds", "0")
        one_line_error(self, r, "argument --seconds: must be a finite number > 0, got 0")
        self.assertNotIn("--every", r.stderr.splitlines()[-1])
        self.assertEqual(r.returncode, 2)

    def test_a_missing_binary_is_one_line_exit_2(self):
        # reset_readout_age.py, reset_rss.py and soak.py ended in a FileNotFoundError traceback from Popen; idle_cpu.py
        # said it in one line (an outside check, 2026-12-06): all through cli.executable now. Break seen: soak.py's
        # --binary without type=cli.executable -> "FileNotFoundError" traceback.
        for script, args in (("reset_readout_age.py", ["--binary", "/nope"]), ("reset_rss.py", ["--binary", "/nope"]),
                             ("soak.py", ["--binary", "/nope"]), ("idle_cpu.py", ["/nope"])):
            with self.subTest(script=script):
                r = self.run_tool(script, *args)
                one_line_error(self, r, "/nope: no such executable")
                self.assertEqual(r.returncode, 2)

    def test_soak_arguments_refused_before_anything_starts(self):
        # --rate 0 ended in a ZeroDivisionError with serve and record left running; --out /proc/nope in a traceback
        # (an outside check, 2026-12-06). Break seen: --rate as type=float -> ZeroDivisionError after the start.
        with tempfile.TemporaryDirectory() as tmp:
            for args, needle in ((["--rate", "0"], "--rate: must be a finite number > 0"),
                                 (["--duration-s", "-1"], "--duration-s: must be a finite number > 0"),
                                 (["--invalid-fraction", "1.5"], "--invalid-fraction: must be in [0, 1]"),
                                 (["--segment-s", "0"], "--segment-s: must be a finite number > 0"),
                                 (["--segment-s", "20"], "--overlap-s 20: must be below --segment-s 20"),
                                 (["--out", "/proc/nope"], "--out /proc/nope: cannot create the folder")):
                with self.subTest(args=args):
                    r = run([sys.executable, os.path.join(ROOT, "bench", "soak.py"), *args], timeout=30, cwd=tmp)
                    one_line_error(self, r, needle)
                    self.assertEqual(r.returncode, 2)
            self.assertEqual(os.listdir(tmp), [])  # no out/soak made for a refused command line

    def test_soak_rss_slope_without_samples_is_none(self):
        # A run without an RSS sample after minute 5 gave slope_kib_per_min_after_5_min 0.0, read as flat memory (an
        # outside check, 2026-12-06). Break seen: slope_per_min returning 0.0 for fewer than two samples -> 0.0.
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "soak")
            r = run([sys.executable, os.path.join(ROOT, "bench", "soak.py"), "--binary", BIN, "--duration-s", "1",
                     "--rate", "20", "--out", out], timeout=60)
            self.assertIn("RSS slope after minute 5: none (0 sample(s) after minute 5", r.stdout, r.stderr)
            with open(os.path.join(out, "result.json")) as f:
                rss = json.load(f)["rss_kib"]
            self.assertIsNone(rss["slope_kib_per_min_after_5_min"])
            self.assertEqual(len(rss["series"]), 1)

    def test_idle_cpu_states_its_resolution(self):
        # "0.0 %" over 3 s where /proc's 10 ms clock ticks resolve 0.33 % (an outside check, 2026-12-06). Break seen:
        # the old print -> no "resolution" in the line.
        r = self.run_tool("idle_cpu.py", BIN, "--seconds", "0.5")
        self.assertEqual(r.returncode, 0, r.stderr)
        tick_ms = 1000 / os.sysconf("SC_CLK_TCK")
        self.assertIn(f"(resolution {100 * tick_ms / 1000 / 0.5:.2g} %: /proc/PID/stat counts CPU in {tick_ms:g} ms "
                      "ticks)", r.stdout)

    def test_reset_readout_age_help_says_its_description_once(self):
        # Its first docstring line was both the description and the epilog's first line (an outside check,
        # 2026-12-06). Break seen: epilog=__doc__ -> printed twice.
        r = self.run_tool("reset_readout_age.py", "--help")
        self.assertEqual(r.stdout.count("Readout age around Resets"), 1, r.stdout)

    def test_next_tick_missing_binary(self):
        r = self.run_tool("next_tick.py", "/nonexistent/build/cortexloop")
        one_line_error(self, r, "/nonexistent/build/cortexloop: no such executable")



FAKE_MPIRUN = """#!/bin/sh
while [ "$1" != -n ]; do shift; done
OMPI_COMM_WORLD_SIZE=$2; export OMPI_COMM_WORLD_SIZE; shift 2
exec "$@"
"""
# A stand-in `cortexloop simulate`: its summary.json, 8 s of wall time on 1 rank, 5 s on more.
FAKE_SIMULATE = """#!/usr/bin/python3
import json, os, sys
ranks = int(os.environ.get("OMPI_COMM_WORLD_SIZE", "1"))
out = sys.argv[sys.argv.index("--out") + 1]
n = int(next(a.split("=")[1] for a in sys.argv if a.startswith("network.n_neurons=")))
with open(os.path.join(out, "summary.json"), "w") as f:
    json.dump({"wall_s": 8.0 if ranks == 1 else 5.0, "rank_busy_s": [1.0] * ranks, "rank_loop_cpu_s": [1.0] * ranks,
               "second_half_rate_exc_Hz": 5.0, "second_half_rate_inh_Hz": 10.0, "n_exc": n * 4 // 5,
               "n_inh": n // 5, "n_synapses": n * 500, "simulated_s": 1.0}, f)
"""


class BenchToolArguments(unittest.TestCase):
    """The audit of 2026-12-07: each refused in one line before anything runs, exit 2 (no traceback)."""

    def tool(self, script, *args, **kw):
        return run([sys.executable, os.path.join(ROOT, "bench", script), *args], timeout=30, **kw)

    def refused(self, r, *needles):
        one_line_error(self, r, *needles)
        self.assertEqual(r.returncode, 2)

    def test_realtime_report_period(self):
        # --period-us 0 was a ZeroDivisionError, -5 printed a target of 195 us (an outside audit). Break tried:
        # type=float again -> 0: ZeroDivisionError traceback, -5: exit 0.
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "rt")
            write_peer_files(out)
            for period in ("0", "-5"):
                with self.subTest(period=period):
                    self.refused(self.tool("realtime_report.py", out, "--period-us", period),
                                 f"argument --period-us: must be a finite number > 0, got {period}")

    def test_scaling_sizes(self):
        # --sizes 0 was a ZeroDivisionError (an outside audit). Break tried: type=int again -> the traceback.
        self.refused(self.tool("scaling.py", "--sizes", "0", "--binary", BIN),
                     "argument --sizes: must be >= 500", "got 0")

    def test_thread_cpu_missing_snapshot(self):
        # A FileNotFoundError traceback (an outside audit). Break tried: the try around the read removed -> it.
        self.refused(self.tool("thread_cpu.py", "report", str(os.getpid()), "/nonexistent.json"),
                     "/nonexistent.json: No such file or directory")

    def test_count_block_ops_on_another_binary(self):
        # /bin/true was a StopIteration traceback (an outside audit). Breaks tried: the empty-disassembly check
        # removed -> "holds neither layout", not naming the missing symbol; the layout guard removed too -> the
        # StopIteration traceback.
        if shutil.which("objdump") is None:
            self.skipTest("no objdump")
        true = shutil.which("true")
        self.refused(self.tool("count_block_ops.py", true), f"{true}: no partition::step_cells in it")
        self.refused(self.tool("count_block_ops.py", "/nonexistent"), "/nonexistent: no such file")

    def test_mpi_scaling_arguments(self):
        # --repeats 0 / -2: StatisticsError; --ranks 0: ZeroDivisionError; --binary a folder: FileNotFoundError (an
        # outside audit). Break tried: --repeats as type=int -> the StatisticsError traceback for 0 and -2.
        for args, needle in ((["--repeats", "0"], "argument --repeats: must be > 0, got 0"),
                             (["--repeats", "-2"], "argument --repeats: must be > 0, got -2"),
                             (["--ranks", "0"], "argument --ranks: must be > 0, got 0"),
                             (["--binary", ROOT], f"--binary {ROOT}: is a folder"),
                             (["--ranks", "2", "--binary", BIN], "--ranks 2: give 1 among them")):
            with self.subTest(args=args):
                self.refused(self.tool("mpi_scaling.py", *args), needle)

    def test_mpi_scaling_speed_up_is_against_one_rank(self):
        # `--ranks 2 1` printed speed-up 1.00 for 2 ranks and 1.60 for 1 (against whichever ran first; an outside
        # audit). Stand-ins for mpirun and cortexloop: 8 s on 1 rank, 5 s on 2. Break tried: the ranks unsorted and
        # `first = first or wall` again -> 2 ranks 1.00, 1 rank 0.62.
        with tempfile.TemporaryDirectory() as tmp:
            for name, text in (("mpirun", FAKE_MPIRUN), ("cortexloop", FAKE_SIMULATE)):
                with open(os.path.join(tmp, name), "w") as f:
                    f.write(text)
                os.chmod(os.path.join(tmp, name), 0o755)
            env = dict(os.environ, PATH=tmp + os.pathsep + os.environ["PATH"])
            r = self.tool("mpi_scaling.py", "--ranks", "2", "1", "--repeats", "1", "--duration", "1",
                          "--binary", os.path.join(tmp, "cortexloop"), env=env)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            rows = [line.split() for line in r.stdout.splitlines() if line.split()[:1] in (["strong"], ["weak"])]
            self.assertEqual([(row[0], row[1], row[6]) for row in rows],
                             [("strong", "1", "1.00"), ("strong", "2", "1.60"), ("weak", "1", "1.00"),
                              ("weak", "2", "1.60")], r.stdout)

    def test_brian2_comparisons_check_before_the_run(self):
        # A folder as --json was found after the whole run (IsADirectoryError); a missing --binary after Brian2's
        # build (CalledProcessError); --duration 0.2 of the Cakan script gave NaN rates, exit 0 (an outside audit).
        # None of these starts Brian2 now. Break tried: the --duration check of the Cakan script removed -> its
        # subtest ran Brian2 and cortexloop (27 s here) and exited 0, as the audit saw.
        with tempfile.TemporaryDirectory() as tmp:
            for script, args, needle in (
                    ("brian2_vs_cortexloop.py", ["--duration", "0.5", "--window", "0.2,0.5", "--json", tmp],
                     f"--json {tmp}: is a folder"),
                    ("brian2_vs_cortexloop.py", ["--binary", "/nonexistent"], "--binary /nonexistent: no cortexloop"),
                    ("brian2_vs_cortexloop_cakan.py", ["--duration", "0.2"], "--duration 0.2: must be more than 1 s"),
                    ("brian2_vs_cortexloop_cakan.py", ["--duration", "2", "--binary", "/nonexistent"],
                     "--binary /nonexistent: no such executable"),
                    ("brian2_vs_cortexloop_cakan.py", ["--duration", "2", "--binary", BIN, "--json", tmp + "/"],
                     f"--json {tmp}/: is a folder")):
                with self.subTest(script=script, args=args):
                    self.refused(self.tool(script, *args), needle)
            self.assertEqual(os.listdir(tmp), [])

    def test_brian2_comparison_json_has_no_nan(self):
        # The Cakan script printed the token NaN (not JSON) for rates over an empty window (an outside audit). Break
        # tried: json_safe returning its value as given -> ValueError "Out of range float values".
        sys.path.insert(0, os.path.join(ROOT, "bench"))
        try:
            import brian2_vs_cortexloop_cakan as cakan
        finally:
            sys.path.remove(os.path.join(ROOT, "bench"))
        text = json.dumps(cakan.json_safe({"rates": [float("nan"), 1.5], "ratio": float("inf"), "n": 3}),
                          allow_nan=False)
        self.assertEqual(json.loads(text), {"rates": [None, 1.5], "ratio": None, "n": 3})


class BenchReadme(unittest.TestCase):
    def test_current_figures_rows_have_the_headers_cells(self):
        # The 10k-Zerlaut row held `--benchmark_filter='a|b|c'` unescaped: 9 cells against the header's 6 (an
        # outside audit, 2026-12-07). Break tried: the row's `\|` back to `|` -> 8 != 6 (cells between the outer pipes).
        with open(os.path.join(ROOT, "bench", "README.md"), encoding="utf-8") as f:
            lines = f.read().splitlines()
        start = next(i for i, line in enumerate(lines) if line.startswith("## Current figures"))
        table = []
        for line in lines[start + 1:]:
            if table and not line.startswith("|"):
                break
            if line.startswith("|"):
                table.append(line)
        cells = [len(re.split(r"(?<!\\)\|", row.strip()[1:-1])) for row in table]
        self.assertGreater(len(cells), 3)
        for row, n in zip(table, cells):
            self.assertEqual(n, cells[0], row[:100])

if __name__ == "__main__":
    unittest.main()
