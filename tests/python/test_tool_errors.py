"""Every Python tool of tools/ given an input file that is not there ends in one line naming that file and a
non-zero exit, not a traceback (experiments.py and the examples printed a FileNotFoundError / RuntimeError
traceback; the viewer too for a missing CURVE key); and an output file in a folder that does not exist yet is
written, its folder created (plot.py, plot_vsdi.py and the viewer lost the figure with FileNotFoundError); and an
example whose `cortexloop serve` exits non-zero when stopped (a crash at shutdown, a sanitizer's report) exits
non-zero itself, naming the code (the examples ignored it and passed).
Reference: the paths this test makes up; the list of tools is read from tools/ (every script with a __main__), so a
new tool without a case here fails the test. Run by ctest with CORTEXLOOP_BIN and PYTHONPATH set."""
import glob
import os
import pathlib
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("CORTEXLOOP_BIN", os.path.join(ROOT, "build", "cortexloop"))
MISSING = "/nonexistent/polish"  # no such folder: every file under it is missing


def tool(path):
    """How to run a tool: a module of cortexloop_client with -m, a script by its path."""
    package = os.path.join(ROOT, "tools", "python", "cortexloop_client")
    if os.path.dirname(path) == package:
        return ["-m", "cortexloop_client." + os.path.splitext(os.path.basename(path))[0]]
    return [path]


# Each tool with arguments that name one missing input file (MISSING/...); the file must appear in the error.
MISSING_INPUT = {
    "tools/aln_entrainment.py": ["frequency", "--out", "{tmp}/e", "--scans", MISSING + "/scans.toml",
                                 "--cortexloop", BIN],
    "tools/aln_fig4.py": ["--out", "{tmp}/f.png", "--cortexloop", MISSING + "/cortexloop"],
    "tools/aln_live_fig4.py": ["--out", "{tmp}/l.png", "--config", MISSING + "/live.toml", "--bin", BIN],
    "tools/aln_table_check.py": [MISSING + "/table.bin"],
    "tools/plot_aln_sweep.py": [MISSING + "/sweep", "--out", "{tmp}/s.png"],
    "tools/plot_plasticity.py": [MISSING + "/run", "--out", "{tmp}/p.png"],
    "tools/plot_vsdi.py": [MISSING + "/sim"],
    "tools/python/cortexloop_client/experiments.py": [MISSING + "/dc_step.toml", "--out", "{tmp}/x"],
    "tools/python/cortexloop_client/plot.py": [MISSING + "/recording"],
    "tools/python/cortexloop_client/viewer.py": ["--curve-server-key", MISSING + "/server.key", "--curve-secret",
                                                 MISSING + "/me.key_secret", "--seconds", "1"],
}
for example in ("open_loop", "phase_locked", "pi_clamp", "responsive"):
    MISSING_INPUT[f"tools/python/examples/{example}.py"] = ["--config", MISSING + "/server.toml", "--bin", BIN]


def run(args, cwd=ROOT, timeout=120, **env_extra):
    env = dict(os.environ, MPLBACKEND="Agg", **env_extra)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (os.path.join(ROOT, "tools", "python"),
                                                    env.get("PYTHONPATH", "")) if p)
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, cwd=cwd,
                          timeout=timeout)


class MissingInput(unittest.TestCase):
    def test_every_tool_is_covered(self):
        scripts = [p for p in glob.glob(os.path.join(ROOT, "tools", "*.py")) +
                   glob.glob(os.path.join(ROOT, "tools", "python", "*", "*.py"))
                   if "__main__" in pathlib.Path(p).read_text()
                   and "library_module(" not in pathlib.Path(p).read_text()]  # test_tool_help.py's LibraryModules
        self.assertGreater(len(scripts), 10)
        for p in scripts:
            self.assertIn(os.path.relpath(p, ROOT), MISSING_INPUT, "a tool without a missing-input case")

    def test_a_missing_input_is_one_line_naming_it(self):
        # And said before matplotlib is imported (~0.3-0.5 s of CPU a run; the tools import it when they draw,
        # cortexloop_client/mpl.py): python's -X importtime lists every module the run imported. The viewer is left
        # out: it picks its window's backend before it connects. Break tried: plot_vsdi.py importing
        # matplotlib.pyplot at the top as it did -> its subtest fails.
        for rel, args in MISSING_INPUT.items():
            with self.subTest(tool=rel), tempfile.TemporaryDirectory() as tmp:
                args = [a.format(tmp=tmp) for a in args]
                missing = next(a for a in args if a.startswith(MISSING))
                r = run(["-X", "importtime"] + tool(os.path.join(ROOT, rel)) + args)
                self.assertNotEqual(r.returncode, 0, r.stderr)
                self.assertNotIn("Traceback", r.stderr)
                imported = [line.split("|")[-1].strip() for line in r.stderr.splitlines()
                            if line.startswith("import time:")]
                if not rel.endswith("viewer.py"):
                    self.assertNotIn("matplotlib", imported)
                lines = [line for line in r.stderr.strip().splitlines()
                         if not line.startswith(("usage:", "import time:"))]
                self.assertEqual(len(lines), 1, r.stderr)
                self.assertIn(missing, lines[0])


