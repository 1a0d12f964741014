#!/usr/bin/python3
"""Cakan & Obermayer 2020 Figs 5 and 6 for the ALN mean field at A2 (inside LC_EI), with `cortexloop simulate`.

  frequency      Fig 5, frequency entrainment: a sinusoid onto E from 1 s on, f = 1..70 Hz (70 values) x zero-to-peak
                 amplitude A in {0.2, 0.4, 0.8, 1.0, 1.2, 1.4} mV/ms (x C = 200 pF), 6 s runs; for each the power
                 spectrum of the E rate after 1 s (Welch, 1 s Hann segments, normalised to its maximum, f < 70 Hz),
                 drawn as spectrum frequency against stimulus frequency, one panel per amplitude.
  phase-locking  Fig 6, phase locking: f = 20.85..22.85 Hz (41 values) x A = 0.001..0.06 mV/ms (59 values), 20 s
                 runs; the Kuramoto order parameter R = |<exp(i (phi_rate - phi_stim))>| after 500 ms, phi_rate
                 rising linearly by 2 pi from one rate peak to the next ("peak-to-peak linear phase"), drawn as R
                 over (f, A).

Each run is one `cortexloop simulate` of configs/cakan2020/aln_a2.toml with a [[stimulus]] sine set by --set; runs go
to --jobs processes. Arrays (.npy) and a PNG are written to --out.

    /usr/bin/python3 tools/aln_entrainment.py frequency --out out/aln_fig5
    /usr/bin/python3 tools/aln_entrainment.py phase-locking --out out/aln_fig6
"""
import argparse
import concurrent.futures
import os
import pathlib
import subprocess
import sys
import tempfile

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
C_PF = 200.0  # the ALN neuron's capacitance: mV/ms -> pA


def run(binary, config, f_Hz, a_mV_per_ms, duration_s, start_ms, tmp):
    out = pathlib.Path(tmp) / f"f{f_Hz:.4f}_a{a_mV_per_ms:.5f}"
    stim = (f'stimulus=[{{kind="sine",target="exc",amplitude_pA={a_mV_per_ms * C_PF!r},frequency_Hz={f_Hz!r},'
            f'start_ms={start_ms!r},stop_ms={duration_s * 1000.0 + 1.0!r}}}]')
    r = subprocess.run([str(binary), "simulate", "-q", "--config", str(config), "--out", str(out), "--duration",
                        repr(duration_s), "--set", stim], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"simulate failed for f={f_Hz} A={a_mV_per_ms}: {r.stderr.strip()}")
    rate = np.load(out / "rates.npy")[:, 0].astype(float)
    for p in out.iterdir():
        p.unlink()
    out.rmdir()
    return rate


