"""Offline signal analysis (numpy only): band-pass + Hilbert phase, Kuramoto order parameter, spectra.

The phase here is offline and non-causal (whole-record FFT), the reference against which the real-time
estimator of controllers.py and the entrainment experiments are judged.
"""
import numpy as np

from . import timeline


def analytic_signal(x):
    """Hilbert transform by FFT (Marple 1999): zero the negative frequencies, double the positive ones."""
    x = np.asarray(x, dtype=np.float64)
    n = len(x)
    X = np.fft.fft(x)
    h = np.zeros(n)
    h[0] = 1
    if n % 2 == 0:
        h[n // 2] = 1
        h[1:n // 2] = 2
    else:
        h[1:(n + 1) // 2] = 2
    return np.fft.ifft(X * h)


def bandpass_fft(x, fs_Hz, f_lo_Hz, f_hi_Hz, taper_Hz=None):
    """Zero-phase band-pass: multiply the spectrum by a window that is 1 in [f_lo, f_hi] with raised-cosine
    edges of `taper_Hz` (default a quarter of the band, at least one bin). Mean removed."""
    x = np.asarray(x, dtype=np.float64) - np.mean(x)
    n = len(x)
    f = np.fft.rfftfreq(n, 1.0 / fs_Hz)
    taper = taper_Hz or max((f_hi_Hz - f_lo_Hz) / 4, fs_Hz / n)
    w = np.ones_like(f)
    lo = f < f_lo_Hz
    w[lo] = 0.5 * (1 + np.cos(np.pi * np.clip((f_lo_Hz - f[lo]) / taper, 0, 1)))
    hi = f > f_hi_Hz
    w[hi] = 0.5 * (1 + np.cos(np.pi * np.clip((f[hi] - f_hi_Hz) / taper, 0, 1)))
    return np.fft.irfft(np.fft.rfft(x) * w, n)


def phase(x, fs_Hz, f_Hz, rel_band=0.2):
    """Instantaneous phase (rad, cosine convention: 0 at the peak) of x band-passed at f_Hz +- rel_band * f_Hz."""
    y = bandpass_fft(x, fs_Hz, f_Hz * (1 - rel_band), f_Hz * (1 + rel_band))
    return np.angle(analytic_signal(y))


def kuramoto(phase_difference):
    """R = |mean(exp(i dphi))| and the mean phase (rad)."""
    z = np.mean(np.exp(1j * np.asarray(phase_difference)))
    return float(np.abs(z)), float(np.angle(z))


def power_spectrum(x, fs_Hz, window=True):
    """One-sided periodogram (Hann window by default) of x minus its mean: frequencies (Hz), power."""
    x = np.asarray(x, dtype=np.float64) - np.mean(x)
    w = np.hanning(len(x)) if window else np.ones(len(x))
    X = np.fft.rfft(x * w)
    p = (np.abs(X) ** 2) / np.sum(w ** 2) / fs_Hz
    p[1:] *= 2
    return np.fft.rfftfreq(len(x), 1.0 / fs_Hz), p


def peak_ratio(freqs, power, f_Hz, guard_bins=1, neighbour_bins=10):
    """Power at the bin nearest f_Hz (max over +- guard_bins) divided by the mean power of the neighbouring
    bins (guard_bins+1 ... guard_bins+neighbour_bins on each side). Returns (ratio, frequency of the peak)."""
    df = freqs[1] - freqs[0]
    k = int(round(f_Hz / df))
    lo, hi = max(k - guard_bins, 0), k + guard_bins + 1
    peak_k = lo + int(np.argmax(power[lo:hi]))
    nb = np.r_[max(k - guard_bins - neighbour_bins, 1):max(k - guard_bins, 1),
               k + guard_bins + 1:min(k + guard_bins + 1 + neighbour_bins, len(power))]
    return float(power[peak_k] / np.mean(power[nb])), float(freqs[peak_k])


def smooth(x, width):
    """Moving average of `width` samples (same length, centred; the ends means of what exists: timeline.smooth)."""
    return timeline.smooth(x, width)


def phase_at(rate, ticks, event_ticks, fs_Hz, f_Hz, rel_band=0.2):
    """Offline phase (rad) of `rate` (one sample per tick, ticks[i] its tick number) at each of `event_ticks`
    (e.g. the tick_applied of stimulation commands); events outside the record are dropped."""
    ph = phase(rate, fs_Hz, f_Hz, rel_band)
    idx = np.searchsorted(ticks, event_ticks)
    idx = idx[(idx > 0) & (idx < len(ph))]
    return ph[idx], idx


def welch_spectrum(x, fs_Hz, segment):
    """Welch power spectrum of x: Hann segments of `segment` samples, half overlapping, each minus its own mean,
    averaged (unnormalised: callers of Cakan & Obermayer's Fig 5 divide by the maximum). Frequencies (Hz), power."""
    x = np.asarray(x, dtype=np.float64)
    w = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(segment) / segment)
    starts = range(0, len(x) - segment + 1, segment // 2)
    p = np.mean([np.abs(np.fft.rfft((x[s:s + segment] - x[s:s + segment].mean()) * w)) ** 2 for s in starts], axis=0)
    return np.fft.rfftfreq(segment, 1.0 / fs_Hz), p


def rate_peaks(rate):
    """Indices of the rate's peaks: the largest sample of each excursion above the rate's mean (one peak per cycle
    even when noise makes several local maxima in one excursion, as in a spiking network's 1-ms rate)."""
    x = np.asarray(rate, dtype=np.float64)
    above = x > x.mean()
    edges = np.flatnonzero(np.diff(above.astype(np.int8)))  # index before each change
    starts = list(edges[~above[edges]] + 1)                  # below -> above
    ends = list(edges[above[edges]] + 1)                     # above -> below (exclusive)
    if above[0]:
        starts.insert(0, 0)
    if above[-1]:
        ends.append(len(x))
    # an excursion cut by either end of the record has no whole peak
    return np.array([s + int(np.argmax(x[s:e])) for s, e in zip(starts, ends) if s > 0 and e < len(x)], dtype=int)


def peak_to_peak_kuramoto(rate, f_Hz, tick_ms=1.0, onset_ms=0.0, from_ms=0.0):
    """Kuramoto order parameter R = |<exp(i (phi_rate - phi_stim))>| of Cakan & Obermayer 2020 (Fig 6): phi_rate
    rises linearly by 2 pi from one rate peak (rate_peaks) to the next ("peak-to-peak linear phase"), phi_stim =
    2 pi f (t - onset); averaged over the samples from max(from_ms, first peak) to the last peak, t the bin centres.
    0 when the rate has fewer than 3 peaks."""
    rate = np.asarray(rate, dtype=np.float64)
    t = (np.arange(len(rate)) + 0.5) * tick_ms
    peaks = rate_peaks(rate)
    if len(peaks) < 3:
        return 0.0
    phi = np.interp(t, t[peaks], 2 * np.pi * np.arange(len(peaks)))
    keep = (t >= max(from_ms, t[peaks[0]])) & (t <= t[peaks[-1]])
    return kuramoto(phi[keep] - 2 * np.pi * f_Hz * (t[keep] - onset_ms) / 1000.0)[0]


if __name__ == "__main__":  # a library: says so and what to run instead (exit 2)
    from .cli import library_module
    library_module(__spec__.name, ["experiments", "tools/aln_fig4.py"])
