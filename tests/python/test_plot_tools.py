"""The offline plotting tools on small folders made here with numpy: what an outside tester (2026-12) found them do
with ordinary mistakes and ordinary data. Reference: the folders and numbers made here; each test names the break
tried (the fix undone) and that the test then failed. Run by ctest with PYTHONPATH set (the build's python folder
and tools/python)."""
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import unittest

import numpy as np

from saved_figures import saved_figures  # this folder is the script's, first on sys.path

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLASTICITY = os.path.join(ROOT, "tools", "plot_plasticity.py")


def run(args, timeout=60):
    env = dict(os.environ, MPLBACKEND="Agg")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (os.path.join(ROOT, "tools", "python"),
                                                    env.get("PYTHONPATH", "")) if p)
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, timeout=timeout)


def plasticity_folder(folder, n_i=3, n_e=4, rules=("vdp", "clopath", "meissner_bernard")):
    """A folder as `cortexloop plasticity --out` writes it (tools/plasticity_command.cpp's shapes)."""
    f = pathlib.Path(folder)
    f.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    np.save(f / "e_rates_Hz.npy", np.linspace(1, 10, n_e).astype(np.float32))
    np.save(f / "i_rates_Hz.npy", np.linspace(1, 10, n_i).astype(np.float32))
    for name in ("rate_Hz.npy", "rate_sd_Hz.npy", "mean_v_mV.npy", "sd_v_mV.npy"):
        np.save(f / name, rng.uniform(0, 20, (n_i, n_e)).astype(np.float32))
    for name in ("weight_pct.npy", "weight_sd_pct.npy"):
        np.save(f / name, rng.uniform(80, 120, (n_i, n_e, 3, 2)).astype(np.float32))
    (f / "plasticity.json").write_text(json.dumps({"rules": list(rules), "runs": 2, "duration_ms": 1000.0}))
    return f


