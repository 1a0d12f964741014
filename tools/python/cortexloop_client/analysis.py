"""Offline signal analysis (numpy only): band-pass + Hilbert phase, Kuramoto order parameter, spectra, and the
phase-locking measures of Cakan & Obermayer 2020 Fig 6 (the paper's, and the PLV this project also draws).

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
    """Phase-locking value (PLV) of the rate to the stimulus: |<exp(i (phi_rate - phi_stim))>| over time, phi_rate
    rising linearly by 2 pi from one rate peak (rate_peaks) to the next ("peak-to-peak linear phase"), phi_stim =
    2 pi f (t - onset); averaged over the samples from max(from_ms, first peak) to the last peak, t the bin centres.
    0 when the rate has fewer than 3 peaks.

    NOT the measure of Cakan & Obermayer 2020 Fig 6 (that is mean_two_oscillator_order below: the mean over time of
    |exp(i phi_rate) + exp(i phi_stim)| / 2, ~2/pi = 0.64 when unlocked and |cos(delta/2)| when locked at lag
    delta). Kept because it reads the tongue more plainly: ~0 when the phases drift, 1 when locked at any lag, so
    the tongue's edge is the edge of a bright region on a dark one (an outside audit, 2026-12, found this function
    presented as the paper's measure)."""
    rate = np.asarray(rate, dtype=np.float64)
    t = (np.arange(len(rate)) + 0.5) * tick_ms
    peaks = rate_peaks(rate)
    if len(peaks) < 3:
        return 0.0
    phi = np.interp(t, t[peaks], 2 * np.pi * np.arange(len(peaks)))
    keep = (t >= max(from_ms, t[peaks[0]])) & (t <= t[peaks[-1]])
    return kuramoto(phi[keep] - 2 * np.pi * f_Hz * (t[keep] - onset_ms) / 1000.0)[0]


# --- Cakan & Obermayer 2020 Fig 6, the authors' measure -------------------------------------------------------------
# From their notebook notebooks/fig6/phase-entrainment-aln-adex.ipynb (github caglarcakan/stimulus_neural_populations),
# cells 17-18: both traces (the E rate and the stimulus, subsampled to 1 ms) are smoothed by
# scipy.ndimage.gaussian_filter(x, 5.0), peaks found by scipy.signal.find_peaks_cwt(x, np.arange(0.1, 0.2)), each
# trace's phase rises linearly 0 -> 2 pi between successive peaks, R(t) = |exp(i phi_rate) + exp(i phi_stim)| / 2
# at every sample, and the figure's colour is mean(R[5000:-500]) of a 20 s run whose sine starts at 1 s.

def gaussian_smooth(x, sigma):
    """scipy.ndimage.gaussian_filter(x, sigma) for 1-d x in numpy: weights exp(-k^2 / 2 sigma^2), |k| <= int(4 sigma
    + 0.5) (scipy's truncate = 4), normalised; the ends extended by mirror images that repeat the edge sample
    (scipy's mode "reflect", numpy's pad mode "symmetric"). sigma <= 0: x unchanged."""
    x = np.asarray(x, dtype=np.float64)
    if sigma <= 0:
        return x
    radius = int(4.0 * sigma + 0.5)
    k = np.arange(-radius, radius + 1)
    w = np.exp(-0.5 * (k / sigma) ** 2)
    w /= w.sum()
    return np.convolve(np.pad(x, radius, mode="symmetric"), w, mode="valid")


def cwt_peaks(x, noise_perc=10.0):
    """The peaks scipy.signal.find_peaks_cwt(x, np.arange(0.1, 0.2)) finds, in numpy. That call has one width, 0.1,
    whose Ricker wavelet is a single positive sample (10 x width = 1 point), so the transform is x times a constant
    and each ridge line is one sample: the peaks are x's strict local maxima (not the end samples, nor plateaus)
    whose |x| is at least |the noise_perc-th percentile of x| over a window of ceil(n/20) samples around it (the
    signal-to-noise filter, min_snr = 1). Checked against scipy in tests/python/test_fig6_order.py when scipy is
    installed."""
    x = np.asarray(x, dtype=np.float64)
    n = len(x)
    if n < 3:
        return np.array([], dtype=int)
    i = np.flatnonzero((x[1:-1] > x[:-2]) & (x[1:-1] > x[2:])) + 1
    half, odd = divmod(int(np.ceil(n / 20)), 2)
    noise = np.array([np.percentile(x[max(k - half, 0):min(k + half + odd, n)], noise_perc) for k in i])
    return i[np.abs(x[i]) >= np.abs(noise)]


