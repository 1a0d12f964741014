#!/usr/bin/python3
"""Draws the output of `cortexloop plasticity` as the seeds' plasticity notebook draws its Figure 3.

    /usr/bin/python3 tools/plot_plasticity.py OUT [--out OUT/rate_effect.png] [--partial]

Top: the cells' mean V (averaged over the cells of a point), its time mean mu(v) and time SD sigma(v) (the
notebook's statistics; sigma shrinks about as 1/sqrt(cells)), against the cells' output rate. Below, for each rule (MB,
CM, VDP, the notebook's order) and synapse (excitatory, inhibitory): the final weight as % of the initial one
against the output rate. Every point is one (e_rate, i_rate) of the grid, coloured by the balance e_rate - i_rate
(red: E > I, blue: I > E); the dotted line is 100 % (no change).

A run stopped by Ctrl-C or SIGTERM (plasticity.json "interrupted": true) is refused, naming how many points ran:
`cortexloop plasticity` draws no PNG of it either (docs/plasticity.md). --partial draws the points that ran, the
title saying "interrupted: k of n points run"; the points not run (NaN in every array) are left out.
"""
import argparse
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent / "python"))
from cortexloop_client import cli  # noqa: E402
from cortexloop_client.mpl import pyplot  # noqa: E402

RULES = ["vdp", "clopath", "meissner_bernard"]  # the rules of `cortexloop plasticity`, its plasticity.json's "rules"
GRID = ["rate_Hz.npy", "mean_v_mV.npy", "sd_v_mV.npy"]  # [n_i, n_e] each


def load(d):
    """The arrays and plasticity.json of an output folder of `cortexloop plasticity`, each checked against the
    grid of e_rates_Hz.npy and i_rates_Hz.npy: a file of another run, a truncated one or rules this figure does not
    draw end in one line naming it (a ValueError traceback before, or one grid drawn against another's rates)."""
    if not d.is_dir():
        raise cli.ToolError(f"{d}: no such folder (the --out folder of `cortexloop plasticity`)")
    try:
        a = {name: cli.load_npy(d / name) for name in ["e_rates_Hz.npy", "i_rates_Hz.npy", *GRID, "weight_pct.npy"]}
        meta = cli.load_json_object(d / "plasticity.json")
    except FileNotFoundError as e:
        raise cli.ToolError(f"{e.filename}: not found, {d} is not a complete output of `cortexloop plasticity`") \
            from None
    cli.check_types(d / "plasticity.json", meta,
                    {"runs": int, "duration_ms": cli.NUMBER, "interrupted": bool, "points_not_run": int})
    e, i = a["e_rates_Hz.npy"], a["i_rates_Hz.npy"]
    if e.ndim != 1 or i.ndim != 1 or not len(e) or not len(i):
        raise cli.ToolError(f"{d}: e_rates_Hz.npy has shape {e.shape} and i_rates_Hz.npy {i.shape}: expected one "
                            "rate or more each")
    rules = meta.get("rules", RULES)
    if not isinstance(rules, list) or sorted(map(str, rules)) != sorted(RULES):
        raise cli.ToolError(f"{d / 'plasticity.json'}: rules is {rules}, not the three rules this figure draws "
                            f"({', '.join(RULES)}, in any order)")
    expected = {**{name: (len(i), len(e)) for name in GRID}, "weight_pct.npy": (len(i), len(e), len(RULES), 2)}
    for name, shape in expected.items():
        if a[name].shape != shape:
            raise cli.ToolError(f"{d}: {name} has shape {a[name].shape}, but i_rates_Hz.npy ({len(i)} rates) and "
                                f"e_rates_Hz.npy ({len(e)}) make it {shape}: a truncated output, or files of two runs")
    return a, meta


def interruption(d, meta, points):
    """"interrupted: k of n points run" for a run stopped before its end (plasticity.json "interrupted": true, its
    points_not_run), else None. Its figure drew the k points under the usual title, as if the grid were complete
    (an outside audit, 2026-12-07), where the command itself draws none."""
    if not meta.get("interrupted"):
        return None
    not_run = meta.get("points_not_run", 0)
    if not 0 <= not_run <= points:
        raise cli.ToolError(f"{d / 'plasticity.json'}: points_not_run is {not_run}, but the grid has "
                            f"{cli.plural(points, 'point')}")
    return f"interrupted: {points - not_run} of {cli.plural(points, 'point')} run"


