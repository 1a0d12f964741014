"""Turn a recording (cortexloop record / simulate output folder) into a session figure (PNG).

    PYTHONPATH=build/python:tools/python /usr/bin/python3 -m cortexloop_client.plot out/rec --out out/rec/session.png

One coordinate system: ring positions are mm along the periodic ring, in [0, length); ring unit i sits at
i * length / n_units (engine/meanfield/ring_geometry.hpp, docs/device.md). The ring's length, the network's
position, the electrodes and the sensing sites come from summary.json's "geometry" (`cortexloop record
--config FILE`) or "ring" (`cortexloop simulate`), else the ring's length from "info" (the server's GetInfo); without
any the ring is taken as 36 mm long (the default config) and the figure says so.

Time is simulated time in seconds on every panel, the same axis for lines and maps (timeline.py): a recording that
spans a Reset continues across it (the new epoch appended where the old one ended, a black line labelled "Reset"
between them), each readout's map column spans its true interval, and lost readouts are blank and hatched on
every panel instead of drawn across.

Panels, each when its data exists: spike raster (spikes.npy), population rates, stimulation current per cell in
the network, LFP proxy, mean V (the rates, stimulation and mean V of the populations that have cells: a single cell
of configs/naud2008/ has no inhibitory line), every sensing channel of the device (true signal, ADC value, filtered), the
controllers' outputs, the delivered current per active stimulator channel (tick mean; a bar down to -peak |I|
where a tick's peak passes twice its mean: a pulse train), the ring's VSDi and the ring's stimulation current (mm
against time, diverging colour maps centred on 0; on them the network's position is a dotted line, the electrodes
black triangles at the right, "E0", "E1", ..., and the ring's sensing sites white
triangles at the left, "S0", ... as their sensing panels are named). Safety events are triangles on the
top panel and lines across all panels, red for a device limit, orange for the mean field's domain (model_domain);
grey dashes across all panels are the commands that changed the stimulation. A legend below the time axis names
the lines drawn.
"""
import argparse
import json
import os

import numpy as np

from . import cli, marks, ringmap, timeline
from .mpl import pyplot, white_outline
from .style import EXC_COLOUR, INH_COLOUR, SENSING_LINES
from .units import SIGNAL_UNITS

DEFAULT_RING_LENGTH_MM = 36.0
CONTROLLER_KINDS = ["none", "open loop", "responsive", "PI clamp", "phase-locked", "external"]

ARRAYS = ["rates", "mean_v", "mean_w", "stim", "lfp", "ticks", "vsdi", "ring_rates_exc", "ring_rates_inh", "ring_stim", "spikes",
          "device_sensing", "device_sensing_blanked", "device_channels", "device_channel_state",
          "device_controllers", "device_controller_state", "device_electrodes", "ring_domain"]


def unit_position_mm(unit, n_units, length_mm):
    """Position (mm along the ring) of ring unit `unit`: unit * length / n_units, as ring_geometry.hpp."""
    return np.asarray(unit, dtype=float) * float(length_mm) / float(n_units)


def slot_label(slot, kinds):
    """Legend text of a controller slot from its per-readout kind codes: every kind it ran, in order ("slot 0: PI
    clamp, then external"); the largest code alone named a PI clamp reprogrammed as external only "external"."""
    names = []
    for code in np.asarray(kinds, dtype=int):
        name = CONTROLLER_KINDS[code] if 0 <= code < len(CONTROLLER_KINDS) else str(code)
        if code and (not names or names[-1] != name):
            names.append(name)
    return f"slot {slot}: " + (", then ".join(names) if names else CONTROLLER_KINDS[0])


# The keys of summary.json (simulate, or record with its server's geometry and info), acks.jsonl and safety.jsonl
# that the figures read, and their types (cli.check_types).
_CELLS = {"n_exc": int, "n_inh": int, "n_neurons": int}
_RING = {"n_units": int, "length_mm": cli.NUMBER, "network_position_mm": cli.NUMBER}
_INFO = {**_CELLS, "ring_units": int, "ring_length_mm": cli.NUMBER, "tick_ms": cli.NUMBER}
SUMMARY_KEYS = {"ring": _RING, "ring_n_units": int, "dt_ms": cli.NUMBER, "tick_ms": cli.NUMBER, "info": _INFO,
                **_CELLS,
                "geometry": {"ring": _RING, "network": _CELLS, "electrodes": [{"position_mm": cli.NUMBER}],
                             "sensing": [{"signal": str}], "network_position_mm": cli.NUMBER,
                             "dt_ms": cli.NUMBER, "tick_ms": cli.NUMBER}}
