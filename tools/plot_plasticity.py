#!/usr/bin/python3
"""Draws the output of `cortexloop plasticity` as the seeds' plasticity notebook draws its Figure 3.

    /usr/bin/python3 tools/plot_plasticity.py OUT [--out OUT/rate_effect.png]

Top: the cells' mean V (averaged over the cells of a point), its time mean mu(v) and time SD sigma(v) (the
notebook's statistics; sigma shrinks about as 1/sqrt(cells)), against the cells' output rate. Below, for each rule (MB,
CM, VDP, the notebook's order) and synapse (excitatory, inhibitory): the final weight as % of the initial one
against the output rate. Every point is one (e_rate, i_rate) of the grid, coloured by the balance e_rate - i_rate
(red: E > I, blue: I > E); the dotted line is 100 % (no change).
"""
import argparse
import json
import pathlib
import sys

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("dir", help="the --out folder of `cortexloop plasticity`")
    ap.add_argument("--out", help="PNG to write (default DIR/rate_effect.png)")
    ap.add_argument("--quiet", action="store_true", help="do not say which file was written")
    args = ap.parse_args()
    d = pathlib.Path(args.dir)
    try:
        rate = np.load(d / "rate_Hz.npy")
        w = np.load(d / "weight_pct.npy")
        mean_v = np.load(d / "mean_v_mV.npy")
        sd_v = np.load(d / "sd_v_mV.npy")
        e_rates = np.load(d / "e_rates_Hz.npy")
        i_rates = np.load(d / "i_rates_Hz.npy")
        meta = json.loads((d / "plasticity.json").read_text())
    except (OSError, ValueError) as e:
        sys.exit(f"plot_plasticity.py: {d} is not an output folder of `cortexloop plasticity`: {e}")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

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
    rules = meta.get("rules", ["vdp", "clopath", "meissner_bernard"])
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
    fig.suptitle(f"Voltage-based plasticity against output rate: {meta.get('runs')} cells per point, "
                 f"{meta.get('duration_ms', 0) / 1000:g} s (cortexloop plasticity)")
    out = pathlib.Path(args.out) if args.out else d / "rate_effect.png"
    fig.savefig(out, dpi=110, bbox_inches="tight")
    if not args.quiet:
        print(f"plot_plasticity.py: wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
