"""Cakan & Obermayer 2020 Figs 5 and 6 (entrainment and phase locking at A2) on the ALN node, the spiking network,
or both side by side, offline (`cortexloop simulate`, one run per point) or live (one `cortexloop serve --mode
stepped` session, one Reset and one SetStimulation sine per point). The scans (grids, run lengths, analysis
windows, which config each model runs) are configs/cakan2020/entrainment.toml; tools/aln_entrainment.py is the
command-line front end. The analysis, for both paths, is analysis.welch_spectrum (Fig 5) and, for Fig 6, the paper's
measure analysis.mean_two_oscillator_order and the phase-locking value analysis.peak_to_peak_kuramoto.

Live, each point is: Reset(seed) (the engine rebuilt from the server's config: every point starts from the state a
fresh `simulate` starts from), SetStimulation (Population site Exc, waveform Sine, amplitude_pa zero-to-peak,
frequency_hz, delay_ms = the onset, duration_ms to the end), Step over the run, the readouts of that epoch kept.
Like `simulate`'s [[stimulus]] sine, the stimulator (firmware_sim) gives each 0.1-ms step the sine's mean over that
step (engine/inputs/sine_step.cpp); the command carries amplitude and frequency as float32.
"""
import os
import pathlib
import subprocess
import sys
import textwrap
import time

import numpy as np

from . import analysis, cli
from .analysis import cell_edges  # also drawn by tools/plot_aln_sweep.py
from .loop import REPO, Server, connect
from .mpl import pyplot
from .readouts import rate_readout, require_accepted, tick_readouts

C_PF = 200.0  # the E cells' (and the ALN E population's) capacitance: 1 mV/ms of mu is 200 pA
SCANS = os.path.join(REPO, "configs", "cakan2020", "entrainment.toml")
FIGURES = {"frequency": "fig5", "phase-locking": "fig6"}
MODELS = ("aln", "network", "both")
MAX_FREQUENCY_HZ = 1000.0  # the stimulator's highest sine frequency


def _axis(value, where):
    """A grid axis: a list of values, or {start, stop, n} (n values with both ends, numpy's linspace)."""
    if isinstance(value, dict):
        missing = {"start", "stop", "n"} - set(value)
        if missing:
            raise ValueError(f"{where}: needs start, stop and n (missing {', '.join(sorted(missing))})")
        if int(value["n"]) < 1:
            raise ValueError(f"{where}.n = {value['n']}: must be >= 1")
        return np.linspace(float(value["start"]), float(value["stop"]), int(value["n"]))
    if isinstance(value, list) and value and all(isinstance(v, (int, float)) for v in value):
        return np.array(value, dtype=np.float64)
    raise ValueError(f"{where}: must be a non-empty list of numbers or {{start, stop, n}}, got {value!r}")


def _thin(values, keep):
    """`keep` values spread over the axis, both ends included (the --quick grids)."""
    if len(values) <= keep:
        return values
    return values[np.unique(np.round(np.linspace(0, len(values) - 1, keep)).astype(int))]


def load_scan(what, model, path=SCANS, quick=False, frequencies_Hz=None, amplitudes_mV_per_ms=None):
    """The scan of `what` ("frequency": Fig 5, "phase-locking": Fig 6) for `model` (aln, network, both) from the
    scan file; frequencies_Hz / amplitudes_mV_per_ms replace the file's grid (e.g. a reduced one)."""
    if what not in FIGURES:
        raise ValueError(f"scan {what!r} is not one of {', '.join(FIGURES)}")
    if frequencies_Hz is not None:  # named as the caller's, not blamed on the scan file (an outside check, 2026-12-06)
        bad = [f for f in frequencies_Hz if not 0 < f <= MAX_FREQUENCY_HZ]
        if bad or not len(frequencies_Hz):
            raise ValueError(f"frequencies_Hz given {list(frequencies_Hz)}: "
                             + (f"{bad[0]:g} Hz is outside " if bad else "none given; each must be in ")
                             + f"(0, {MAX_FREQUENCY_HZ:g}] Hz (the stimulator's range)")
    if model not in MODELS:
        raise ValueError(f"model {model!r} is not one of {', '.join(MODELS)}")
    cfg = cli.load_toml(path)
    fig = FIGURES[what]
    try:
        return _scan_of(cfg, what, fig, model, path, quick, frequencies_Hz, amplitudes_mV_per_ms)
    except KeyError as e:  # a bare "'fig5'" or "'duration_s'" was all a mistyped scan file got (an outside check)
        raise ValueError(f"{path}: no key {e.args[0]!r} where the {what} scan of model {model} reads it ([{fig}], "
                         f"[{fig}.{model}] or [models.{model}]; {os.path.relpath(SCANS)} shows the layout)") from None
    except (TypeError, ValueError) as e:
        raise ValueError(f"{path}: a value of the {what} scan ([{fig}] or [models.{model}]) is not what it should "
                         f"be: {e}") from None


