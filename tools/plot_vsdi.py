#!/usr/bin/python3
"""Space-time maps of the ring model from a `cortexloop simulate` or `cortexloop record` output folder.

Draws the excitatory rate (ring_rates_exc.npy) and the VSDi-like signal (vsdi.npy), both [readouts, units],
against time and position on the ring, as Zerlaut et al. 2018 show their model's VSDi. Writes a figure. Time is the
session's simulated time in seconds as plot.py and the viewer draw it: a recording's from its ticks.npy (its first
readout's time, each Reset continued and marked on both maps, lost readouts blank), simulate's a readout per
tick_ms from the start. The ring's length is the folder's (summary.json), 36 mm only when it says none. A folder
that is not there, or lacks a file, is missing data: exit 1, as every tool of cli.run (2 is a wrong command line).

    build/cortexloop simulate --config configs/zerlaut2018_ring.toml --out /tmp/ring
    /usr/bin/python3 tools/plot_vsdi.py /tmp/ring --out docs/figures/vsdi_ring.png
"""
import argparse
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent / "python"))
from cortexloop_client import cli, marks, plot, ringmap, timeline  # noqa: E402
from cortexloop_client.mpl import pyplot  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=pathlib.Path, help="output folder of `cortexloop simulate` with a ring")
    parser.add_argument("--out", type=cli.figure_path_arg, default=None, help=cli.FIGURE_FILE_HELP + " (default: FOLDER/vsdi.png)")
    last = parser.add_mutually_exclusive_group()
    last.add_argument("--t-max-s", type=cli.positive_float, default=None,
                      help="last time shown, s of the session's time as the axis gives it (default: all)")
    last.add_argument("--t-max-ms", type=cli.positive_float, default=None,
                      help="the same in ms (the axis was in ms; kept for existing commands)")
    parser.add_argument("--title", default=None, help="figure title")
    args = parser.parse_args(argv)

    out = cli.figure_file(args.out or args.folder / "vsdi.png")  # its format checked before the drawing
    if not args.folder.is_dir():
        raise cli.ToolError(f"{args.folder}: no such folder")
    try:
        vsdi = cli.load_npy(args.folder / "vsdi.npy")
        rates = cli.load_npy(args.folder / "ring_rates_exc.npy")
        summary = cli.load_json_object(args.folder / "summary.json")
    except FileNotFoundError as e:
        raise cli.ToolError(f"{e.filename}: not found (was the config run with a [ring]?)") from None
    cli.check_recording_has_ticks(args.folder)
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
    # The readouts up to --t-max-s; at least the first (a --t-max-s before it shows one readout).
    t_max_ms = args.t_max_s * 1000.0 if args.t_max_s else args.t_max_ms
    shown = max(1, int(np.searchsorted(x_ms, t_max_ms, side="right"))) if t_max_ms else len(x_ms)
    x_s, left_s, gaps = x_ms[:shown] / 1000.0, left_ms[:shown] / 1000.0, gaps[gaps < shown]
    n_units = vsdi.shape[1]

    plt = pyplot()
    fig, axes = plt.subplots(2, 1, figsize=(7.0, 6.0), sharex=True, constrained_layout=True)
    panels = [
        (rates, "excitatory rate (Hz)", "magma", ringmap.range_limits(rates[:shown], ringmap.RATE_FLOOR_HZ)),
        (vsdi, "VSDi: relative depolarisation (%)", "RdBu_r",
         ringmap.symmetric_limit(vsdi[:shown], ringmap.VSDI_FLOOR_PERCENT)[0]),
    ]
    for ax, (data, label, cmap, sym) in zip(axes, panels):
        mesh = ringmap.draw(ax, data[:shown], x_s, left_s, length_mm, cmap, sym)
        fig.colorbar(mesh, ax=ax, label=label)
        ax.set_ylabel("ring position (mm)" if geo["known"] else f"ring position (mm)\n(assumed {length_mm:g} mm)")
    shown_boundaries = [b for b in boundaries if b[0] < x_s[-1] * 1000.0]  # those before --t-max-s
    # Labelled on both maps: the line alone on the VSDi map did not say what it was (an outside check, 2026-12-06).
    marks.restarts_and_gaps(axes, shown_boundaries, x_s, left_s, gaps, labelled=axes)
    axes[-1].set_xlim(left_s[0], x_s[-1])
    axes[-1].set_xlabel("simulated time (s)" + timeline.restart_note(shown_boundaries))
    axes[0].set_title(args.title or f"ring of {n_units} mean-field units ({args.folder.resolve().name})")
    fig.savefig(cli.with_folder(out), dpi=120)
    print(f"plot_vsdi: wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