class WrongInput(unittest.TestCase):
    """A file of the wrong kind, or a config the cortexloop binary refuses, ends in one line of the tool's (after the
    binary's own message), not a traceback: experiments.py given a server config raised KeyError('server_config');
    aln_fig4.py added a CalledProcessError traceback to simulate's config error (an outside audit, 2026-12-04).
    Reference: the inputs made here. Break tried: cli.run without its CalledProcessError case -> the second test
    fails (a traceback)."""

    def test_a_server_config_given_to_experiments(self):
        # Its default --out, out/stimulation, was made before the file was read, and left empty in the current folder
        # (the checkout, for this test). Break tried: os.makedirs before the loop as it was -> the folder exists.
        with tempfile.TemporaryDirectory() as tmp:
            r = run(["-m", "cortexloop_client.experiments", os.path.join(ROOT, "configs", "default.toml")], cwd=tmp)
            self.assertFalse(os.path.exists(os.path.join(tmp, "out")))
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertNotIn("Traceback", r.stderr)
        self.assertIn("not an experiment file: it has no server_config key", r.stderr)

    def test_an_experiment_file_with_a_mistake(self):
        # A TOML syntax error raised a TOMLDecodeError traceback, a missing key a KeyError traceback after the
        # server had started (an outside check, 2026-12-04). Break tried: load_experiment with tomllib.load and
        # without its key check -> tracebacks, and the checks fail.
        with tempfile.TemporaryDirectory() as tmp:
            for name, text, message in (
                    ("syntax.toml", "server_config = \n", "syntax.toml: not valid TOML: Invalid value (at line 1"),
                    ("keys.toml", 'server_config = "x.toml"\n[sine]\nwarmup_ms = 100\n',
                     "keys.toml: [sine] lacks stim_ms, settle_ms, frequencies_Hz"),
                    # Values of the wrong kind: an empty list (UnboundLocalError), a negative step (a server ran
                    # its warm-up first), a seed that is a word (`serve --seed o`), both kinds in one file (only
                    # dc_step ran): a second outside check, 2026-12-04. Break tried: check_experiment not called.
                    ("empty.toml", 'server_config = "x.toml"\n[dc_step]\nwarmup_ms = 1\npre_ms = 1\nstep_ms = 1\n'
                     'post_ms = 1\namplitudes_pA = []\n', "[dc_step] amplitudes_pA = []: must be a non-empty list"),
                    ("negative.toml", 'server_config = "x.toml"\n[dc_step]\nwarmup_ms = 1\npre_ms = 1\n'
                     'step_ms = -5\npost_ms = 1\namplitudes_pA = [40]\n', "[dc_step] step_ms = -5: must be"),
                    ("seeds.toml", 'server_config = "x.toml"\nseeds = "one"\n[sine]\nwarmup_ms = 1\nstim_ms = 1\n'
                     'settle_ms = 1\nfrequencies_Hz = [5]\n', "seeds = 'one': must be a non-empty list"),
                    ("both.toml", 'server_config = "x.toml"\n[sine]\nwarmup_ms = 1\n[dc_step]\nwarmup_ms = 1\n',
                     "not both")):
                with self.subTest(file=name):
                    path = os.path.join(tmp, name)
                    pathlib.Path(path).write_text(text)
                    r = run(["-m", "cortexloop_client.experiments", path, "--out", os.path.join(tmp, "out")])
                    self.assertEqual(r.returncode, 1, r.stderr)
                    self.assertNotIn("Traceback", r.stderr)
                    self.assertIn(message, r.stderr)
            path = os.path.join(tmp, "scans.toml")
            pathlib.Path(path).write_text("[fig5\n")
            r = run([os.path.join(ROOT, "tools", "aln_entrainment.py"), "frequency", "--out", os.path.join(tmp, "e"),
                     "--scans", path, "--cortexloop", BIN])
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertNotIn("Traceback", r.stderr)
            self.assertIn("scans.toml: not valid TOML", r.stderr)
            # A scan file without a key it reads said only "'duration_s'" (a third outside check, 2026-12-04). Break
            # tried: load_scan without its KeyError handling -> that bare line, and this fails.
            shipped = pathlib.Path(ROOT, "configs", "cakan2020", "entrainment.toml").read_text()
            pathlib.Path(path).write_text(shipped.replace("\nduration_s", "\nduraton_s"))
            r = run([os.path.join(ROOT, "tools", "aln_entrainment.py"), "frequency", "--out", os.path.join(tmp, "e"),
                     "--scans", path, "--cortexloop", BIN])
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn("scans.toml: no key 'duration_s' where the frequency scan of model aln reads it", r.stderr)

    def test_a_frequency_out_of_range_names_the_option(self):
        # `aln_entrainment.py --frequencies -5` was blamed on entrainment.toml ("... entrainment.toml [fig5]: stimulus
        # frequencies must be in (0, 1000] Hz"): an outside check, 2026-12-06. Reference: the stimulator's range,
        # (0, 1000] Hz. Breaks tried: --frequencies typed as plain numbers again -> load_scan's line, which does not
        # name the option: the first check fails; load_scan without its check of the given grid -> the scan file is
        # named: the last check fails.
        for value in ("-5", "10,2000"):
            with self.subTest(frequencies=value):
                r = run([os.path.join(ROOT, "tools", "aln_entrainment.py"), "frequency", "--out", "/tmp/never",
                         "--frequencies", value, "--cortexloop", BIN])
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertNotIn("entrainment.toml", r.stderr)
                self.assertIn(f"argument --frequencies: {value.split(',')[-1]} Hz: each frequency must be in "
                              "(0, 1000] Hz", r.stderr)
        from cortexloop_client import entrainment
        with self.assertRaises(ValueError) as caught:
            entrainment.load_scan("frequency", "aln", frequencies_Hz=[10.0, -5.0])
        self.assertEqual(str(caught.exception), "frequencies_Hz given [10.0, -5.0]: -5 Hz is outside (0, 1000] Hz "
                                                "(the stimulator's range)")

    def test_a_figure_format_refused_before_the_runs(self):
        # aln_fig4.py and aln_live_fig4.py ran their simulations and then failed in matplotlib on an --out it cannot
        # write (a second outside check, 2026-12-04). Reference: matplotlib's formats. Given a binary that does not
        # exist, the refusal must come first. Break tried: the tools without cli.figure_file -> the missing binary
        # is named instead.
        for script, binary in (("aln_fig4.py", "--cortexloop"), ("aln_live_fig4.py", "--bin")):
            with self.subTest(tool=script):
                r = run([os.path.join(ROOT, "tools", script), "--out", "/tmp/never.xyz", binary,
                         MISSING + "/cortexloop"])
                self.assertEqual(r.returncode, 2, r.stderr)  # with the command line since 2026-12-07
                self.assertNotIn("Traceback", r.stderr)
                self.assertIn("--out: /tmp/never.xyz: not a figure format matplotlib writes", r.stderr)

    def test_a_config_the_binary_refuses(self):
        r = run([os.path.join(ROOT, "tools", "aln_fig4.py"), "--out", "/tmp/never.png", "--model", "network",
                 "--set", "nosuchsection.key=1", "--cortexloop", BIN])
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertNotIn("Traceback", r.stderr)
        lines = r.stderr.strip().splitlines()
        self.assertIn("cortexloop: config error", lines[0])
        self.assertEqual(lines[-1], "aln_fig4: `cortexloop simulate ...` exited with code 2 (its message is above)")

    def test_numbers_that_are_not(self):
        # plot --dpi 0 and experiments --seeds a,b raised ValueError tracebacks (an outside check, 2026-12-04); they
        # are refused by the argument parser, naming the option (exit 2). Break tried: the options' old types
        # (int, a string split later) -> exit 1 with a traceback, and the check fails.
        sim = tempfile.mkdtemp()  # a folder plot can draw, so that --dpi is the only thing wrong
        self.addCleanup(shutil.rmtree, sim, True)
        subprocess.run([BIN, "simulate", "--config", os.path.join(ROOT, "configs", "zerlaut2018_network.toml"),
                        "--duration", "0.05", "--set", "network.n_neurons=1000", "--out", sim, "--quiet"], check=True)
        for args, message in (
                (["-m", "cortexloop_client.plot", sim, "--out", os.path.join(sim, "p.png"), "--dpi", "0"],
                 "argument --dpi: must be > 0, got 0"),
                (["-m", "cortexloop_client.experiments", os.path.join(ROOT, "configs", "stimulation", "dc_step.toml"),
                  "--out", "/tmp/never", "--seeds", "a,b"],
                 "argument --seeds: expected comma-separated whole numbers, got 'a,b'")):
            with self.subTest(tool=args[1]):
                r = run(args)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertIn(message, r.stderr)
                self.assertNotIn("Traceback", r.stderr)


