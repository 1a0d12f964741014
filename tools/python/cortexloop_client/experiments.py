"""The stimulation experiments of Cakan & Obermayer 2020 (seed 003) on the Zerlaut 2018 network and ring,
run through the client in stepped mode (deterministic: the same config, seed and commands give the same
arrays, bit for bit).

    /usr/bin/python3 -m cortexloop_client.experiments configs/stimulation/dc_step.toml --out out/stim/dc
    /usr/bin/python3 -m cortexloop_client.experiments configs/stimulation/sine_entrainment.toml --out out/stim/sine

(PYTHONPATH=build/python:tools/python.) An experiment file (configs/stimulation/*.toml) names the server
config (`server_config`, relative to the file), the seeds, and a `[dc_step]` or `[sine]` protocol, units in
the key names. Each experiment writes `<out>/<name>.npz` (arrays), `<name>.json` (numbers) and `<name>.png`.

(a) DC step (Cakan Fig. 4 A1-A3): pre-stimulus `pre_ms` (the paper's 1000 ms) after `warmup_ms` (the
network's start-up transient and adaptation, discarded), a DC step of each `amplitudes_pA` on the excitatory
population for `step_ms`, then release for `post_ms`. One SetStimulation (Population site, waveform Dc,
delay_ms, duration_ms) drives every network cell and every ring unit, so network and mean field see the same
current (or, with `ring_position_mm`, a RingPosition site that drives only the ring's units around it: the
ring's lateral spread shows in the VSDi map). Reported per amplitude: mean exc/inh rate before, during (last half) and after the step, for the
network and the ring (mean over units), the correlation of their time courses (network smoothed over
`smooth_ms`), and the peak (onset) rate.

(b) Sinusoidal stimulation across `frequencies_Hz` (Cakan Figs. 5-6): a sine of each `amplitudes_pA` on the
excitatory population for `stim_ms` after `warmup_ms`. Over the analysis window (the stimulation minus its
first `settle_ms`; a whole number of stimulus periods, so the stimulus frequency falls on a bin of the
rectangular-window periodogram with no leakage):
- power of the exc rate at f, and its ratio to the mean power of the 10 bins on each side (excluding +-1 bin);
- phase locking: Kuramoto order parameter R = |mean(exp(i(phi_rate - phi_stim)))| over the window's samples,
  phi_stim = 2 pi f (t - t_on) - pi/2 (the stimulus is A sin(2 pi f (t - t_on)); cosine-phase convention),
  phi_rate the phase of the exc rate from a zero-phase FFT band-pass (f +- 20%) and the analytic signal
  (Hilbert transform by FFT). Offline and non-causal on purpose: it is the reference, computed on the whole
  record. Cakan & Obermayer instead interpolate the phase linearly between successive rate peaks; on a clean
  oscillation the two agree, on a noisy one the Hilbert phase is defined at every sample without peak picking.
  R = 1: the rate keeps a fixed lag to the stimulus; R ~ 1/sqrt(cycles) (not 0): no locking in a finite window.
  The mean lag (deg) is reported too.
"""
import argparse
import json
import math
import os
import time

import numpy as np

from . import analysis, cli
from .style import EXC_COLOUR, INH_COLOUR, STIM_COLOUR
from .loop import DEFAULT_BIN, REPO, Server, connect
from .mpl import pyplot
from .readouts import require_accepted, tick_readouts