class PlotPlasticity(unittest.TestCase):
    """tools/plot_plasticity.py printed tracebacks for ordinary mistakes and had an empty --help description."""

    def assert_one_line(self, r, message, code=1):
        self.assertEqual(r.returncode, code, r.stderr)
        self.assertNotIn("Traceback", r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertIn(message, r.stderr)

    def test_a_png_into_a_new_folder(self):
        # Break tried: fig.savefig(out) without cli.with_folder -> FileNotFoundError traceback, exit 1: fails.
        with tempfile.TemporaryDirectory() as tmp:
            d = plasticity_folder(os.path.join(tmp, "run"))
            png = os.path.join(tmp, "new", "dir", "x.png")
            r = run([PLASTICITY, str(d), "--out", png, "--quiet"])
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertGreater(os.path.getsize(png), 1000)

    def test_mistakes_are_one_line(self):
        # Breaks tried: the tool's old main() (no cli.figure_file, np.load and rules.index unchecked, main() not under
        # cli.run) -> a ValueError traceback for each of x.xyz, the short rate_Hz.npy and the rules: each subtest
        # fails.
        with tempfile.TemporaryDirectory() as tmp:
            d = plasticity_folder(os.path.join(tmp, "run"))
            r = run([PLASTICITY, str(d), "--out", os.path.join(tmp, "x.xyz")])
            self.assertEqual(r.returncode, 2, r.stderr)  # with the command line (cli.figure_arg) since 2026-12-07
            self.assertNotIn("Traceback", r.stderr)
            self.assertIn("argument --out: " + os.path.join(tmp, "x.xyz") + ": not a figure format matplotlib writes",
                          r.stderr)
            for damage, message in (
                    (lambda: np.save(d / "rate_Hz.npy", np.zeros((2, 4))),
                     "rate_Hz.npy has shape (2, 4), but i_rates_Hz.npy (3 rates) and e_rates_Hz.npy (4) make it "
                     "(3, 4)"),
                    (lambda: (d / "plasticity.json").write_text('{"rules": ["vdp"]}'),
                     "plasticity.json: rules is ['vdp'], not the three rules this figure draws"),
                    (lambda: (d / "weight_pct.npy").unlink(), "weight_pct.npy: not found"),
                    (lambda: (d / "plasticity.json").write_text('{"runs": "two"}'), 'runs is "two", not a whole')):
                with self.subTest(message=message):
                    plasticity_folder(d)
                    damage()
                    self.assert_one_line(run([PLASTICITY, str(d), "--out", os.path.join(tmp, "p.png")]), message)
            r = run([PLASTICITY, os.path.join(tmp, "nowhere")])
            self.assert_one_line(r, "nowhere: no such folder")

    def test_an_interrupted_run_is_refused_unless_partial(self):
        # A run stopped after 4 of its 4 x 4 points (as `cortexloop plasticity` writes it: NaN in every array at the
        # points not run, plasticity.json "interrupted", points_not_run) was drawn under the usual title, exit 0, as
        # if complete, where the command draws no PNG of it (an outside audit, 2026-12-07). Reference: the 4 points
        # made here. Breaks tried: interruption() returning None (the script as before) -> exit 0 and a PNG without
        # --partial: fails; the title's "interrupted" part removed -> the --partial title check fails.
        with tempfile.TemporaryDirectory() as tmp:
            d = plasticity_folder(os.path.join(tmp, "run"), n_i=4, n_e=4)
            ran = np.zeros((4, 4), bool)
            ran[0, :] = True  # the first row of the grid ran
            for name in ("rate_Hz.npy", "rate_sd_Hz.npy", "mean_v_mV.npy", "sd_v_mV.npy", "weight_pct.npy",
                         "weight_sd_pct.npy"):
                a = np.load(d / name)
                a[~ran] = np.nan
                np.save(d / name, a)
            meta = json.loads((d / "plasticity.json").read_text())
            (d / "plasticity.json").write_text(json.dumps({**meta, "interrupted": True, "points_not_run": 12}))
            png = os.path.join(tmp, "p.png")
            self.assert_one_line(run([PLASTICITY, str(d), "--out", png]),
                                 "interrupted: 4 of 16 points run (plasticity.json \"interrupted\": true): not "
                                 "drawn")
            self.assertFalse(os.path.exists(png))
            fig = tool_figure("plot_plasticity.py", [str(d), "--out", png, "--partial", "--quiet"])
            self.assertIn("interrupted: 4 of 16 points run", fig._suptitle.get_text())
            self.assertGreater(os.path.getsize(png), 1000)
            from matplotlib.collections import PathCollection
            dots = [c for ax in fig.axes for c in ax.collections if isinstance(c, PathCollection)]
            self.assertEqual(len(dots), 8)  # the two statistics' panels and the six weights'
            for c in dots:  # the points not run are not drawn: the 4 that ran are the only dots
                self.assertEqual(np.isfinite(np.asarray(c.get_offsets())).all(axis=1).sum(), 4)

    def test_help_has_a_description(self):
        # Break tried: description=__doc__.split("\n")[1] as before (an empty line) -> the line after usage is the
        # options' heading: fails.
        r = run([PLASTICITY, "--help"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Draws the output of `cortexloop plasticity`", r.stdout.split("options:")[0])


class VsdiScale(unittest.TestCase):
    """ringmap.symmetric_limit, the VSDi map's colour scale (plot.py, plot_vsdi.py, the viewer)."""

    def test_a_long_response_is_not_clipped_an_artefact_is(self):
        # A 60 s run at 1 readout/ms, 20 units at rest (±1e-3 %), a 300 ms response peaking at 18.4 % in 4 units:
        # the scale is its peak. Break tried: the 99.9th percentile of every pixel as before -> a scale of 0.01 %
        # (the floor) and this fails. An artefact of two readouts at 100 % over a 5 % response: the scale is 5 %
        # (the note's arrows and "peak |x|" say the rest).
        from cortexloop_client import ringmap
        rng = np.random.default_rng(1)
        v = rng.uniform(-1e-3, 1e-3, (60000, 20))
        v[30000:30300, 8:12] = 18.4 * np.sin(np.linspace(0, np.pi, 300))[:, None]
        lim, peak = ringmap.symmetric_limit(v, ringmap.VSDI_FLOOR_PERCENT)
        self.assertAlmostEqual(peak, 18.4, places=3)
        self.assertEqual(lim, peak)
        v[30000:30300, 8:12] *= 5.0 / 18.4
        v[40000:40002, 3] = 100.0
        lim, peak = ringmap.symmetric_limit(v, ringmap.VSDI_FLOOR_PERCENT)
        self.assertEqual(peak, 100.0)
        self.assertAlmostEqual(lim, 5.0, places=2)


class RateScale(unittest.TestCase):
    def test_a_ring_at_rest_is_not_drawn_as_structure(self):
        # plot_vsdi.py's rate map took the data's own range: a resting ring's units, equal but for float rounding
        # (1.87433 Hz +- 1e-6), were drawn across the whole colour map (an outside check, 2026-12-06). Reference:
        # RATE_FLOOR_HZ, the smallest range drawn, against the rounding made here. Break seen to fail: range_limits
        # without its floor -> a 2e-6 Hz range.
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from cortexloop_client import ringmap
        rest = 1.87433 + np.random.default_rng(2).uniform(-1e-6, 1e-6, (200, 10))
        lo, hi = ringmap.range_limits(rest, ringmap.RATE_FLOOR_HZ)
        self.assertAlmostEqual(hi - lo, ringmap.RATE_FLOOR_HZ, places=12)
        self.assertAlmostEqual((lo + hi) / 2, 1.87433, places=5)
        active = rest.copy()
        active[100, 3] = 90.6
        self.assertEqual(ringmap.range_limits(active, ringmap.RATE_FLOOR_HZ), (float(rest.min()), 90.6))
        self.assertEqual(ringmap.range_limits(np.zeros((5, 3)), ringmap.RATE_FLOOR_HZ), (0.0, ringmap.RATE_FLOOR_HZ))
        fig, ax = plt.subplots()
        x = np.arange(1, 201, dtype=float)
        mesh = ringmap.draw(ax, rest, x, x - 1, 36.0, "magma", (lo, hi))
        self.assertEqual(mesh.get_clim(), (lo, hi))
        plt.close(fig)


class AdcClipNote(unittest.TestCase):
    """plot.py's note on a sensing panel whose ADC clipped: a closed_loop recording with the ring at rest was noted
    "ADC clipped at -0.000762951 % (sensing range)" (its ADC's rounding of ~0, pinned at one value). Reference: the
    sensing range of configs/closed_loop.toml's ring_vsdi channel ([-50, 50] %), written here as record's
    session.toml, and signals made here."""

    def figure_texts(self, folder):
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from cortexloop_client import plot
        fig = plot.figure(plot.load(folder))
        texts = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
        plt.close(fig)
        return [t for t in texts if "clipped" in t]

    def test_a_ring_at_rest_is_not_a_clip_and_a_clip_is(self):
        # Breaks tried: figure() with its old check (0.01 * max(|top|, 1e-12)) -> the false note at rest, with or
        # without session.toml: the first two checks fail; the range from session.toml not read (sensing_ranges
        # returning []) -> the note of the clip at 50 % is the heuristic's, not the range's: the last check fails.
        with tempfile.TemporaryDirectory() as tmp:
            n = 200
            rng = np.random.default_rng(2)
            true = rng.normal(0, 2e-4, n)
            step = 100.0 / 2 ** 16  # a 16-bit ADC over [-50, 50] %
            adc = np.round((true + 50) / step) * step - 50
            for name, value in (("rates", np.ones((n, 2))), ("stim", np.zeros((n, 2))), ("lfp", np.ones(n)),
                                ("mean_v", np.full((n, 2), -60.0))):
                np.save(os.path.join(tmp, name + ".npy"), value.astype(np.float32))
            sensing = np.zeros((n, 1, 6), np.float32)
            sensing[:, 0, 0], sensing[:, 0, 1], sensing[:, 0, 2] = true, adc, adc
            np.save(os.path.join(tmp, "device_sensing.npy"), sensing)
            summary = {"n_exc": 800, "n_inh": 200, "n_neurons": 1000,
                       "geometry": {"sensing": [{"signal": "ring_vsdi", "position_mm": 9.0}]}}
            pathlib.Path(tmp, "summary.json").write_text(json.dumps(summary))
            self.assertEqual(self.figure_texts(tmp), [])  # no session.toml: the range unknown
            pathlib.Path(tmp, "session.toml").write_text(
                '[[device.sensing]]\nsignal = "ring_vsdi"\nrange_min = -50.0\nrange_max = 50.0\n')
            self.assertEqual(self.figure_texts(tmp), [])
            sensing[:, 0, 0] = np.linspace(0, 80, n)
            sensing[:, 0, 1] = np.minimum(sensing[:, 0, 0], 50.0)
            np.save(os.path.join(tmp, "device_sensing.npy"), sensing)
            texts = self.figure_texts(tmp)
            self.assertEqual(len(texts), 1, texts)
            self.assertIn("outside the sensing range [-50, 50] %", texts[0])
            # record now writes each channel's range into the geometry, the device's defaults included (a config
            # that left them out had its range unknown here): the geometry's range wins over session.toml's. Break
            # tried: sensing_ranges reading session.toml alone -> "[-50, 50]" in the note.
            summary["geometry"]["sensing"][0].update(range_min=-40.0, range_max=40.0)
            pathlib.Path(tmp, "summary.json").write_text(json.dumps(summary))
            texts = self.figure_texts(tmp)
            self.assertEqual(len(texts), 1, texts)
            self.assertIn("outside the sensing range [-40, 40] %", texts[0])



def sweep_folder(folder, x, y, max_up, overrides=(), model="network"):
    """A folder as `cortexloop sweep --out` writes it (sweep.json, x.npy [nx], y.npy [ny], the grids [ny, nx])."""
    f = pathlib.Path(folder)
    f.mkdir(parents=True, exist_ok=True)
    (f / "sweep.json").write_text(json.dumps({
        "model": model, "adaptation": False, "duration_s": 6.0, "overrides": list(overrides),
        "x": {"key": "network.input.mu_exc_mV_per_ms"}, "y": {"key": "network.input.mu_inh_mV_per_ms"}}))
    np.save(f / "x.npy", np.asarray(x, np.float32))
    np.save(f / "y.npy", np.asarray(y, np.float32))
    np.save(f / "max_rate_up_Hz.npy", np.asarray(max_up, np.float32))
    np.save(f / "state.npy", np.zeros((len(y), len(x)), np.float32))
    np.save(f / "dominant_frequency_Hz.npy", np.full((len(y), len(x)), np.nan, np.float32))
    return f


def tool_figure(script, args):
    """tools/`script` run with `args` in this process; the figure it saves, kept open for the checks."""
    import runpy
    argv = sys.argv
    sys.argv = [script, *args]
    try:
        with saved_figures() as kept, self_exit_ok():
            runpy.run_path(os.path.join(ROOT, "tools", script), run_name="__main__")
    finally:
        sys.argv = argv
    return kept[0]


def sweep_figure(folder):
    """tools/plot_aln_sweep.py run on `folder` in this process; the figure it saves, kept open for the checks."""
    return tool_figure("plot_aln_sweep.py", [str(folder), "--out", os.path.join(folder, "d.png"), "--quiet"])


class self_exit_ok:
    """The script ends in sys.exit(main()): exit 0 is success here."""

    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        if kind is SystemExit and value.code in (0, None):
            return True
        return False


class SweepDiagram(unittest.TestCase):
    """tools/plot_aln_sweep.py's state diagram (an outside check, 2026-12-06). Reference: the sweep folders made here."""

    def test_rates_above_the_scale_are_said_on_the_colour_bar(self):
        # The left panel's scale stops at 80 Hz (the paper's); a network sweep had 9.5 % of its points above, up to
        # 194 Hz, drawn in the top colour with nothing said. Break tried: the colour bar without extend and the label
        # as before ("maximum E rate [Hz]") -> both checks fail.
        with tempfile.TemporaryDirectory() as tmp:
            up = np.full((4, 5), 20.0)
            up[0, :2] = [100.0, 194.0]
            fig = sweep_figure(sweep_folder(tmp, np.linspace(0, 3, 5), np.linspace(0, 3, 4), up))
            bar = fig.axes[0].collections[0].colorbar
            self.assertEqual(bar.extend, "max")
            label = bar.ax.get_ylabel()
            self.assertIn("above 80 Hz clipped", label)
            self.assertIn("10 % of the points, up to 194 Hz", label)
            # Just above the scale: the maximum to 3 digits ("up to 80 Hz" over an 80 Hz scale read as a contradiction;
            # break tried: the format :.0f -> "up to 80 Hz": fails).
            up[0, :2] = [50.0, 80.3]
            fig = sweep_figure(sweep_folder(tmp, np.linspace(0, 3, 5), np.linspace(0, 3, 4), up))
            self.assertIn("up to 80.3 Hz", fig.axes[0].collections[0].colorbar.ax.get_ylabel())
            # and as many digits as it takes (80.04 to 3 digits is "80": a review; break tried: .3g -> fails)
            up[0, :2] = [50.0, 80.04]
            fig = sweep_figure(sweep_folder(tmp, np.linspace(0, 3, 5), np.linspace(0, 3, 4), up))
            self.assertIn("up to 80.04 Hz", fig.axes[0].collections[0].colorbar.ax.get_ylabel())
            up[0, :2] = 50.0  # nothing above: no arrow, no note
            fig = sweep_figure(sweep_folder(tmp, np.linspace(0, 3, 5), np.linspace(0, 3, 4), up))
            bar = fig.axes[0].collections[0].colorbar
            self.assertEqual(bar.extend, "neither")
            self.assertEqual(bar.ax.get_ylabel(), "maximum E rate [Hz]")

    def test_a_single_value_is_ticked_alone(self):
        # A sweep of one row (y = 0.5 mV/ms) was drawn over a made-up 0-1 range with ticks 0, 0.2, ..., 1, as if y
        # had been swept. Break tried: the single value given +-0.5 and no ticks of its own as before -> the y limits
        # are (0, 1) and the ticks six: fails.
        with tempfile.TemporaryDirectory() as tmp:
            fig = sweep_figure(sweep_folder(tmp, np.linspace(0, 3, 11), [0.5], np.full((1, 11), 5.0)))
            panels = [a for a in fig.axes if a.get_ylabel().startswith("mu_inh")]  # not the colour bars
            self.assertEqual(len(panels), 3)
            for ax in panels:
                np.testing.assert_allclose(ax.get_yticks(), [0.5])
                low, high = ax.get_ylim()
                self.assertLess(high - low, 0.2)
                self.assertLess(low, 0.5)
                self.assertGreater(high, 0.5)
            fig = sweep_figure(sweep_folder(tmp, [1.2], [0.0], np.full((1, 1), 5.0)))  # one point (0 included)
            ax = fig.axes[0]
            np.testing.assert_allclose(ax.get_xticks(), [1.2], rtol=1e-6)
            np.testing.assert_allclose(ax.get_yticks(), [0.0])
            self.assertIn("1 x 1 point,", fig._suptitle.get_text())

    def test_cells_lie_at_their_true_values_on_an_uneven_axis(self):
        # `--x KEY=1.1,1.6,2.0 --y KEY=0.3,0.6,1.2` (a documented form) was drawn as an image stretched evenly over
        # the axis, so the y = 0.6 row covered 0.55-0.95 (centred at 0.75) while the outlines were drawn at the true
        # values (an outside audit, 2026-12-07). Reference: the grid's own values: each cell's edges lie halfway
        # between neighbouring values, and half the neighbouring step beyond the ends. Break tried: the panels drawn
        # with imshow over the even extent as before -> no cell mesh in the panels: fails.
        with tempfile.TemporaryDirectory() as tmp:
            x, y = [1.1, 1.6, 2.0], [0.3, 0.6, 1.2]
            up = np.arange(9, dtype=float).reshape(3, 3) * 10.0
            fig = sweep_figure(sweep_folder(tmp, x, y, up))
            panels = [a for a in fig.axes if a.get_ylabel().startswith("mu_inh")]
            self.assertEqual(len(panels), 3)
            x_edges, y_edges = [0.85, 1.35, 1.8, 2.2], [0.15, 0.45, 0.9, 1.5]
            for ax in panels:
                self.assertEqual(len(ax.images), 0)
                mesh = ax.collections[0]
                corners = mesh.get_coordinates()  # [ny + 1, nx + 1, 2]
                np.testing.assert_allclose(corners[0, :, 0], x_edges, atol=1e-6)
                np.testing.assert_allclose(corners[:, 0, 1], y_edges, atol=1e-6)
                np.testing.assert_allclose(ax.get_xlim(), [0.85, 2.2], atol=1e-6)
                np.testing.assert_allclose(ax.get_ylim(), [0.15, 1.5], atol=1e-6)
            # the left panel's cells carry the points' values, row by row (y) and column by column (x)
            np.testing.assert_allclose(np.ma.getdata(fig.axes[0].collections[0].get_array()).reshape(3, 3), up)

    def test_the_overrides_are_set_apart_in_the_title(self):
        # "..., 6 s each network.n_neurons=4000" read as one phrase. Break tried: the title as before -> fails.
        with tempfile.TemporaryDirectory() as tmp:
            fig = sweep_figure(sweep_folder(tmp, np.linspace(0, 3, 3), np.linspace(0, 3, 3), np.zeros((3, 3)),
                                            overrides=["network.n_neurons=4000", "simulation.seed=2"]))
            self.assertEqual(fig._suptitle.get_text(), "Network state diagram, no adaptation, 3 x 3 points, 6 s "
                             "each; with network.n_neurons=4000, simulation.seed=2")


def plot_command_colour():
    from cortexloop_client import plot
    return plot.COMMAND_LINE["color"]


def recording_folder(folder, n=200):
    """A folder as `cortexloop record` writes it: a network, one sensing channel, a command that changed the
    stimulation at tick 50 (acks.jsonl) and two safety events (safety.jsonl)."""
    f = pathlib.Path(folder)
    stim = np.zeros((n, 2))
    stim[50:, 0] = 40.0
    for name, value in (("rates", np.ones((n, 2))), ("stim", stim), ("lfp", np.ones(n)),
                        ("mean_v", np.full((n, 2), -60.0)),
                        ("ticks", np.column_stack([np.zeros(n), np.arange(n), np.arange(1, n + 1)]))):
        np.save(f / (name + ".npy"), value.astype(np.float64 if name == "ticks" else np.float32))
    sensing = np.zeros((n, 1, 6), np.float32)
    sensing[:, 0, :3] = np.linspace(0, 5, n)[:, None]  # true signal, ADC and filtered alike: one line at a glance
    np.save(f / "device_sensing.npy", sensing)
    (f / "summary.json").write_text(json.dumps({"n_exc": 800, "n_inh": 200, "n_neurons": 1000, "geometry": {
        "sensing": [{"signal": "rate_exc", "position_mm": 0.0}]}}))
    (f / "acks.jsonl").write_text('{"accepted": true, "tick_applied": 50, "epoch": 0}\n')
    (f / "safety.jsonl").write_text('{"step": 1200, "limit": "model_domain", "epoch": 0}\n'
                                    '{"step": 1500, "limit": "charge_per_phase", "epoch": 0}\n')
    return f


class SessionFigureLines(unittest.TestCase):
    """plot.py's session figure (an outside check, 2026-12-06). Reference: the recording made here."""

    def figure(self, folder):
        import matplotlib
        matplotlib.use("Agg")
        from cortexloop_client import plot
        return plot.figure(plot.load(folder))

    def test_the_three_sensing_lines_stay_visible(self):
        # A channel whose true signal, ADC sample and filtered value coincide showed the orange "filtered" line alone:
        # it was drawn last and wider than the ADC's. Each line is now narrower than every line under it, so an edge
        # of each shows. Break tried: the old order and widths (true 1.6, ADC 0.7, filtered 1.0 on top) -> fails.
        with tempfile.TemporaryDirectory() as tmp:
            fig = self.figure(recording_folder(tmp))
            ax = next(a for a in fig.axes if a.get_label() == "sensing0")
            lines = [line for line in ax.get_lines() if line.get_label() in ("true signal", "ADC (raw)", "filtered")]
            self.assertEqual(sorted(line.get_label() for line in lines), ["ADC (raw)", "filtered", "true signal"])
            widths = [line.get_linewidth() for line in lines]  # in the order drawn (equal zorder: later on top)
            self.assertEqual(widths, sorted(widths, reverse=True))
            self.assertEqual(len(set(widths)), 3)

    def test_the_lines_across_the_panels_are_in_a_legend(self):
        # The grey dashes (a command that changed the stimulation) and the red and orange lines (safety events) were
        # in no legend. Break tried: figure() without its legend of session_marks' handles -> fig.legends is empty.
        with tempfile.TemporaryDirectory() as tmp:
            fig = self.figure(recording_folder(tmp))
            self.assertEqual(len(fig.legends), 1)
            texts = [t.get_text() for t in fig.legends[0].get_texts()]
            self.assertEqual(texts, ["command that changed the stimulation",
                                     "safety event: the mean field's domain (model_domain)",
                                     "safety event: a device limit"])

    def test_a_command_whose_current_starts_on_the_next_tick_is_marked(self):
        # An on-device controller's current starts on the step after its command (docs/device.md, "Timing"): in the
        # tutorial's recording the clamp's ack said tick 7700 and channel 0 read 0 there, 15.6 pA at 7701, and its
        # start had no grey line (an outside audit, 2026-12-06). Reference: the recording made here, the current one
        # tick after the ack's tick; a command after which nothing changes draws no line. Break tried: the tick
        # after not compared (as before) -> no line.
        with tempfile.TemporaryDirectory() as tmp:
            f = recording_folder(tmp)
            stim = np.zeros((200, 2), np.float32)
            stim[51:, 0] = 15.6
            np.save(f / "stim.npy", stim)
            (f / "acks.jsonl").write_text('{"accepted": true, "tick_applied": 50, "epoch": 0}\n'
                                          '{"accepted": true, "tick_applied": 120, "epoch": 0}\n')
            fig = self.figure(f)
            ax = fig.axes[0]
            grey = [line.get_xdata()[0] for line in ax.get_lines()
                    if line.get_linestyle() == "--" and line.get_color() == plot_command_colour()]
            t = np.load(f / "ticks.npy")[:, 2] / 1000.0  # the tick's end, s (as the panels' time axis)
            self.assertEqual(len(grey), 1)
            self.assertAlmostEqual(grey[0], t[50], places=6)

    def grey_lines(self, fig):
        return [line.get_xdata()[0] for line in fig.axes[0].get_lines()
                if line.get_linestyle() == "--" and line.get_color() == plot_command_colour()]

    def pulse_train_folder(self, tmp):
        """recording_folder with no stimulation but a balanced train at a direct site (channel 0, site_kind 0) from
        tick 50: as device_channels.npy has `stim pulses --biphasic --population inh` (docs/device.md: tick mean 0,
        peak_current the largest step mean; /tmp/auditC/rec2: mean 0, peak 300 pA every 10th tick)."""
        f = recording_folder(tmp)
        np.save(f / "stim.npy", np.zeros((200, 2), np.float32))
        channels = np.zeros((200, 8, 3), np.float32)
        channels[50::10, 0, 1] = 300.0
        state = np.zeros((200, 8, 2), np.float32)
        state[50:, 0, 0] = 1.0  # active from the command's tick, site_kind 0 (population)
        np.save(f / "device_channels.npy", channels)
        np.save(f / "device_channel_state.npy", state)
        return f

    def test_a_pulse_train_at_a_direct_site_is_drawn(self):
        # Reference: docs/device.md's device_channels.npy (peak_current) and plot's docstring (a bar down to -peak
        # |I| where a tick's peak passes twice its mean). The protocol.md example `stim pulses --biphasic
        # --population inh` left no trace: peak bars were drawn for electrode sites only (an outside audit).
        # Break tried: the bars drawn only `if electrode` (as before) -> no bar in delivered_pA: fails.
        with tempfile.TemporaryDirectory() as tmp:
            fig = self.figure(self.pulse_train_folder(tmp))
            ax = next(a for a in fig.axes if a.get_label() == "delivered_pA")
            bars = [seg for c in ax.collections for seg in c.get_segments()]
            self.assertEqual(len(bars), 15, "one bar per pulse (ticks 50, 60, ..., 190) in the direct panel")
            self.assertEqual({float(seg[1][1]) for seg in bars}, {-300.0}, "bars not down to -peak")

    def test_a_pulse_train_command_is_marked(self):
        # Reference: plot's docstring (grey dashes are the commands that changed the stimulation): the train's
        # channel switches on at the command's tick though its tick mean stays 0. Break tried: the channel's active
        # flag not compared (as before) -> no grey line: fails.
        with tempfile.TemporaryDirectory() as tmp:
            f = self.pulse_train_folder(tmp)
            grey = self.grey_lines(self.figure(f))
            t = np.load(f / "ticks.npy")[:, 2] / 1000.0
            self.assertEqual(len(grey), 1, "the train's command has no grey line")
            self.assertAlmostEqual(grey[0], t[50], places=6)

    def test_a_command_between_decimated_readouts_is_marked(self):
        # stream.readout_every 10: readouts at ticks 0, 10, ..., a 150 pA step applied at tick 505 shows from the
        # readout of tick 510 on; its tick was no readout and it had no grey line (an outside audit, /tmp/auditC/rec2).
        # Reference: the readouts that bracket the command's tick (500 and 510) differ; around tick 1205 nothing
        # changes (no line). The line is at the command's tick's end, 506 ms. Break tried: the old rule (the command's
        # tick must be a readout) -> no line: fails.
        with tempfile.TemporaryDirectory() as tmp:
            f = recording_folder(tmp)
            n = 200
            np.save(f / "ticks.npy", np.column_stack([np.zeros(n), 10 * np.arange(n), 10 * np.arange(n) + 1]))
            stim = np.zeros((n, 2), np.float32)
            stim[51:, 0] = 150.0
            np.save(f / "stim.npy", stim)
            (f / "acks.jsonl").write_text('{"accepted": true, "tick_applied": 505, "epoch": 0}\n'
                                          '{"accepted": true, "tick_applied": 1205, "epoch": 0}\n')
            grey = self.grey_lines(self.figure(f))
            self.assertEqual(len(grey), 1, f"grey lines at {grey} s; expected one, at the step's command")
            self.assertAlmostEqual(grey[0], 0.506, places=6)

    def test_an_examples_marks_are_in_its_legend(self):
        # loop.figure's red lines (the examples' pulses, bursts, programs) were in no legend. Break tried: the lines
        # drawn without a label -> the controller panel has no legend: fails.
        import matplotlib
        matplotlib.use("Agg")
        from cortexloop_client import loop
        rec = loop.Recording()
        rec.rows = [(k, k + 1.0, 1.0, 1.0, 2.0, 0.0, 0.0, 0.5) for k in range(100)]
        with saved_figures() as kept, tempfile.TemporaryDirectory() as tmp:
            loop.figure(rec, os.path.join(tmp, "f.png"), "t", marks=np.array([0.02, 0.05]), marks_label="pulse applied")
        legend = kept[0].axes[1].get_legend()
        self.assertIsNotNone(legend)
        self.assertEqual([t.get_text() for t in legend.get_texts()], ["pulse applied (2)"])
        # Every legend above its panel: inside, at the upper right, they covered pi_clamp.py's traces from 3.6 to 4 s
        # of a 4 s run (an outside check, 2026-12-06). Break seen: loc="upper right" as before -> inside the panel.
        kept[0].canvas.draw()
        for ax in kept[0].axes:
            if ax.get_legend() is not None:
                self.assertGreaterEqual(ax.get_legend().get_window_extent().y0, ax.get_window_extent().y1 - 1.0)


class MissingDataExitsOne(unittest.TestCase):
    """plot_vsdi.py exited 2 on a missing folder or summary.json where the other tools exit 1 for missing data
    (cli.run's rule; 2 is a command line argparse refuses). Break tried: plot_vsdi's old `return 2` and no folder
    check -> exit 2 for both: fails."""

    def test_plot_vsdi(self):
        with tempfile.TemporaryDirectory() as tmp:
            np.save(os.path.join(tmp, "vsdi.npy"), np.zeros((10, 4), np.float32))
            np.save(os.path.join(tmp, "ring_rates_exc.npy"), np.zeros((10, 4), np.float32))
            for folder, message in ((os.path.join(tmp, "nowhere"), "nowhere: no such folder"),
                                    (tmp, "summary.json: not found")):
                with self.subTest(message=message):
                    r = run([os.path.join(ROOT, "tools", "plot_vsdi.py"), folder])
                    self.assertEqual(r.returncode, 1, r.stderr)
                    self.assertNotIn("Traceback", r.stderr)
                    self.assertIn(message, r.stderr)
                    self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)


PLOT = ["-m", "cortexloop_client.plot"]


class PlotFolderMistakes(unittest.TestCase):
    """plot.py on recordings missing a file, and --out naming a folder (an outside audit, 2026-12). Reference: plot's
    docstring ("Panels, each when its data exists"), cli.run's rule (missing data: one line naming it, exit 1) and
    --out's help ("a folder is refused")."""

    def assert_one_line(self, r, message):
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertNotIn("Traceback", r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertIn(message, r.stderr)

    def test_a_missing_network_file_leaves_its_panel_out(self):
        # Break tried: plot.figure's panels as before (stim, lfp, mean_v always) -> KeyError 'stim' / 'lfp' /
        # 'mean_v' traceback, exit 1: fails.
        for name in ("stim", "lfp", "mean_v"):
            with self.subTest(missing=name), tempfile.TemporaryDirectory() as tmp:
                f = recording_folder(tmp)
                (f / (name + ".npy")).unlink()
                r = run([*PLOT, str(f), "--out", str(f / "s.png")])
                self.assertEqual(r.returncode, 0, r.stderr)
                import matplotlib
                matplotlib.use("Agg")
                from cortexloop_client import plot
                labels = [ax.get_label() for ax in plot.figure(plot.load(str(f))).axes]
                self.assertNotIn(name, labels)
                self.assertIn("rates", labels)

    def test_a_device_value_file_missing_beside_its_state_is_named(self):
        # Break tried: load() without the pair check -> KeyError 'device_channels' traceback: fails.
        n = 200
        for values, state, shape in (("device_channels", "device_channel_state", (n, 8, 3)),
                                     ("device_controllers", "device_controller_state", (n, 4, 3))):
            with self.subTest(missing=values), tempfile.TemporaryDirectory() as tmp:
                f = recording_folder(tmp, n)
                active = np.zeros(shape, np.float32)
                active[:, 0, :2] = 1.0  # channel / slot 0 active (its kind 1), so that its panel is drawn
                np.save(f / (state + ".npy"), active)
                self.assert_one_line(run([*PLOT, str(f), "--out", str(f / "s.png")]), f"no {values}.npy")

    def test_a_recording_without_ticks_is_refused(self):
        # A recording's readouts are placed by ticks.npy; without it they were drawn as simulate's, one a tick from
        # 1 ms, unsaid. Break tried: load() without the check -> exit 0 and a figure: fails.
        for marker in ("session.json", "acks.jsonl", "commands.jsonl"):
            with self.subTest(marker=marker), tempfile.TemporaryDirectory() as tmp:
                f = recording_folder(tmp)
                (f / "acks.jsonl").unlink()
                (f / marker).write_text("{}\n" if marker != "acks.jsonl" else
                                        '{"accepted": true, "tick_applied": 50, "epoch": 0}\n')
                (f / "ticks.npy").unlink()
                self.assert_one_line(run([*PLOT, str(f), "--out", str(f / "s.png")]), "without ticks.npy")
                self.assertFalse((f / "s.png").exists())
        # plot_vsdi.py too (a review, 2026-12-07: it drew such a ring recording as simulate's). Break tried: its
        # check_recording_has_ticks call removed -> exit 0 and a figure: fails.
        with tempfile.TemporaryDirectory() as tmp:
            f = recording_folder(tmp)
            for name in ("vsdi", "ring_rates_exc"):
                np.save(f / (name + ".npy"), np.zeros((200, 4), np.float32))
            (f / "ticks.npy").unlink()
            self.assert_one_line(run([os.path.join(ROOT, "tools", "plot_vsdi.py"), str(f), "--out", str(f / "v.png")]),
                                 "without ticks.npy")
            self.assertFalse((f / "v.png").exists())

    def test_out_naming_a_folder_is_refused(self):
        # `--out DIR/` wrote DIR/.png.png, `--out DIR` (a folder) DIR.png beside it. Refused with the command line
        # (exit 2, argparse naming the option) by every tool that writes a figure, as the examples' --png is: they
        # refused it after the parse (exit 1) before 2026-12-07. Breaks tried: cli._figure_path without the folder
        # check -> exit 0 and those files; plot's --out without type=cli.figure_arg -> exit 1: fails.
        tools = {"plot": [*PLOT, "FOLDER"], "viewer --snapshot": ["-m", "cortexloop_client.viewer"],
                 "plot_vsdi": [os.path.join(ROOT, "tools", "plot_vsdi.py"), "FOLDER"],
                 "plot_plasticity": [os.path.join(ROOT, "tools", "plot_plasticity.py"), "FOLDER"],
                 "plot_aln_sweep": [os.path.join(ROOT, "tools", "plot_aln_sweep.py"), "FOLDER"],
                 "aln_fig4": [os.path.join(ROOT, "tools", "aln_fig4.py")],
                 "aln_live_fig4": [os.path.join(ROOT, "tools", "aln_live_fig4.py")]}
        with tempfile.TemporaryDirectory() as tmp:
            f = recording_folder(tmp)
            out = pathlib.Path(tmp) / "figs"
            out.mkdir()
            for tool, args in tools.items():
                option = "--snapshot" if "viewer" in tool else "--out"
                for given in (str(out) + os.sep, str(out), str(pathlib.Path(tmp) / "new") + os.sep):
                    with self.subTest(tool=tool, out=given):
                        r = run([*(str(f) if a == "FOLDER" else a for a in args), option, given])
                        self.assertEqual(r.returncode, 2, r.stderr)
                        self.assertNotIn("Traceback", r.stderr)
                        self.assertIn(f"argument {option}: {given}: is a folder; name the figure file", r.stderr)
            self.assertEqual(os.listdir(out), [])
            self.assertFalse((pathlib.Path(tmp) / "figs.png").exists())
            self.assertFalse((pathlib.Path(tmp) / "new").exists())

    def test_a_decimated_recording_counts_readouts(self):
        # A recording at stream.readout_every 10: 200 readouts over 2000 ticks were reported as "200 ticks".
        # Break tried: the old 'tick' word -> "200 ticks": fails.
        with tempfile.TemporaryDirectory() as tmp:
            f = recording_folder(tmp)
            n = 200
            np.save(f / "ticks.npy", np.column_stack([np.zeros(n), 10 * np.arange(n), 10 * np.arange(n) + 1]))
            r = run([*PLOT, str(f), "--out", str(f / "s.png")])
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("plot: 200 readouts ->", r.stdout)


if __name__ == "__main__":
    unittest.main()