def _scan_of(cfg, what, fig, model, path, quick, frequencies_Hz, amplitudes_mV_per_ms):
    sec = cfg[fig]
    grid = sec.get(model, sec)  # Fig 6 has a grid per model, Fig 5 one for all
    where = f"{path} [{fig}{'.' + model if model in sec else ''}]"
    s = {"what": what, "figure": fig, "model": model,
         "frequencies_Hz": _axis(grid["frequencies_Hz"], where + " frequencies_Hz"),
         "amplitudes_mV_per_ms": _axis(grid["amplitudes_mV_per_ms"], where + " amplitudes_mV_per_ms"),
         "duration_s": float(sec["duration_s"]), "onset_ms": float(sec["onset_ms"]),
         "config": os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(path)), cfg["models"][model]["config"])),
         "sets": list(cfg["models"][model].get("sets", [])),
         "smooth_ms": {m: int(cfg["models"][m].get("smooth_ms", 1)) for m in ("aln", "network")}}
    if fig == "fig5":
        s.update(welch_segment_ms=int(sec["welch_segment_ms"]), max_Hz=float(sec["max_Hz"]))
    else:
        s["from_ms"] = float(sec["from_ms"])
        s.update(order_from_ms=float(sec["order_from_ms"]), order_to_end_ms=float(sec["order_to_end_ms"]),
                 order_smoothing_ms=float(sec["order_smoothing_ms"]))
    if quick:
        s["frequencies_Hz"] = _thin(s["frequencies_Hz"], 8 if fig == "fig5" else 5)
        s["amplitudes_mV_per_ms"] = _thin(s["amplitudes_mV_per_ms"], 2 if fig == "fig5" else 5)
    if frequencies_Hz is not None:
        s["frequencies_Hz"] = np.asarray(frequencies_Hz, dtype=np.float64)
    if amplitudes_mV_per_ms is not None:
        s["amplitudes_mV_per_ms"] = np.asarray(amplitudes_mV_per_ms, dtype=np.float64)
    if not (s["onset_ms"] >= 0 and s["onset_ms"] < 1000.0 * s["duration_s"]):
        raise ValueError(f"{path} [{fig}]: onset_ms = {s['onset_ms']} must be in [0, duration_s * 1000)")
    if np.any(s["frequencies_Hz"] <= 0) or np.any(s["frequencies_Hz"] > MAX_FREQUENCY_HZ):  # the file's own grid
        raise ValueError(f"{where}: stimulus frequencies must be in (0, {MAX_FREQUENCY_HZ:g}] Hz (the stimulator's "
                         "range)")
    return s


def points(scan):
    """(frequency Hz, amplitude mV/ms) of every point, amplitude-major: results reshape to [amplitude, frequency]."""
    return [(f, a) for a in scan["amplitudes_mV_per_ms"] for f in scan["frequencies_Hz"]]


# --- offline: one `cortexloop simulate` per point (the ALN model) ------------------------------------------------
def offline_rate(binary, scan, f_Hz, a_mV_per_ms, tmp):
    """The E rate (Hz per 1-ms tick) of one `simulate` of the scan's config with a [[stimulus]] sine set by --set."""
    out = pathlib.Path(tmp) / f"f{f_Hz:.4f}_a{a_mV_per_ms:.5f}"
    stop_ms = scan["duration_s"] * 1000.0 + 1.0
    stim = (f'stimulus=[{{kind="sine",target="exc",amplitude_pA={a_mV_per_ms * C_PF!r},frequency_Hz={f_Hz!r},'
            f'start_ms={scan["onset_ms"]!r},stop_ms={stop_ms!r}}}]')
    args = [str(binary), "simulate", "-q", "--config", scan["config"], "--out", str(out), "--duration",
            repr(scan["duration_s"]), "--set", stim]
    for s in scan["sets"]:
        args += ["--set", s]
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        raise cli.ToolError(f"`cortexloop simulate` failed (exit {r.returncode}) for f = {f_Hz:g} Hz, "
                            f"A = {a_mV_per_ms:g} mV/ms: {r.stderr.strip()}")
    rate = np.load(out / "rates.npy")[:, 0].astype(np.float64)
    for p in out.iterdir():
        p.unlink()
    out.rmdir()
    return rate