def peak_to_peak_phase(x, smoothing=5.0):
    """The authors' phase of a trace (rad, 0 at each peak): x Gaussian-smoothed (sigma in samples), peaks by
    cwt_peaks, the phase rising linearly 0 -> 2 pi from one peak to the next. As their code does, the samples before
    the first peak count as a cycle starting at sample 0, and the last sample as a peak. None without any peak (their
    kuramoto() then returns 0, which their mean over a window cannot take: no colour)."""
    x = np.asarray(x, dtype=np.float64)
    peaks = cwt_peaks(gaussian_smooth(x, smoothing))
    if not len(peaks):
        return None
    ends = np.concatenate([[0], peaks, [len(x) - 1]])
    ends = ends[np.concatenate([[True], np.diff(ends) > 0])]
    return np.interp(np.arange(len(x)), ends, 2 * np.pi * np.arange(len(ends))) % (2 * np.pi)


def kuramoto_order_two_oscillators(x, y, smoothing=5.0):
    """R(t) = |exp(i phi_x(t)) + exp(i phi_y(t))| / 2 at every sample (the Kuramoto order parameter of two
    oscillators), the phases peak_to_peak_phase of x and y (same length, same sampling). R = |cos((phi_x - phi_y)/2)|:
    1 in phase, 0 in antiphase. None when either trace has no peak."""
    px, py = peak_to_peak_phase(x, smoothing), peak_to_peak_phase(y, smoothing)
    if px is None or py is None:
        return None
    return np.abs(np.exp(1j * px) + np.exp(1j * py)) / 2


def stimulus_trace(n, f_Hz, onset_ms, tick_ms=1.0):
    """A unit sine sin(2 pi f (t - onset)) from the onset, 0 before, at the tick centres: the stimulus trace whose
    peaks give phi_stim (its phase does not depend on the amplitude, so a 0 pA point has the phase a weak one has)."""
    t = (np.arange(n) + 0.5) * tick_ms
    return np.where(t >= onset_ms, np.sin(2 * np.pi * f_Hz * (t - onset_ms) / 1000.0), 0.0)


def mean_two_oscillator_order(rate, stimulus, smoothing=5.0, first=5000, last=-500):
    """The measure of Cakan & Obermayer 2020 Fig 6 ("mean(Kuramoto order R)"): the mean of
    kuramoto_order_two_oscillators(rate, stimulus, smoothing)[first:last], the traces at 1 ms per sample (the
    authors' [5000:-500]: 5 s to 19.5 s of a 20 s run). Unlocked (the phase difference sweeping evenly) it is the
    mean of |cos| = 2/pi = 0.64; locked at lag delta, |cos(delta/2)|. NaN when a trace has no peak."""
    r = kuramoto_order_two_oscillators(rate, stimulus, smoothing)
    if r is None or not len(r[first:last]):
        return float("nan")
    return float(np.mean(r[first:last]))


def cell_edges(v):
    """Edges of the cells around the values of an increasing axis, even or not: the midpoints between neighbours, and
    half the neighbouring step beyond each end (one value: +-0.5), so every point of the axis lies in the cell of the
    value nearest to it (on an even axis each cell is centred on its value). An image stretched evenly between the ends
    put the --quick grid's columns at the wrong frequencies (1, 11, 21, 31, 40, 50, 60, 70 Hz: the "11 Hz" column
    covered 9.6-18.3 Hz; an outside check, 2026-12-06)."""
    v = np.asarray(v, dtype=np.float64)
    if len(v) < 2:
        return np.array([v[0] - 0.5, v[0] + 0.5])
    mid = 0.5 * (v[1:] + v[:-1])
    return np.concatenate([[v[0] - (mid[0] - v[0])], mid, [v[-1] + (v[-1] - mid[-1])]])


if __name__ == "__main__":  # a library: says so and what to run instead (exit 2)
    from .cli import library_module
    library_module(__spec__.name, ["experiments", "tools/aln_fig4.py"])