class RefusedCommand(unittest.TestCase):
    """A command the server refuses ends a tool in one line naming the refusal (its code and the server's reason) and
    a non-zero exit: experiments.py printed a RuntimeError traceback for a DC step above max_direct_pA; the loop
    examples printed the refusal and exited 0, as if the run had done what was asked (an outside check, 2026-12-06;
    the ALN tools' cases are in test_aln_live.py). Reference: the server's own limit, 1000 pA (max_direct_pA)."""

    def test_experiments(self):
        # Break tried: readouts.require_accepted raising RuntimeError instead of cli.ToolError -> a traceback: fails.
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "big.toml")
            pathlib.Path(path).write_text(
                f'server_config = "{os.path.join(ROOT, "configs", "zerlaut2018_network.toml")}"\n'
                'sets = ["network.n_neurons=1000"]\n[dc_step]\nwarmup_ms = 10\npre_ms = 10\nstep_ms = 10\n'
                'post_ms = 10\namplitudes_pA = [5000]\n')
            r = run(["-m", "cortexloop_client.experiments", path, "--out", os.path.join(tmp, "out"), "--bin", BIN])
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertNotIn("Traceback", r.stderr)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
            self.assertIn("experiments: the server refused the dc stimulation of 5000 pA: OutOfRange: ", r.stderr)
            self.assertIn("max_direct_pA", r.stderr)

    def test_an_example_whose_command_is_refused_fails_after_drawing(self):
        # Break tried: the examples without loop.raise_if_refused -> exit 0: fails.
        with tempfile.TemporaryDirectory() as tmp:
            png = os.path.join(tmp, "p.png")
            r = run([os.path.join(ROOT, "tools", "python", "examples", "phase_locked.py"), "--drive-pA", "2000",
                     "--neurons", "1000", "--duration", "0.1", "--png", png, "--bin", BIN])
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertNotIn("Traceback", r.stderr)
            self.assertIn("refused: OutOfRange: amplitude_pa = 2000", r.stdout)  # as it came
            self.assertEqual(r.stderr.strip().splitlines(), [
                "phase_locked: the server refused 1 of the loop's 1 command (the first: OutOfRange: amplitude_pa = "
                "2000: direct current: |I| = 2000 pA > 1000 pA (max_direct_pA))"])
            self.assertGreater(os.path.getsize(png), 1000)  # the run was drawn first


class NotBuilt(unittest.TestCase):
    """Before the build (or from a build folder other than build/) the flatc-generated protocol code is missing: a
    tool says so in one line and exits non-zero. It printed an import traceback ending in "No module named
    'cortexloop'". Reference: a copy of the client package in a folder with no build/python beside it."""

    def test_a_tool_before_the_build_says_to_build(self):
        with tempfile.TemporaryDirectory() as tmp:
            # Without __pycache__: the other Python tests, run beside this one by ctest -j, may be writing it (a
            # .pyc goes to a temporary name, then is renamed), and copytree fails on a file that vanished.
            shutil.copytree(os.path.join(ROOT, "tools", "python", "cortexloop_client"),
                            os.path.join(tmp, "tools", "python", "cortexloop_client"),
                            ignore=shutil.ignore_patterns("__pycache__"))
            shutil.copy(os.path.join(ROOT, "tools", "aln_entrainment.py"), os.path.join(tmp, "tools"))
            env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CORTEXLOOP_PYTHON_GEN")}
            env["PYTHONPATH"] = os.path.join(tmp, "tools", "python")
            r = subprocess.run([sys.executable, os.path.join(tmp, "tools", "aln_entrainment.py"), "--help"],
                               capture_output=True, text=True, env=env, cwd=tmp, timeout=60)
            self.assertNotEqual(r.returncode, 0, r.stdout)
            self.assertNotIn("Traceback", r.stderr)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
            self.assertIn(os.path.join(tmp, "build", "python"), r.stderr)
            self.assertIn("build the project first", r.stderr)


