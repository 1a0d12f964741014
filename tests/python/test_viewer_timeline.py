"""The live viewer's time axis and map, offline: readouts are fed to viewer.Buffers as client.receive() gives them
(topic, "readout", decoded dict with epoch, tick, t_ms: client.decode_message) and the figure is read back from
matplotlib. Reference: docs/protocol.md (t_ms is the end of the tick; a Reset starts epoch + 1 at tick 0, t_ms 0).
An outside check (2026-12) found the axis running backwards after a Reset, the rates' newest points pulled towards
zero, no colour bar on the map and a ring at rest drawn as a strong band of numerical noise."""
import unittest

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from cortexloop_client import viewer  # noqa: E402

UNITS = 6


def readout(epoch, tick, vsdi=0.0, rate=10.0, aln=None, device=None):
    return ("readout", "readout", {"epoch": epoch, "tick": tick, "t_ms": tick + 1.0, "exc": {"rate_hz": rate,
            "i_stim_pa": 0.0}, "inh": {"rate_hz": 2 * rate}, "lfp_proxy_na": 1.0,
            "vsdi_percent": [vsdi] * UNITS if np.isscalar(vsdi) else list(vsdi), "device": device, "aln": aln})


def device(active_channel=None):
    """A readout's device part (client._device's keys the viewer reads): one sensing channel, 8 channels."""
    return {"sensing": [{"raw": 1.0, "filtered": 1.0}],
            "channels": [{"mean_current": 5.0 if i == active_channel else 0.0, "active": i == active_channel,
                          "site_kind": 0} for i in range(8)]}


def fed(window_s, *runs):
    """Buffers(window_s) fed runs of readouts, each (epoch, n_ticks) from tick 0: a run in the same epoch as the one
    before it is a new server's, in the next epoch a Reset's."""
    b = viewer.Buffers(window_s)
    for epoch, n_ticks in runs:
        for k in range(n_ticks):
            b.add(readout(epoch, k))
    return b


def drawn(b):
    fig, axes = viewer.build_figure(plt, True)
    viewer.draw(fig, axes, b, ring_length_mm=36.0)
    return fig, axes


class ViewerTimeline(unittest.TestCase):
    def tearDown(self):
        plt.close("all")

    def test_a_reset_continues_the_axis_with_its_line(self):
        # Epoch 0 ticks 0..99 then a Reset and epoch 1 ticks 0..49: session time 1..100 ms then 101..150 ms, rising
        # on the lines and on the map, a black line labelled Reset at 100 ms. Break tried: Buffers.add appending
        # t_ms / 1000 as before (the x of the first readout of epoch 1 is 0.001, the map's edges fall).
        b = viewer.Buffers(1000)
        for k in range(100):
            b.add(readout(0, k))
        for k in range(50):
            b.add(readout(1, k, vsdi=1.0))
        fig, axes = drawn(b)
        x = np.asarray(axes[0].get_lines()[0].get_xdata(), float)
        np.testing.assert_allclose(x[~np.isnan(x)], np.arange(1, 151) / 1000.0)
        edges = axes[-1].collections[0].get_coordinates()[0, :, 0]
        self.assertTrue(np.all(np.diff(edges) > 0))
        np.testing.assert_allclose(edges[[0, -1]], [0.0, 0.150])
        self.assertIn(0.1, [ln.get_xdata()[0] for ln in axes[-1].get_lines()])
        self.assertTrue(any("Reset" in t.get_text() for t in axes[0].texts))
        self.assertIn("Reset", axes[-1].get_xlabel())

    def test_smoothing_keeps_the_newest_points(self):
        # A constant 10 Hz stays 10 Hz to the newest readout. Break tried: viewer's old np.convolve(mode="same")
        # (the last two points 8 and 6 Hz).
        b = viewer.Buffers(100)
        for k in range(40):
            b.add(readout(0, k, rate=10.0))
        fig, axes = drawn(b)
        np.testing.assert_allclose(axes[0].get_lines()[0].get_ydata()[-3:], [10.0, 10.0, 10.0])

    def test_the_tools_running_means_keep_both_ends(self):
        # analysis.smooth (the experiments' figures, the entrainment scan) and the examples' session figure
        # (loop.figure) used a plain "same" convolution, which pulled the last points towards 0 (an outside check,
        # 2026-12-05: the inhibitory rate from 8 to 4.5 Hz in the last 10 ms of dc_step.png). Reference: the running
        # mean of a constant is that constant. Breaks tried: analysis.smooth back to np.convolve(mode="same") (5 Hz
        # at the ends); loop.figure's rate panel likewise.
        from cortexloop_client import analysis, loop
        y = np.full(200, 10.0)
        np.testing.assert_allclose(analysis.smooth(y, 20)[[0, 1, -2, -1]], 10.0)

        class Recording:
            def arrays(self):
                n = 200
                return {"t_ms": np.arange(n, dtype=float), "sensed": y, "controller": np.zeros(n),
                        "i_stim_exc_pA": np.zeros(n), "i_stim_inh_pA": np.zeros(n), "rate_exc_Hz": y,
                        "rate_inh_Hz": 2 * y}

        shown = []
        real_close = plt.close
        try:
            plt.close = lambda fig=None: shown.append(fig)  # keep the figure to read its lines
            import tempfile
            with tempfile.TemporaryDirectory() as folder:
                loop.figure(Recording(), folder + "/f.png", "t", smooth_ms=20)
        finally:
            plt.close = real_close
        rates = shown[0].axes[3].get_lines()
        np.testing.assert_allclose(rates[0].get_ydata()[[0, -1]], 10.0)
        np.testing.assert_allclose(rates[1].get_ydata()[[0, -1]], 20.0)
        plt.close(shown[0])

    def test_map_has_a_colour_bar_and_a_floor(self):
        # A ring at rest (±2e-4 % of noise): the map has a colour bar and a scale of ±0.01 %, the floor. Breaks
        # tried: draw() without ringmap.colour_bar (no child axes) and without the floor (clim ±2e-4).
        b = viewer.Buffers(100)
        rng = np.random.default_rng(0)
        for k in range(40):
            b.add(readout(0, k, vsdi=rng.uniform(-2e-4, 2e-4, UNITS)))
        fig, axes = drawn(b)
        self.assertEqual(axes[-1].collections[0].get_clim(), (-0.01, 0.01))
        self.assertEqual(len(axes[-1].child_axes), 1)
        self.assertIn("VSDi (%)", axes[-1].child_axes[0].get_ylabel())