def welch_spectrum(x, fs_Hz, seg):
    w = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(seg) / seg)
    starts = range(0, len(x) - seg + 1, seg // 2)
    p = np.mean([np.abs(np.fft.rfft((x[s:s + seg] - x[s:s + seg].mean()) * w)) ** 2 for s in starts], axis=0)
    return np.fft.rfftfreq(seg, 1.0 / fs_Hz), p


def kuramoto(rate, f_Hz, from_ms):
    t = np.arange(len(rate)) + 0.5  # ms, bin centres
    peaks = np.flatnonzero((rate[1:-1] > rate[:-2]) & (rate[1:-1] >= rate[2:]) & (rate[1:-1] > rate.mean())) + 1
    if len(peaks) < 3:
        return 0.0
    phase = np.interp(t, t[peaks], 2 * np.pi * np.arange(len(peaks)))
    keep = (t >= max(from_ms, t[peaks[0]])) & (t <= t[peaks[-1]])
    d = phase[keep] - 2 * np.pi * f_Hz * t[keep] / 1000.0
    return float(np.abs(np.mean(np.exp(1j * d))))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("what", choices=["frequency", "phase-locking"])
    ap.add_argument("--out", type=pathlib.Path, required=True, help="folder for the arrays and the PNG")
    ap.add_argument("--cortexloop", type=pathlib.Path, default=ROOT / "build" / "cortexloop")
    ap.add_argument("--config", type=pathlib.Path, default=ROOT / "configs" / "cakan2020" / "aln_a2.toml")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--quick", action="store_true", help="a coarse grid (a few values per axis) to try it out")
    a = ap.parse_args()
    if not a.cortexloop.exists():
        print(f"aln_entrainment: {a.cortexloop} not found (build it, or pass --cortexloop)", file=sys.stderr)
        return 1
    a.out.mkdir(parents=True, exist_ok=True)
    if a.what == "frequency":
        freqs = np.linspace(1, 70, 8 if a.quick else 70)
        amps = np.array([0.2, 1.4] if a.quick else [0.2, 0.4, 0.8, 1.0, 1.2, 1.4])
        duration_s, start_ms = 6.0, 1000.0
    else:
        freqs = np.linspace(20.85, 22.85, 5 if a.quick else 41)
        amps = np.linspace(0.001, 0.06, 5 if a.quick else 59)
        duration_s, start_ms = 20.0, 0.0
    grid = [(f, amp) for amp in amps for f in freqs]
    with tempfile.TemporaryDirectory() as tmp, concurrent.futures.ThreadPoolExecutor(a.jobs) as pool:
        futures = [pool.submit(run, a.cortexloop, a.config, f, amp, duration_s, start_ms, tmp) for f, amp in grid]
        rates = []
        for k, fut in enumerate(futures):
            rates.append(fut.result())
            if (k + 1) % 50 == 0 or k + 1 == len(futures):
                print(f"aln_entrainment: {k + 1}/{len(futures)} runs", file=sys.stderr)
    np.save(a.out / "stim_frequency_Hz.npy", freqs)
    np.save(a.out / "amplitude_mV_per_ms.npy", amps)
    if a.what == "frequency":
        spectra = []
        for rate in rates:
            f_spec, p = welch_spectrum(rate[1000:], 1000.0, 1000)
            p = p[f_spec < 70]
            spectra.append(p / p.max() if p.max() > 0 else p)
        f_spec = f_spec[f_spec < 70]
        spectra = np.array(spectra).reshape(len(amps), len(freqs), len(f_spec))
        np.save(a.out / "spectrum_frequency_Hz.npy", f_spec)
        np.save(a.out / "spectra_normalised.npy", spectra)  # [amplitude, stimulus frequency, spectrum frequency]
        fig, axes = plt.subplots(1, len(amps), figsize=(3.0 * len(amps), 3.2), sharey=True, constrained_layout=True)
        for ax, amp, s in zip(np.atleast_1d(axes), amps, spectra):
            ax.imshow(s.T, origin="lower", aspect="auto", cmap="magma",
                      extent=[freqs[0], freqs[-1], f_spec[0], f_spec[-1]])
            ax.set_title(f"A = {amp:g} mV/ms ({amp * C_PF:g} pA)", fontsize=9)
            ax.set_xlabel("stimulus frequency [Hz]")
        np.atleast_1d(axes)[0].set_ylabel("frequency of the E rate [Hz]")
        fig.suptitle("ALN at A2: normalised power spectrum of the E rate (cf. Cakan & Obermayer 2020 Fig 5)")
        png = a.out / "aln_fig5_entrainment.png"
    else:
        r = np.array([kuramoto(rate, f, 500.0) for (f, _), rate in zip(grid, rates)]).reshape(len(amps), len(freqs))
        np.save(a.out / "kuramoto_R.npy", r)  # [amplitude, stimulus frequency]
        fig, ax = plt.subplots(figsize=(6, 4.5), constrained_layout=True)
        im = ax.imshow(r, origin="lower", aspect="auto", cmap="viridis", vmin=0, vmax=1,
                       extent=[freqs[0], freqs[-1], amps[0] * C_PF, amps[-1] * C_PF])
        fig.colorbar(im, ax=ax, label="Kuramoto order parameter R")
        ax.set_xlabel("stimulus frequency [Hz]")
        ax.set_ylabel("stimulus amplitude [pA]")
        ax.set_title("ALN at A2: phase locking (cf. Cakan & Obermayer 2020 Fig 6)", fontsize=10)
        png = a.out / "aln_fig6_phase_locking.png"
    fig.savefig(png, dpi=110)
    print(f"aln_entrainment: wrote {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