# --- running one protocol in stepped mode ----------------------------------------------------------------------
def run_stepped(config, ticks, programs, seed=1, sets=(), binary=None, chunk_ticks=500, ring=True, client=None,
                server=None, timeout_s=10.0):
    """Starts `serve --mode stepped` (unless client/server are given), sends `programs` (StimCommand-like
    kwargs for Client.stimulate) before the first tick, steps `ticks` ticks and returns per-tick arrays:
    t_ms, rate_exc_Hz, rate_inh_Hz, i_stim_exc_pA and, with a ring, ring_rates_exc_Hz [ticks, units],
    ring_rates_inh_Hz, vsdi_percent, ring_stim_pA and the ring's shape from the server's Info, ring_units and
    ring_length_mm (positions in mm are on it: ring.length_mm need not be 36). A readout that does not come within
    timeout_s of the one before (or of the Step) ends the run with cli.ToolError."""
    own = client is None
    if own:
        server = Server(config, "stepped", seed, sets, binary)
        client = connect(server)
    finished = False
    try:
        for p in programs:
            ack = require_accepted(client.wait_ack(client.stimulate(**p), 10),
                                   f"the {p.get('waveform', 'dc')} stimulation of {p.get('amplitude_pa')} pA", 10)
            if ack.tick_applied != 0:
                raise cli.ToolError(f"program applied at tick {ack.tick_applied}, expected 0 (is the server in "
                                    "stepped mode?)")
        rows, ring_rows = [None] * ticks, [None] * ticks
        # The server is at tick 0 (its programs were applied there); a readout that does not come within timeout_s
        # of the one before ends the run (tick_readouts, which steps the server chunk_ticks at a time).
        for k, r in tick_readouts(client, ticks, first_tick=0, stepped=True, chunk_ticks=chunk_ticks,
                                  timeout_s=timeout_s):
            rows[k] = (r["t_ms"], r["exc"]["rate_hz"], r["inh"]["rate_hz"], r["exc"]["i_stim_pa"])
            if ring and len(r["ring_rates_exc_hz"]):
                ring_rows[k] = (r["ring_rates_exc_hz"], r["ring_rates_inh_hz"], r["vsdi_percent"], r["ring_stim_pa"])
        has_ring = ticks > 0 and ring_rows[0] is not None
        if has_ring:  # after the run: a stand-in client without GetInfo still meets the readout timeout
            info = client.info(timeout_s)
            if not info:
                raise cli.ToolError(f"no answer to GetInfo within {timeout_s:g} s: the ring's length is in it")
            geometry = {"ring_units": int(info["ring_units"]), "ring_length_mm": float(info["ring_length_mm"])}
        finished = True
    finally:
        if own:
            client.close()
            server.stop(check=finished)
    a = np.array(rows, dtype=np.float64)
    out = {"t_ms": a[:, 0], "rate_exc_Hz": a[:, 1], "rate_inh_Hz": a[:, 2], "i_stim_exc_pA": a[:, 3]}
    if has_ring:
        for j, key in enumerate(("ring_rates_exc_Hz", "ring_rates_inh_Hz", "vsdi_percent", "ring_stim_pA")):
            out[key] = np.array([row[j] for row in ring_rows], np.float32)
        out.update(geometry)
    return out


# The keys each kind of experiment reads without a default (dc_step() and sine() below): durations (ms, >= 0; the
# stimulation's own > 0) and lists of numbers (non-empty; frequencies > 0).
DURATIONS_MS = {"dc_step": ["warmup_ms", "pre_ms", "step_ms", "post_ms"], "sine": ["warmup_ms", "stim_ms", "settle_ms"]}
STIMULATION_MS = {"dc_step": "step_ms", "sine": "stim_ms"}
LISTS = {"dc_step": ["amplitudes_pA"], "sine": ["frequencies_Hz"]}


def _number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def check_experiment(path, cfg, kind):
    """Every value an experiment reads, checked before its first run: a negative step_ms started a server and failed
    after its warm-up, an empty amplitude list ended in an UnboundLocalError, seeds = "one" ran `serve --seed o`
    (an outside check, 2026-12-04)."""
    sec = cfg[kind]
    missing = [k for k in DURATIONS_MS[kind] + LISTS[kind] if k not in sec]
    if missing:  # found before the first run, not as a KeyError traceback after some
        raise cli.ToolError(f"{path}: [{kind}] lacks {', '.join(missing)} (configs/stimulation/ has complete "
                            "examples)")
    for key in DURATIONS_MS[kind]:
        v = sec[key]
        if not _number(v) or not (v > 0 if key == STIMULATION_MS[kind] else v >= 0):
            raise cli.ToolError(f"{path}: [{kind}] {key} = {sec[key]!r}: must be a number of ms "
                                f"{'> 0' if key == STIMULATION_MS[kind] else '>= 0'}")
    for key in LISTS[kind] + (["amplitudes_pA"] if kind == "sine" and "amplitudes_pA" in sec else []):
        v = sec[key]
        if not isinstance(v, list) or not v or not all(_number(x) for x in v) or \
                (key == "frequencies_Hz" and not all(x > 0 for x in v)):
            raise cli.ToolError(f"{path}: [{kind}] {key} = {v!r}: must be a non-empty list of numbers"
                                + (" > 0" if key == "frequencies_Hz" else ""))
    seeds = cfg.get("seeds", [1])
    if not isinstance(seeds, list) or not seeds or not all(isinstance(x, int) and not isinstance(x, bool)
                                                            and 0 <= x <= 2**63 - 1 for x in seeds):
        raise cli.ToolError(f"{path}: seeds = {seeds!r}: must be a non-empty list of whole numbers in [0, 2^63 - 1]")
    sets = cfg.get("sets", [])
    if not isinstance(sets, list) or not all(isinstance(x, str) for x in sets):
        raise cli.ToolError(f"{path}: sets = {sets!r}: must be a list of \"section.key=value\" strings")


