"""The recording figures (plot.py, plot_vsdi.py) put every readout at its true time, offline on synthetic folders
shaped as `cortexloop record` and `simulate` write them (tools/record_command.cpp: float32 arrays a row per readout,
ticks.npy float64 [n, 3] epoch/tick/t_ms, summary.json with "info"; tools/simulate_command.cpp: no ticks.npy, a
readout per tick_ms, "ring" and "n_exc" in the summary). Positions are read back from the matplotlib objects drawn
and compared with times computed here from the folder's own ticks (docs/protocol.md: t_ms is the end of the tick
and restarts at 0 after a Reset), not with an earlier output. An outside check (2026-12) found epochs drawn over
each other, maps stretched over lost readouts, tick_ms and the ring's length ignored and empty network panels."""
import importlib.util
import json
import os
import tempfile
import unittest

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import patheffects  # noqa: E402
import numpy as np  # noqa: E402

from cortexloop_client import marks, plot  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UNITS = 8


def write_folder(folder, n, summary, ticks=None, spikes=None, safety=()):
    """A record (ticks given) or simulate folder of n readouts; vsdi's readout k is k (so each column names its
    readout) and the exc rate is 10 Hz."""
    os.makedirs(folder, exist_ok=True)
    f32 = np.float32
    rates = np.tile(np.array([10.0, 20.0], f32), (n, 1))
    for name, value in [("rates", rates), ("mean_v", np.full((n, 2), -60, f32)), ("mean_w", np.zeros((n, 2), f32)),
                        ("stim", np.zeros((n, 2), f32)), ("lfp", np.ones(n, f32)),
                        ("vsdi", np.repeat(np.arange(n, dtype=f32)[:, None], UNITS, axis=1)),
                        ("ring_rates_exc", np.ones((n, UNITS), f32)), ("ring_stim", np.zeros((n, UNITS), f32))]:
        np.save(os.path.join(folder, name + ".npy"), value)
    if ticks is not None:
        np.save(os.path.join(folder, "ticks.npy"), np.asarray(ticks, dtype=np.float64))
    if spikes is not None:
        np.save(os.path.join(folder, "spikes.npy"), np.asarray(spikes, dtype=np.float64))
    with open(os.path.join(folder, "safety.jsonl"), "w") as f:
        f.writelines(json.dumps(e) + "\n" for e in safety)
    with open(os.path.join(folder, "summary.json"), "w") as f:
        json.dump(summary, f)
    return folder


def record_info(**extra):
    return {"info": {"dt_ms": 0.1, "tick_ms": 1.0, "n_exc": 80, "n_inh": 20, "ring_units": UNITS,
                     "ring_length_mm": 36.0, "epoch": 0, **extra}}


def panels(fig):
    return {a.get_label(): a for a in fig.axes}


def line_x(ax, k=0):
    return np.asarray(ax.get_lines()[k].get_xdata(), dtype=float)


def mesh_columns(ax):
    """(column edges in x, the readout each column shows or -1 where masked) of a ring panel's QuadMesh."""
    mesh = ax.collections[0]
    edges = mesh.get_coordinates()[0, :, 0]
    values = mesh.get_array().reshape(-1, len(edges) - 1)[0]  # row 0 (unit 0): the readout index written
    shown = np.where(np.ma.getmaskarray(values), -1, np.ma.getdata(values))
    return edges, shown


def vlines_at(ax):
    """x of every full-height vertical line of a panel (axvline)."""
    return [ln.get_xdata()[0] for ln in ax.get_lines() if list(ln.get_ydata()) == [0, 1]]


