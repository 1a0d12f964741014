#!/usr/bin/env python3
"""The measure of Cakan & Obermayer 2020 Fig 6 (analysis.mean_two_oscillator_order: the mean over 5-19.5 s of the
two-oscillator Kuramoto order parameter R(t) = |exp(i phi_1) + exp(i phi_2)| / 2 of peak-to-peak linear phases)
against analytic results, on 20 s traces at 1 ms per sample (the authors' sampling and window [5000:-500]).

References and tolerances (R = |cos(dphi / 2)| for two unit phasors dphi apart):
- two sinusoids of one frequency locked at lag delta: mean R = |cos(delta / 2)|.
  * At 20 Hz the period is 50 samples and cosines peak on samples, so each peak-to-peak phase is exact: to 1e-9.
  * At 21.3 Hz (no whole number of samples per period) each peak is the sample nearest the true one, so each phase is
    off by at most 2 pi f * 0.5 ms (linear interpolation between peaks off by at most that, the true phase being
    linear too), their difference by 2 pi f * 1 ms, and |cos(x / 2)| moves at most half as much as x:
    tolerance pi f * 1 ms = 0.067.
- two sinusoids of incommensurate frequencies (never locked): the phase difference sweeps evenly at 2 pi df, and
  R = |cos(pi df t + c)| averages 2/pi over each of its periods (1/df). Over the L = 14.5 s window the part-period
  left over moves the mean by at most I / (pi df L), I = 2 sin(u0) - (2/pi) 2 u0 = 0.421 (u0 = arccos(2/pi): the
  integral of |cos u| - 2/pi over where it is positive, the largest a part-period can hold); the 1-ms samples of a
  1-Lipschitz |cos u| at steps h = pi df * 1 ms move a mean by at most h / 2.
  * 20 and 25 Hz (exact phases, as above): tolerance I / (pi 5 14.5) + h / 2 = 0.0018 + 0.0079.
  * 21.3 and 23.7 Hz: the same plus the phase error above, pi (f1 + f2) / 2 * 1 ms: 0.0039 + 0.0038 + 0.0707.
Measured: 0 error on the grid; 0.032 at most off it; 2/pi + 0.0015 (20/25 Hz) and - 0.0007 (21.3/23.7 Hz).
- where scipy is installed: the numpy peak finder and smoothing equal scipy.signal.find_peaks_cwt(x,
  np.arange(0.1, 0.2)) and scipy.ndimage.gaussian_filter(x, 5), and the whole R(t) equals a transcription of the
  authors' kuramoto() (their notebook, cell 17), on a noisy oscillation and a sine that starts at 1 s.
Seen to fail (2026-12, branch fig6): with the phase-locking value in place of R(t) (kuramoto_order_two_oscillators
returning |exp(i (phi_x - phi_y))|, i.e. 1 at every sample) the locked cases give 1 for every lag and the unlocked
ones 1 instead of 2/pi: five failures (both locked tests, both unlocked ones, the cross-check with scipy).
"""
import math
import unittest

import numpy as np

from cortexloop_client import analysis

N = 20000          # 20 s at 1 ms per sample, as the authors' traces after rate[::10]
WINDOW_S = 14.5    # [5000:-500]
I_PART = 2 * math.sin(math.acos(2 / math.pi)) - (2 / math.pi) * 2 * math.acos(2 / math.pi)


def cosine(f_Hz, lag_rad=0.0):
    t_ms = np.arange(N)
    return np.cos(2 * np.pi * f_Hz * t_ms / 1000.0 - lag_rad)


class Locked(unittest.TestCase):
    def test_on_the_sample_grid_exact(self):
        for k in (0, 5, 10, 17, 25):  # lag k samples of a 50-sample period
            delta = 2 * np.pi * k / 50
            r = analysis.mean_two_oscillator_order(cosine(20.0), cosine(20.0, delta))
            self.assertAlmostEqual(r, abs(math.cos(delta / 2)), delta=1e-9, msg=f"lag {k} ms")

    def test_off_the_grid_within_the_peak_rounding(self):
        f = 21.3
        tol = math.pi * f * 1e-3
        for delta in (0.0, 0.7, math.pi / 2, 2.0, 2.9, math.pi):
            r = analysis.mean_two_oscillator_order(cosine(f), cosine(f, delta))
            self.assertLessEqual(abs(r - abs(math.cos(delta / 2))), tol, msg=f"delta {delta}: R {r}")


class Unlocked(unittest.TestCase):
    def check(self, f1, f2, phase_error):
        df = abs(f2 - f1)
        tol = I_PART / (math.pi * df * WINDOW_S) + math.pi * df * 1e-3 / 2 + phase_error
        r = analysis.mean_two_oscillator_order(cosine(f1), cosine(f2, 1.0))
        self.assertLessEqual(abs(r - 2 / math.pi), tol, msg=f"{f1} / {f2} Hz: R {r}, tolerance {tol:.4f}")

    def test_exact_phases(self):
        self.check(20.0, 25.0, 0.0)

    def test_rounded_peaks(self):
        self.check(21.3, 23.7, math.pi * (21.3 + 23.7) / 2 * 1e-3)

    def test_no_peak_no_value(self):
        self.assertTrue(math.isnan(analysis.mean_two_oscillator_order(np.ones(N), cosine(20.0))))


def authors_kuramoto(traces, smoothing):
    """Cakan & Obermayer's kuramoto() (notebooks/fig6/phase-entrainment-aln-adex.ipynb, cell 17), transcribed."""
    import scipy.ndimage
    import scipy.signal
    phases = []
    for n, tr in enumerate(traces):
        a = scipy.ndimage.gaussian_filter(tr, smoothing) if smoothing > 0 else tr
        maximalist = scipy.signal.find_peaks_cwt(a, np.arange(0.1, 0.2))
        maximalist = np.append(maximalist, len(tr) - 1).astype(int)
        if len(maximalist) <= 1:
            return 0
        phases.append([])
        last = 0
        for m in maximalist:
            for t in range(last, m):
                phases[n].append(2 * np.pi * float(t - last) / float(m - last))
            last = m
        phases[n].append(2 * np.pi)
    return [abs(sum(np.exp(1j * p[t]) for p in phases)) / len(traces) for t in range(len(traces[0]))]


class AgainstTheAuthorsCode(unittest.TestCase):
    def setUp(self):
        try:
            import scipy.ndimage  # noqa: F401
            import scipy.signal  # noqa: F401
        except ImportError:
            self.skipTest("scipy is not installed")

    def test_same_peaks_smoothing_and_order(self):
        import scipy.ndimage
        import scipy.signal
        rng = np.random.default_rng(1)
        t = np.arange(N)
        rate = 10 + 5 * np.sin(2 * np.pi * 21.9 * t / 1000) + rng.normal(0, 2, N)  # noisy, extra local maxima
        stim = analysis.stimulus_trace(N, 22.3, 1000.0)
        for x in (rate, stim):
            s = scipy.ndimage.gaussian_filter(x, 5.0)
            np.testing.assert_allclose(analysis.gaussian_smooth(x, 5.0), s, rtol=0, atol=1e-12)
            np.testing.assert_array_equal(analysis.cwt_peaks(s), scipy.signal.find_peaks_cwt(s, np.arange(0.1, 0.2)))
        np.testing.assert_allclose(analysis.kuramoto_order_two_oscillators(rate, stim, 5.0),
                                   authors_kuramoto([rate, stim], 5.0), rtol=0, atol=1e-9)


if __name__ == "__main__":
    unittest.main(verbosity=2)
