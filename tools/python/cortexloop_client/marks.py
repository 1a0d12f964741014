"""What every time panel of a figure marks alike (plot.py from a recording, viewer.py live): each restart of the
session's time (a Reset: a black line outlined in white, labelled on the top panel or on the panels given) and
each gap of lost readouts (hatched, nothing drawn across it). Times from timeline.py, in s (plot.py, plot_vsdi.py,
viewer.py), or any unit: per_ms."""
import numpy as np

from .mpl import white_outline

# A black line and label alone vanished on the near-black end of a colour map (plot_vsdi's rate map: an outside
# check, 2026-12-06): a white outline keeps them visible on dark and light alike. Widths in points.
RESTART_LINE = {"color": "k", "lw": 1.2}
RESTART_OUTLINE_PT, LABEL_OUTLINE_PT = 3.0, 2.5
# A panel's legend above it, at its right (inside the panel it covered the traces: outside checks); callers add their
# fontsize and ncol.
LEGEND_ABOVE = {"loc": "lower right", "bbox_to_anchor": (1.0, 1.0), "borderaxespad": 0.0, "frameon": False}


def restarts_and_gaps(axes, boundaries_ms, t, left, gaps, per_ms=1e-3, labelled=None):
    """boundaries_ms: timeline's (session ms, epoch, label); gaps: indices of the readouts after a gap; t and left:
    each readout's time and the left edge of its interval, in the axis's unit (per_ms of them in a ms); labelled: the
    panels whose restart lines carry their label (default the top one). Returns the ms lost in gaps."""
    gaps = np.asarray(gaps, dtype=int)
    for ms, _, label in boundaries_ms:
        for a in axes:
            a.axvline(ms * per_ms, **RESTART_LINE, path_effects=white_outline(RESTART_OUTLINE_PT))
        for a in (axes[:1] if labelled is None else labelled):
            a.annotate(label, (ms * per_ms, 1.0), xycoords=("data", "axes fraction"), xytext=(3, -2),
                       textcoords="offset points", ha="left", va="top", fontsize=8, fontweight="bold",
                       annotation_clip=True, path_effects=white_outline(LABEL_OUTLINE_PT))
    for i in gaps:
        for a in axes:
            a.axvspan(t[i - 1], left[i], facecolor="none", edgecolor="0.55", hatch="///", lw=0)
    return float(np.sum(np.asarray(left)[gaps] - np.asarray(t)[gaps - 1])) / per_ms


if __name__ == "__main__":  # a library: says so and what to run instead (exit 2)
    from .cli import library_module
    library_module(__spec__.name, ["plot", "viewer", "tools/plot_vsdi.py"])