def main():
    doc = __doc__.strip().split("\n")
    ap = argparse.ArgumentParser(description=doc[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(doc[1:]))
    ap.add_argument("dir", help="the --out folder of `cortexloop plasticity`")
    ap.add_argument("--out", type=cli.figure_arg, help="PNG to write (default DIR/rate_effect.png; a folder is refused)")
    ap.add_argument("--partial", action="store_true",
                    help="draw an interrupted run's points that ran (refused without it), the title saying so")
    ap.add_argument("--quiet", action="store_true", help="do not say which file was written")
    args = ap.parse_args()
    d = pathlib.Path(args.dir)
    out = cli.figure_file(pathlib.Path(args.out) if args.out else d / "rate_effect.png")  # before the drawing
    a, meta = load(d)
    stopped = interruption(d, meta, a["rate_Hz.npy"].size)
    if stopped and not args.partial:
        raise cli.ToolError(f"{d}: {stopped} (plasticity.json \"interrupted\": true): not drawn, as `cortexloop "
                            "plasticity` draws none; run it again for the whole grid, or pass --partial to draw the "
                            "points that ran")
    rate, w, mean_v, sd_v = a["rate_Hz.npy"], a["weight_pct.npy"], a["mean_v_mV.npy"], a["sd_v_mV.npy"]
    e_rates, i_rates = a["e_rates_Hz.npy"], a["i_rates_Hz.npy"]
    plt = pyplot()

    balance = (e_rates[None, :] - i_rates[:, None]).ravel()
    f_out = rate.ravel()
    lim = max(1.0, float(np.abs(balance).max()))
    # A grey rim: the balanced points are white in this map and vanished on the white background (an outside check).
    style = dict(c=balance, cmap="RdBu_r", vmin=-lim, vmax=lim, s=14, edgecolors="0.4", linewidths=0.3)
    fig = plt.figure(figsize=(13, 9))
    grid = fig.add_gridspec(3, 3, height_ratios=[1, 1, 1], hspace=0.45, wspace=0.35)
    ax = fig.add_subplot(grid[0, 1])
    sc = ax.scatter(f_out, mean_v.ravel(), **style)
    ax.set_ylabel(r"$\mu(v)$ of the cells' mean V [mV]")
    ax.set_xlabel(r"$F_{out}$ [Hz]")
    ax = fig.add_subplot(grid[0, 2])
    ax.scatter(f_out, sd_v.ravel(), **style)
    ax.set_ylabel(r"$\sigma(v)$ of the cells' mean V [mV]")
    ax.set_xlabel(r"$F_{out}$ [Hz]")
    cbar = fig.colorbar(sc, ax=fig.add_subplot(grid[0, 0]), fraction=0.5, ticks=[-lim, 0, lim])
    cbar.ax.set_yticklabels(["I>E", "I=E", "I<E"])
    cbar.set_label(r"$F_E - F_I$")
    fig.axes[2].set_axis_off()
    rules = meta.get("rules", RULES)
    shown = [("meissner_bernard", "MB"), ("clopath", "CM"), ("vdp", "VDP")]
    for col, (rule, title) in enumerate(shown):
        r = rules.index(rule)
        for row, kind in enumerate(("excitatory", "inhibitory")):
            ax = fig.add_subplot(grid[1 + row, col])
            ax.scatter(f_out, w[:, :, r, row].ravel(), **style)
            ax.axhline(100, color="grey", linestyle=":")
            ax.set_xlabel(r"$F_{out}$ [Hz]")
            ax.set_ylabel(r"% $w_0$")
            if row == 0:
                ax.set_title(title, fontsize=14)
            if col == 0:
                ax.text(-0.35, 0.5, kind, transform=ax.transAxes, rotation="vertical", ha="center", va="center")
    fig.suptitle(f"Voltage-based plasticity against output rate: {cli.plural(meta.get('runs'), 'cell')} per point, "
                 f"{meta.get('duration_ms', 0) / 1000:g} s (cortexloop plasticity"
                 + (f"; {stopped}, the others not drawn)" if stopped else ")"))
    fig.savefig(cli.with_folder(out), dpi=110, bbox_inches="tight")
    if not args.quiet:
        print(f"plot_plasticity.py: wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(cli.run(main))