class PlotTimeline(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        plt.close("all")
        self.tmp.cleanup()

    def test_a_reset_continues_the_axis_in_every_panel(self):
        # Epoch 0 ticks 100..199 (t_ms 101..200), a Reset, epoch 1 ticks 0..99 (t_ms 1..100): the second epoch is
        # drawn from 200 ms on, lines and map alike, with a line labelled Reset at 200 ms. Spikes (t_ms, no epoch)
        # and a safety event (epoch 1, step 500 = 50 ms) follow. Break tried: load() taking t_s = ticks[:, 2] / 1000
        # as before (the epochs overlap: the line's x falls back to 0.001 and the map's edges are not rising).
        ticks = [(0, k, k + 1) for k in range(100, 200)] + [(1, k, k + 1) for k in range(100)]
        session_ms = np.array([k + 1 for k in range(100, 200)] + [200 + k + 1 for k in range(100)], float)
        folder = write_folder(os.path.join(self.tmp.name, "rec"), 200, record_info(), ticks=ticks,
                              spikes=[(150.0, 3), (50.0, 4)],
                              safety=[{"step": 500, "limit": "model_domain", "epoch": 1}])
        fig = plot.figure(plot.load(folder))
        p = panels(fig)
        for name in ["rates", "stim", "lfp", "mean_v"]:
            x = line_x(p[name])
            np.testing.assert_allclose(x[~np.isnan(x)], session_ms / 1000.0, err_msg=name)
            self.assertIn(0.2, vlines_at(p[name]))  # the Reset, on every panel
        edges, shown = mesh_columns(p["ring_vsdi"])
        self.assertTrue(np.all(np.diff(edges) > 0))
        # Readout 100 (epoch 1, tick 0) is the column (0.200, 0.201] s: where the line panels put it.
        col = int(np.nonzero(shown == 100)[0][0])
        np.testing.assert_allclose(edges[col:col + 2], [0.200, 0.201])
        self.assertTrue(any("Reset" in t.get_text() for t in fig.axes[0].texts))
        raster_x = np.concatenate([ln.get_xdata() for ln in p["raster"].get_lines() if ln.get_marker() == "|"])
        np.testing.assert_allclose(sorted(raster_x), [0.150, 0.250])
        self.assertIn(0.25, [round(x, 9) for x in vlines_at(p["rates"])])  # the safety event in epoch 1

    def test_maps_keep_true_time_over_a_stride_change_and_lost_readouts(self):
        # Ticks 0..49 every tick, then every 10th tick (stream.readout_every 10) to 300, then 60 ticks lost, then
        # every 10th again. A column spans back to the readout before it (10 ms at stride 10); the lost 60 ms are one
        # masked column and the lines stop there. Break tried: cells() without the gap test (left = previous x:
        # the readout after the gap spans the lost 60 ms, the masked column is gone).
        tick = list(range(50)) + list(range(59, 300, 10)) + list(range(369, 450, 10))
        folder = write_folder(os.path.join(self.tmp.name, "rec"), len(tick), record_info(),
                              ticks=[(0, k, k + 1) for k in tick])
        p = panels(plot.figure(plot.load(folder)))
        edges, shown = mesh_columns(p["ring_vsdi"])
        t_ms = np.array(tick, float) + 1
        data_cols = np.nonzero(shown >= 0)[0]
        np.testing.assert_array_equal(shown[data_cols], np.arange(len(tick)))
        np.testing.assert_allclose(edges[data_cols + 1], t_ms / 1000.0)      # each column ends at its readout
        widths = np.round((edges[data_cols + 1] - edges[data_cols]) * 1000.0, 6)
        self.assertEqual(set(widths[:50]), {1.0})
        self.assertEqual(set(widths[51:]), {10.0})                       # after the change, 10 ms each
        blank = np.nonzero(shown < 0)[0]
        self.assertEqual(len(blank), 1)
        np.testing.assert_allclose(edges[blank[0]:blank[0] + 2] * 1000.0, [300.0, 360.0])
        x = line_x(p["rates"])
        self.assertEqual(int(np.isnan(x).sum()), 1)                      # the line breaks once, at the gap
        self.assertEqual(x[np.nonzero(np.isnan(x))[0][0] - 1], 0.300)
        self.assertTrue(p["rates"].patches)                              # and the gap is hatched on the panel

    def test_simulate_tick_ms_and_a_ring_alone(self):
        # simulate of a ring alone (network = "off") with tick_ms 2: 50 readouts at 2, 4, ... 100 ms, no network
        # panels (their data are zeros). Breaks tried: load() with a readout per 1 ms (the map ended at 0.05 s) and
        # figure() adding the network panels unconditionally (rates, stim, lfp, mean_v present).
        summary = {"tick_ms": 2.0, "dt_ms": 0.1, "n_exc": 0, "n_inh": 0, "n_neurons": 0,
                   "ring": {"n_units": UNITS, "length_mm": 36.0, "network_stepped": False}}
        folder = write_folder(os.path.join(self.tmp.name, "sim"), 50, summary)
        np.save(os.path.join(folder, "mean_v.npy"), np.zeros((50, 2), np.float32))
        p = panels(plot.figure(plot.load(folder)))
        self.assertEqual(sorted(p), ["ring_stim", "ring_vsdi"])
        edges, shown = mesh_columns(p["ring_vsdi"])
        np.testing.assert_allclose(edges, np.arange(51) * 0.002)

    def test_the_networks_position_alike_from_record_and_simulate(self):
        # configs/default.toml sets no network.position_mm: the network sits at 0 mm (engine/params.hpp, docs/
        # device.md "One coordinate system"). record's summary said so (geometry.network_position_mm 0.0) and the
        # figure read "spiking network at 0 mm"; simulate's said nothing and its figure marked no position (an
        # outside check, 2026-12-06). simulate now writes ring.network_position_mm; a ring alone has no network to
        # place (record gives 0 mm for it too). Breaks seen: geometry() reading geometry.network_position_mm only ->
        # "spiking network" for the simulate folder; without the network check -> a "network" line on the ring alone.
        spikes = [(5.0, 3), (7.0, 90)]
        rec = write_folder(os.path.join(self.tmp.name, "rec"), 20,
                           {**record_info(), "geometry": {"network_position_mm": 0.0}},
                           ticks=[(0, k, k + 1) for k in range(20)], spikes=spikes)
        sim = write_folder(os.path.join(self.tmp.name, "sim"), 20,
                           {"tick_ms": 1.0, "dt_ms": 0.1, "n_exc": 80, "n_inh": 20, "n_neurons": 100,
                            "ring": {"n_units": UNITS, "length_mm": 36.0, "network_position_mm": 0.0}}, spikes=spikes)
        for folder in (rec, sim):
            p = panels(plot.figure(plot.load(folder)))
            self.assertEqual(p["raster"].get_title(loc="left"), "spiking network at 0 mm", folder)
            self.assertIn("network", [t.get_text() for t in p["ring_vsdi"].texts], folder)
        alone = write_folder(os.path.join(self.tmp.name, "alone"), 20,
                             {**record_info(n_exc=0, n_inh=0, n_neurons=0), "geometry": {"network_position_mm": 0.0}},
                             ticks=[(0, k, k + 1) for k in range(20)])
        np.save(os.path.join(alone, "mean_v.npy"), np.zeros((20, 2), np.float32))
        p = panels(plot.figure(plot.load(alone)))
        self.assertNotIn("network", [t.get_text() for t in p["ring_vsdi"].texts])

    def test_a_ring_sensing_site_is_labelled_and_not_orange(self):
        # The ring's sensing site was an unlabelled orange triangle, the orange of the model_domain safety triangles
        # (an outside check, 2026-12-06). Break seen: the old marker -> no "S1" text, colour tab:orange.
        folder = write_folder(os.path.join(self.tmp.name, "rec"), 20,
                              {**record_info(), "geometry": {"sensing": [{"signal": "rate_exc", "position_mm": 0.0},
                                                                          {"signal": "ring_vsdi", "position_mm": 9.0}]}},
                              ticks=[(0, k, k + 1) for k in range(20)])
        np.save(os.path.join(folder, "device_sensing.npy"), np.zeros((20, 2, 6), np.float32))
        ax = panels(plot.figure(plot.load(folder)))["ring_vsdi"]
        self.assertIn("S1", [t.get_text() for t in ax.texts])
        site = next(ln for ln in ax.get_lines() if ln.get_label() == "sensing site S1")
        self.assertEqual(list(site.get_ydata()), [9.0])
        self.assertNotEqual(matplotlib.colors.to_hex(site.get_markerfacecolor()), matplotlib.colors.to_hex("tab:orange"))

    def test_ring_length_from_the_servers_info(self):
        # A record folder without --config has the ring's length only in "info" (GetInfo): 20 mm, not "assumed
        # 36 mm". Break tried: geometry() without info's ring_length_mm (ylim 36, label "assumed").
        folder = write_folder(os.path.join(self.tmp.name, "rec"), 30, record_info(ring_length_mm=20.0),
                              ticks=[(0, k, k + 1) for k in range(30)])
        ax = panels(plot.figure(plot.load(folder)))["ring_vsdi"]
        self.assertEqual(ax.get_ylim(), (0.0, 20.0))
        self.assertNotIn("assumed", ax.get_ylabel())
        self.assertAlmostEqual(ax.collections[0].get_coordinates()[-1, 0, 1], 20.0 + 20.0 / UNITS / 2)

    def test_vsdi_floor_of_a_ring_at_rest(self):
        # A ring at rest holds ~1e-4 % of numerical noise: the symmetric scale stays at its floor (0.01 %), not at
        # the noise's peak. Break tried: ringmap.symmetric_limit without the floor (clim ±2e-4).
        folder = write_folder(os.path.join(self.tmp.name, "rec"), 30, record_info(),
                              ticks=[(0, k, k + 1) for k in range(30)])
        np.save(os.path.join(folder, "vsdi.npy"),
                (2e-4 * np.random.default_rng(1).uniform(-1, 1, (30, UNITS))).astype(np.float32))
        ax = panels(plot.figure(plot.load(folder)))["ring_vsdi"]
        self.assertEqual(ax.collections[0].get_clim(), (-0.01, 0.01))


class PlotVsdi(unittest.TestCase):
    """tools/plot_vsdi.py on a record folder: its time axis is the recording's and its ring the server's length."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        spec = importlib.util.spec_from_file_location("plot_vsdi", os.path.join(ROOT, "tools", "plot_vsdi.py"))
        self.tool = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(self.tool)

    def tearDown(self):
        plt.close("all")
        self.tmp.cleanup()

    def test_record_time_and_length(self):
        # Readouts of ticks 176..275 (t_ms 177..276, a recording started 176 ms into the session) of a 20 mm ring:
        # the map runs from 0.176 to 0.276 s, y to 20 mm; --t-max-s 0.2 (or --t-max-ms 200, kept for old
        # commands) ends it at the readout of t_ms 200. Breaks tried: plot_vsdi's extent from 0 (the edges started
        # at 0) and its 36 mm default (ylim 36). The axis is in seconds as plot.py's and the viewer's (it was in ms
        # while its docstring said "as plot.py draws it"); break tried: x_s = x_ms as before -> edges 176..276 and
        # the label "time (ms)": fails.
        folder = write_folder(os.path.join(self.tmp.name, "rec"), 100, record_info(ring_length_mm=20.0),
                              ticks=[(0, k, k + 1) for k in range(176, 276)])
        self.assertEqual(self.tool.main([folder, "--out", os.path.join(self.tmp.name, "v.png")]), 0)
        axes = plt.gcf().axes
        maps = [a for a in axes if a.get_ylabel().startswith("ring position")]
        self.assertEqual(len(maps), 2)
        for ax in maps:
            edges = ax.collections[0].get_coordinates()[0, :, 0]
            np.testing.assert_allclose(edges, np.arange(176, 277, dtype=float) / 1000.0)
            self.assertEqual(ax.get_ylim(), (0.0, 20.0))
        self.assertEqual(maps[-1].get_xlabel(), "simulated time (s)")
        for option in (["--t-max-s", "0.2"], ["--t-max-ms", "200"]):
            plt.close("all")
            self.tool.main([folder, "--out", os.path.join(self.tmp.name, "v2.png"), *option])
            edges = plt.gcf().axes[0].collections[0].get_coordinates()[0, :, 0]
            np.testing.assert_allclose((edges[0], edges[-1]), (0.176, 0.200))

    def test_a_reset_is_marked_and_labelled_on_both_maps(self):
        # The Reset line and its label were black on the rate map's near-black colours (invisible), and the VSDi map's
        # line had no label (an outside check, 2026-12-06). Reference: both maps carry a "Reset" text and the line at
        # 0.2 s outlined in white. Breaks seen: restarts_and_gaps without labelled=axes -> no text on the VSDi map;
        # restarts_and_gaps drawing RESTART_LINE without its path effect -> no outline.
        ticks = [(0, k, k + 1) for k in range(100, 200)] + [(1, k, k + 1) for k in range(100)]
        folder = write_folder(os.path.join(self.tmp.name, "rec"), 200, record_info(), ticks=ticks)
        self.assertEqual(self.tool.main([folder, "--out", os.path.join(self.tmp.name, "v.png")]), 0)
        maps = [a for a in plt.gcf().axes if a.get_ylabel().startswith("ring position")]
        self.assertEqual(len(maps), 2)
        for ax in maps:
            self.assertTrue(any(t.get_text().startswith("Reset") for t in ax.texts), ax.get_ylabel())
            line = next(ln for ln in ax.get_lines() if list(ln.get_xdata()) == [0.2, 0.2])
            # The outline is a white stroke marks.RESTART_OUTLINE_PT wide (matplotlib keeps a stroke's colour and
            # width in a private field, _gc).
            effects = line.get_path_effects()
            self.assertEqual([type(e) for e in effects], [patheffects.withStroke], "the Reset line has no outline")
            self.assertEqual(effects[0]._gc, {"linewidth": marks.RESTART_OUTLINE_PT, "foreground": "white"})


if __name__ == "__main__":
    unittest.main()