ACK_KEYS = {"accepted": bool, "tick_applied": int, "epoch": int}
SAFETY_KEYS = {"step": int, "limit": str, "epoch": int}  # an event's epoch places it after a Reset


def _jsonl(path, keys, required=()):
    if not os.path.exists(path):
        return []
    rows = []
    with open(path) as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise cli.ToolError(f"{path}: not one JSON object per line ({e})") from None
            where = f"{path} line {number}"
            if not isinstance(row, dict) or any(row.get(k) is None for k in required):
                raise cli.ToolError(f"{where}: not an object with " + ", ".join(required or ["keys"]))
            cli.check_types(where, row, keys)
            rows.append(row)
    return rows


def _cells(s):
    """The network's cell counts the summary gives (the server's own first: a --config's may differ)."""
    counts = s.get("info") or (s.get("geometry") or {}).get("network") or s
    return [counts.get(k) for k in ("n_exc", "n_inh", "n_neurons") if counts.get(k) is not None]


def populations(d):
    """The populations the figure draws lines of, [(column of rates/stim/mean_v, name)]: those with cells. A single
    cell (configs/naud2008/*.toml: n_exc 1, n_inh 0) had an inhibitory population drawn at 0 Hz and a mean V of
    0 mV, values of no cell (an outside check, 2026-12-06). Both when the summary gives no counts, and for an ALN
    node (its E and I are not cells)."""
    counts = d["summary"].get("info") or (d["summary"].get("geometry") or {}).get("network") or d["summary"]
    both = [(0, "exc"), (1, "inh")]
    if d.get("node_only"):
        return both
    return [(i, name) for i, name in both if counts.get(f"n_{name}") is None or counts[f"n_{name}"] > 0]


def _no_network(d):
    """True for a server with an ALN node and no spiking cells: its rates.npy is zeros, the node's rates are in
    aln_rates.npy (`cortexloop record`; `simulate` of such a config writes the node's rates to rates.npy)."""
    cells = _cells(d["summary"])
    if not cells:  # a summary without the sizes: a network's mean V is never exactly 0 mV
        return "aln_rates" in d and "mean_v" in d and not np.any(d["mean_v"])
    return "aln_rates" in d and not any(cells)


def _number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def sensing_ranges(folder, summary):
    """(range_min, range_max) of each sensing channel: from summary.json's geometry, where `record` writes the
    device's own ranges, the defaults of a config that leaves them out included; for an older recording, from the
    server's config (session.toml, resolved), None for a channel that gives neither; [] without either."""
    geometry = (summary.get("geometry") or {}).get("sensing") or []
    if geometry and all(isinstance(s, dict) and _number(s.get("range_min")) and _number(s.get("range_max"))
                        for s in geometry):
        return [(float(s["range_min"]), float(s["range_max"])) for s in geometry]
    path = os.path.join(folder, "session.toml")
    if not os.path.exists(path):
        return []
    sensing = (cli.load_toml(path).get("device") or {}).get("sensing") or []
    ranges = []
    for s in sensing if isinstance(sensing, list) else []:
        low, high = (s.get(k) if isinstance(s, dict) else None for k in ("range_min", "range_max"))
        numbers = all(_number(v) for v in (low, high))
        ranges.append((float(low), float(high)) if numbers else None)
    return ranges


def adc_clip_note(true_signal, adc, sensing_range, unit):
    """The note for a sensing panel whose ADC clipped, or None. With the sensing range known (session.toml): the true
    signal beyond it. Without: the ADC pinned at its largest value for a fifth of the session while the true signal
    goes above it by more than two ADC steps (the smallest difference between its values: not its rounding of a
    steady signal), and that value not within two steps of 0 (a ring at rest read -0.00076 % was called a clip)."""
    if not len(adc):
        return None
    if sensing_range is not None:
        low, high = sensing_range
        beyond = (true_signal > high) | (true_signal < low)
        if not np.any(beyond):
            return None
        return (f"ADC clipped: true signal outside the sensing range [{low:g}, {high:g}] {unit} in "
                f"{100.0 * np.count_nonzero(beyond) / len(adc):.3g} % of readouts")
    top = float(np.max(adc))
    levels = np.unique(adc)
    step = float(np.min(np.diff(levels))) if len(levels) > 1 else 0.0
    if (np.count_nonzero(adc == top) > 0.2 * len(adc) and abs(top) > 2.0 * step
            and float(np.max(true_signal)) - top > max(0.01 * abs(top), 2.0 * step)):
        return f"ADC clipped at {top:g} {unit} (sensing range)"
    return None