# --- live: one serve session, Reset + SetStimulation + Step per point ---------------------------------------------
def live_point(client, seed, f_Hz, amplitude_pA, onset_ms, ticks, tick_ms, chunk_ticks=1000, timeout_s=60.0):
    """One point in a stepped server: per-tick arrays of the readouts of the new epoch, t = 0 at the Reset:
    net_rate_exc_Hz, aln_rate_e_Hz (NaN without a node), i_stim_exc_pA."""
    epoch = require_accepted(client.wait_ack(client.reset(seed), timeout_s), "the Reset", timeout_s).epoch
    ack = require_accepted(
        client.wait_ack(client.stimulate(amplitude_pA, waveform="sine", population="exc", frequency_hz=f_Hz,
                                         delay_ms=onset_ms, duration_ms=ticks * tick_ms - onset_ms), timeout_s),
        f"the sine at {f_Hz:g} Hz, {amplitude_pA:g} pA", timeout_s)
    if ack.tick_applied != 0:
        raise cli.ToolError(f"the sine was applied at tick {ack.tick_applied}, not 0: is the server in stepped "
                            "mode?")
    out = np.full((3, ticks), np.nan)
    for k, r in tick_readouts(client, ticks, 0, epoch, True, chunk_ticks, timeout_s, decode=rate_readout):
        out[:, k] = (r[2], r[4], r[3])
    return {"net_rate_exc_Hz": out[0], "aln_rate_e_Hz": out[1], "i_stim_exc_pA": out[2]}


def run_live(scan, binary=None, seed=1, sets=(), progress=True):
    """Every point of the scan in one stepped `serve` of the scan's config. Returns {model: [rate per point]} for
    each model the server runs ("aln" and/or "network"), the stimulus per point, and the wall time per point."""
    rates = {"aln": [], "network": []}
    stims, walls = [], []
    with Server(scan["config"], "stepped", seed, [*scan["sets"], *sets], binary) as server:
        client = connect(server, timeout=120.0)
        try:
            info = client.info(30.0)
            if info is None:
                raise cli.ToolError("no answer to GetInfo from the server in 30 s")
            tick_ms = info["tick_ms"]
            ticks = int(round(scan["duration_s"] * 1000.0 / tick_ms))
            has = {"aln": bool(info["aln"]), "network": info["n_exc"] > 0}
            for model, needed in (("aln", scan["model"] in ("aln", "both")),
                                  ("network", scan["model"] in ("network", "both"))):
                if needed and not has[model]:
                    raise cli.ToolError(f"{scan['config']}: the server runs no {model} (model {scan['model']})")
            grid = points(scan)
            if progress:  # a first line at once: the first ten points of a network scan took minutes in silence
                print(f"entrainment: {cli.plural(len(grid), 'point')} of {scan['duration_s']:g} s live ({scan['model']})",
                      file=sys.stderr, flush=True)
            shown = time.monotonic()
            for k, (f, a) in enumerate(grid):
                w0 = time.monotonic()
                d = live_point(client, seed, f, a * C_PF, scan["onset_ms"], ticks, tick_ms)
                walls.append(time.monotonic() - w0)
                if has["aln"]:
                    rates["aln"].append(d["aln_rate_e_Hz"])
                if has["network"]:
                    rates["network"].append(d["net_rate_exc_Hz"])
                stims.append(d["i_stim_exc_pA"])
                # Every 10 points or 5 s, whichever comes first, and at the end.
                if progress and ((k + 1) % 10 == 0 or k + 1 == len(grid) or time.monotonic() - shown >= 5.0):
                    left = np.median(walls) * (len(grid) - k - 1)
                    print(f"entrainment: {k + 1}/{len(grid)} points live, {np.median(walls):.2f} s per point, "
                          f"about {left:.0f} s left", file=sys.stderr, flush=True)
                    shown = time.monotonic()
        finally:
            client.close()
    return {m: r for m, r in rates.items() if r}, stims, np.array(walls)