class MissingOutputFolder(unittest.TestCase):
    """The offline plotting tools on a short `cortexloop simulate` run with a ring (configs/default.toml)."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.sim = os.path.join(cls.tmp.name, "sim")
        r = subprocess.run([BIN, "simulate", "--out", cls.sim, "--duration", "0.1", "--quiet",
                            "--set", "network.n_neurons=1000"], capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_a_png_into_a_new_folder_is_written(self):
        for name, args in (("plot_vsdi", [os.path.join(ROOT, "tools", "plot_vsdi.py"), self.sim]),
                           ("plot", ["-m", "cortexloop_client.plot", self.sim])):
            with self.subTest(tool=name):
                png = os.path.join(self.tmp.name, "new", name, "folder", "figure.png")
                r = run(args + ["--out", png])
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertGreater(os.path.getsize(png), 1000)


class DamagedTable(unittest.TestCase):
    def test_a_table_cut_short_is_named(self):
        # aln_table_check.py on a table cut short ended in numpy's reshape traceback (an outside check, 2026-12-06).
        # Reference: the header's grid, 350 x 64 points of 4 doubles after 32 bytes. Break seen to fail: the size
        # check removed -> ValueError traceback.
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "cut.bin")
            with open(path, "wb") as f:
                f.write(b"CLALNCT2" + bytes(16) + struct.pack("<iiQ", 350, 64, 0) + bytes(8 * 121))
            r = run([os.path.join(ROOT, "tools", "aln_table_check.py"), path])
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertNotIn("Traceback", r.stderr)
            self.assertIn(f"{path}: a table of 64 x 350 points is {40 + 8 * 4 * 64 * 350} bytes, this file has "
                          f"{40 + 8 * 121}", r.stderr)
            with open(path, "wb") as f:  # cut inside its header (a review, 2026-12-06: a traceback)
                f.write(b"CLALNCT2" + bytes(10))
            r = run([os.path.join(ROOT, "tools", "aln_table_check.py"), path])
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn("its 40-byte header cut short: 18 bytes", r.stderr)

    def test_a_table_whose_values_do_not_match_its_checksum_is_refused(self):
        # The cache file carries an FNV-1a 64 of its values (an outside audit, 2026-12-07: a table with every r_ss
        # doubled was read without a word). Reference: the checksum computed here, byte by byte. Break seen to fail:
        # the tool's checksum comparison removed -> the altered table is read (refused for its grid only).
        def fnv(data):
            h = 0xcbf29ce484222325
            for c in data:
                h = ((h ^ c) * 0x100000001b3) % 2 ** 64
            return h
        values = struct.pack("<8d", *range(8))  # a 2 x 1 grid
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "t.bin")
            for stored, refused in ((fnv(values), False), (fnv(values) ^ 1, True)):
                with open(path, "wb") as f:
                    f.write(b"CLALNCT2" + bytes(16) + struct.pack("<iiQ", 1, 2, stored) + values)
                r = run([os.path.join(ROOT, "tools", "aln_table_check.py"), path])
                self.assertEqual(r.returncode, 1, r.stderr)  # intact: refused for its grid, not the default's
                self.assertEqual("do not match its checksum" in r.stderr, refused, r.stderr)
                self.assertIn("the table must have the default grid" if not refused else
                              f"FNV-1a 64 {fnv(values):016x}, the file says {stored:016x}", r.stderr)


class KilledRecording(unittest.TestCase):
    def test_a_killed_recorders_folder_is_named_as_such(self):
        # A `record` killed by SIGKILL leaves NAME.npy.partial arrays and no session.toml or summary.json: replay said
        # "session.toml: missing (a recording made by `cortexloop record` of this version has it)", plot "no
        # rates.npy, not a folder written by `cortexloop record`" (an outside check, 2026-12-06). Reference: the
        # folder made here as record leaves it. Break seen to fail: replay's old message (plot's is the same check).
        with tempfile.TemporaryDirectory() as tmp:
            for name in ("rates.npy.partial", "ticks.npy.partial", "acks.jsonl"):
                open(os.path.join(tmp, name), "wb").close()
            r = subprocess.run([BIN, "replay", tmp], capture_output=True, text=True, timeout=60)
            self.assertNotEqual(r.returncode, 0, r.stderr)
            self.assertIn("session.toml: missing, and the folder holds .partial arrays: a recording whose "
                          "`cortexloop record` was killed before it finished", r.stderr)
            r = run(["-m", "cortexloop_client.plot", tmp])
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn("rates.npy.partial but no rates.npy: a run killed before it finished", r.stderr)


class DamagedRecording(unittest.TestCase):
    """plot.py (and plot_vsdi.py, plot_aln_sweep.py: their own tests below, sharing cli.load_npy, load_json_object
    and check_rows) on a recording folder that is damaged ends in one line naming the file, exit 1: a truncated .npy (a
    disk that filled, a killed writer) raised a ValueError traceback; a summary.json that is not JSON a
    JSONDecodeError traceback; an array with fewer rows than rates.npy (files of two runs) was drawn against the
    wrong times or raised an IndexError (an outside check, 2026-12-04). Reference: the damage made here to a short
    `simulate` folder. Seen to fail with load() calling np.load / json.load directly (tracebacks, and the short
    stim.npy drawn without a word)."""

    def test_each_damage_is_named(self):
        sim = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, sim, True)
        subprocess.run([BIN, "simulate", "--config", os.path.join(ROOT, "configs", "zerlaut2018_network.toml"),
                        "--duration", "0.05", "--set", "network.n_neurons=1000", "--out", sim, "--quiet"], check=True)
        original = {name: pathlib.Path(sim, name).read_bytes() for name in ("stim.npy", "summary.json")}

        def truncate_stim():
            pathlib.Path(sim, "stim.npy").write_bytes(original["stim.npy"][:200])

        def break_summary():
            pathlib.Path(sim, "summary.json").write_text('{"n_exc": 800,')

        def shorten_stim():
            import numpy as np
            np.save(os.path.join(sim, "stim.npy"), np.zeros((10, 2), dtype=np.float32))

        def empty_every_array():
            # A recording stopped before its first tick raised an IndexError traceback (an outside check,
            # 2026-12-04). Break tried: plot.py before cli.check_rows -> that traceback, and this subtest fails.
            import numpy as np
            for name in os.listdir(sim):
                if name.endswith(".npy"):
                    path = os.path.join(sim, name)
                    np.save(path, np.load(path)[:0])

        def mistyped_summary():
            # Keys of the wrong type raised AttributeError/TypeError tracebacks ("ring": 5, an electrode without a
            # position). Break tried: load() without cli.check_types -> the traceback, and these subtests fail.
            pathlib.Path(sim, "summary.json").write_text('{"ring": 5}')

        def electrode_without_position():
            pathlib.Path(sim, "summary.json").write_text('{"geometry": {"electrodes": [{"position_mm": 3}, {}]}}')

        def safety_event_without_step():
            pathlib.Path(sim, "safety.jsonl").write_text('{"limit": "charge_per_phase"}\n')

        def short_aln_rates():
            # The ALN node's rates were not in the row check: a cut aln_rates.npy raised a ValueError traceback
            # (a second outside check, 2026-12-04). Break tried: per_tick without aln_rates -> the traceback. Last:
            # the file it adds is not one the restore above removes.
            import numpy as np
            np.save(os.path.join(sim, "aln_rates.npy"), np.zeros((10, 2), dtype=np.float32))

        for damage, message in ((truncate_stim, "stim.npy: not a readable .npy file"),
                                (break_summary, "summary.json: not JSON"),
                                (shorten_stim, "stim.npy has 10 rows and rates.npy 50"),
                                (empty_every_array, "the recording is empty"),
                                (mistyped_summary, "summary.json: ring is 5, not an object"),
                                (electrode_without_position,
                                 "summary.json: geometry.electrodes[1] is {}, not an object with position_mm"),
                                (safety_event_without_step, "safety.jsonl line 1: not an object with step, limit"),
                                (short_aln_rates, "aln_rates.npy has 10 rows and rates.npy 50")):
            with self.subTest(damage=damage.__name__):
                for name in os.listdir(sim):
                    if name.endswith(".npy"):  # every array as simulate wrote it (empty_every_array empties all)
                        original.setdefault(name, pathlib.Path(sim, name).read_bytes())
                for name, data in original.items():
                    pathlib.Path(sim, name).write_bytes(data)
                pathlib.Path(sim, "safety.jsonl").unlink(missing_ok=True)
                damage()
                r = run(["-m", "cortexloop_client.plot", sim, "--out", os.path.join(sim, "p.png")])
                self.assertEqual(r.returncode, 1, r.stderr)
                self.assertNotIn("Traceback", r.stderr)
                self.assertIn(message, r.stderr)
                self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)

    def assert_one_line(self, args, message):
        r = run(args)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertNotIn("Traceback", r.stderr)
        self.assertIn(message, r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)

    def test_plot_vsdi_damage(self):
        # plot_vsdi.py on a truncated vsdi.npy or a summary.json that is not JSON raised tracebacks; a vsdi.npy with
        # fewer rows than ring_rates_exc.npy was drawn, exit 0 (an outside check, 2026-12-04). Reference: the damage
        # made here to a short `simulate` of the default config (a ring). Break tried: plot_vsdi.py as it was (np.load,
        # json.loads, no row check) -> two tracebacks and exit 0 for the short vsdi.npy: each subtest fails.
        import numpy as np
        sim = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, sim, True)
        subprocess.run([BIN, "simulate", "--out", sim, "--duration", "0.1", "--quiet",
                        "--set", "network.n_neurons=1000"], check=True, cwd=ROOT)
        original = {name: pathlib.Path(sim, name).read_bytes() for name in ("vsdi.npy", "summary.json")}
        for name, data, message in (
                ("vsdi.npy", original["vsdi.npy"][:100], "vsdi.npy: not a readable .npy file"),
                ("summary.json", b'{"ring": {', "summary.json: not JSON"),
                ("summary.json", b'{"ring": {"length_mm": "36"}}', "summary.json: ring.length_mm is \"36\", not a number"),
                ("vsdi.npy", None, "ring_rates_exc.npy has 100 rows and vsdi.npy 40: a truncated recording")):
            with self.subTest(damage=name, message=message):
                for n, d in original.items():
                    pathlib.Path(sim, n).write_bytes(d)
                if data is None:
                    np.save(os.path.join(sim, name), np.load(os.path.join(sim, name))[:40])
                else:
                    pathlib.Path(sim, name).write_bytes(data)
                self.assert_one_line([os.path.join(ROOT, "tools", "plot_vsdi.py"), sim, "--out",
                                      os.path.join(sim, "v.png")], message)

    def test_plot_aln_sweep_damage(self):
        # plot_aln_sweep.py drew a 3 x 3 state.npy stretched over the 21 x 21 grid of x.npy and y.npy and exited 0;
        # a truncated .npy or a sweep.json that is not JSON ended in a line that named the folder, not the file (an
        # outside check, 2026-12-04). Reference: a sweep folder made here, in the layout of `cortexloop sweep`
        # (sweep.json, x.npy [nx], y.npy [ny], state.npy etc. [ny, nx]). Break tried: plot_aln_sweep.py as it was ->
        # exit 0 for the shapes, "DIR: not a complete sweep output (...)" for the others: each subtest fails.
        import json
        import numpy as np
        out = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, out, True)

        def write(n=3):
            pathlib.Path(out, "sweep.json").write_text(json.dumps({
                "model": "aln", "adaptation": False, "duration_s": 6.0, "x": {"key": "aln.mu_ext_e_mV_per_ms"},
                "y": {"key": "aln.mu_ext_i_mV_per_ms"}}))
            np.save(os.path.join(out, "x.npy"), np.linspace(0, 3, n, dtype=np.float32))
            np.save(os.path.join(out, "y.npy"), np.linspace(0, 3, n, dtype=np.float32))
            for name in ("state.npy", "max_rate_up_Hz.npy", "dominant_frequency_Hz.npy"):
                np.save(os.path.join(out, name), np.zeros((3, 3), dtype=np.float32))

        png = os.path.join(out, "d.png")
        write()
        r = run([os.path.join(ROOT, "tools", "plot_aln_sweep.py"), out, "--out", png])
        self.assertEqual(r.returncode, 0, r.stderr)  # the folder is drawn before it is damaged
        for damage, message in (
                (lambda: write(21), "state.npy has shape (3, 3), but x.npy (21 values) and y.npy (21 values) make a "
                                    "grid of shape (21, 21)"),
                (lambda: pathlib.Path(out, "x.npy").write_bytes(pathlib.Path(out, "x.npy").read_bytes()[:100]),
                 "x.npy: not a readable .npy file"),
                (lambda: pathlib.Path(out, "sweep.json").write_text('{"x": '), "sweep.json: not JSON")):
            with self.subTest(message=message):
                write()
                damage()
                self.assert_one_line([os.path.join(ROOT, "tools", "plot_aln_sweep.py"), out, "--out", png], message)


class PlotFigure(unittest.TestCase):
    """What plot.py writes and says of a good recording (an outside check, 2026-12-04)."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def simulate(self, config, *sets):
        out = os.path.join(self.tmp.name, os.path.basename(config))
        if not os.path.exists(out):
            subprocess.run([BIN, "simulate", "--config", os.path.join(ROOT, "configs", config), "--duration", "0.05",
                            "--out", out, "--quiet", *[w for s in sets for w in ("--set", s)]], check=True, cwd=ROOT)
        return out

    def test_the_figure_file_is_the_one_named(self):
        # `--out z_t1` printed `-> z_t1` while matplotlib wrote z_t1.png; `--out z.xyz` was refused by matplotlib
        # only after the drawing. Reference: matplotlib's own rule (a name without a suffix gets .png). Break tried:
        # plot.py as it was -> its line ends "-> .../z_t1" and this fails (and `--out z.xyz` alone: a ValueError
        # traceback after the drawing).
        sim = self.simulate("zerlaut2018_network.toml", "network.n_neurons=1000")
        stem = os.path.join(self.tmp.name, "z_t1")
        r = run(["-m", "cortexloop_client.plot", sim, "--out", stem])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.strip().endswith(f"-> {stem}.png"), r.stdout)
        self.assertTrue(os.path.exists(stem + ".png"))
        r = run(["-m", "cortexloop_client.plot", sim, "--out", os.path.join(self.tmp.name, "z.xyz")])
        self.assertEqual(r.returncode, 2, r.stderr)  # with the command line since 2026-12-07 (cli.figure_arg)
        self.assertNotIn("Traceback", r.stderr)
        self.assertIn("z.xyz: not a figure format matplotlib writes", r.stderr)

    def test_the_network_is_not_named_as_another_papers(self):
        # The Cakan & Obermayer network (EIF/AdEx cells, configs/cakan2020/network.toml) was labelled "spiking
        # network (AdEx RS-FS)", "excitatory (RS)", "inhibitory (FS)": Zerlaut's cells. summary.json does not say
        # which model ran (simulate writes no "model" key), so the labels name neither. Reference: the config's
        # own header. Break tried: plot.py as it was -> "spiking network (AdEx RS-FS)", "excitatory (RS)" in the
        # figure, and this fails.
        import matplotlib
        matplotlib.use("Agg")
        import numpy as np
        from cortexloop_client import plot
        sim = self.simulate(os.path.join("cakan2020", "network.toml"))
        d = plot.load(sim)
        self.assertNotIn("model", d["summary"])  # if simulate ever writes it, the labels may use it
        d["spikes"] = np.array([[10.0, 1], [20.0, 15000]], dtype=np.float32)  # a raster panel and its title too
        fig = plot.figure(d)
        texts = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
        self.assertIn("excitatory", texts)
        for word in ("RS", "FS", "AdEx"):
            self.assertFalse([t for t in texts if word in t], (word, texts))

    def test_a_population_without_cells_is_not_drawn(self):
        # A single cell (configs/naud2008/adaptation.toml: summary.json n_exc 1, n_inh 0) had its empty inhibitory
        # population drawn at 0 Hz, 0 pA and a mean V of 0 mV (an outside check, 2026-12-06). Reference: the
        # summary's counts. Break tried: plot.populations returning both populations always -> an inhibitory line
        # in each panel and in the legend: fails.
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from cortexloop_client import plot
        from cortexloop_client.style import EXC_COLOUR, INH_COLOUR
        d = plot.load(self.simulate(os.path.join("naud2008", "adaptation.toml")))
        self.assertEqual((d["summary"]["n_exc"], d["summary"]["n_inh"]), (1, 0))
        fig = plot.figure(d)
        panels = {ax.get_label(): ax for ax in fig.axes}
        for name in ("rates", "stim", "mean_v"):
            colours = [line.get_color() for line in panels[name].get_lines()]
            self.assertTrue(colours, name)
            self.assertNotIn(INH_COLOUR, colours, name)
            self.assertIn(EXC_COLOUR, colours, name)
        legend = panels["rates"].get_legend()
        self.assertEqual([t.get_text() for t in legend.get_texts()], ["excitatory"])
        plt.close(fig)


