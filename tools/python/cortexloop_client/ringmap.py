"""The ring's space-time map (mm along the ring against time), drawn alike by plot.py, plot_vsdi.py and the live
viewer: a column per readout on its true time (timeline.cells), blank over lost readouts, unit i's row centred on
i * length / n_units (engine/meanfield/ring_geometry.hpp) and unit 0's row repeated at `length` (the ring wraps)."""
import numpy as np

from . import timeline

# The smallest half-range of a symmetric VSDi scale (%). A ring at rest holds numerical noise of about 1e-4 %, which a
# scale set by the peak alone drew as a strong band; 0.01 % (a dF/F of 1e-4) is at the detection limit of
# voltage-sensitive dye imaging, so nothing below it is worth a colour.
VSDI_FLOOR_PERCENT = 0.01
# The same for the ring's stimulation current (pA): less than 1 pA into a unit moves nothing visible.
STIM_FLOOR_PA = 1.0
# The smallest range of a rate map's scale (Hz): a ring at rest differs between units by float rounding (~1e-6 Hz),
# which a scale set by the data's own range drew as spatial structure (an outside check, 2026-12-06).
RATE_FLOOR_HZ = 0.01


# An excursion reached by fewer readouts than this is an artefact (a stimulation artefact lasts a tick or two), not
# a response: the scale ends at the largest |x| that this many readouts reach.
ARTEFACT_READOUTS = 3


def symmetric_limit(data, floor):
    """(half-range, peak |x|): at the peak, unless fewer than ARTEFACT_READOUTS readouts (rows of data) exceed twice
    the largest |x| that that many reach: then at that value, so that an artefact of a tick or two does not wash out
    the rest of the map (values beyond are drawn at the ends of the scale); never below `floor`. Per readout, not
    per pixel: a percentile of every pixel clipped a real 300 ms response in a 60 s run (a small part of the pixels)
    at 7 % of its 18.4 %."""
    a = np.abs(np.asarray(data, dtype=float))
    a = np.where(np.isfinite(a), a, 0.0)
    per_readout = np.sort(a.reshape(len(a), -1).max(axis=1)) if a.size else np.zeros(0)
    peak = float(per_readout[-1]) if len(per_readout) else 0.0
    reached = float(per_readout[-ARTEFACT_READOUTS]) if len(per_readout) >= ARTEFACT_READOUTS else peak
    lim = reached if 0 < reached < peak / 2 else peak
    return max(lim, floor), peak


def range_limits(data, floor):
    """(lo, hi): the finite values' range, widened about its middle to at least `floor`, not below 0 for data that is
    not (a silent ring's 0 Hz drawn with negative rates on the colour bar: a review, 2026-12-06)."""
    a = np.asarray(data, dtype=float)
    a = a[np.isfinite(a)]
    lo, hi = (float(a.min()), float(a.max())) if a.size else (0.0, 0.0)
    if hi - lo < floor:
        mid = (lo + hi) / 2
        lo, hi = mid - floor / 2, mid + floor / 2
        if lo < 0 <= float(a.min() if a.size else 0.0):
            lo, hi = 0.0, floor
    return lo, hi


def draw(ax, data, x, left, length_mm, cmap, lim=None):
    """data [readouts, units] at times x (right edges) with left edges `left`, as a QuadMesh; lim: a symmetric scale
    (±lim), a (lo, hi) pair (range_limits), or None for the data's own range."""
    n = data.shape[1]
    dx = length_mm / n
    edges, values = timeline.map_columns(np.concatenate([data, data[:, :1]], axis=1), x, left)
    y = (np.arange(n + 2) - 0.5) * dx
    kwargs = ({} if lim is None else {"vmin": lim[0], "vmax": lim[1]} if isinstance(lim, tuple)
              else {"vmin": -lim, "vmax": lim})
    mesh = ax.pcolormesh(edges, y, values.T, cmap=cmap, shading="flat", rasterized=True, **kwargs)
    ax.set_ylim(0, length_mm)
    return mesh


def colour_bar(fig, ax, mesh, label, peak=0.0, lim=None):
    """A colour bar in a thin strip right of the map (an inset, so every panel keeps the figure's width); arrows and
    the peak written above when values lie beyond the scale."""
    beyond = lim is not None and peak > lim * 1.001
    fig.colorbar(mesh, cax=ax.inset_axes([1.005, 0.0, 0.012, 1.0]), label=label,
                 extend="both" if beyond else "neither")
    if beyond:
        ax.annotate(f"peak |x| {peak:.3g}", (1.0, 1.01), xycoords="axes fraction", ha="right", fontsize=7)


if __name__ == "__main__":  # a library: says so and what to run instead (exit 2)
    from .cli import library_module
    library_module(__spec__.name, ["plot", "viewer", "tools/plot_vsdi.py"])