# --- analysis and figures (both paths) ----------------------------------------------------------------------------
def fig5_spectra(scan, rates):
    """Normalised Welch spectra of the E rate after the onset: (spectrum frequencies, [amplitude, f_stim, f])."""
    seg = scan["welch_segment_ms"]
    spectra = []
    for rate in rates:
        f_spec, p = analysis.welch_spectrum(rate[int(scan["onset_ms"]):], 1000.0, seg)
        p = p[f_spec < scan["max_Hz"]]
        spectra.append(p / p.max() if p.max() > 0 else p)
    f_spec = f_spec[f_spec < scan["max_Hz"]]
    return f_spec, np.array(spectra).reshape(len(scan["amplitudes_mV_per_ms"]), len(scan["frequencies_Hz"]), -1)


def fig6_plv(scan, rates, model):
    """Phase-locking value per point, [amplitude, frequency] (analysis.peak_to_peak_kuramoto: not the paper's Fig 6
    measure; ~0 unlocked, 1 locked at any lag), peaks picked on the model's smooth_ms moving mean, from from_ms."""
    r = [analysis.peak_to_peak_kuramoto(analysis.smooth(rate, scan["smooth_ms"][model]), f, 1.0, scan["onset_ms"],
                                        scan["from_ms"]) for (f, _), rate in zip(points(scan), rates)]
    return np.array(r).reshape(len(scan["amplitudes_mV_per_ms"]), len(scan["frequencies_Hz"]))


def fig6_mean_order(scan, rates):
    """The paper's Fig 6 measure per point, [amplitude, frequency]: analysis.mean_two_oscillator_order of the E rate
    (1 ms ticks) and a unit sine from the onset (its peaks give the stimulus phase whatever the amplitude, 0 pA
    included), over order_from_ms .. the end - order_to_end_ms, both smoothed with sigma order_smoothing_ms, as the
    authors do for both models. ~2/pi = 0.64 unlocked, |cos(lag/2)| locked."""
    first, last = int(round(scan["order_from_ms"])), -int(round(scan["order_to_end_ms"])) or None
    r = [analysis.mean_two_oscillator_order(rate, analysis.stimulus_trace(len(rate), f, scan["onset_ms"]),
                                            scan["order_smoothing_ms"], first, last)
         for (f, _), rate in zip(points(scan), rates)]
    return np.array(r).reshape(len(scan["amplitudes_mV_per_ms"]), len(scan["frequencies_Hz"]))


MODEL_NAMES = {"aln": "ALN", "network": "network"}


def _even(v):
    return len(v) == 2 or (len(v) > 2 and np.allclose(np.diff(v), v[1] - v[0]))


def _grid_image(ax, r, x, y, vmin=0.0, vmax=1.0):
    """R over (x, y) as an image; an uneven axis (e.g. the side-by-side grid over both models' tongues) is drawn
    by index with its values as tick labels rather than stretched."""
    ex = cell_edges(x)[[0, -1]] if _even(x) else [-0.5, len(x) - 0.5]
    ey = cell_edges(y)[[0, -1]] if _even(y) else [-0.5, len(y) - 0.5]
    im = ax.imshow(r, origin="lower", aspect="auto", cmap="viridis", vmin=vmin, vmax=vmax, extent=[*ex, *ey])
    if len(x) == 1 or not _even(x):
        ax.set_xticks(range(len(x)), [f"{v:.3g}" for v in x], fontsize=7, rotation=90)
    if len(y) == 1 or not _even(y):
        ax.set_yticks(range(len(y)), [f"{v:.3g}" for v in y], fontsize=7)
    return im


