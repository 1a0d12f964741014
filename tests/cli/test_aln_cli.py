#!/usr/bin/env python3
"""The ALN mean field through the CLI. `cortexloop simulate` of an [aln] config: the usual files and shapes, the
stimulus trace equal to the config's [[stimulus]] (a DC step of 60 pA from 1 to 2 s, fig4_a1.toml), refusals.
`cortexloop sweep` end to end: a 3 x 3 grid through the mean-field points of interest of Cakan & Obermayer 2020
(A1 (1.2, 1.2) down, A2 (1.3, 0.5) LC_EI, A3 (2.05, 1.7) bistable: their Fig 2a), the arrays' shapes and layout
([ny, nx], x fastest), that the state of each point does not depend on the threads, the PNG of
tools/plot_aln_sweep.py, and a clear refusal of bad axes and keys.
Run by ctest as: /usr/bin/python3 tests/cli/test_aln_cli.py BUILD_DIR"""
import json
import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import numpy as np

from ctrl_c import stop_with_ctrl_c
from sweep_cli import BINARY, ROOT, check_plot, check_refusals, sweep

X = "aln.mu_ext_e_mV_per_ms=1.2,1.3,2.05"
Y = "aln.mu_ext_i_mV_per_ms=0.5,1.2,1.7"
DOWN, UP, BISTABLE, LC_EI, LC_AE = range(5)


