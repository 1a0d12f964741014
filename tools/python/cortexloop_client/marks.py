"""What every time panel of a figure marks alike (plot.py from a recording, viewer.py live): each restart of the
session's time (a Reset: a black line, labelled on the top panel) and each gap of lost readouts (hatched, nothing
drawn across it). Times from timeline.py, in s (plot.py, plot_vsdi.py, viewer.py), or any unit: per_ms."""
import numpy as np


def restarts_and_gaps(axes, boundaries_ms, t, left, gaps, per_ms=1e-3):
    """boundaries_ms: timeline's (session ms, epoch, label); gaps: indices of the readouts after a gap; t and left:
    each readout's time and the left edge of its interval, in the axis's unit (per_ms of them in a ms). Returns the
    ms lost in gaps."""
    top, gaps = axes[0], np.asarray(gaps, dtype=int)
    for ms, _, label in boundaries_ms:
        for a in axes:
            a.axvline(ms * per_ms, color="k", lw=1.2)
        top.annotate(label, (ms * per_ms, 1.0), xycoords=("data", "axes fraction"), xytext=(3, -2),
                     textcoords="offset points", ha="left", va="top", fontsize=8, fontweight="bold",
                     annotation_clip=True)
    for i in gaps:
        for a in axes:
            a.axvspan(t[i - 1], left[i], facecolor="none", edgecolor="0.55", hatch="///", lw=0)
    return float(np.sum(np.asarray(left)[gaps] - np.asarray(t)[gaps - 1])) / per_ms
