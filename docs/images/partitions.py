#!/usr/bin/env python3
"""Draws the figure of docs/engine.md, "Partitions, exchange and random streams": how the network is split, what a
step does, how ranks exchange spikes, and where the random numbers come from. It writes --out, partitions.png in the
current folder unless told otherwise; the tracked figure the doc shows is regenerated with

    /usr/bin/python3 docs/images/partitions.py --out docs/images/partitions.png

The layout numbers (10,000 cells, 2 partitions, groups of 128, chunks of 1024) are the engine's own constants
(engine/network/partition.hpp, engine/random/philox.hpp), the batch of 5 steps the engine's choice for delays of
1.5 / 0.8 ms (engine/network/network.hpp, set_exchange_steps); the picture is a diagram, not a measurement.
"""
import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, Rectangle

N, N_EXC, ALIGN = 10000, 8000, 128
COLORS = ["#4C72B0", "#DD8452", "#55A868"]


def partition_bounds(n, parts):
    units = (n + ALIGN - 1) // ALIGN
    return [min(n, units * k // parts * ALIGN) for k in range(parts + 1)]


def box(ax, x, y, w, h, text, color, fontsize=8.5, alpha=0.25):
    ax.add_patch(Rectangle((x, y), w, h, facecolor=color, alpha=alpha, edgecolor=color, lw=1.2))
    ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=fontsize)


def arrow(ax, a, b, color="k"):
    ax.add_patch(FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=10, color=color, lw=1.0))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    # Not the tracked figure by default: a run to look at the drawing (or --help, which it ignored) overwrote
    # docs/images/partitions.png (an outside check, 2026-12-06).
    ap.add_argument("--out", default="partitions.png",
                    help="PNG to write (default: %(default)s in the current folder; docs/images/partitions.png is the "
                         "tracked figure docs/engine.md shows)")
    out = ap.parse_args().out
    fig, axes = plt.subplots(4, 1, figsize=(9.5, 11.6), gridspec_kw={"height_ratios": [1.0, 1.5, 1.3, 1.2]})
    # 1. The partitions over the cell index.
    ax = axes[0]
    bounds = partition_bounds(N, 2)
    for k in range(2):
        b, e = bounds[k], bounds[k + 1]
        box(ax, b, 0.45, e - b, 0.4, f"partition {k}: cells [{b}, {e})\nworker {k}"
            + (" (the real-time thread)" if k == 0 else " (helper, pinned)"), COLORS[k])
    ax.axvline(N_EXC, color="k", ls="--", lw=0.8)
    ax.text(N_EXC / 2, 0.2, "RS (excitatory) [0, 8000)", ha="center", fontsize=8)
    ax.text((N_EXC + N) / 2, 0.2, "FS [8000, 10000)", ha="center", fontsize=8)
    ax.set_xlim(0, N)
    ax.set_ylim(0, 1)
    ax.set_yticks([])
    ax.set_xlabel("cell index (boundaries: multiples of 128 cells = whole Philox groups, SIMD blocks, cache lines)")
    ax.set_title("Contiguous partitions; each owns its cells' state and the synapses that arrive at them", fontsize=10)

    # 2. One step: update, barrier, deliver (in the next step's phase, before its update: one barrier per step).
    ax = axes[1]
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 4.2)
    ax.axis("off")
    ax.set_title("Step k: update, the one barrier, then deliver in step k+1's phase (before its update)", fontsize=10)
    for k, y in enumerate([2.6, 0.9]):
        box(ax, 0.1, y, 3.2, 0.9, f"update (worker {k})\ndrive draws -> G_e; integrate,\nthreshold, reset its cells", COLORS[k])
        box(ax, 4.3, y, 1.6, 0.9, f"spike slot {k}\n(buffer k mod 2;\nascending)", COLORS[k], alpha=0.45)
        box(ax, 6.9, y, 3.0, 0.9, f"deliver (worker {k}), then update k+1\nread slots 0, 1 in order; add\nto its own targets' G_e / G_i", COLORS[k])
        arrow(ax, (3.3, y + 0.45), (4.3, y + 0.45))
    ax.plot([6.4, 6.4], [0.6, 3.8], color="k", lw=2)
    ax.text(6.4, 3.95, "barrier", ha="center", fontsize=8.5)
    for ys in [2.6, 0.9]:
        for yd in [2.6, 0.9]:
            arrow(ax, (5.9, ys + 0.45), (6.9, yd + 0.45), color="0.4")
    ax.text(5, 0.2, "every target receives a step's spikes in ascending source order whatever the partitioning: "
            "bit-identical for any thread count", ha="center", fontsize=8.5)

    # 3. Across MPI ranks: one exchange per batch of steps, as long as the shortest delay allows.
    ax = axes[2]
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 3.4)
    ax.axis("off")
    ax.set_title("Across MPI ranks: the spikes of B steps in one exchange, B <= d_min / dt + 1 and dividing the tick "
                 "(here d_min = 0.8 ms: B = 5)", fontsize=10)
    batch = 5
    for r, y in enumerate([2.3, 1.3]):
        ax.text(0.05, y + 0.3, f"rank {r}", fontsize=8.5, va="center")
        for j in range(batch):
            box(ax, 0.8 + 0.62 * j, y, 0.55, 0.6, f"k+{j}" if j else "k", COLORS[r], fontsize=8)
        arrow(ax, (0.8 + 0.62 * batch - 0.05, y + 0.3), (4.25, 1.9 + 0.5 * (1 - r)))
    box(ax, 4.25, 1.35, 2.2, 1.55, "Allgather (1 int per rank:\nits payload's length)\n+ Allgatherv (B counts,\nthen the ids), rank order:\neach step's spikes ascending",
        "0.5", fontsize=8)
    arrow(ax, (6.45, 2.1), (6.9, 2.1))
    box(ax, 6.9, 1.35, 3.0, 1.55, "every partition's spike ring\nrecords steps k..k+B-1;\na spike of step j with delay d\n"
        "is delivered at step j + d + 1\n>= k + B: in time", COLORS[2], fontsize=8)
    ax.text(5, 0.55, "without delays d_min = dt: B = 1, one exchange per step; with >= 0.9 ms (Cakan's 2-4 ms): one per "
            "10-step tick.\nEvery tick ends a batch, so its counts and spike records are complete at its end; "
            "bit-identical to one process", ha="center", va="center", fontsize=8.5)

    # 4. Counter-based random numbers.
    ax = axes[3]
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 3.2)
    ax.axis("off")
    ax.set_title("Random numbers: a pure function of (seed, neuron, step, stream) -- Philox4x32-10, "
                 "Salmon et al. SC'11", fontsize=10)
    box(ax, 0.1, 1.6, 3.4, 1.2, "counter (4 x 32 bit)\n[16 g + b, step lo, step hi, stream]\nkey = seed (64 bit)",
        COLORS[2])
    box(ax, 4.1, 1.6, 1.8, 1.2, "Philox4x32-10\n(16 blocks = 16\nAVX-512 lanes)", "0.5")
    box(ax, 6.5, 1.6, 3.4, 1.2, "4 words x 2 halves of block b\n-> 16-bit draws of neurons\n128 g + 32 w + 16 h + b",
        COLORS[2])
    arrow(ax, (3.5, 2.2), (4.1, 2.2))
    arrow(ax, (5.9, 2.2), (6.5, 2.2))
    ax.text(5, 1.0, "streams: 0 drive (every neuron, every step), 1 afferent (RS cells), 2 initial V (once per neuron),\n"
            "3 connectivity: the sources of target t from counters [t, i lo, i hi, 3], i = 0, 1, ... (geometric skips),\n"
            "16 white noise (normals, a block per 4 neurons), 17 + p fixed in-degree sources from population p (fraction net)",
            ha="center", va="center", fontsize=8.5)
    ax.text(5, 0.3, "event of neuron i at step k: draw < round(p * 2^16), p = dt k_exc rate(t)", ha="center",
            fontsize=8.5)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