def load(folder):
    d = {}
    for name in ARRAYS + ["aln_rates"]:
        path = os.path.join(folder, name + ".npy")
        if os.path.exists(path):
            d[name] = cli.load_npy(path)
    cli.check_recording_has_ticks(folder)
    # A device part's values without their state (record writes both) is a damaged recording: named, not a KeyError.
    for values, state in (("device_channels", "device_channel_state"),
                          ("device_controllers", "device_controller_state")):
        if state in d and values not in d:
            raise cli.ToolError(f"{folder}: {state}.npy but no {values}.npy: a damaged recording")
    summary = os.path.join(folder, "summary.json")
    d["summary"] = cli.load_json_object(summary) if os.path.exists(summary) else {}
    cli.check_types(summary, d["summary"], SUMMARY_KEYS)
    d["sensing_ranges"] = sensing_ranges(folder, d["summary"])
    # Every array but the spike list has a row per readout tick (and a recording without ticks has nothing to draw).
    per_tick = [name for name in ARRAYS + ["aln_rates"] if name in d and name != "spikes"]
    cli.check_rows(folder, {name + ".npy": d[name] for name in per_tick}, "rates.npy")
    d["node_only"] = _no_network(d)
    if d["node_only"]:
        d["rates"] = d["aln_rates"]
    d["acks"] = _jsonl(os.path.join(folder, "acks.jsonl"), ACK_KEYS)  # one ack per line, as `record` got them
    # One SafetyEvent per line (topic "safety").
    d["safety"] = _jsonl(os.path.join(folder, "safety.jsonl"), SAFETY_KEYS, required=("step", "limit"))
    # A ring alone (network = "off"): 0 cells, and rates, stimulation, LFP and mean V that are zeros (a summary
    # without the sizes: a network's mean V is never exactly 0 mV).
    cells = _cells(d["summary"])
    d["network"] = d["node_only"] or (any(cells) if cells else "mean_v" not in d or bool(np.any(d["mean_v"])))
    tick_ms = geometry(d)["tick_ms"]
    d.update(timeline.lay_out(*timeline.readout_ms(d.get("ticks"), len(d["rates"]), tick_ms), tick_ms))
    return d


def geometry(d):
    """{'length_mm', 'n_units', 'network_position_mm' (or None), 'electrodes', 'sensing', 'dt_ms', 'tick_ms',
    'known'}: record --config's geometry, else simulate's summary, else the server's info (GetInfo). The network's
    position is record's geometry's or simulate's ring's (network.position_mm, 0 mm unless the config says: docs/
    device.md, "One coordinate system"; a simulate before 2026-12-06 gives none), and none without a network (record
    gives 0 mm for a ring alone too)."""
    s = d.get("summary", {})
    g = s.get("geometry") or {}
    info = s.get("info") or {}
    ring = g.get("ring") or s.get("ring") or {}
    n_units = (ring.get("n_units") or s.get("ring_n_units") or info.get("ring_units")
               or (d["vsdi"].shape[1] if "vsdi" in d else 0))
    length = ring.get("length_mm") or info.get("ring_length_mm")
    return {"length_mm": float(length) if length else DEFAULT_RING_LENGTH_MM,
            "known": bool(length),
            "n_units": int(n_units),
            "network_position_mm": (g.get("network_position_mm", ring.get("network_position_mm"))
                                    if d.get("network", True) else None),
            "electrodes": g.get("electrodes") or [],
            "sensing": g.get("sensing") or [],
            "dt_ms": float(g.get("dt_ms") or s.get("dt_ms") or info.get("dt_ms") or 0.1),
            "tick_ms": float(g.get("tick_ms") or s.get("tick_ms") or info.get("tick_ms") or 1.0),
            "n_exc": (g.get("network") or {}).get("n_exc") or s.get("n_exc"),
            "n_neurons": (g.get("network") or {}).get("n_neurons") or s.get("n_neurons")}


