#!/usr/bin/python3
"""A state diagram from a `cortexloop sweep` output folder (the ALN mean field or the spiking network), drawn as
Cakan & Obermayer 2020 draw Fig 2.

Left: the maximum E rate after the push up (max_rate_up_Hz.npy, colour scale 0-80 Hz as the paper's: higher rates
take the top colour, which the colour bar's arrow and label say, with the share of points above and their maximum),
with the outline of the oscillatory region (white) and of the bistable region (dashed green). Middle: the state of each
point (state.npy: 0 down, 1 up, 2 bistable, 3 LC_EI, 4 LC_aE). Right: the dominant frequency of the oscillating
points (dominant_frequency_Hz.npy; NaN, drawn grey, where a point does not oscillate). Each cell lies around its
grid point, its edges halfway between neighbouring values (even or uneven axes alike). The paper's points of
interest are marked, those of the model that sweep.json names ("model": the mean field's `loadpoint` or the network's `loadpoint_network`):
A1-A3 without adaptation, B1-B4 with (--points A|B|none; auto, the default: B when sweep.json says the model adapts,
else A). `cortexloop sweep` runs this script itself (OUT/state_diagram.png) unless --no-png.

    build/cortexloop sweep --x aln.mu_ext_e_mV_per_ms=0:3:251 --y aln.mu_ext_i_mV_per_ms=0:3:251 --out /tmp/swA
    /usr/bin/python3 tools/plot_aln_sweep.py /tmp/swA --title "..." --out /tmp/swA/other.png   # a redraw

(docs/images/aln_states_*.png and network_states_*.png are the sweeps' own state_diagram.png: docs/aln.md.)
"""
import argparse
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent / "python"))
from cortexloop_client import cli  # noqa: E402
from cortexloop_client.analysis import cell_edges  # noqa: E402
from cortexloop_client.mpl import pyplot  # noqa: E402

# fitparams.loadpoint (mean field) and loadpoint_network (network) of the authors' code (other_seeds_facts.md C.4),
# (mu_ext,E, mu_ext,I) in mV/ms.
POINTS = {
    "aln": {
        "A": {"A1": (1.2, 1.2), "A2": (1.3, 0.5), "A3": (2.05, 1.7)},
        "B": {"B1": (1.52, 0.84), "B2": (3.4, 1.2), "B3": (4.0, 1.8), "B4": (3.8, 2.0)},
    },
    "network": {
        "A": {"A1": (1.1, 0.6), "A2": (1.6, 0.3), "A3": (2.0, 1.2)},
        "B": {"B2": (3.7, 0.5), "B3": (3.8, 1.2), "B4": (3.4, 1.2)},
    },
}
TITLES = {"aln": "ALN state diagram", "network": "Network state diagram"}
STATES = ["down", "up", "bistable", "LC$_{EI}$", "LC$_{aE}$"]
STATE_COLOURS = ["#1f3b73", "#f2c14e", "#6ab187", "#d1495b", "#8e6c8a"]


GRIDS = ["state.npy", "max_rate_up_Hz.npy", "dominant_frequency_Hz.npy"]  # [len(y), len(x)] each
UNITS = {"_mV_per_ms": "mV/ms", "_pA": "pA", "_nS": "nS", "_ms": "ms", "_mV": "mV", "_Hz": "Hz"}


def axis_label(key: str) -> str:
    """A config key as an axis label: its name and, from the key's unit suffix, its unit in brackets (a mean input in
    mV/ms is a current once multiplied by the 200 pF membrane capacitance)."""
    name = key.split(".")[-1]
    for suffix, unit in UNITS.items():
        if name.endswith(suffix):
            name = name[: -len(suffix)] + f" [{unit}]" + (" (x 200 pF = pA)" if unit == "mV/ms" else "")
            break
    return name


MAX_RATE_SCALE_HZ = 80.0  # the top of the left panel's colour scale, as the paper's Fig 2


def above_the_scale(rate_Hz):
    """The largest rate, to as few digits (3 or more) as read above the scale's top: 80.04 Hz to 3 digits read "up to
    80 Hz" under "above 80 Hz clipped" (a review, 2026-12-06)."""
    for digits in range(3, 10):
        text = f"{rate_Hz:.{digits}g}"
        if float(text) > MAX_RATE_SCALE_HZ:
            return text
    return f"{rate_Hz!r}"