def load_experiment(path):
    cfg = cli.load_toml(path)
    if "server_config" not in cfg:  # e.g. a server config given where an experiment file is expected
        raise OSError(f"{path}: not an experiment file: it has no server_config key (the experiments are in "
                      f"configs/stimulation/; a server config such as configs/default.toml is what they name)")
    kinds = [k for k in ("dc_step", "sine") if k in cfg]
    if len(kinds) != 1:  # with both, only [dc_step] ran, without a word
        raise cli.ToolError(f"{path}: needs one [dc_step] or [sine] section, " +
                            ("not both (one experiment per file)" if kinds else "and has neither"))
    kind = kinds[0]
    check_experiment(path, cfg, kind)
    cfg["server_config"] = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(path)),
                                                         cfg["server_config"]))
    cfg.setdefault("name", os.path.splitext(os.path.basename(path))[0])
    cfg.setdefault("sets", [])
    cfg.setdefault("seeds", [1])
    return cfg


def correlation(a, b):
    a = np.asarray(a, np.float64) - np.mean(a)
    b = np.asarray(b, np.float64) - np.mean(b)
    return float(np.sum(a * b) / math.sqrt(np.sum(a * a) * np.sum(b * b)))


def ring_unit(position_mm, n_units, length_mm):
    """The ring unit nearest position_mm (unit i sits at i * length / n_units, engine/meanfield/ring_geometry), on
    the server's ring (Info's ring_units, ring_length_mm): a fixed 36 mm took unit 50 for 54 mm on a 72 mm ring of
    100 units, which is unit 75 (an outside audit)."""
    return int(round(position_mm / length_mm * n_units)) % n_units


# --- (a) DC step --------------------------------------------------------------------------------------------------
def dc_step_run(server_config, amplitude_pA, warmup_ms, pre_ms, step_ms, post_ms, seed=1, sets=(), binary=None,
                population="exc", ring_position_mm=None, ring_width_mm=1.5):
    """One DC-step run (one SetStimulation: Dc, delay warmup+pre, duration step; a Population site, or a
    RingPosition site at ring_position_mm that drives only the ring); returns run_stepped's arrays."""
    ticks = int(warmup_ms + pre_ms + step_ms + post_ms)
    prog = {"amplitude_pa": amplitude_pA, "waveform": "dc", "population": population, "channel": 0,
            "delay_ms": warmup_ms + pre_ms, "duration_ms": step_ms, "ring_position_mm": ring_position_mm,
            "width_mm": ring_width_mm}
    return run_stepped(server_config, ticks, [prog], seed, sets, binary)


