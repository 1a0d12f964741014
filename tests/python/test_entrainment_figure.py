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
import matplotlib.collections  # noqa: E402
import numpy as np  # noqa: E402

from cortexloop_client import entrainment  # noqa: E402
from saved_figures import saved_figures  # noqa: E402  (this folder is the script's, first on sys.path)


class Fig5Title(unittest.TestCase):
    def test_title_inside_the_figure_with_two_panels(self):
        scan = entrainment.load_scan("frequency", "aln", quick=True)
        self.assertEqual(len(scan["amplitudes_mV_per_ms"]), 2)  # the narrow case this test is about
        n_points = len(scan["amplitudes_mV_per_ms"]) * len(scan["frequencies_Hz"])
        ticks = int(round(1000.0 * scan["duration_s"]))
        rates = np.random.default_rng(1).random((n_points, ticks))
        def title_and_page(fig):  # the figure is closed once saved: measured while it is drawn
            return fig._suptitle.get_window_extent(fig.canvas.get_renderer()), fig.bbox

        with saved_figures(title_and_page) as saved, tempfile.TemporaryDirectory() as tmp:
            png = entrainment.save_and_plot(scan, {"aln": rates}, pathlib.Path(tmp), ", offline (simulate)")
            self.assertTrue(png.exists())
        title, page = saved[0]
        self.assertGreaterEqual(title.x0, page.x0)
        self.assertLessEqual(title.x1, page.x1)


class Fig5Columns(unittest.TestCase):
    """Each column of the Fig 5 spectra is its own stimulus frequency's, on an uneven grid too: the image was
    stretched evenly between the grid's ends, so with --quick's grid (1, 11, 21, 31, 40, 50, 60, 70 Hz) the "11 Hz"
    column covered 9.6-18.3 Hz (an outside check, 2026-12-06). Reference: the grid itself; a column's edges are the
    midpoints between its frequency and its neighbours' (every point of the axis drawn in the column of the nearest
    grid frequency), the outer edges as far beyond the ends. Break tried: the panels drawn by imshow over the grid's
    ends as before -> no mesh of column edges, and the checks fail."""

    def drawn_columns(self, frequencies):
        scan = entrainment.load_scan("frequency", "aln", quick=True, frequencies_Hz=frequencies)
        n_points = len(scan["amplitudes_mV_per_ms"]) * len(scan["frequencies_Hz"])
        rates = np.random.default_rng(2).random((n_points, int(round(1000.0 * scan["duration_s"]))))
        def column_edges(fig):  # x of each panel's first row of corners (the colour bar's axes hold a mesh too)
            return [mesh.get_coordinates()[0, :, 0] for ax in fig.axes if ax.get_xlabel() == "stimulus frequency [Hz]"
                    for mesh in ax.collections if isinstance(mesh, matplotlib.collections.QuadMesh)]

        with saved_figures(column_edges) as saved, tempfile.TemporaryDirectory() as tmp:
            entrainment.save_and_plot(scan, {"aln": rates}, pathlib.Path(tmp))
        edges = [e for figure_edges in saved for e in figure_edges]
        self.assertEqual(len(edges), len(scan["amplitudes_mV_per_ms"]), "one mesh per panel")
        return scan["frequencies_Hz"], edges

    def test_the_quick_grid(self):
        grid, edges = self.drawn_columns(None)
        np.testing.assert_array_equal(grid, [1, 11, 21, 31, 40, 50, 60, 70])  # --quick's, the uneven case
        for e in edges:
            np.testing.assert_allclose(e, [-4, 6, 16, 26, 35.5, 45, 55, 65, 75])
            self.assertTrue(np.all((e[:-1] < grid) & (grid < e[1:])))

    def test_frequencies_in_any_order(self):
        # --frequencies 30,10,12 draws its columns left to right, each at its own frequency. Break tried: the columns
        # in the order given (no argsort) -> edges 40, 20, 11, 13 (not increasing): fails.
        _, edges = self.drawn_columns([30.0, 10.0, 12.0])
        for e in edges:
            np.testing.assert_allclose(e, [9, 11, 21, 39])


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1])