# Stands in for a server that fails at shutdown: runs the real `serve`, and on SIGTERM stops it and exits with
# $EXIT_CODE (the reference: the code this script chooses).
FAILING_SERVE = """#!/bin/sh
"$REAL_BIN" "$@" &
child=$!
trap 'kill -TERM $child; wait $child; exit $EXIT_CODE' TERM
wait $child
"""


class ServerExitCode(unittest.TestCase):
    def run_example(self, example, exit_code):
        with tempfile.TemporaryDirectory() as tmp:
            wrapper = os.path.join(tmp, "serve.sh")
            pathlib.Path(wrapper).write_text(FAILING_SERVE)
            os.chmod(wrapper, 0o755)
            return run([os.path.join(ROOT, "tools", "python", "examples", example + ".py"), "--bin", wrapper,
                        "--neurons", "1000", "--duration", "0.05"], REAL_BIN=BIN, EXIT_CODE=str(exit_code))

    def test_a_server_failing_at_shutdown_fails_the_example(self):
        for example in ("open_loop", "phase_locked", "pi_clamp", "responsive"):
            with self.subTest(example=example):
                ok = self.run_example(example, 0)  # the wrapper itself is harmless
                self.assertEqual(ok.returncode, 0, ok.stderr)
                r = self.run_example(example, 3)
                self.assertNotEqual(r.returncode, 0, r.stdout + r.stderr)
                self.assertNotIn("Traceback", r.stderr)
                self.assertIn("exited with code 3", r.stderr)


