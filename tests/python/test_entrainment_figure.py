#!/usr/bin/env python3
"""The Fig 5 figure of tools/aln_entrainment.py stays readable at any grid size: its title lies inside the figure
(with --quick's two panels one line of title ran off both edges). Offline, on made-up rates: only the drawing is
checked. Run by ctest with PYTHONPATH=build/python:tools/python."""
import pathlib
import sys
import tempfile
import unittest

import matplotlib

matplotlib.use("Agg")
import matplotlib.figure  # noqa: E402
import numpy as np  # noqa: E402

from cortexloop_client import entrainment  # noqa: E402


class Fig5Title(unittest.TestCase):
    def test_title_inside_the_figure_with_two_panels(self):
        scan = entrainment.load_scan("frequency", "aln", quick=True)
        self.assertEqual(len(scan["amplitudes_mV_per_ms"]), 2)  # the narrow case this test is about
        n_points = len(scan["amplitudes_mV_per_ms"]) * len(scan["frequencies_Hz"])
        ticks = int(round(1000.0 * scan["duration_s"]))
        rates = np.random.default_rng(1).random((n_points, ticks))
        saved = []
        original = matplotlib.figure.Figure.savefig

        def keep(fig, *args, **kwargs):  # the figure is closed once saved: measure it while it is drawn
            original(fig, *args, **kwargs)
            renderer = fig.canvas.get_renderer()
            saved.append((fig._suptitle.get_window_extent(renderer), fig.bbox))

        matplotlib.figure.Figure.savefig = keep
        try:
            with tempfile.TemporaryDirectory() as tmp:
                png = entrainment.save_and_plot(scan, {"aln": rates}, pathlib.Path(tmp), ", offline (simulate)")
                self.assertTrue(png.exists())
        finally:
            matplotlib.figure.Figure.savefig = original
        title, page = saved[0]
        self.assertGreaterEqual(title.x0, page.x0)
        self.assertLessEqual(title.x1, page.x1)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1])