class ViewerWindowAndPanels(unittest.TestCase):
    """An outside tester (2026-12): --window counted readouts (8 s shown for --window 2 at readout_every 10), a
    server of the ALN node alone showed flat 0 Hz rates, an empty delivered-current panel was drawn for every device,
    and a new server was labelled on the axis as "after a Reset". Reference: the readouts made here."""

    def tearDown(self):
        plt.close("all")

    def test_the_window_is_simulated_time(self):
        # readout_every 10 (ticks 0, 10, ...: 8 s of readouts), a 2 s window on a 1 ms tick: the lines span 2 s and
        # the running mean is none (5 ms is less than a readout's 10 ms; the label says so). Breaks tried: Buffers
        # without trim() (the deque bounded by window_s / tick_ms = 2000 readouts: 8 s shown) -> fails; the rates'
        # mean over 5 readouts whatever their period (timeline.smoothing returning n = 5) -> the label fails.
        b = viewer.Buffers(2.0, max_readouts=2001)
        for k in range(0, 8000, 10):
            b.add(readout(0, k))
        fig, axes = drawn(b)
        x = np.asarray(axes[0].get_lines()[0].get_xdata(), float)
        self.assertAlmostEqual(float(np.nanmax(x) - np.nanmin(x)), 2.0, places=6)
        self.assertIn("no mean (a readout each 10 ms)", axes[0].get_ylabel())
        b = viewer.Buffers(2.0, max_readouts=2001)
        for k in range(100):
            b.add(readout(0, k))
        fig, axes = drawn(b)
        self.assertIn("5 ms mean", axes[0].get_ylabel())

    def test_an_aln_node_alone_draws_the_nodes_rates(self):
        # Network rates 0, the node's E 3 Hz and I 9 Hz (Readout.aln), a server of 0 cells (GetInfo): the rate
        # panel draws 3 and 9 Hz, and there is no LFP panel. Break tried: draw() reading b.exc and b.inh as before
        # -> the lines are 0 Hz and this fails.
        b = viewer.Buffers(10.0)
        for k in range(50):
            b.add(readout(0, k, rate=0.0, aln={"rate_e_hz": 3.0, "rate_i_hz": 9.0}))
        panels = viewer.panels_for(b, {"n_exc": 0, "n_inh": 0})
        self.assertNotIn("lfp", panels)
        fig = plt.figure()
        axes = viewer.lay_out_figure(fig, panels)
        viewer.draw(fig, axes, b)
        ys = [np.nanmean(line.get_ydata()) for line in axes[0].get_lines()]
        np.testing.assert_allclose(ys, [3.0, 9.0])
        self.assertIn("ALN node", axes[0].get_ylabel())
        # A network beside the node: the network's rates, as before.
        self.assertIn("lfp", viewer.panels_for(b, {"n_exc": 800, "n_inh": 200}))

    def test_the_delivered_panel_once_a_channel_delivers(self):
        # A device that senses and has not stimulated: no delivered panel; once channel 2 is active, the panel with
        # its line. Break tried: the panel for any device (bool(b.delivered), as before) -> the first check fails.
        b = viewer.Buffers(10.0)
        for k in range(20):
            b.add(readout(0, k, device=device()))
        self.assertNotIn("delivered", viewer.panels_for(b, {}))
        b.add(readout(0, 20, device=device(active_channel=2)))
        panels = viewer.panels_for(b, {})
        self.assertIn("delivered", panels)
        fig = plt.figure()
        axes = viewer.lay_out_figure(fig, panels)
        viewer.draw(fig, axes, b)
        self.assertEqual([line.get_label() for line in axes[panels.index("delivered")].get_lines()],
                         ["ch 2 (pA/cell)"])

    def test_a_new_server_is_not_called_a_reset(self):
        # Epoch 0 to tick 99, then a new server from epoch 0 tick 0: the axis says "new server", not "Reset". Break
        # tried: the old label ("; after a Reset, continued ...") -> fails.
        fig, axes = drawn(fed(10.0, (0, 100), (0, 20)))
        self.assertIn("after a new server, continued from the last readout before it", axes[-1].get_xlabel())
        self.assertNotIn("Reset", axes[-1].get_xlabel())
        # Once the restart has left the window, the axis no longer notes it (it noted every restart of the session:
        # a review, 2026-12-05). Break tried: restart_note of every boundary -> the note stays.
        fig, axes = drawn(fed(0.05, (0, 100), (0, 100)))
        self.assertEqual(axes[-1].get_xlabel(), "simulated time (s)")

    def test_a_part_the_new_readouts_lack_is_not_drawn_at_their_times(self):
        # A server with an ALN node and a device, then a new one with neither: the node's and the device's rows were
        # kept and drawn as the newest readouts' (a review, 2026-12-05). Reference: the invariant Buffers states, the
        # newest len() readouts have the part. Break tried: the else branches removed -> 50 stale aln rows; the
        # device's active channels kept -> a delivered panel without rows for the new server.
        b = viewer.Buffers(10.0)
        for k in range(50):
            b.add(readout(0, k, aln={"rate_e_hz": 3.0, "rate_i_hz": 9.0}, device=device(active_channel=1)))
        self.assertIn("delivered", viewer.panels_for(b, {}))
        self.assertEqual((len(b.aln), len(b.sensing)), (50, 50))
        for k in range(10):
            b.add(readout(0, k, vsdi=[]))
        self.assertEqual((len(b.aln), len(b.sensing), len(b.delivered), len(b.vsdi)), (0, 0, 0, 0))
        self.assertNotIn("delivered", viewer.panels_for(b, {}))
        b.add(readout(0, 10, aln={"rate_e_hz": 1.0, "rate_i_hz": 2.0}))
        self.assertEqual(list(b.aln), [[1.0, 2.0]])

    def test_the_delivered_panel_keeps_only_the_channels_active_since_the_last_restart(self):
        # Channel 0 delivers on a first server; a second one takes its ports, with a device part whose 8 channels
        # deliver nothing (a server without a [device] section publishes one): no delivered panel, as for a session
        # that began with the second server. Then channel 3 delivers: the panel holds channel 3 alone. A Reset clears
        # every program (docs/protocol.md): the panel goes until a channel delivers again. An outside check (2026-12-06)
        # saw an empty delivered panel with a flat line stay after a new server. Reference: the viewer's invariant,
        # the panel exists for the channels active since the last restart (timeline.SessionClock's boundaries).
        # Break tried: Buffers.add without the clear at a restart -> the second check fails.
        b = viewer.Buffers(10.0)
        for k in range(50):
            b.add(readout(0, k, device=device(active_channel=0)))
        self.assertIn("delivered", viewer.panels_for(b, {}))
        for k in range(20):
            b.add(readout(0, k, device=device()))
        self.assertNotIn("delivered", viewer.panels_for(b, {}))
        b.add(readout(0, 20, device=device(active_channel=3)))
        panels = viewer.panels_for(b, {})
        fig = plt.figure()
        axes = viewer.lay_out_figure(fig, panels)
        viewer.draw(fig, axes, b)
        # (the new server's mark is a line too, unlabelled: matplotlib's "_child" labels)
        self.assertEqual([line.get_label() for line in axes[panels.index("delivered")].get_lines()
                          if not line.get_label().startswith("_")], ["ch 3 (pA/cell)"])
        for k in range(5):
            b.add(readout(1, k, device=device()))
        self.assertNotIn("delivered", viewer.panels_for(b, {}))
        # The main loop asks the new server for its GetInfo when new_servers() grows: one new server, the Reset not.
        self.assertEqual(viewer.new_servers(b.clock.boundaries), 1)
        self.assertEqual(len(b.clock.boundaries), 2)


if __name__ == "__main__":
    unittest.main()
