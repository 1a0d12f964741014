#!/usr/bin/python3
"""Space-time maps of the ring model from a `cortexloop simulate` or `cortexloop record` output folder.

Draws the excitatory rate (ring_rates_exc.npy) and the VSDi-like signal (vsdi.npy), both [readouts, units],
against time and position on the ring, as Zerlaut et al. 2018 show their model's VSDi. Writes a PNG. Time is the
session's simulated time as plot.py draws it: a recording's from its ticks.npy (its first readout's time, each Reset
continued and marked, lost readouts blank), simulate's a readout per tick_ms from the start. The ring's length is
the folder's (summary.json), 36 mm only when it says none.

    build/cortexloop simulate --config configs/zerlaut2018_ring.toml --out /tmp/ring
    /usr/bin/python3 tools/plot_vsdi.py /tmp/ring --out docs/figures/vsdi_ring.png
"""
import argparse
import pathlib
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent / "python"))
from cortexloop_client import cli, marks, plot, ringmap, timeline  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=pathlib.Path, help="output folder of `cortexloop simulate` with a ring")
    parser.add_argument("--out", type=pathlib.Path, default=None, help="PNG to write (default: FOLDER/vsdi.png)")
    parser.add_argument("--t-max-ms", type=cli.positive_float, default=None,
                        help="last time shown, ms of the session's time as the axis gives it (default: all)")
    parser.add_argument("--title", default=None, help="figure title")
    args = parser.parse_args(argv)

    out = cli.figure_file(args.out or args.folder / "vsdi.png")  # its format checked before the drawing
    try:
        vsdi = cli.load_npy(args.folder / "vsdi.npy")
        rates = cli.load_npy(args.folder / "ring_rates_exc.npy")
        summary = cli.load_json_object(args.folder / "summary.json")
    except FileNotFoundError as e:
        print(f"plot_vsdi: {e.filename}: not found (was the config run with a [ring]?)", file=sys.stderr)
        return 2
    ticks_file = args.folder / "ticks.npy"
    ticks = cli.load_npy(ticks_file) if ticks_file.exists() else None  # `record` writes one, `simulate` none
    # Both maps are [ticks, units] of the same run: any other shape is a damaged folder (or files of two runs), which
    # raised an IndexError or drew one map against the other's times.
    rows = {"vsdi.npy": vsdi, "ring_rates_exc.npy": rates, **({"ticks.npy": ticks} if ticks is not None else {})}
    cli.check_rows(args.folder, rows, "vsdi.npy")
    if vsdi.ndim != 2 or rates.shape != vsdi.shape or vsdi.shape[1] == 0:
        raise cli.ToolError(f"{args.folder}: vsdi.npy has shape {vsdi.shape} and ring_rates_exc.npy {rates.shape}: "
                            "expected both [ticks, ring units], the same")
    cli.check_types(args.folder / "summary.json", summary, plot.SUMMARY_KEYS)
    geo = plot.geometry({"summary": summary, "vsdi": vsdi})
    length_mm, tick_ms = geo["length_mm"], geo["tick_ms"]
    x_ms, boundaries = timeline.readout_ms(ticks, len(vsdi), tick_ms)
    left_ms, gaps = timeline.cells(x_ms, tick_ms)
    # The readouts up to --t-max-ms; at least the first (a --t-max-ms before it shows one readout).
    shown = max(1, int(np.searchsorted(x_ms, args.t_max_ms, side="right"))) if args.t_max_ms else len(x_ms)
    x_ms, left_ms, gaps = x_ms[:shown], left_ms[:shown], gaps[gaps < shown]
    n_units = vsdi.shape[1]

    fig, axes = plt.subplots(2, 1, figsize=(7.0, 6.0), sharex=True, constrained_layout=True)
    panels = [
        (rates, "excitatory rate (Hz)", "magma", None),
        (vsdi, "VSDi: relative depolarisation (%)", "RdBu_r",
         ringmap.symmetric_limit(vsdi[:shown], ringmap.VSDI_FLOOR_PERCENT)[0]),
    ]
    for ax, (data, label, cmap, sym) in zip(axes, panels):
        mesh = ringmap.draw(ax, data[:shown], x_ms, left_ms, length_mm, cmap, sym)
        fig.colorbar(mesh, ax=ax, label=label)
        ax.set_ylabel("ring position (mm)" if geo["known"] else f"ring position (mm)\n(assumed {length_mm:g} mm)")
    marks.restarts_and_gaps(axes, [b for b in boundaries if b[0] < x_ms[-1]], x_ms, left_ms, gaps, per_ms=1.0)
    axes[-1].set_xlim(left_ms[0], x_ms[-1])
    axes[-1].set_xlabel("time (ms)")
    axes[0].set_title(args.title or f"ring of {n_units} mean-field units ({args.folder.resolve().name})")
    fig.savefig(cli.with_folder(out), dpi=120)
    print(f"plot_vsdi: wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