class SweepContract(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.out = os.path.join(cls.tmp.name, "grid")
        r = sweep("--x", X, "--y", Y, "--out", cls.out, "--threads", "2", "--quiet")
        assert r.returncode == 0, r.stderr

    def test_points_of_interest_in_the_papers_states(self):
        # Reference: Cakan & Obermayer 2020 Fig 2a. state[j, i] is at (x[i], y[j]).
        state = np.load(os.path.join(self.out, "state.npy"))
        x = list(np.load(os.path.join(self.out, "x.npy")))
        y = list(np.load(os.path.join(self.out, "y.npy")))
        self.assertEqual(state.shape, (3, 3))
        at = lambda mx, my: int(state[y.index(np.float32(my)), x.index(np.float32(mx))])
        self.assertEqual(at(1.2, 1.2), DOWN)
        self.assertEqual(at(1.3, 0.5), LC_EI)
        self.assertEqual(at(2.05, 1.7), BISTABLE)

    def test_arrays_and_summary(self):
        meta = json.loads(Path(os.path.join(self.out, "sweep.json")).read_text())
        self.assertEqual(meta["points"], 9)
        self.assertEqual(meta["x"]["key"], "aln.mu_ext_e_mV_per_ms")
        for name in meta["arrays"]:
            self.assertTrue(os.path.exists(os.path.join(self.out, name)), name)
        self.assertEqual(sum(v["points"] for v in meta["states"].values()), 9)
        self.assertEqual(np.load(os.path.join(self.out, "diverged_steps.npy")).sum(), 0)

    def test_frequency_only_where_the_point_oscillates(self):
        # A down, up or bistable point has no rhythm: its Welch peak is noise or drift (engine/aln/aln_states.hpp,
        # reported_frequency_Hz), so the array holds NaN there and a finite frequency > 0.5 Hz (the paper's
        # threshold) at LC_EI / LC_aE. This grid has down, bistable and LC_EI points. Seen to fail: the sweep wrote
        # the down window's Welch peak at every point.
        state = np.load(os.path.join(self.out, "state.npy"))
        f = np.load(os.path.join(self.out, "dominant_frequency_Hz.npy"))
        oscillating = (state == LC_EI) | (state == LC_AE)
        self.assertTrue(oscillating.any() and (~oscillating).any())
        self.assertTrue(np.isnan(f[~oscillating]).all(), f)
        self.assertTrue((f[oscillating] > 0.5).all(), f)

    def test_one_thread_gives_the_same_states(self):
        out1 = os.path.join(self.tmp.name, "one")
        r = sweep("--x", X, "--y", Y, "--out", out1, "--threads", "1", "--quiet")
        self.assertEqual(r.returncode, 0, r.stderr)
        for name in ("state.npy", "max_rate_up_Hz.npy", "dominant_frequency_Hz.npy"):
            np.testing.assert_array_equal(np.load(os.path.join(self.out, name)), np.load(os.path.join(out1, name)))

    def test_plot(self):
        check_plot(self, self.out, "A")

    def test_one_point_on_one_thread_in_the_singular(self):
        # sweep said "1 points ... (1 x 1 threads)" (an outside check, 2026-12-06: "1 threads", "1 cells" in the
        # tools' messages). Reference: the counts given here. Break tried: the line's plurals as before -> fails.
        r = sweep("--x", "aln.mu_ext_e_mV_per_ms=1.2", "--y", "aln.mu_ext_i_mV_per_ms=1.2", "--duration", "3",
                  "--threads", "1", "--no-png", "--out", os.path.join(self.tmp.name, "single"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("sweep: 1 point of 3.0 s (aln) in ", r.stderr)
        self.assertIn(" CPU-s (1 x 1 thread) -> ", r.stderr)

    def test_sweep_draws_the_diagram_itself(self):
        # The issue: sweep "writes arrays and a PNG of the diagram with the paper's points of interest A1-A3, B1-B4
        # marked". A1-A3 without adaptation (this grid), B1-B4 with: the kind is in sweep.json, from the model.
        # Seen to fail: before sweep drew it, no state_diagram.png; with --points auto reading no "adaptation", the
        # B grid below marked nothing.
        self.assertGreater(os.path.getsize(os.path.join(self.out, "state_diagram.png")), 10000)
        self.assertIs(json.loads(Path(os.path.join(self.out, "sweep.json")).read_text())["adaptation"], False)
        out_b = os.path.join(self.tmp.name, "b")
        r = sweep("--x", "aln.mu_ext_e_mV_per_ms=1.52,4.0", "--y", "aln.mu_ext_i_mV_per_ms=0.84,2.0", "--set",
                  "aln.a_nS=15.0", "--set", "aln.b_pA=40.0", "--out", out_b)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIs(json.loads(Path(os.path.join(out_b, "sweep.json")).read_text())["adaptation"], True)
        self.assertIn("points marked: B1 B2 B3 B4", r.stdout)  # all four inside [1.52, 4] x [0.84, 2]
        self.assertGreater(os.path.getsize(os.path.join(out_b, "state_diagram.png")), 10000)
        r = sweep("--x", X, "--y", Y, "--out", os.path.join(self.tmp.name, "nopng"), "--quiet", "--no-png")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp.name, "nopng", "state_diagram.png")))

    def test_a_descending_axis(self):
        # Both axes given high to low (an outside check, 2026-12-04: --x KEY=3:0:31): plot_aln_sweep.py marked none of
        # A1-A3 (its check of a point against the image's extent assumed ascending axes). Reference: the ascending
        # grid of setUpClass, whose diagram must come out the same, pixel for pixel (same points, same title).
        # Break tried: plot_aln_sweep.py as it was (no sorting of the axes) -> "points marked: none": this fails.
        import matplotlib.image
        out = os.path.join(self.tmp.name, "descending")
        r = sweep("--x", "aln.mu_ext_e_mV_per_ms=2.05,1.3,1.2", "--y", "aln.mu_ext_i_mV_per_ms=1.7,1.2,0.5",
                  "--out", out)  # X and Y reversed
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("points marked: A1 A2 A3", r.stdout)
        np.testing.assert_array_equal(matplotlib.image.imread(os.path.join(out, "state_diagram.png")),
                                      matplotlib.image.imread(os.path.join(self.out, "state_diagram.png")))

    def test_ctrl_c_writes_the_points_done(self):
        # Ctrl-C (SIGINT) during a sweep: the points running finish, every array is written with NaN at the points
        # not run, sweep.json says how many (interrupted), exit code 130. Reference: conservation of the grid (points
        # run + not run = points; the NaN in state.npy are the points not run; the points run hold states 0-4).
        # Break tried: no stop_request (the default action) -> killed, no sweep.json: this test fails.
        out = os.path.join(self.tmp.name, "stopped")
        stop_with_ctrl_c(self, [BINARY, "sweep", "--x", "aln.mu_ext_e_mV_per_ms=0:4:81", "--y",
                                "aln.mu_ext_i_mV_per_ms=0:4:81", "--threads", "1", "--out", out, "--no-png"],
                         ROOT, settle_s=3)  # 6561 points, ~1 min in Release on one thread
        with open(os.path.join(out, "sweep.json")) as f:
            meta = json.load(f)
        state = np.load(os.path.join(out, "state.npy"))
        self.assertEqual(state.shape, (81, 81))
        self.assertTrue(meta["interrupted"])
        self.assertGreater(meta["points_not_run"], 0)
        self.assertEqual(int(np.isnan(state).sum()), meta["points_not_run"])
        self.assertEqual(sum(v["points"] for v in meta["states"].values()) + meta["points_not_run"], 81 * 81)
        ran = state[~np.isnan(state)]
        self.assertTrue(np.all((ran >= 0) & (ran <= 4)))
        for name in ("max_rate_up_Hz.npy", "mean_rate_down_Hz.npy", "diverged_steps.npy"):
            self.assertTrue(np.array_equal(np.isnan(np.load(os.path.join(out, name))), np.isnan(state)), name)

    def test_bad_input_is_named(self):
        out = os.path.join(self.tmp.name, "bad")
        check_refusals(self, out, [
            (("--x", "aln.mu_ext_e_mV_per_ms=0:3", "--y", Y), ["--x", "start:stop:n"]),
            (("--x", "aln.mu_ext_e_mV_per_ms=0:x:3", "--y", Y), ["'x' is not a number"]),
            # n values with both ends needs n >= 2: 0:3:1 was taken as [0], the stop dropped without a word (an
            # outside audit, 2026-12-07). Break tried: the old bound n >= 1 -> the sweep ran, exit 0, fails here.
            (("--x", X, "--y", "aln.mu_ext_i_mV_per_ms=0:3:1"),
             ["--y 'aln.mu_ext_i_mV_per_ms=0:3:1'", "n must be a whole number in [2, 100000]",
              "for one value give aln.mu_ext_i_mV_per_ms=VALUE"]),
            # named with the flag that gave the key, not as an override (it said "--set aln.mu_ext_e: ...")
            (("--x", "aln.mu_ext_e=0:3:3", "--y", Y), ["--x aln.mu_ext_e = 0:", "unknown key"]),
            (("--x", X, "--y", "aln.delay_e_ms=1,2.05"), ["--y aln.delay_e_ms = 2.05:", "whole number"]),
            (("--x", X, "--y", "aln.neuron.t_ref_ms=1,2"), ["[aln.neuron]"]),
            # aln. keys given to a network config make an [aln] node beside the network (configs/cakan2020/live_a1.toml
            # is one); two keys alone do not make a complete node: refused naming the first key it lacks.
            (("--config", "configs/cakan2020/authors_wiring.toml", "--x", X, "--y", Y),
             ["missing required key", "aln.sigma_ext_e_mV_per_sqrt_ms"]),
        ])