def ring_panel(ax, data, d, geo, cmap, label, fig, floor):
    """data [readouts, units] as a space-time map (ringmap.draw: x time (s) on each readout's true interval, y mm in
    [0, length]), with a symmetric colour scale centred on 0 no narrower than ±floor."""
    length = geo["length_mm"]
    lim, peak = ringmap.symmetric_limit(data, floor)
    mesh = ringmap.draw(ax, data, d["t_s"], d["left_s"], length, cmap, lim)
    ax.set_yticks(np.arange(0, length + 1e-9, 9.0 if length >= 18 else length / 4))
    assumed = "" if geo["known"] else f"\n(assumed {length:g} mm)"
    ax.set_ylabel(f"ring position\n(mm){assumed}")
    ringmap.colour_bar(fig, ax, mesh, label, peak, lim)
    if geo["network_position_mm"] is not None:
        ax.axhline(geo["network_position_mm"], color="k", lw=0.8, ls=":")
        ax.annotate("network", (0.002, geo["network_position_mm"]), xycoords=("axes fraction", "data"),
                    fontsize=7, va="bottom")
    for i, e in enumerate(geo["electrodes"]):
        ax.plot([1.0], [e["position_mm"]], marker="<", color="k", ms=5, transform=ax.get_yaxis_transform(),
                clip_on=False)
        ax.annotate(f"E{i}", (0.985, e["position_mm"]), xycoords=("axes fraction", "data"), fontsize=7,
                    ha="right", va="bottom")


def _active_rows(state, column=0):
    """Indices of channels/slots whose column (active flag / controller kind) is ever non-zero."""
    return [i for i in range(state.shape[1]) if np.any(state[:, i, column] != 0)]


def raster(ax, spikes, geo, d, max_neurons=300, seed=0):
    """Spikes of up to max_neurons cells (the same random subset of exc and inh in proportion), exc below; on session
    time (spikes.npy has t_ms, which restarts at a Reset, and no epoch)."""
    n_total = int(geo["n_neurons"] or (spikes[:, 1].max() + 1 if len(spikes) else 1))
    n_exc = int(geo["n_exc"] or round(0.8 * n_total))
    rng = np.random.default_rng(seed)
    k_exc = min(n_exc, int(round(max_neurons * n_exc / n_total)))
    k_inh = min(n_total - n_exc, max_neurons - k_exc)
    chosen = np.concatenate([np.sort(rng.choice(n_exc, k_exc, replace=False)),
                             n_exc + np.sort(rng.choice(n_total - n_exc, k_inh, replace=False))])
    row = np.full(n_total, -1)
    row[chosen] = np.arange(len(chosen))
    ids = spikes[:, 1].astype(int)
    keep = (ids >= 0) & (ids < n_total)
    ts = timeline.restarted_ms(spikes[:, 0], d["boundaries_ms"], geo["tick_ms"])[keep] / 1000.0
    ids, r = ids[keep], row[ids[keep]]
    sel = (r >= 0) & (ts >= d["left_s"][0]) & (ts <= d["t_s"][-1])
    exc = sel & (ids < n_exc)
    inh = sel & (ids >= n_exc)
    ax.plot(ts[exc], r[exc], "|", color=EXC_COLOUR, ms=2.0, mew=0.6, rasterized=True)
    ax.plot(ts[inh], r[inh], "|", color=INH_COLOUR, ms=2.0, mew=0.6, rasterized=True)
    ax.set_ylim(-0.5, len(chosen) - 0.5)
    ax.set_ylabel(f"neuron\n({k_exc} exc, {k_inh} inh\nof {n_total})")


COMMAND_LINE = {"color": "0.6", "lw": 0.6, "ls": "--"}
SAFETY_COLOURS = {True: "tab:orange", False: "red"}  # the mean field's domain flag (model_domain), a device limit


