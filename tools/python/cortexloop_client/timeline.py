"""Where each readout sits in time, for every figure (plot.py and plot_vsdi.py from a recording, viewer.py live).

A readout is named by (epoch, tick) and carries t_ms, the simulated time at the end of its tick; a Reset starts a new
epoch at tick 0 and t_ms at 0 again, and a (epoch, tick) that goes back is a new server (docs/protocol.md). Drawn
against t_ms, the epochs lay over each other. Session time does not restart: the first epoch keeps its own t_ms, and
every later one is appended where the one before it ended (its last readout), so one axis holds the whole recording
and each restart is a boundary the figures mark.

Readouts are not evenly spaced: `stream.readout_every` publishes every n-th tick (changeable mid-session) and a slow
subscriber or a lost message drops some. A readout stands for the time since the one before it (its stride); a step
far longer than the strides around it is lost data, which the figures leave blank instead of drawing across.
"""
import numpy as np

# A step longer than this many times the local stride is a gap (lost readouts): a change of readout_every from 1 to
# 10 moves the median of the 9 steps around it to 10 within 4 readouts, so it is not taken for 9 ticks lost.
GAP_FACTOR = 1.5
STRIDE_WINDOW = 9


def restart(last, epoch, tick):
    """How a readout of (epoch, tick) after one of last = (epoch, tick) says the server started again, or None: within
    one server (epoch, tick) only grows (docs/protocol.md), so a new epoch is a Reset and a tick that does not grow a
    new server. The one test the session clock and the external loops (loop.py) share."""
    if last is None or (epoch == last[0] and tick > last[1]):
        return None
    return "Reset" if epoch > last[0] else "new server"


class SessionClock:
    """Session time (ms) of readouts given in arrival order; `boundaries` holds (session ms, epoch, label) of each
    restart. One per recording (plot.py) or per live session (viewer.py), so both draw a Reset the same way."""

    def __init__(self):
        self.offset_ms = 0.0
        self.last = None  # (epoch, tick, session ms) of the previous readout
        self.boundaries = []

    def add(self, epoch, tick, t_ms):
        how = restart(self.last, epoch, tick)
        if how is not None:
            self.offset_ms = self.last[2]
            label = f"Reset: epoch {epoch}" if how == "Reset" else f"new server (epoch {epoch})"
            self.boundaries.append((self.offset_ms, int(epoch), label))
        x = self.offset_ms + float(t_ms)
        self.last = (epoch, tick, x)
        return x


def session_ms(ticks):
    """ticks [n, 3] (epoch, tick, t_ms per readout, as ticks.npy) -> (session ms [n], boundaries)."""
    clock = SessionClock()
    x = np.array([clock.add(int(e), int(k), t) for e, k, t in np.asarray(ticks, dtype=float)])
    return x, clock.boundaries


def epoch_offsets(boundaries):
    """{epoch: ms added to its t_ms}, for what carries an epoch and a time but no row of ticks.npy (safety events).
    A new server that repeats an epoch number keeps the first one's offset (nothing there says which it was)."""
    offsets = {}
    for ms, epoch, _ in reversed(boundaries):
        offsets[epoch] = ms
    offsets.setdefault(None, 0.0)
    return offsets


def restarted_ms(t_ms, boundaries, tick_ms):
    """Session ms of times given in arrival order without an epoch (spikes.npy's t_ms): each fall of more than a tick
    is the next restart's."""
    t = np.asarray(t_ms, dtype=float)
    if not len(t) or not boundaries:
        return t
    period = np.concatenate([[0], np.cumsum(np.diff(t) < -tick_ms)])
    offsets = np.array([0.0] + [ms for ms, _, _ in boundaries])
    return t + offsets[np.minimum(period, len(boundaries))]


def cells(x, tick_ms):
    """(left edge of each readout's interval, indices of the readouts after a gap). x: session time, rising. A readout
    covers back to the one before it; after a gap only one local stride (the rest is lost)."""
    x = np.asarray(x, dtype=float)
    if len(x) < 2:
        return x - tick_ms, np.array([], dtype=int)
    step = np.diff(x)
    half = STRIDE_WINDOW // 2
    padded = np.pad(step, half, mode="edge")
    stride = np.median(np.lib.stride_tricks.sliding_window_view(padded, STRIDE_WINDOW), axis=1)
    gap = step > GAP_FACTOR * stride
    left = np.concatenate([[x[0] - stride[0]], np.where(gap, x[1:] - stride, x[:-1])])
    return left, np.nonzero(gap)[0] + 1