class AlnSimulate(unittest.TestCase):
    def test_files_and_the_stimulus_of_the_config(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "a1")
            r = subprocess.run([BINARY, "simulate", "--config", "configs/cakan2020/fig4_a1.toml", "--out", out, "-q"],
                               capture_output=True, text=True, cwd=ROOT, timeout=300)
            self.assertEqual(r.returncode, 0, r.stderr)
            s = json.loads(Path(os.path.join(out, "summary.json")).read_text())
            self.assertEqual(s["model"], "aln")
            self.assertEqual(s["ticks"], 3000)
            self.assertEqual(s["diverged"], 0)
            for name in ("rates.npy", "mean_v.npy", "mean_w.npy", "stim.npy"):
                a = np.load(os.path.join(out, name))
                self.assertEqual(a.shape, (3000, 2), name)
                self.assertEqual(a.dtype, np.float32, name)
                self.assertTrue(np.isfinite(a).all(), name)
            # Reference: the config's [[stimulus]], 60 pA onto E for 1000 <= t < 2000 ms, nothing onto I.
            stim = np.load(os.path.join(out, "stim.npy"))
            expected = np.zeros(3000)
            expected[1000:2000] = 60.0
            np.testing.assert_array_equal(stim[:, 0], expected)
            np.testing.assert_array_equal(stim[:, 1], 0.0)
            # The node has no mean V or adaptation of I (its table's V_mean is used for E only): those columns are
            # 0, and summary.json's arrays say so, as for aln_mean_v.npy beside a network (they read "exc, inh": a
            # review). Break tried: the node's descriptions not put in -> "[n, 2] mV: exc, inh", fails.
            for name in ("mean_v.npy", "mean_w.npy"):
                np.testing.assert_array_equal(np.load(os.path.join(out, name))[:, 1], 0.0)
                self.assertTrue(s["arrays"][name].startswith("[n, 2]") and s["arrays"][name].endswith(", 0"),
                                s["arrays"][name])
            self.assertIn("ALN node", s["arrays"]["rates.npy"])
            self.assertNotIn("per cell", s["arrays"]["stim.npy"])  # the node has no cells
            # The node alone writes no lfp.npy, and `simulate --help` says so: it listed lfp.npy among the files
            # always written (an outside audit, 2026-12-07). Break tried: the old help text -> the assertIn fails.
            self.assertFalse(os.path.exists(os.path.join(out, "lfp.npy")))
            self.assertNotIn("lfp.npy", s["files"])
            h = subprocess.run([BINARY, "simulate", "--help"], capture_output=True, text=True, cwd=ROOT)
            self.assertEqual(h.returncode, 0, h.stderr)
            help_text = " ".join(h.stdout.split())  # CLI11 wraps the option's text
            self.assertIn("and lfp.npy but for an [aln] node alone", help_text)
            self.assertIn("without [network], its rates, V and I_A in rates.npy, mean_v.npy, mean_w.npy, and no lfp.npy",
                          help_text)

    def test_the_table_a_run_used_is_named_and_an_altered_one_refused(self):
        # The cascade table's cache file is checked by its checksum, and summary.json names the table a run used (an
        # outside audit, 2026-12-07: every r_ss doubled ran at 22.33 / 29.75 Hz instead of 12.68 / 16.57, with no
        # note; 100 NaNs likewise; a truncated file was refused without the fix). References: the file's layout
        # (io/aln_cache/cascade_cache.hpp) and FNV-1a 64 computed here. Breaks seen to fail: the checksum
        # comparison in load_cascade_table removed -> the doubled table runs (exit 0), the NaNs are refused as not
        # finite instead; simulate's aln.cascade_table left out -> KeyError; aln-table --force reading the cached
        # file before removing it -> the fix named fails on the truncated file (exit 1).
        def fnv(data):
            h = 0xcbf29ce484222325
            for c in data:
                h = ((h ^ c) * 0x100000001b3) % 2 ** 64
            return h
        cached = subprocess.run([BINARY, "aln-table", "--quiet"], capture_output=True, text=True, cwd=ROOT)
        self.assertEqual(cached.returncode, 0, cached.stderr)
        source = dict(line.split("=", 1) for line in cached.stdout.splitlines())["cache_file"]
        good = Path(source).read_bytes()
        with tempfile.TemporaryDirectory() as tmp:
            table = Path(tmp, "cortexloop", "aln", os.path.basename(source))
            table.parent.mkdir(parents=True)
            env = dict(os.environ, XDG_CACHE_HOME=tmp)

            def simulate(data):
                if data is not None:
                    table.write_bytes(data)
                return subprocess.run([BINARY, "simulate", "--config", "configs/cakan2020/aln_a2.toml", "--duration",
                                       "0.5", "--out", os.path.join(tmp, "out"), "-q"], capture_output=True, text=True,
                                      cwd=ROOT, env=env, timeout=300)
            r = simulate(good)
            self.assertEqual(r.returncode, 0, r.stderr)
            used = json.loads(Path(tmp, "out", "summary.json").read_text())["aln"]["cascade_table"]
            self.assertEqual(used, {"file": str(table), "key": table.stem, "fnv1a": f"{fnv(good[40:]):016x}"})
            self.assertEqual(int.from_bytes(good[32:40], "little"), fnv(good[40:]))
            values = np.frombuffer(good[40:], dtype="<f8").copy()
            doubled = values.copy()
            doubled[:22400] *= 2  # every r_ss
            nan = values.copy()
            nan[1000:1100] = np.nan
            nan_resummed = good[:32] + fnv(nan.tobytes()).to_bytes(8, "little") + nan.tobytes()
            for name, data, what in (("r_ss doubled", good[:40] + doubled.tobytes(), "its values do not match its checksum"),
                                     ("100 NaNs", good[:40] + nan.tobytes(), "its values do not match its checksum"),
                                     ("100 NaNs, checksum updated", nan_resummed, "100 r_ss_Hz values are not finite"),
                                     ("truncated", good[:100000], "truncated")):
                with self.subTest(name):
                    r = simulate(data)
                    self.assertEqual(r.returncode, 1, r.stderr)
                    self.assertIn(f"{table}: {what}", r.stderr)
                    self.assertIn("delete this file", r.stderr)
                    self.assertIn(f"`cortexloop aln-table --force --cache-dir {table.parent}`", r.stderr)
            # The fix the message names: the table made again, the run as with the intact one. Not under ASan, where
            # making the whole table takes minutes of CPU (scripts/run_tests.sh); the Release suite runs it.
            if "ASAN_OPTIONS" in os.environ:
                return
            r = subprocess.run([BINARY, "aln-table", "--force", "--quiet", "--threads", "2",
                                "--cache-dir", str(table.parent)], capture_output=True, text=True, cwd=ROOT)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(table.read_bytes(), good)
            self.assertEqual(simulate(None).returncode, 0)

    def test_refusals_name_the_problem(self):
        with tempfile.TemporaryDirectory() as tmp:
            for args, words in [
                (("--record", "spikes"), ["no spikes"]),
                # [network] next to [aln] is a network of its own (configs/cakan2020/live_a1.toml): one key is not one
                (("--set", "network.n_neurons=3"), ["network.", "missing"]),
                (("--set", "aln.tau_se_ms=-1"), ["aln.tau_se_ms"]),
            ]:
                r = subprocess.run([BINARY, "simulate", "--config", "configs/cakan2020/aln.toml", "--out",
                                    os.path.join(tmp, "x"), *args], capture_output=True, text=True, cwd=ROOT)
                self.assertNotEqual(r.returncode, 0, args)
                for w in words:
                    self.assertIn(w, r.stderr, args)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]])