def session_marks(axes, d, geo, has_ring_stim, dev):
    """Across every panel: each restart (a Reset: black line, labelled on the top panel), each gap of lost readouts
    (hatched), the commands that changed the stimulation (grey dashes) and the safety events (red or orange lines,
    triangles on top). Returns the figure title's note on what was lost and flagged, and the legend handles of the
    grey and coloured lines drawn (the figure's own legend: no panel's said what they were; an outside check,
    2026-12-06)."""
    from matplotlib.lines import Line2D  # figure() has imported matplotlib

    t, top = d["t_s"], axes[0]
    lost_ms = marks.restarts_and_gaps(axes, d["boundaries_ms"], t, d["left_s"], d["gaps"])
    handles = {}
    note = f"   |   readouts lost (hatched): {len(d['gaps'])} gap(s), {lost_ms:g} ms" if len(d["gaps"]) else ""
    # Commands that changed the stimulation (not pings or parameter changes), at the (epoch, tick) they applied.
    ticks = d.get("ticks")
    restarts = set(timeline.breaks([], d["boundaries_ms"], t * 1000.0).tolist())
    breaks = set(d["breaks"].tolist())
    tick_s = geo["tick_ms"] / 1000.0
    for ack in d["acks"]:
        if not ack.get("accepted") or ack.get("tick_applied") is None or ticks is None or not len(ticks):
            continue
        tick = ack["tick_applied"]
        rows = np.nonzero(ticks[:, 0] == ack.get("epoch", ticks[0, 0]))[0]  # its epoch's readouts, ticks rising
        rows_after = rows[ticks[rows, 1] >= tick]
        if not len(rows_after) or rows_after[0] == 0 or rows_after[0] in restarts:  # a Reset's own ack: drawn above
            continue
        # Against the last readout before the command's tick: the first readout at or after its tick and the first
        # at or after the next (a controller's current starts on the step after its command, docs/device.md,
        # "Timing": the clamp's start went unmarked, an outside audit, 2026-12-06). With stream.readout_every n
        # the command's tick is seldom a readout (a 150 pA step at tick 3028 between readouts 3021 and 3031 went
        # unmarked, an outside audit). Rows after lost readouts or a restart are not compared.
        before = rows_after[0] - 1
        after = [k for k in (rows_after[0], rows_after[0] + (ticks[rows_after[0], 1] == tick))
                 if k < len(t) and k in rows and not any(before < b <= k for b in breaks)]
        changed = False
        for k in after:
            if "stim" in d:
                changed = changed or np.any(d["stim"][k] != d["stim"][before])
            if has_ring_stim:
                changed = changed or np.any(d["ring_stim"][k] != d["ring_stim"][before])
            # A channel's tick mean, or its switching on or off: a balanced pulse train has tick means of 0 (the
            # protocol.md example `stim pulses --biphasic` drew no line). Its peak is not compared: it differs
            # between ticks with and without a pulse whatever the command.
            if dev and "device_channels" in d:
                changed = changed or np.any(d["device_channels"][k, :, 0] != d["device_channels"][before, :, 0])
            if dev and "device_channel_state" in d:
                changed = changed or np.any(d["device_channel_state"][k, :, 0]
                                            != d["device_channel_state"][before, :, 0])
        if changed:  # at the command's tick: the readout's time less the ticks between them
            x = t[rows_after[0]] - (ticks[rows_after[0], 1] - tick) * tick_s
            for a in axes:
                a.axvline(x, **COMMAND_LINE)
            handles["command"] = Line2D([], [], **COMMAND_LINE, label="command that changed the stimulation")
    # Safety events: the device stopped or refused something (step -> time with the config's dt, in its epoch). The
    # mean field's domain flags (model_domain) in orange, the stimulator's limits in red.
    offsets = timeline.epoch_offsets(d["boundaries_ms"])
    counts = {}
    for e in d["safety"]:
        x = (e["step"] * geo["dt_ms"] + offsets.get(e.get("epoch"), 0.0)) / 1000.0
        domain = e["limit"] == "model_domain"
        colour = SAFETY_COLOURS[domain]
        for a in axes:
            a.axvline(x, color=colour, lw=0.5, alpha=0.6)
        handles[colour] = Line2D([], [], color=colour, lw=0.8, marker="v", ms=5,
                                 label="safety event: " + ("the mean field's domain (model_domain)" if domain else
                                                           "a device limit"))
        top.plot([x], [1.0], "v", color=colour, ms=6, transform=top.get_xaxis_transform(), clip_on=False)
        counts[e["limit"]] = counts.get(e["limit"], 0) + 1
    if counts:
        note += "   |   safety events (triangles): " + ", ".join(f"{k} x{v}" for k, v in sorted(counts.items()))
    return note, list(handles.values())