def dc_step(cfg, out_dir, binary=None, progress=print):
    p = cfg["dc_step"]
    w, pre, step, post = p["warmup_ms"], p["pre_ms"], p["step_ms"], p["post_ms"]
    smooth_ms = int(p.get("smooth_ms", 20))
    site_mm, width_mm = p.get("ring_position_mm"), p.get("ring_width_mm", 1.5)
    results, arrays = [], {}
    for seed in cfg["seeds"]:
        for amp in p["amplitudes_pA"]:
            t0 = time.monotonic()
            a = dc_step_run(cfg["server_config"], amp, w, pre, step, post, seed, cfg["sets"], binary,
                            ring_position_mm=site_mm, ring_width_mm=width_mm)
            net = analysis.smooth(a["rate_exc_Hz"], smooth_ms)
            ring = None
            if "ring_rates_exc_Hz" in a:   # uniform site: the ring's mean; ring site: the unit under the site
                unit = ring_unit(site_mm, a["ring_units"], a["ring_length_mm"]) if site_mm is not None else None
                ring = a["ring_rates_exc_Hz"].mean(axis=1) if unit is None else a["ring_rates_exc_Hz"][:, unit]
                ring_inh = a["ring_rates_inh_Hz"].mean(axis=1) if unit is None else a["ring_rates_inh_Hz"][:, unit]
            sl = slice(int(w), None)
            on, off = int(w + pre), int(w + pre + step)
            def means(x):  # noqa: E306
                return {"pre": float(x[on - int(pre):on].mean()), "during": float(x[on + int(step) // 2:off].mean()),
                        "peak": float(analysis.smooth(x, smooth_ms)[on:off].max()),
                        "post": float(x[off + int(post) // 2:].mean())}
            r = {"seed": seed, "amplitude_pA": amp, "network_exc_Hz": means(a["rate_exc_Hz"]),
                 "network_inh_Hz": means(a["rate_inh_Hz"])}
            if ring is not None:
                r["ring_exc_Hz"] = means(ring)
                r["ring_inh_Hz"] = means(ring_inh)
                if site_mm is None:
                    r["corr_network_vs_ring"] = correlation(net[sl], ring[sl])
                else:
                    r["ring_site_mm"] = site_mm
                    r["ring_unit"] = unit
                    r["ring_width_mm"] = width_mm
            results.append(r)
            key = f"seed{seed}_{amp:g}pA"
            arrays[key + "_rate_exc_Hz"] = a["rate_exc_Hz"].astype(np.float32)
            arrays[key + "_rate_inh_Hz"] = a["rate_inh_Hz"].astype(np.float32)
            arrays[key + "_i_stim_exc_pA"] = a["i_stim_exc_pA"].astype(np.float32)
            if ring is not None:
                arrays[key + "_ring_rates_exc_Hz"] = a["ring_rates_exc_Hz"]
                arrays[key + "_vsdi_percent"] = a["vsdi_percent"]
                arrays[key + "_ring_stim_pA"] = a["ring_stim_pA"]
                arrays["ring_units"], arrays["ring_length_mm"] = a["ring_units"], a["ring_length_mm"]
            has_net = bool(np.any(a["rate_exc_Hz"]))
            progress(f"  dc step seed {seed} {amp:6.1f} pA: " + (
                     f"network exc {r['network_exc_Hz']['pre']:.2f} -> "
                     f"{r['network_exc_Hz']['during']:.2f} (peak {r['network_exc_Hz']['peak']:.2f}) -> "
                     f"{r['network_exc_Hz']['post']:.2f} Hz; " if has_net else "")
                     + (f"ring exc {r['ring_exc_Hz']['pre']:.2f} -> {r['ring_exc_Hz']['during']:.2f} -> "
                        f"{r['ring_exc_Hz']['post']:.2f} Hz" + (f"; corr {r['corr_network_vs_ring']:.3f}"
                                                                if "corr_network_vs_ring" in r else
                                                                f" (unit {unit}, under the site at {site_mm:g} mm)")
                        if ring is not None else "") + f"  ({time.monotonic() - t0:.1f} s)", flush=True)
    arrays["t_ms"] = a["t_ms"]
    name = cfg["name"]
    np.savez_compressed(os.path.join(out_dir, name + ".npz"), **arrays)
    with open(os.path.join(out_dir, name + ".json"), "w") as f:
        json.dump({"protocol": p, "server_config": os.path.relpath(cfg["server_config"], REPO), "sets": cfg["sets"],
                   "results": results}, f, indent=1)
    dc_step_figure(arrays, cfg, os.path.join(out_dir, name + ".png"))
    return results


def dc_step_figure(arrays, cfg, path):
    plt = pyplot()
    p = cfg["dc_step"]
    seed = cfg["seeds"][0]
    amps = p["amplitudes_pA"]
    t = arrays["t_ms"] / 1000.0
    sm = int(p.get("smooth_ms", 20))
    w = int(p["warmup_ms"])
    has_ring = f"seed{seed}_{amps[0]:g}pA_ring_rates_exc_Hz" in arrays
    fig, ax = plt.subplots(3 if has_ring else 2, len(amps), figsize=(4.2 * len(amps), 8 if has_ring else 5.5),
                           sharex=True, squeeze=False)
    site_mm = p.get("ring_position_mm")
    if has_ring:  # the server's ring (run_stepped), not a fixed 36 mm: the y axis and the units under the sites
        n_units, length = int(arrays["ring_units"]), float(arrays["ring_length_mm"])
    for j, amp in enumerate(amps):
        k = f"seed{seed}_{amp:g}pA"
        if site_mm is None:
            ax[0, j].plot(t[w:], arrays[k + "_i_stim_exc_pA"][w:], color="k")
            ax[0, j].set_title(f"DC step {amp:g} pA on exc")
        else:
            unit = ring_unit(site_mm, n_units, length)
            ax[0, j].plot(t[w:], arrays[k + "_ring_stim_pA"][w:, unit], color="k")
            ax[0, j].set_title(f"{amp:g} pA at ring {site_mm:g} mm (sd {p.get('ring_width_mm', 1.5):g} mm)")
        if np.any(arrays[k + "_rate_exc_Hz"]):
            ax[1, j].plot(t[w:], analysis.smooth(arrays[k + "_rate_exc_Hz"], sm)[w:], color=EXC_COLOUR,
                          label="network exc")
            ax[1, j].plot(t[w:], analysis.smooth(arrays[k + "_rate_inh_Hz"], sm)[w:], color=INH_COLOUR, alpha=0.6,
                          label="network inh")
        if has_ring:
            ring = arrays[k + "_ring_rates_exc_Hz"]
            if site_mm is None:
                ax[1, j].plot(t[w:], ring.mean(axis=1)[w:], color="k", ls="--", label="mean field (ring) exc")
            else:
                ax[1, j].plot(t[w:], ring[w:, unit], color="k", ls="--", label=f"ring exc at {site_mm:g} mm")
                far_mm = (site_mm + 9.0) % length
                ax[1, j].plot(t[w:], ring[w:, ring_unit(far_mm, n_units, length)], color="0.5", ls=":",
                              label=f"ring exc at {far_mm:g} mm")
            im = ax[2, j].imshow(arrays[k + "_vsdi_percent"][w:].T, aspect="auto", origin="lower", cmap="RdBu_r",
                                 extent=[t[w], t[-1], 0, length],
                                 vmin=-np.abs(arrays[k + "_vsdi_percent"]).max(),
                                 vmax=np.abs(arrays[k + "_vsdi_percent"]).max())
            ax[2, j].set_ylabel("ring position (mm)")
            cax = ax[2, j].inset_axes([1.01, 0.0, 0.03, 1.0])   # keeps the panel as wide as the ones above
            fig.colorbar(im, cax=cax, label="VSDi (%)")
        ax[-1, j].set_xlabel("simulated time (s)")
    ax[0, 0].set_ylabel("stimulation (pA per cell)")
    ax[1, 0].set_ylabel(f"rate (Hz, {sm} ms mean)")
    # One legend for the row, below the figure: in a panel it covered the largest step's rates (an outside check).
    handles, labels = ax[1, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=max(1, len(labels)), fontsize=8, frameon=False)
    fig.suptitle(f"DC-step protocol (Cakan & Obermayer 2020 Fig. 4) on the Zerlaut 2018 "
                 f"{'network and ring' if site_mm is None else 'ring, one site'}, seed {seed}")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(path, dpi=100)
    plt.close(fig)


# --- (b) sinusoidal stimulation -----------------------------------------------------------------------------------
def sine_metrics(rate, f_Hz, fs_Hz, t_on_tick, settle_ms, stim_ms):
    """Power at f, peak ratio, Kuramoto R and mean lag of `rate` (per tick) against the stimulus phase."""
    n_settle = int(round(settle_ms * fs_Hz / 1000))
    period = fs_Hz / f_Hz
    n_win = int(math.floor((stim_ms * fs_Hz / 1000 - n_settle) / period) * period)
    lo = t_on_tick + n_settle
    x = np.asarray(rate[lo:lo + n_win], np.float64)
    freqs, pw = analysis.power_spectrum(x, fs_Hz, window=False)
    ratio, f_peak = analysis.peak_ratio(freqs, pw, f_Hz, guard_bins=1, neighbour_bins=10)
    k = int(round(f_Hz / (freqs[1] - freqs[0])))
    # phase of the rate over the whole stimulated record (edges of the FFT band-pass away from the window)
    whole = np.asarray(rate[t_on_tick:t_on_tick + int(stim_ms * fs_Hz / 1000)], np.float64)
    ph_rate = analysis.phase(whole, fs_Hz, f_Hz)[n_settle:n_settle + n_win]
    tt = (np.arange(n_settle, n_settle + n_win) + 0.5) / fs_Hz   # mid-tick time since the stimulus onset
    ph_stim = 2 * np.pi * f_Hz * tt - np.pi / 2
    R, lag = analysis.kuramoto(ph_rate - ph_stim)
    return {"frequency_Hz": f_Hz, "power_at_f": float(pw[k]), "peak_ratio": ratio, "peak_Hz": f_peak,
            "bin_Hz": float(freqs[1] - freqs[0]), "kuramoto_R": R, "lag_deg": math.degrees(lag),
            "window_ticks": n_win}, (freqs, pw)


def sine(cfg, out_dir, binary=None, progress=print):
    p = cfg["sine"]
    fs = 1000.0 / p.get("tick_ms", 1.0)
    w, stim_ms, settle = p["warmup_ms"], p["stim_ms"], p["settle_ms"]
    results, arrays, spectra = [], {}, {}
    amps = p.get("amplitudes_pA", [p.get("amplitude_pA", 40.0)])
    for seed in cfg["seeds"]:
        for amp in amps:
            for f in p["frequencies_Hz"]:
                t0 = time.monotonic()
                prog = {"amplitude_pa": amp, "waveform": "sine", "frequency_hz": f, "population": "exc",
                        "channel": 0, "delay_ms": w, "duration_ms": stim_ms}
                a = run_stepped(cfg["server_config"], int(w + stim_ms), [prog], seed, cfg["sets"], binary)
                t_on = int(round(w * fs / 1000))
                r = {"seed": seed, "amplitude_pA": amp}
                m, spec = sine_metrics(a["rate_exc_Hz"], f, fs, t_on, settle, stim_ms)
                r["network"] = m
                spectra[(seed, amp, f, "network")] = spec
                key = f"seed{seed}_{amp:g}pA_{f:g}Hz"
                if "ring_rates_exc_Hz" in a:
                    ring = a["ring_rates_exc_Hz"].mean(axis=1)
                    r["ring"], spectra[(seed, amp, f, "ring")] = sine_metrics(ring, f, fs, t_on, settle, stim_ms)
                    arrays[key + "_ring_rate_exc_Hz"] = ring.astype(np.float32)
                arrays[key + "_rate_exc_Hz"] = a["rate_exc_Hz"].astype(np.float32)
                arrays[key + "_i_stim_exc_pA"] = a["i_stim_exc_pA"].astype(np.float32)
                results.append(r)
                progress(f"  sine seed {seed} {amp:5.1f} pA {f:5.1f} Hz: network peak ratio {m['peak_ratio']:8.1f} "
                         f"R {m['kuramoto_R']:.3f} lag {m['lag_deg']:+6.1f} deg"
                         + (f"; ring peak ratio {r['ring']['peak_ratio']:10.1f} R {r['ring']['kuramoto_R']:.3f} lag "
                            f"{r['ring']['lag_deg']:+6.1f}" if "ring" in r else "")
                         + f"  ({time.monotonic() - t0:.1f} s)", flush=True)
    name = cfg["name"]
    arrays["t_ms"] = a["t_ms"]
    arrays["frequencies_Hz"] = np.array(p["frequencies_Hz"], np.float64)
    np.savez_compressed(os.path.join(out_dir, name + ".npz"), **arrays)
    with open(os.path.join(out_dir, name + ".json"), "w") as f:
        json.dump({"protocol": p, "server_config": os.path.relpath(cfg["server_config"], REPO), "sets": cfg["sets"],
                   "results": results}, f, indent=1)
    sine_figure(results, spectra, arrays, cfg, os.path.join(out_dir, name + ".png"))
    return results


def sine_figure(results, spectra, arrays, cfg, path):
    plt = pyplot()
    p = cfg["sine"]
    seed = cfg["seeds"][0]
    freqs = p["frequencies_Hz"]
    amps = p.get("amplitudes_pA", [p.get("amplitude_pA", 40.0)])
    big = amps[-1]
    fig = plt.figure(figsize=(14, 9))
    gs = fig.add_gridspec(3, 2)
    axs = fig.add_subplot(gs[0, :])
    for f in freqs:
        fr, pw = spectra[(seed, big, f, "network")]
        axs.semilogy(fr[1:], pw[1:], lw=0.8, label=f"{f:g} Hz")
    axs.set_xlim(0, max(freqs) * 1.3)
    axs.set_xlabel("frequency (Hz)")
    axs.set_ylabel("power of exc rate (Hz$^2$/Hz)")
    axs.set_title(f"Network exc-rate spectra under sinusoidal stimulation ({big:g} pA on exc), seed {seed}")
    axs.legend(fontsize=7, ncol=len(freqs))
    ax_ratio = fig.add_subplot(gs[1, 0])
    ax_r = fig.add_subplot(gs[1, 1])
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, amp in enumerate(amps):
        rs = [r for r in results if r["seed"] == seed and r["amplitude_pA"] == amp]
        c = colors[i % len(colors)]
        ax_ratio.semilogy(freqs, [r["network"]["peak_ratio"] for r in rs], "o-", color=c, label=f"network {amp:g} pA")
        ax_r.plot(freqs, [r["network"]["kuramoto_R"] for r in rs], "o-", color=c, label=f"network {amp:g} pA")
        if "ring" in rs[0]:
            ax_ratio.semilogy(freqs, [r["ring"]["peak_ratio"] for r in rs], "s--", color=c, alpha=0.6,
                              label=f"mean field {amp:g} pA")
            ax_r.plot(freqs, [r["ring"]["kuramoto_R"] for r in rs], "s--", color=c, alpha=0.6,
                      label=f"mean field {amp:g} pA")
    ax_ratio.set_xlabel("stimulus frequency (Hz)")
    ax_ratio.set_ylabel("power at f / neighbouring bins\n(ratio, no unit)")
    ax_ratio.legend(fontsize=7)
    ax_r.set_ylim(0, 1.02)
    ax_r.set_xlabel("stimulus frequency (Hz)")
    ax_r.set_ylabel("Kuramoto R, rate vs stimulus phase\n(0 to 1, no unit)")
    ax_r.legend(fontsize=7)
    t = arrays["t_ms"] / 1000
    w = int(p["warmup_ms"])
    for j, f in enumerate([freqs[0], freqs[len(freqs) // 2]]):
        ax = fig.add_subplot(gs[2, j])
        k = f"seed{seed}_{big:g}pA_{f:g}Hz"
        ax.plot(t[w:w + 1000], arrays[k + "_rate_exc_Hz"][w:w + 1000], color="0.7", lw=0.5, label="network exc (tick)")
        ax.plot(t[w:w + 1000], analysis.smooth(arrays[k + "_rate_exc_Hz"], 5)[w:w + 1000], color=EXC_COLOUR, lw=1,
                label="network exc (5 ms)")
        if k + "_ring_rate_exc_Hz" in arrays:
            ax.plot(t[w:w + 1000], arrays[k + "_ring_rate_exc_Hz"][w:w + 1000], color="k", ls="--", label="ring exc")
        ax2 = ax.twinx()
        ax2.plot(t[w:w + 1000], arrays[k + "_i_stim_exc_pA"][w:w + 1000], color=STIM_COLOUR, lw=0.8)
        ax2.set_ylabel("stimulus (pA)", color=STIM_COLOUR)
        ax.set_title(f"{f:g} Hz, {big:g} pA: first second of stimulation")
        ax.set_xlabel("simulated time (s)")
        ax.set_ylabel("rate (Hz)")
        ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(cli.with_folder(path), dpi=100)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("experiment", nargs="+", help="configs/stimulation/*.toml")
    ap.add_argument("--out", default="out/stimulation", help="output folder (default %(default)s)")
    ap.add_argument("--bin", default=DEFAULT_BIN, help="cortexloop executable (default: %(default)s)")
    ap.add_argument("--seeds", type=cli.seed_list,
                    help="comma-separated seeds (whole numbers in [0, 2^63 - 1]), overriding the file's")
    args = ap.parse_args(argv)
    for path in args.experiment:
        cfg = load_experiment(path)
        # Made once an experiment is read: a file refused left an empty out/stimulation in the current folder (in
        # the checkout, from test_tool_errors.py's refusals).
        os.makedirs(args.out, exist_ok=True)
        if args.seeds:
            cfg["seeds"] = args.seeds
        t0 = time.monotonic()
        print(f"{path}: server config {os.path.relpath(cfg['server_config'])}, seeds {cfg['seeds']}", flush=True)
        if "dc_step" in cfg:
            dc_step(cfg, args.out, args.bin)
        else:
            sine(cfg, args.out, args.bin)
        print(f"wrote {args.out}/{cfg['name']}.{{npz,json,png}} ({time.monotonic() - t0:.0f} s)")


if __name__ == "__main__":
    cli.run(main)