def restart_note(boundaries):
    """The time axis's label's note on the restarts it holds (SessionClock's labels): a Reset and a new server are
    both continued from the last readout before them, and the note names which happened (it said "after a Reset"
    for a new server too)."""
    kinds = sorted({"a Reset" if label.startswith("Reset") else "a new server" for _, _, label in boundaries})
    return f"; after {' or '.join(kinds)}, continued from the last readout before it" if kinds else ""


def smoothing(x_ms, smooth_ms):
    """(readouts, ms): the running mean of about smooth_ms of simulated time, over readouts at session ms x_ms: as
    many readouts as their median period fits in it, at least one. A count of readouts fixed for one a tick spanned
    n times as long at stream.readout_every n."""
    step = np.diff(np.asarray(x_ms, dtype=float))
    step = step[step > 0]
    if not len(step):
        return 1, 0.0
    period = float(np.median(step))
    n = max(1, int(round(smooth_ms / period)))
    return n, n * period


def smoothing_label(n, span_ms):
    """What smoothing() gave, for an axis label."""
    return f"{span_ms:.3g} ms mean" if n > 1 else f"no mean (a readout each {span_ms:.3g} ms)"


def breaks(gaps, boundaries, x):
    """Indices where a line must not join a readout to the one before it: after a gap, and at each restart."""
    restarts = np.searchsorted(x, [ms for ms, _, _ in boundaries], side="right")
    return np.unique(np.concatenate([np.asarray(gaps, dtype=int), restarts])).astype(int)


def broken(x, y, at):
    """(x, y) with NaN inserted before each index of `at`, so that matplotlib leaves those joins undrawn."""
    if not len(at):
        return x, y
    return np.insert(np.asarray(x, float), at, np.nan), np.insert(np.asarray(y, float), at, np.nan, axis=0)


def smooth(y, n, at=()):
    """Running mean of n readouts within each unbroken run (split at `at`), divided by the kernel's overlap with the
    data so that the first and last points are means of what exists (a plain "same" convolution pulls both ends
    towards zero)."""
    y = np.asarray(y, dtype=float)
    if n <= 1:
        return y
    kernel = np.ones(n) / n

    def run(part):
        if len(part) <= n:
            return part
        return np.convolve(part, kernel, mode="same") / np.convolve(np.ones(len(part)), kernel, mode="same")

    return np.concatenate([run(part) for part in np.split(y, at)]) if len(y) else y


def map_columns(data, x, left):
    """(column edges, masked [columns, ...] values) of a space-time map: a column per readout from its left edge to
    x, and an empty (masked) column over each gap."""
    x, left = np.asarray(x, dtype=float), np.asarray(left, dtype=float)
    gap = np.concatenate([[False], left[1:] > x[:-1]])
    column = np.arange(len(x)) + np.cumsum(gap)  # each gap adds an empty column before its readout
    # Zeros under the mask (masked_all leaves memory uninitialised, which the colour mapping overflowed on).
    values = np.ma.masked_array(np.zeros((len(x) + int(gap.sum()),) + data.shape[1:]), mask=True)
    values[column] = data
    right = np.empty(len(values))
    right[column] = x
    right[column[gap] - 1] = left[gap]
    return np.concatenate([left[:1], right]), values


def readout_ms(ticks, n, tick_ms):
    """(session ms, boundaries) of n readouts: from ticks.npy when the folder has one (`record`), else one a tick from
    the first (`simulate` writes every tick from t = tick_ms and no ticks.npy)."""
    if ticks is not None and len(ticks):
        return session_ms(ticks)
    return (np.arange(n) + 1) * float(tick_ms), []


def lay_out(x_ms, boundaries, tick_ms):
    """What every figure draws on, for readouts at session ms x_ms: {'t_s', 'left_s' (each readout's interval),
    'gaps' (readouts after lost ones), 'breaks' (where lines stop), 'boundaries_ms' (restarts)}."""
    x_ms = np.asarray(x_ms, dtype=float)
    left_ms, gaps = cells(x_ms, tick_ms)
    return {"t_s": x_ms / 1000.0, "left_s": left_ms / 1000.0, "gaps": gaps,
            "breaks": breaks(gaps, boundaries, x_ms), "boundaries_ms": boundaries}


if __name__ == "__main__":  # a library: says so and what to run instead (exit 2)
    from .cli import library_module
    library_module(__spec__.name, ["plot", "viewer", "tools/plot_vsdi.py"])
