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


def readout(epoch, tick, vsdi=0.0, rate=10.0):
    return ("readout", "readout", {"epoch": epoch, "tick": tick, "t_ms": tick + 1.0, "exc": {"rate_hz": rate,
            "i_stim_pa": 0.0}, "inh": {"rate_hz": 2 * rate}, "lfp_proxy_na": 1.0,
            "vsdi_percent": [vsdi] * UNITS if np.isscalar(vsdi) else list(vsdi), "device": None})


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


if __name__ == "__main__":
    unittest.main()