def figure(d, title=None, smooth_ms=5):
    plt = pyplot()
    geo = geometry(d)
    t = d["t_s"]
    has_ring = "vsdi" in d and d["vsdi"].size > 0
    has_ring_stim = has_ring and "ring_stim" in d and d["ring_stim"].shape == d["vsdi"].shape
    has_spikes = "spikes" in d and len(d["spikes"]) > 0
    dev = "device_sensing" in d and len(d["device_sensing"]) == len(t)
    channels = _active_rows(d["device_channel_state"]) if dev and "device_channel_state" in d else []
    slots = _active_rows(d["device_controller_state"]) if dev and "device_controller_state" in d else []
    n_sensing = d["device_sensing"].shape[1] if dev else 0
    kinds_of_channels = sorted({int(d["device_channel_state"][:, c, 1].max()) == 2 for c in channels})

    panels = []  # (name, height ratio)
    if has_spikes:
        panels.append(("raster", 2.0))
    network = d["network"] or not has_ring  # a ring alone: no network panels (their data are zeros)
    # Each network panel when its file is there (simulate of an ALN config writes no lfp.npy): a KeyError traceback
    # before (an outside audit).
    if network:
        panels += [("rates", 1.6)] + ([("stim", 1.0)] if "stim" in d else [])
    if network and not d.get("node_only"):  # an ALN node alone has no LFP and its mean V is not in the readout
        panels += [(name, 0.9) for name in ("lfp", "mean_v") if name in d]
    panels += [(f"sensing{i}", 1.0) for i in range(n_sensing)]
    if slots:
        panels.append(("controllers", 1.0))
    for electrode in kinds_of_channels:
        panels.append(("delivered_uA" if electrode else "delivered_pA", 1.0))
    if has_ring:
        panels.append(("ring_vsdi", 2.2))
    if has_ring_stim:
        panels.append(("ring_stim", 1.6))
    ratios = [h for _, h in panels]
    fig, axes = plt.subplots(len(panels), 1, figsize=(11, 1.15 * sum(ratios) + 1.2), sharex=True,
                             gridspec_kw={"height_ratios": ratios})
    axes = np.atleast_1d(axes)
    ax_of = {name: ax for (name, _), ax in zip(panels, axes)}
    for name, ax in ax_of.items():
        ax.set_label(name)  # tests and callers find panels by name (fig.axes[i].get_label())
    # The running mean spans smooth_ms of simulated time at the readouts' own period (timeline.smoothing: with
    # stream.readout_every n a count of ticks spanned n times as long), never across a gap or a Reset.
    n_smooth, smooth_span_ms = timeline.smoothing(t * 1000.0, smooth_ms)

    def smooth(x):
        return timeline.smooth(x, n_smooth, d["breaks"])

    def line(ax, y, *args, **kwargs):
        """ax.plot against session time, not joined across a gap or a Reset."""
        return ax.plot(*timeline.broken(t, y, d["breaks"]), *args, **kwargs)

    # The spiking network may be Zerlaut's AdEx RS-FS cells, Cakan & Obermayer's EIF/AdEx cells
    # (configs/cakan2020/network*.toml) or Carlu's Hodgkin-Huxley cells (configs/carlu2020/network.toml), and a
    # recording does not say which (simulate's summary.json does, network_model): the labels name none.
    if has_spikes:
        raster(ax_of["raster"], d["spikes"], geo, d)
        ax_of["raster"].set_title("spiking network" + (
            f" at {geo['network_position_mm']:g} mm" if geo["network_position_mm"] is not None else ""),
            fontsize=9, loc="left")
    node = d.get("node_only")
    pops = dict(populations(d))  # {column: "exc" | "inh"}, the populations with cells
    colour = {0: EXC_COLOUR, 1: INH_COLOUR}
    if network:
        ax = ax_of["rates"]
        exc_rate, inh_rate = smooth(d["rates"][:, 0]), smooth(d["rates"][:, 1])
        drawn = []
        if 0 in pops:
            drawn += line(ax, exc_rate, color=EXC_COLOUR, lw=1, label="E" if node else "excitatory")
        # Rates an order of magnitude apart on one axis flatten the smaller (the ALN node's E at 0.3-0.45 Hz under
        # its I at ~4.5 Hz: its clamp could not be seen; an outside check): the inhibitory rate then takes an axis
        # of its own, on the right, in its colour.
        top_exc, top_inh = (float(np.nanmax(r)) if len(r) else 0.0 for r in (exc_rate, inh_rate))
        ax_inh = ax
        if 0 in pops and 1 in pops and top_exc > 0.0 and top_inh > 5.0 * top_exc:
            ax_inh = ax.twinx()
            ax_inh.set_label("rates_inh")
            ax_inh.set_ylabel("I rate (Hz)" if node else "inhibitory rate (Hz)", color=INH_COLOUR)
            ax_inh.tick_params(axis="y", colors=INH_COLOUR)
        if 1 in pops:
            drawn += line(ax_inh, inh_rate, color=INH_COLOUR, lw=1, label="I" if node else "inhibitory")
        what = "E rate" if node and ax_inh is not ax else "rate"
        ax.set_ylabel(f"{'ALN node' if node else 'network'} {what} (Hz)\n"
                      + timeline.smoothing_label(n_smooth, smooth_span_ms),
                      color=EXC_COLOUR if ax_inh is not ax else "black")
        ax.legend(drawn, [h.get_label() for h in drawn], **marks.LEGEND_ABOVE, ncol=2, fontsize=8)
        if node:
            ax.set_title("ALN mean-field node (Cakan & Obermayer 2020), aln_rates.npy", fontsize=9, loc="left")
        if not has_spikes and not node and geo["network_position_mm"] is not None:
            ax.set_title(f"spiking network at {geo['network_position_mm']:g} mm", fontsize=9, loc="left")
    if "stim" in ax_of:
        ax = ax_of["stim"]
        for i, name in pops.items():
            line(ax, d["stim"][:, i], color=colour[i], lw=1, label=name)
        ax.set_ylabel("node\nstimulation\n(pA)" if node else "network\nstimulation\n(pA / cell)")
    if "lfp" in ax_of:
        ax = ax_of["lfp"]
        line(ax, d["lfp"], color="k", lw=0.8)
        ax.set_ylabel("LFP proxy\n(nA)")
    if "mean_v" in ax_of:
        ax = ax_of["mean_v"]
        for i in pops:
            line(ax, d["mean_v"][:, i], color=colour[i], lw=1)
        ax.set_ylabel("network\nmean V (mV)")

    for i in range(n_sensing):
        ax = ax_of[f"sensing{i}"]
        s = d["device_sensing"][:, i, :]
        meta = geo["sensing"][i] if i < len(geo["sensing"]) else {}
        name = meta.get("signal", "")
        unit = SIGNAL_UNITS.get(name, "unit unknown")
        # The ALN node has no place of its own (its signals are sensed at the network's position, for the artifact):
        # "aln_rate_exc at 0 mm" read as a position of the node.
        where = f" at {meta['position_mm']:g} mm" if "position_mm" in meta and not name.startswith("aln_") else ""
        for column, kind in ((0, "true"), (2, "filtered"), (1, "raw")):  # widest first (style.SENSING_LINES)
            line(ax, s[:, column], **SENSING_LINES[kind])
        ax.set_ylabel(f"S{i}: {name}\n({unit})" if name else f"sensing {i}\n(unit unknown)")
        ranges = d.get("sensing_ranges") or []
        clip = adc_clip_note(s[:, 0], s[:, 1], ranges[i] if i < len(ranges) else None, unit)
        if clip:
            ax.annotate(clip, (0.5, 0.9), xycoords="axes fraction", ha="center", fontsize=7, color="tab:blue")
        ax.set_title(f"sensing {i}: {name}{where}" if name else f"sensing {i} (signal unknown: a recording without the server's config)",
                     fontsize=8, loc="left", pad=2)
        if i == 0:  # above the panel, right of its title: inside, it covered the trace (an outside check)
            ax.legend(**marks.LEGEND_ABOVE, ncol=3, fontsize=7)
    if slots:
        ax = ax_of["controllers"]
        for k in slots:
            line(ax, d["device_controllers"][:, k, 1], lw=1, label=slot_label(k, d["device_controller_state"][:, k, 0]))
            # Triggers (Responsive, PhaseLocked): where the slot's trigger count steps up.
            trig = np.nonzero(np.diff(d["device_controller_state"][:, k, 2]) > 0)[0] + 1
            if len(trig):
                ax.plot(t[trig], d["device_controllers"][trig, k, 1], "^", ms=5, color=ax.lines[-1].get_color(),
                        label=f"slot {k}: trigger ({len(trig)})")
        ax.set_ylabel("controller\noutput\n(program amplitude:\npA/cell or uA)", fontsize=8)
        ax.legend(**marks.LEGEND_ABOVE, fontsize=7, ncol=len(slots))
    for electrode in kinds_of_channels:
        ax = ax_of["delivered_uA" if electrode else "delivered_pA"]
        for c in channels:
            if (int(d["device_channel_state"][:, c, 1].max()) == 2) != electrode:
                continue
            drawn, = line(ax, d["device_channels"][:, c, 0], lw=1, drawstyle="steps-pre", label=f"channel {c}")
            # A balanced pulse has no tick mean: its peak |I| is drawn as a bar, so every pulse shows, at a direct
            # site too (a biphasic train into a population left no trace: an outside audit).
            peak = d["device_channels"][:, c, 1]
            hit = peak > 2.0 * np.abs(d["device_channels"][:, c, 0]) + 1e-9
            ax.vlines(t[hit], 0, -peak[hit], color=drawn.get_color(), lw=0.8, alpha=0.6)
        ax.axhline(0, color="0.8", lw=0.5)
        ax.set_ylabel(f"delivered\n({'uA, electrode' if electrode else 'pA/cell, direct'})\nline: tick mean\n"
                      "bar: -peak |I|", fontsize=8)
        ax.legend(loc="lower left", frameon=False, fontsize=7, ncol=4)
    if has_ring:
        ring_panel(ax_of["ring_vsdi"], d["vsdi"], d, geo, "RdBu_r", "VSDi (%)", fig, ringmap.VSDI_FLOOR_PERCENT)
        ax_of["ring_vsdi"].set_title("ring of mean-field units: VSDi (relative depolarisation)", fontsize=9,
                                     loc="left")
        # The ring's sensing sites: a white triangle outlined in black at the left edge, labelled as their panels
        # ("S0"), as the electrodes' "E0" at the right. It was an orange triangle with no label, the orange of the
        # model_domain safety triangles (an outside check, 2026-12-06).
        ax = ax_of["ring_vsdi"]
        for i, meta in enumerate(geo["sensing"]):
            if meta.get("signal", "").startswith("ring_"):
                ax.plot([0.0], [meta["position_mm"]], marker=">", mfc="white", mec="k", mew=0.8, ms=6, ls="none",
                        transform=ax.get_yaxis_transform(), clip_on=False, label=f"sensing site S{i}")
                ax.annotate(f"S{i}", (0.012, meta["position_mm"]), xycoords=("axes fraction", "data"), fontsize=7,
                            ha="left", va="top", path_effects=white_outline(marks.LABEL_OUTLINE_PT))
    if has_ring_stim:
        ring_panel(ax_of["ring_stim"], d["ring_stim"], d, geo, "PuOr_r", "current (pA)", fig, ringmap.STIM_FLOOR_PA)
        ax_of["ring_stim"].set_title("ring: stimulation current into excitatory units", fontsize=9, loc="left")
    note, mark_handles = session_marks(axes, d, geo, has_ring_stim, dev)
    axes[-1].set_xlabel("simulated time (s)" + timeline.restart_note(d["boundaries_ms"]))
    axes[-1].set_xlim(d["left_s"][0], t[-1])
    for a in axes:
        a.spines[["top", "right"]].set_visible(False)
    fig.suptitle((title or "cortexloop session") + note, x=0.01, ha="left", fontsize=10)
    bottom = 0.0
    if mark_handles:  # what the lines across every panel are, below the time axis
        bottom = 0.3 / fig.get_figheight()
        fig.legend(handles=mark_handles, loc="lower center", ncol=len(mark_handles), fontsize=8, frameon=False,
                   bbox_to_anchor=(0.5, 0.0))
    fig.tight_layout(rect=(0, bottom, 1, 0.985))
    return fig


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", help="recording folder (rates.npy, stim.npy, lfp.npy, mean_v.npy, ...)")
    ap.add_argument("--out", type=cli.figure_arg, help="PNG file (default FOLDER/session.png): " + cli.FIGURE_FILE_HELP)
    ap.add_argument("--title", help="figure title (default: 'cortexloop session'; the safety events are appended)")
    ap.add_argument("--dpi", type=cli.positive_int, default=150, help="resolution of the PNG (default: %(default)s)")
    a = ap.parse_args(argv)
    # Missing data, not a wrong command line: exit 1 as cli.run gives every missing input (2 is argparse's).
    if not os.path.isdir(a.folder):
        raise cli.ToolError(f"{a.folder}: no such folder")
    if not os.path.exists(os.path.join(a.folder, "rates.npy")):
        # A recorder killed before its end leaves rates.npy.partial (an outside check, 2026-12-06: "not a folder
        # written by `cortexloop record`").
        if os.path.exists(os.path.join(a.folder, "rates.npy.partial")):
            raise cli.ToolError(f"{a.folder}: rates.npy.partial but no rates.npy: a run killed before it finished "
                                "writing its files; its rows so far are in the .partial arrays")
        raise cli.ToolError(f"{a.folder}: no rates.npy, not a folder written by `cortexloop record` or "
                            "`cortexloop simulate`")
    out = cli.figure_file(a.out or os.path.join(a.folder, "session.png"))
    d = load(a.folder)
    figure(d, a.title).savefig(cli.with_folder(out), dpi=a.dpi)
    # Readouts, not ticks: a recording at stream.readout_every n has one readout every n ticks.
    print(f"plot: {cli.plural(len(d['rates']), 'readout')} -> {out}")


if __name__ == "__main__":
    cli.run(main)