def loop_server(mode):
    from cortexloop_client import loop
    return loop.Server(os.path.join(ROOT, "configs", "zerlaut2018_network.toml"), mode=mode,
                       sets=["network.n_neurons=2000"], binary=BIN)


class LoopAgainstARunningServer(unittest.TestCase):
    # An outside check (2026-12-04) found an example's loop against a running server (`--connect`) leaving its DC on
    # after it ended, printing 1001 WrongMode refusals and exiting 0 when the modes differed, and the viewer waiting
    # forever (a --window of 0, no display). References: the brief's standards (a mistake is one line naming it,
    # nothing hangs without saying so) and docs/closed_loop.md (the loop's stimulation is its own). Break tried: the
    # loop's final ClearStimulation removed -> the readouts after it carry ~100 pA and the check fails; the WrongMode
    # check removed -> exit 0 with a refusal line per tick.
    def test_modes_and_what_a_loop_leaves_behind(self):
        from cortexloop_client import client, loop
        example = os.path.join(ROOT, "tools", "python", "examples", "pi_clamp.py")
        with loop.Server(os.path.join(ROOT, "configs", "zerlaut2018_network.toml"), mode="realtime",
                         sets=["network.n_neurons=2000"], binary=BIN) as server:
            connect = f"{server.commands},{server.pub}"
            r = run([example, "--connect", connect, "--duration", "0.5"])  # stepped loop, realtime server
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn("WrongMode", r.stderr)
            self.assertIn("pass --mode", r.stderr)
            self.assertNotIn("Traceback", r.stderr)
            r = run([example, "--connect", connect, "--mode", "realtime", "--duration", "1.2"])
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("stimulation", r.stdout)  # it did stimulate (its summary line: 1.0-1.2 s, the settled span)
            c = client.Client(server.commands, server.pub)
            self.assertTrue(c.sync(5.0))
            stims = []
            end = time.monotonic() + 0.3
            while time.monotonic() < end:
                m = c.receive(0.1)
                if m and m[1] == "readout":
                    stims.append(m[2]["exc"]["i_stim_pa"])
            c.close()
            self.assertGreater(len(stims), 50)
            self.assertEqual(max(abs(x) for x in stims), 0.0)

    def test_an_examples_own_network_size_wins_over_neurons(self):
        # The examples passed --neurons' network.n_neurons and then the user's own --set of it, counting on serve to
        # take the later; serve now refuses a key given twice (exit 2), so the example sends the user's alone.
        # Reference: add_server_arguments' help ("a --set of network.n_neurons wins over it"). Break tried: the
        # --neurons set always added -> serve exits 2 and so does the example.
        example = os.path.join(ROOT, "tools", "python", "examples", "pi_clamp.py")
        r = run([example, "--set", "network.n_neurons=1000", "--duration", "0.2", "--bin", BIN])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        start = next(line for line in r.stdout.splitlines() if line.startswith("starting cortexloop serve"))
        self.assertEqual(start.count("network.n_neurons="), 1, start)
        self.assertIn("--set network.n_neurons=1000", start)

    def test_a_realtime_loop_against_a_stepped_server_says_so(self):
        # The reverse mismatch: a stepped server left unstepped publishes only its status and info (every second),
        # and the loop waited for a readout forever, printing nothing (an outside check, 2026-12-05). Reference:
        # loop.py's promise, "no readout from the server for 5 s ... pass --mode stepped". Break seen to fail: the
        # readout clock removed (the wait timed by receive() alone) -> the example runs into this test's 60 s timeout.
        example = os.path.join(ROOT, "tools", "python", "examples", "pi_clamp.py")
        with loop_server("stepped") as server:
            start = time.monotonic()
            r = run([example, "--connect", f"{server.commands},{server.pub}", "--mode", "realtime"], timeout=60)
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn("no readout from the server for 5 s", r.stderr)
            self.assertIn("pass --mode stepped", r.stderr)
            self.assertLess(time.monotonic() - start, 30)

    def test_a_server_gone_mid_run_leaves_the_run_so_far(self):
        # A loop whose server stopped mid-run ended in one line and saved nothing of the run (an outside check,
        # 2026-12-04); --out rec.dat wrote rec.dat.npz; --png x.xyz was refused by matplotlib after the run.
        # Reference: the ticks the example printed as received before the server stopped. Break tried: run_loop
        # without partial_out's save -> no file, and the check fails. Its --png was not drawn either (a third outside
        # check, 2026-12-04); break tried: run_loop without partial_figure -> no PNG, the check fails.
        from cortexloop_client import loop
        example = os.path.join(ROOT, "tools", "python", "examples", "pi_clamp.py")
        with tempfile.TemporaryDirectory() as tmp:
            r = run([example, "--connect", "tcp://127.0.0.1:1,tcp://127.0.0.1:2", "--png", os.path.join(tmp, "f.xyz")])
            self.assertEqual(r.returncode, 2, r.stderr)  # a wrong command line, refused by the parser (2026-12 audit)
            self.assertIn("f.xyz: not a figure format matplotlib writes", r.stderr)
            out = os.path.join(tmp, "rec.dat")
            with loop.Server(os.path.join(ROOT, "configs", "zerlaut2018_network.toml"), mode="realtime",
                             sets=["network.n_neurons=2000"], binary=BIN) as server:
                env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=os.pathsep.join(
                    [os.path.join(ROOT, "tools", "python"), os.environ.get("PYTHONPATH", "")]))
                p = subprocess.Popen([sys.executable, example, "--connect", f"{server.commands},{server.pub}",
                                      "--mode", "realtime", "--duration", "60", "--out", out,
                                      "--png", os.path.join(tmp, "partial.png")],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
                self.assertIn("t = ", p.stdout.readline() + p.stdout.readline())  # the loop is running
                time.sleep(1.0)
                server.stop()
                stdout, stderr = p.communicate(timeout=60)
            self.assertEqual(p.returncode, 1, stderr)
            # The first call to fail ends it (a command the PI sends, or the wait for a readout), in one line.
            self.assertIn(f"ticks received are in {out}", stderr)
            self.assertTrue(stderr.strip().splitlines()[-1].startswith("pi_clamp: "), stderr)
            self.assertNotIn("Traceback", stderr)
            import numpy as np
            with np.load(out) as a:
                self.assertGreater(len(a["tick"]), 1000)  # >= 1.5 s of readouts at 1 kHz before the stop
                self.assertTrue(np.all(np.diff(a["tick"]) > 0))
            with open(os.path.join(tmp, "partial.png"), "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")

    def test_record_with_another_config_than_the_servers(self):
        # `record --config configs/closed_loop.toml` against a server of configs/default.toml wrote two electrodes and
        # three sensing sites the server does not have into summary.json, without a word (a third outside check,
        # 2026-12-04). Reference: the server's own config (Info.config_toml). Break tried: record without the
        # comparison -> the closed-loop geometry, no warning: this fails.
        import json
        from cortexloop_client import loop
        with tempfile.TemporaryDirectory() as tmp, loop.Server(os.path.join(ROOT, "configs", "default.toml"),
                                                               mode="realtime", sets=["network.n_neurons=1000"],
                                                               binary=BIN) as server:
            out = os.path.join(tmp, "rec")
            r = subprocess.run([BIN, "record", "--out", out, "--duration", "0.3", "--pub", server.pub, "--commands",
                                server.commands, "--config", os.path.join(ROOT, "configs", "closed_loop.toml"), "-q"],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("otherwise than the config the server runs", r.stderr)
            with open(os.path.join(out, "summary.json")) as f:
                geometry = json.load(f)["geometry"]
            self.assertEqual(geometry["electrodes"], [])
            self.assertEqual(geometry["sensing"], [])
            self.assertEqual(geometry["network"]["n_neurons"], 1000)
            # The server's own config but for its cell count places nothing otherwise: only the key is named (it also
            # said "places ... otherwise": an outside check, 2026-12-06). Reference: default.toml's positions, which
            # --set network.n_neurons does not move. Break seen to fail: the cell counts kept in placement_of.
            r = subprocess.run([BIN, "record", "--out", out + "2", "--duration", "0.3", "--pub", server.pub,
                                "--commands", server.commands, "--config", os.path.join(ROOT, "configs", "default.toml"),
                                "--set", "network.n_neurons=2000", "-q"], capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("differs at network.n_neurons", r.stderr)
            self.assertNotIn("otherwise than the config the server runs", r.stderr)
            with open(os.path.join(out + "2", "summary.json")) as f:
                self.assertEqual(json.load(f)["geometry"]["network"]["n_neurons"], 1000)
        # Nor a sensing channel's ADC range or an electrode's area (a review, 2026-12-06). Reference: closed_loop.toml's
        # positions, which these --set do not move. Break seen to fail: placement_of keeping every key but the step,
        # the tick and the cell counts.
        closed_loop = os.path.join(ROOT, "configs", "closed_loop.toml")
        with tempfile.TemporaryDirectory() as tmp, loop.Server(closed_loop, mode="realtime",
                                                               sets=["network.n_neurons=1000"], binary=BIN) as server:
            r = subprocess.run([BIN, "record", "--out", os.path.join(tmp, "rec"), "--duration", "0.3", "--pub",
                                server.pub, "--commands", server.commands, "--config", closed_loop, "--set",
                                "network.n_neurons=1000", "--set", "device.sensing[0].range_max=150", "--set",
                                "device.electrode[0].area_mm2=0.002", "-q"], capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("differs at device.electrode, device.sensing", r.stderr)
            self.assertNotIn("otherwise than the config the server runs", r.stderr)

    def test_record_with_a_bad_config_leaves_no_folder(self):
        # A config record cannot read is refused before --out is created (it left an empty folder: an outside check,
        # 2026-12-05). Reference: the folder named, which must not exist afterwards. Break seen to fail: the config
        # read after prepare_output_dir (as before) -> the folder exists.
        with tempfile.TemporaryDirectory() as tmp:
            bad = os.path.join(tmp, "bad.toml")
            pathlib.Path(bad).write_text("[network]\nbogus = 1\n")
            out = os.path.join(tmp, "rec")
            r = subprocess.run([BIN, "record", "--out", out, "--config", bad, "--pub", "tcp://127.0.0.1:1",
                                "--timeout", "1"], capture_output=True, text=True, timeout=60)
            self.assertNotEqual(r.returncode, 0, r.stderr)
            self.assertIn("config error", r.stderr)
            self.assertFalse(os.path.exists(out))

    def test_viewer_refuses_what_would_hang(self):
        viewer = tool(os.path.join(ROOT, "tools", "python", "cortexloop_client", "viewer.py"))
        r = run([*viewer, "--window", "0", "--seconds", "1", "--snapshot", "/tmp/x.png"])
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("--window: must be a finite number > 0, got 0", r.stderr)
        r = run([*viewer, "--pub", "tcp://127.0.0.1:1", "--commands", "tcp://127.0.0.1:2"], timeout=20)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("no display to open a window on", r.stderr)
        r = run([*viewer, "--pub", "foo", "--commands", "bar"], timeout=20)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("commands endpoint 'bar'", r.stderr)
        self.assertNotIn("Traceback", r.stderr)


class CommandLineMistakesExitTwo(unittest.TestCase):
    # A wrong command line is refused by the parser before anything starts: exit 2, a message naming the option
    # (an outside audit, 2026-12). References: the options' help ("comma-separated seeds (whole numbers in [0, 2^63 - 1])",
    # --stim-at "before --seconds", --png "a folder is refused"), argparse's exit 2. The binary given is missing, so
    # that a check done late (after starting a server) shows as exit 1 naming the binary, not as a long run.
    # Breaks tried: endpoint_pair without its ZeroMQ connect -> exit 1 for bogus://; --seeds type cli.int_list,
    # --neurons type int, --connect and --png without types, --stim-at type float without the --seconds check (the
    # fixes undone) -> exit 1 (a server started or the binary named), or 0 for --stim-at (the viewer ran with the
    # step never sent): fails.
    def test_each_is_refused_naming_the_option(self):
        example = os.path.join(ROOT, "tools", "python", "examples", "open_loop.py")
        viewer = tool(os.path.join(ROOT, "tools", "python", "cortexloop_client", "viewer.py"))
        cases = [
            (["-m", "cortexloop_client.experiments", os.path.join(ROOT, "configs", "stimulation", "dc_step.toml"),
              "--out", "/tmp/never", "--bin", MISSING + "/cortexloop", "--seeds=-1"],
             "argument --seeds: seeds must be whole numbers in [0, 2^63 - 1], got '-1'"),
            # serve's own range (simulation.seed), which it refused after the parse (a review, 2026-12-07).
            (["-m", "cortexloop_client.experiments", os.path.join(ROOT, "configs", "stimulation", "dc_step.toml"),
              "--out", "/tmp/never", "--bin", MISSING + "/cortexloop", "--seeds", "99999999999999999999"],
             "argument --seeds: seeds must be whole numbers in [0, 2^63 - 1]"),
            ([example, "--bin", MISSING + "/cortexloop", "--neurons", "-5"], "argument --neurons: must be > 0, got -5"),
            ([example, "--bin", MISSING + "/cortexloop", "--connect", "foo"],
             "argument --connect: 'foo': COMMANDS,PUB, two endpoints separated by a comma"),
            # What ZeroMQ itself refuses, found when connecting after the parse (exit 1; a review, 2026-12-07).
            ([example, "--bin", MISSING + "/cortexloop", "--connect", "bogus://x,tcp://127.0.0.1:5555"],
             "argument --connect: COMMANDS endpoint 'bogus://x': Protocol not supported"),
            ([example, "--bin", MISSING + "/cortexloop", "--png", "x.xyz"],
             "argument --png: x.xyz: not a figure format matplotlib writes"),
            ([example, "--bin", MISSING + "/cortexloop", "--png", "/tmp/"], "argument --png: /tmp/: is a folder"),
            ([*viewer, "--pub", "tcp://127.0.0.1:1", "--commands", "tcp://127.0.0.1:2", "--seconds", "1",
              "--snapshot", "/tmp/never.png", "--stim-at", "1"], "argument --stim-at: 1 s is not before --seconds 1"),
            ([*viewer, "--pub", "tcp://127.0.0.1:1", "--commands", "tcp://127.0.0.1:2", "--seconds", "1",
              "--snapshot", "/tmp/never.png", "--stim-at", "nan"], "argument --stim-at: must be a finite number"),
        ]
        for args, message in cases:
            with self.subTest(args=args[-2:]):
                r = run(args, timeout=30)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertIn(message, r.stderr)
                self.assertNotIn("Traceback", r.stderr)


if __name__ == "__main__":
    unittest.main()