def save_and_plot(scan, rates, out, title_extra=""):
    """Arrays (.npy, per model a subfolder when there are several) and one PNG; returns the PNG's path."""
    plt = pyplot()
    from matplotlib.colors import LogNorm

    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    freqs, amps = scan["frequencies_Hz"], scan["amplitudes_mV_per_ms"]
    np.save(out / "stim_frequency_Hz.npy", freqs)
    np.save(out / "amplitude_mV_per_ms.npy", amps)
    models = list(rates)
    prefix = (lambda m: f"{m}_") if len(models) > 1 else (lambda m: "")
    if scan["figure"] == "fig5":
        fig, axes = plt.subplots(len(models), len(amps), figsize=(3.0 * len(amps), 3.0 * len(models) + 0.4),
                                 sharey=True, squeeze=False, constrained_layout=True)
        for row, m in zip(axes, models):
            f_spec, spectra = fig5_spectra(scan, rates[m])
            np.save(out / "spectrum_frequency_Hz.npy", f_spec)
            np.save(out / f"{prefix(m)}spectra_normalised.npy", spectra)  # [amplitude, stim frequency, frequency]
            order = np.argsort(freqs, kind="stable")  # --frequencies in any order: the columns left to right
            for ax, amp, s in zip(row, amps, spectra):
                # One fixed logarithmic scale, 0.01-1, as the authors' Fig 5 notebook draws it (LogNorm(vmin=0.01,
                # vmax=1)): every spectrum is normalised to its own maximum, so one colour bar reads all panels, and
                # the harmonics and subharmonics at a few percent of the peak show (a linear scale hid them); power
                # below 0.01 is drawn as 0.01. Each column holds its own stimulus frequency, its edges halfway to its
                # neighbours' (cell_edges), however uneven the grid.
                im = ax.pcolormesh(cell_edges(freqs[order]), cell_edges(f_spec), np.maximum(s[order].T, 0.01),
                                   cmap="magma", norm=LogNorm(vmin=0.01, vmax=1.0), shading="flat", rasterized=True)
                ax.set_title(f"{MODEL_NAMES[m]}, A = {amp:g} mV/ms ({amp * C_PF:g} pA)", fontsize=9)
                ax.set_xlabel("stimulus frequency [Hz]")
            row[0].set_ylabel(f"frequency of the {MODEL_NAMES[m]} E rate [Hz]")
        fig.colorbar(im, ax=axes.ravel().tolist(), label="power / spectrum's maximum (log)", shrink=0.9)
        # Wrapped to the figure's width: with few amplitudes (--quick: 2 panels) one line ran off both edges.
        title = "A2: normalised power spectrum of the E rate (cf. Cakan & Obermayer 2020 Fig 5)" + title_extra
        fig.suptitle(textwrap.fill(title, width=max(40, int(fig.get_figwidth() * 10))))
        png = out / "fig5_entrainment.png"
    else:
        # Two rows: the paper's measure (its colour scale from 0.5: unlocked is 2/pi = 0.64, not 0) and the PLV, which
        # reads the tongue more plainly (0 unlocked).
        fig, axes = plt.subplots(2, len(models), figsize=(6 * len(models), 9.0), squeeze=False,
                                 constrained_layout=True)
        for col, m in enumerate(models):
            mean_r, plv = fig6_mean_order(scan, rates[m]), fig6_plv(scan, rates[m], m)
            np.save(out / f"{prefix(m)}mean_order_R.npy", mean_r)  # [amplitude, stimulus frequency]
            np.save(out / f"{prefix(m)}plv.npy", plv)
            rows = ((mean_r, 0.5, 1.0, "mean two-oscillator Kuramoto order R (the paper's; 2/pi unlocked)",
                     "the paper's measure, mean R over {:g}-{:g} s".format(
                         scan["order_from_ms"] / 1000, scan["duration_s"] - scan["order_to_end_ms"] / 1000)),
                    (plv, 0.0, 1.0, "phase-locking value (0 unlocked, 1 locked)",
                     "phase-locking value from {:g} s (not the paper's measure)".format(scan["from_ms"] / 1000)))
            for ax, (r, lo, hi, label, what) in zip(axes[:, col], rows):
                im = _grid_image(ax, r, freqs, amps * C_PF, lo, hi)
                fig.colorbar(im, ax=ax, label=label)
                ax.set_xlabel("stimulus frequency [Hz]")
                ax.set_ylabel("stimulus amplitude [pA]")
                ax.set_title(f"{MODEL_NAMES[m]} at A2 (cf. Cakan & Obermayer 2020 Fig 6):\n{what}", fontsize=10)
        if title_extra:
            fig.suptitle(title_extra.strip(" ,"))
        png = out / "fig6_phase_locking.png"
    fig.savefig(cli.with_folder(png), dpi=110)
    plt.close(fig)
    return png


if __name__ == "__main__":  # a library: says so and what to run instead (exit 2)
    from .cli import library_module
    library_module(__spec__.name, ["tools/aln_entrainment.py"])
