#!/usr/bin/python3
"""Space-time maps of the ring model from a `cortexloop simulate` output folder.

Draws the excitatory rate (ring_rates_exc.npy) and the VSDi-like signal (vsdi.npy), both [ms, units],
against time and position on the ring, as Zerlaut et al. 2018 show their model's VSDi. Writes a PNG.

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
from cortexloop_client import cli, plot  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=pathlib.Path, help="output folder of `cortexloop simulate` with a ring")
    parser.add_argument("--out", type=pathlib.Path, default=None, help="PNG to write (default: FOLDER/vsdi.png)")
    parser.add_argument("--t-max-ms", type=cli.positive_float, default=None, help="last time shown (default: all)")
    parser.add_argument("--title", default=None, help="figure title")
    args = parser.parse_args()

    out = cli.figure_file(args.out or args.folder / "vsdi.png")  # its format checked before the drawing
    try:
        vsdi = cli.load_npy(args.folder / "vsdi.npy")
        rates = cli.load_npy(args.folder / "ring_rates_exc.npy")
        summary = cli.load_json_object(args.folder / "summary.json")
    except FileNotFoundError as e:
        print(f"plot_vsdi: {e.filename}: not found (was the config run with a [ring]?)", file=sys.stderr)
        return 2
    # Both maps are [ticks, units] of the same run: any other shape is a damaged folder (or files of two runs), which
    # raised an IndexError or drew one map against the other's times.
    cli.check_rows(args.folder, {"vsdi.npy": vsdi, "ring_rates_exc.npy": rates}, "vsdi.npy")
    if vsdi.ndim != 2 or rates.shape != vsdi.shape or vsdi.shape[1] == 0:
        raise cli.ToolError(f"{args.folder}: vsdi.npy has shape {vsdi.shape} and ring_rates_exc.npy {rates.shape}: "
                            "expected both [ticks, ring units], the same")
    cli.check_types(args.folder / "summary.json", summary, plot.SUMMARY_KEYS)
    geometry = summary.get("geometry") or {}
    ring = summary.get("ring") or geometry.get("ring") or {}  # simulate or record --config
    length_mm = float(ring.get("length_mm") or 36.0)
    tick_ms = float(summary.get("tick_ms") or geometry.get("tick_ms") or 1.0)
    n_ticks, n_units = vsdi.shape
    t_max = args.t_max_ms if args.t_max_ms else n_ticks * tick_ms
    shown = max(1, int(min(n_ticks, round(t_max / tick_ms))))  # a --t-max-ms below a tick: one tick
    # One coordinate system (docs/device.md): unit i sits at i * length / n mm along the periodic ring, y in
    # [0, length]. Each row is centred on its unit; unit 0's row is repeated at `length` (the ring wraps).
    dx = length_mm / n_units
    extent = [0.0, shown * tick_ms, -dx / 2, length_mm + dx / 2]

    fig, axes = plt.subplots(2, 1, figsize=(7.0, 6.0), sharex=True, constrained_layout=True)
    panels = [
        (rates, "excitatory rate (Hz)", "magma", None),
        (vsdi, "VSDi: relative depolarisation (%)", "RdBu_r", np.max(np.abs(vsdi[:shown])) or 1.0),
    ]
    for ax, (data, label, cmap, sym) in zip(axes, panels):
        image = np.concatenate([data[:shown], data[:shown, :1]], axis=1).T
        kwargs = {"vmin": -sym, "vmax": sym} if sym else {}
        im = ax.imshow(image, aspect="auto", origin="lower", extent=extent, cmap=cmap, interpolation="nearest",
                       **kwargs)
        fig.colorbar(im, ax=ax, label=label)
        ax.set_ylim(0, length_mm)
        ax.set_ylabel("ring position (mm)")
    axes[-1].set_xlabel("time (ms)")
    axes[0].set_title(args.title or f"ring of {n_units} mean-field units ({args.folder.name})")
    fig.savefig(cli.with_folder(out), dpi=120)
    print(f"plot_vsdi: wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