def edges(v):
    """The edges of the cells of an ascending axis: halfway between neighbours and half the neighbouring step beyond
    each end (cell_edges), so each cell lies around its true value on an uneven axis too (--x KEY=1.1,1.6,2.0 drawn as
    an image stretched evenly put the 0.6 row of 0.3, 0.6, 1.2 at 0.75: an outside audit, 2026-12-07). A single value
    gets +-5 % of it (+-0.05 at 0): the +-0.5 given to it before drew a row at 0.5 mV/ms over a made-up 0-1 range."""
    if len(v) > 1:
        return cell_edges(v)
    half = 0.05 * abs(float(v[0])) or 0.05
    return np.array([float(v[0]) - half, float(v[0]) + half])


def on_axis(value, v, limits):
    """A point of interest lies on a swept axis: within its range, or at the one value swept."""
    if len(v) == 1:
        return bool(np.isclose(value, v[0]))
    return limits[0] <= value <= limits[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", type=pathlib.Path, help="output folder of cortexloop sweep")
    ap.add_argument("--out", type=cli.figure_path_arg, required=True, help=cli.FIGURE_FILE_HELP)
    ap.add_argument("--points", choices=["A", "B", "auto", "none"], default="auto",
                    help="points of interest to mark (auto: B with adaptation, else A; default: %(default)s)")
    ap.add_argument("--quiet", action="store_true", help="no line on stdout")
    ap.add_argument("--title", default=None, help="figure title (default: the model and its axes)")
    a = ap.parse_args()
    out = cli.figure_file(a.out)  # its format checked before the drawing
    try:
        meta = cli.load_json_object(a.folder / "sweep.json")
        x = cli.load_npy(a.folder / "x.npy")
        y = cli.load_npy(a.folder / "y.npy")
        grids = {name: cli.load_npy(a.folder / name) for name in GRIDS}
    except FileNotFoundError as e:
        raise cli.ToolError(f"{e.filename}: not found, {a.folder} is not a complete sweep output") from None
    # state[j, i] is at (x[i], y[j]): arrays of another shape (files of two sweeps, a damaged one) were drawn
    # stretched over the axes without a word (a 3 x 3 state.npy over a 21 x 21 grid).
    if x.ndim != 1 or y.ndim != 1 or not len(x) or not len(y):
        raise cli.ToolError(f"{a.folder}: x.npy has shape {x.shape} and y.npy {y.shape}: expected one value or more "
                            "each")
    for name, grid in grids.items():
        if grid.shape != (len(y), len(x)):
            raise cli.ToolError(f"{a.folder}: {name} has shape {grid.shape}, but x.npy ({len(x)} values) and y.npy "
                                f"({len(y)} values) make a grid of shape ({len(y)}, {len(x)})")
    # What the figure reads of sweep.json (a KeyError traceback when missing).
    for key in ("x", "y"):
        if not isinstance(meta.get(key), dict) or "key" not in meta[key]:
            raise cli.ToolError(f"{a.folder / 'sweep.json'}: no {key}.key (the swept config key)")
    if not isinstance(meta.get("duration_s"), (int, float)) or meta.get("model", "aln") not in POINTS:
        raise cli.ToolError(f"{a.folder / 'sweep.json'}: no duration_s, or a model other than "
                            f"{' or '.join(POINTS)}: not written by `cortexloop sweep`")
    # A descending axis (--x KEY=3:0:31) was drawn as given: extent[2] > extent[3], so no point of interest passed the
    # check below. The axes are sorted ascending (the arrays' columns and rows with them), in either direction.
    ox, oy = np.argsort(x, kind="stable"), np.argsort(y, kind="stable")
    x, y = x[ox], y[oy]
    state, max_up, freq = (grids[name][np.ix_(oy, ox)] for name in GRIDS)
    # each cell around its grid point, its edges halfway to the neighbours' (uneven axes too)
    xe, ye = edges(x), edges(y)
    extent = [xe[0], xe[-1], ye[0], ye[-1]]

    def cells(axis, values, **kwargs):  # NaN (a point not run) left blank
        return axis.pcolormesh(xe, ye, np.ma.masked_invalid(values), shading="flat", **kwargs)
    plt = pyplot()
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch
    fig, axes = plt.subplots(1, 3, figsize=(17, 5.2), constrained_layout=True)
    ax = axes[0]
    # The paper's scale, 0-80 Hz. Rates above it take the top colour: the colour bar says so, with how many and how
    # high (a network sweep had 9.5 % of its points above, up to 194 Hz, and nothing said it: an outside check,
    # 2026-12-06).
    above = np.count_nonzero(max_up > MAX_RATE_SCALE_HZ)
    im = cells(ax, np.clip(max_up, 0, MAX_RATE_SCALE_HZ), cmap="plasma", vmin=0, vmax=MAX_RATE_SCALE_HZ)
    if above:
        fig.colorbar(im, ax=ax, extend="max",
                     label=f"maximum E rate [Hz]; above {MAX_RATE_SCALE_HZ:g} Hz clipped to the top colour\n"
                           f"({100.0 * above / np.count_nonzero(np.isfinite(max_up)):.3g} % of the points, up to "
                           f"{above_the_scale(np.nanmax(max_up))} Hz)")
    else:
        fig.colorbar(im, ax=ax, label="maximum E rate [Hz]")
    osc = ((state == 3) | (state == 4)).astype(float)
    bi = (state == 2).astype(float)
    if len(x) > 1 and len(y) > 1:
        if osc.any():
            ax.contour(x, y, osc, levels=[0.5], colors="white", linewidths=1.5)
        if bi.any():
            ax.contour(x, y, bi, levels=[0.5], colors="limegreen", linewidths=1.5, linestyles="dashed")
    ax2 = axes[1]
    cells(ax2, state, cmap=ListedColormap(STATE_COLOURS), vmin=-0.5, vmax=4.5)
    ax2.legend(handles=[Patch(color=c, label=s) for c, s in zip(STATE_COLOURS, STATES)], loc="upper left",
               fontsize=8, framealpha=0.9)
    ax3 = axes[2]
    ax3.set_facecolor("0.85")  # NaN (no oscillation) shows the background
    im3 = cells(ax3, freq, cmap="viridis")
    fig.colorbar(im3, ax=ax3, label="dominant frequency [Hz] (grey: not oscillating)")
    not_run = np.isnan(state)  # a sweep stopped by Ctrl-C: its points not run are NaN in every array
    if not_run.any():  # white in every panel (the left and middle ones leave NaN blank)
        cells(ax3, np.where(not_run, 1.0, np.nan), cmap=ListedColormap(["white"]))
    model = meta.get("model", "aln")  # sweeps before the network had no "model"
    points = a.points
    if points == "auto":  # sweeps before "adaptation" was written: none marked
        points = "none" if "adaptation" not in meta else ("B" if meta["adaptation"] else "A")
    marked = [name for name, (px, py) in POINTS[model].get(points, {}).items()
              if on_axis(px, x, extent[:2]) and on_axis(py, y, extent[2:])]
    for axis in axes:
        axis.set_xlabel(axis_label(meta["x"]["key"]))
        axis.set_ylabel(axis_label(meta["y"]["key"]))
        # A single swept value is ticked alone: the default ticks around it read as a range that was swept.
        if len(x) == 1:
            axis.set_xticks(x)
        if len(y) == 1:
            axis.set_yticks(y)
        for name in marked:
            px, py = POINTS[model][points][name]
            axis.text(px, py, name, ha="center", va="center", fontsize=9,
                      bbox=dict(boxstyle="circle", fc="w", ec="0.4", pad=0.2, alpha=0.9))
    over = ", ".join(meta.get("overrides", []))
    adapt = ", with adaptation" if meta.get("adaptation") else (", no adaptation" if "adaptation" in meta else "")
    n_not_run = int(not_run.sum())
    stopped = f" (stopped: {cli.plural(n_not_run, 'point')} not run, white)" if n_not_run else ""
    # The overrides after a semicolon: "6 s each network.n_neurons=4000" read as one phrase.
    fig.suptitle(a.title or f"{TITLES[model]}{adapt}, {len(x)} x {len(y)} point{'' if x.size * y.size == 1 else 's'}"
                 f"{stopped}, {meta['duration_s']:g} s each" + (f"; with {over}" if over else ""))
    fig.savefig(cli.with_folder(out), dpi=110)
    if not a.quiet:
        print(f"plot_aln_sweep: wrote {out} (points marked: {' '.join(marked) or 'none'})")
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
