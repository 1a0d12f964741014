"""Live viewer of a running cortexloop server: population rates, LFP proxy, stimulation current, the device's
sensed signals and delivered current and, when a ring runs, the VSDi space-time map (position in mm along the
ring, unit i at i * length / n_units; diverging colour map centred on 0, with its colour bar).

Time is the session's simulated time, as plot.py draws a recording (timeline.py): after a Reset (t_ms restarts at 0)
it continues where the last epoch ended, with a black line labelled "Reset" there; readouts this client lost are
hatched, not drawn across. --window is simulated time, from each readout's time, at any stream.readout_every; the
rates' running mean spans about 5 ms of it (its label says how long, or that there is none). A server running the
ALN node without spiking cells (configs/cakan2020/aln_closed_loop.toml) has the node's E and I rates drawn, and no
LFP panel. The delivered current has a panel once a stimulator channel has delivered any since the last restart (a new
server or a Reset); a new server is asked for its GetInfo (sensing signals, ring, tick) when its readouts come.

    # from the repository's root, with PYTHONPATH=build/python:tools/python (the client and its generated protocol)
    /usr/bin/python3 -m cortexloop_client.viewer                       # window, until closed
    /usr/bin/python3 -m cortexloop_client.viewer --seconds 6 --snapshot live.png --stim-at 3 --amplitude 200
"""
import argparse
import collections
import sys
import time

import numpy as np

from . import cli, marks, ringmap, timeline
from .style import EXC_COLOUR, INH_COLOUR, SENSING_LINES
from .units import SIGNAL_UNITS, SITE_UNITS, sensing_signals
from .client import Client


class Buffers:
    """The readouts of the last `window_s` seconds of session time, however far apart they come (stream.readout_every
    publishes every n-th tick, changeable mid-session): the window is simulated time, not a count of readouts (a
    count of window_s * 1000, one readout a ms assumed, showed 8 s for a window of 2 s at readout_every 10).
    max_readouts: a bound on memory, the readouts of a window at the finest period (one a tick: window / tick_ms)."""

    def __init__(self, window_s, max_readouts=None):
        self.window_s = window_s
        self.t = collections.deque(maxlen=max_readouts)        # session time (s): timeline.SessionClock
        self.clock = timeline.SessionClock()
        self.exc = collections.deque(maxlen=max_readouts)
        self.inh = collections.deque(maxlen=max_readouts)
        self.lfp = collections.deque(maxlen=max_readouts)
        self.stim = collections.deque(maxlen=max_readouts)
        # Those of a part a readout may lack (the newest len() readouts have it):
        self.vsdi = collections.deque(maxlen=max_readouts)
        self.sensing = collections.deque(maxlen=max_readouts)   # [n_sensing, 2]: raw, filtered
        self.delivered = collections.deque(maxlen=max_readouts)  # [8]: mean current per channel
        self.aln = collections.deque(maxlen=max_readouts)       # [2]: the ALN node's E and I rates (Hz)
        # (index, unit) of the channels active since the last restart (a new server or a Reset: clock.boundaries) or
        # since the device appeared: the delivered panel draws these and exists while there are any.
        self.active = set()
        self.status = None

    def drain(self, client, budget_s=0.05, wait_s=0.0):
        """Adds the messages that have come, for at most budget_s; waits up to wait_s for the first. The headless
        loop (--snapshot) has no plt.pause to wait in: with no wait it polled without end at 100 % CPU, and on after
        the server was gone (an outside audit)."""
        end = time.monotonic() + budget_s
        m = client.receive(wait_s)
        while m is not None:
            self.add(m)
            if time.monotonic() >= end:
                break
            m = client.receive(0.0)

    def add(self, m):
        """One message of client.receive()."""
        _, kind, v = m
        if kind == "readout":
            restarts = len(self.clock.boundaries)
            self.t.append(self.clock.add(v["epoch"], v["tick"], v["t_ms"]) / 1000.0)
            if len(self.clock.boundaries) > restarts:
                # A new server, or a Reset (which clears every program): what delivered before it delivers no more. A
                # server without a [device] section still publishes a device part (8 channels), so the else branch
                # below did not clear them, and an empty delivered panel with a flat line stayed (an outside check,
                # 2026-12-06).
                self.active.clear()
            self.exc.append(v["exc"]["rate_hz"])
            self.inh.append(v["inh"]["rate_hz"])
            self.lfp.append(v["lfp_proxy_na"])
            self.stim.append(v["exc"]["i_stim_pa"])
            # A part this readout lacks (a new server without a ring, a node or a device) ends that part's rows: they
            # are the newest len() readouts' and would be drawn at the new readouts' times (a review, 2026-12-05).
            if len(v["vsdi_percent"]):
                self.vsdi.append(v["vsdi_percent"])
            else:
                self.vsdi.clear()
            if v.get("aln") is not None:
                self.aln.append([v["aln"]["rate_e_hz"], v["aln"]["rate_i_hz"]])
            else:
                self.aln.clear()
            dev = v.get("device")
            if dev is not None:
                self.sensing.append([[x["raw"], x["filtered"]] for x in dev["sensing"]])
                self.delivered.append([c["mean_current"] for c in dev["channels"]])
                for i, c in enumerate(dev["channels"]):
                    if c["active"]:
                        self.active.add((i, SITE_UNITS.get(c["site_kind"], "pA/cell")))
            else:
                self.sensing.clear()
                self.delivered.clear()
                self.active.clear()  # else an empty delivered panel for a server without a device
            self.trim()
        elif kind == "status":
            self.status = v

    def trim(self):
        """Drops the readouts older than the window before the newest."""
        while len(self.t) > 1 and self.t[0] < self.t[-1] - self.window_s:
            for d in (self.t, self.exc, self.inh, self.lfp, self.stim):
                d.popleft()
        for d in (self.vsdi, self.sensing, self.delivered, self.aln):
            while len(d) > len(self.t):
                d.popleft()


def panels_of(with_ring, n_sensing=0, with_device=False, node_only=False):
    """The panels' names, top to bottom: rates, LFP (not for an ALN node alone: it has none), stim; one panel per
    sensing channel (each in its own unit) and the delivered current when a channel of the device has delivered
    any; the ring's VSDi last."""
    return (["rates"] + ([] if node_only else ["lfp"]) + ["stim"] + [f"sensing{i}" for i in range(n_sensing)]
            + (["delivered"] if with_device else []) + (["ring"] if with_ring else []))


def lay_out_figure(fig, panels):
    """Clears fig and gives it one axis per panel (their names as labels): the layout changes in the same window
    when a stimulator channel first delivers current."""
    fig.clear()
    fig.set_size_inches(11, 1.8 * len(panels) + 0.5)
    axes = np.atleast_1d(fig.subplots(len(panels), 1, sharex=True))
    for name, ax in zip(panels, axes):
        ax.set_label(name)
    fig.panels = panels
    return axes


def build_figure(plt, with_ring, n_sensing=0, with_device=False, node_only=False):
    """The figure and its axes for panels_of()."""
    fig = plt.figure()
    return fig, lay_out_figure(fig, panels_of(with_ring, n_sensing, with_device, node_only))


def draw(fig, axes, b, ring_length_mm=36.0, network_position_mm=None, signals=(), tick_ms=1.0, smooth_ms=5.0):
    if not b.t:
        return
    shown = [e for e in b.clock.boundaries if e[0] / 1000.0 >= b.t[0]]  # the restarts inside the window
    lay = timeline.lay_out(np.asarray(b.t) * 1000.0, shown, tick_ms)
    t = lay["t_s"]
    for a in axes:
        a.cla()
    ax_of = dict(zip(fig.panels, axes))

    def line(ax, y, *args, **kwargs):
        """ax.plot of the newest len(y) readouts, not joined across a gap or a Reset."""
        at = lay["breaks"][lay["breaks"] > len(t) - len(y)] - (len(t) - len(y))
        return ax.plot(*timeline.broken(t[len(t) - len(y):], y, at), *args, **kwargs)

    # Neutral labels: the server may run either paper's cells (plot.py's figure() says why). The running mean is
    # divided by its overlap with the data: the newest points are means of what has come, not pulled towards zero.
    # It spans smooth_ms of simulated time at the readouts' own period (timeline.smoothing), which the label gives.
    node = "lfp" not in ax_of  # an ALN node alone (panels_of): its rates are the readout's aln part
    rates = np.asarray(b.aln, dtype=float).reshape(-1, 2) if node else np.column_stack([b.exc, b.inh])
    n_smooth, span_ms = timeline.smoothing(t[len(t) - len(rates):] * 1000.0, smooth_ms)
    at = lay["breaks"][lay["breaks"] > len(t) - len(rates)] - (len(t) - len(rates))
    for column, colour, name in ((0, EXC_COLOUR, "excitatory"), (1, INH_COLOUR, "inhibitory")):
        line(ax_of["rates"], timeline.smooth(rates[:, column], n_smooth, at), color=colour, lw=1,
             label=("ALN node " + name[0].upper()) if node else name)
    ax_of["rates"].set_ylabel(f"{'ALN node ' if node else ''}rate (Hz)\n" + timeline.smoothing_label(n_smooth, span_ms))
    # Above the panel, not inside it: inside, the legend covered the inhibitory trace after a stimulation onset.
    ax_of["rates"].legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), borderaxespad=0.0, frameon=False, ncol=2,
                          fontsize=8)
    if "lfp" in ax_of:
        line(ax_of["lfp"], b.lfp, color="k", lw=0.8)
        ax_of["lfp"].set_ylabel("LFP proxy (nA)")
    line(ax_of["stim"], b.stim, color="tab:blue", lw=1)
    ax_of["stim"].set_ylabel("node stim\nexc (pA)" if node else "network stim\nexc (pA/cell)")
    n_sensing = sum(name.startswith("sensing") for name in fig.panels)
    if n_sensing and b.sensing:
        s = np.asarray(b.sensing)
        for i in range(min(n_sensing, s.shape[1])):
            ax = ax_of[f"sensing{i}"]
            line(ax, s[:, i, 1], **SENSING_LINES["filtered"])  # under the narrower ADC line (style.SENSING_LINES)
            line(ax, s[:, i, 0], **SENSING_LINES["raw"])
            name = signals[i] if i < len(signals) else ""
            ax.set_ylabel(f"S{i}: {name}\n({SIGNAL_UNITS.get(name, 'unit unknown')})")
        ax_of["sensing0"].legend(loc="upper left", frameon=False, ncol=2, fontsize=7)
    if "delivered" in ax_of:
        ax = ax_of["delivered"]
        c = np.asarray(b.delivered)
        for i, unit in sorted(b.active):
            line(ax, c[:, i], lw=1, drawstyle="steps-pre", label=f"ch {i} ({unit})")
        units = sorted({unit for _, unit in b.active})
        ax.set_ylabel(f"delivered, tick mean\n({' | '.join(units) or 'uA or pA/cell'})")
        ax.legend(loc="upper left", frameon=False, ncol=4, fontsize=7)
    if "ring" in ax_of and b.vsdi:
        ax = ax_of["ring"]
        v = np.asarray(b.vsdi)
        lim, peak = ringmap.symmetric_limit(v, ringmap.VSDI_FLOOR_PERCENT)
        mesh = ringmap.draw(ax, v, t[-len(v):], lay["left_s"][-len(v):], ring_length_mm, "RdBu_r", lim)
        ringmap.colour_bar(fig, ax, mesh, "VSDi (%)", peak, lim)
        if network_position_mm is not None:
            ax.axhline(network_position_mm, color="k", lw=0.8, ls=":")
        ax.set_ylabel("ring position (mm)")
        ax.set_title(f"ring VSDi (relative depolarisation, %), colour scale ±{lim:.2g} % (red +, blue -)",
                     fontsize=8, loc="left")
    marks.restarts_and_gaps(axes, shown, t, lay["left_s"], lay["gaps"])
    axes[-1].set_xlim(lay["left_s"][0], t[-1])
    axes[-1].set_xlabel("simulated time (s)" + timeline.restart_note(shown))  # the restarts in the window
    s = b.status
    title = "cortexloop live"
    if s:
        title += (f" | tick {s['engine_tick']} | {s['realtime_factor']:.2f}x real time | lateness p99 "
                  f"{s['lateness_p99_us']:.0f} us | misses {s['deadline_misses']}")
    fig.suptitle(title, x=0.01, ha="left", fontsize=10)
    for a in axes:
        a.spines[["top", "right"]].set_visible(False)


def ring_length_of(given_mm, info):
    """The VSDi axis's length: --ring-length-mm when given, else the server's (its GetInfo, `info`), so that no client
    needs the server's config (docs/protocol.md); 36 mm (the shipped ring's) only when the server did not answer."""
    if given_mm is not None:
        return given_mm
    return (info or {}).get("ring_length_mm") or 36.0


def view_of(info, ring_length_mm=None, network_position_mm=None):
    """draw()'s keywords for the server that `info` (its GetInfo, {} without an answer) describes."""
    return {"ring_length_mm": ring_length_of(ring_length_mm, info), "network_position_mm": network_position_mm,
            "signals": sensing_signals((info or {}).get("config_toml")), "tick_ms": (info or {}).get("tick_ms") or 1.0}


def new_servers(boundaries):
    """How many of the restarts `boundaries` (timeline.SessionClock's) are a new server's, not a Reset's."""
    return sum(label.startswith("new server") for _, _, label in boundaries)


def node_only(info, b):
    """True for a server that runs the ALN node and no spiking cells (configs/cakan2020/aln_closed_loop.toml): its
    network rates are zeros and the node's are the readout's aln part. Without the server's sizes (no GetInfo
    answer), a node whose readouts come with network rates of exactly 0 so far."""
    if not b.aln:
        return False
    if info and info.get("n_exc") is not None:
        return not (info["n_exc"] or info["n_inh"])
    return not any(b.exc) and not any(b.inh)


def panels_for(b, info):
    """panels_of() for what has come so far: the delivered current's panel once a channel has delivered any (an
    empty one was drawn for every device, whether it stimulated or not)."""
    return panels_of(bool(b.vsdi), len(b.sensing[-1]) if b.sensing else 0, bool(b.active), node_only(info, b))


def no_server(client, commands, pub, timeout_s=3.0):
    """The sentence for a sync that failed: which endpoint did not answer (it named both, "no server at A / B")."""
    if client.info(timeout_s) is None:
        return f"no server answers at the commands endpoint {commands} (is it running, on this endpoint?)"
    return (f"the server answers at {commands}, but nothing arrives from the PUB endpoint {pub} (is --pub the "
            "server's?)")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pub", default="tcp://127.0.0.1:5555", help="server's PUB endpoint (default: %(default)s)")
    ap.add_argument("--commands", default="tcp://127.0.0.1:5556",
                    help="server's command endpoint (default: %(default)s)")
    ap.add_argument("--curve-server-key", help="CURVE: the server's public key file (server.key)")
    ap.add_argument("--curve-secret", help="CURVE: this client's secret key file (NAME.key_secret)")
    ap.add_argument("--window", type=cli.positive_float, default=5.0,
                    help="seconds of simulated time shown, from each readout's time (default: %(default)s)")
    ap.add_argument("--seconds", type=cli.positive_float,
                    help="stop after this many wall seconds; it also bounds the wait for a server (at least 2 s; "
                         "10 s without it) (default: until the window is closed, or Ctrl-C)")
    ap.add_argument("--snapshot", type=cli.figure_arg, help="save the figure to this PNG at the end: after --seconds, or at Ctrl-C "
                                       "(headless when given): " + cli.FIGURE_FILE_HELP)
    ap.add_argument("--stim-at", type=cli.non_negative_float,
                    help="send a DC step to the excitatory population after this many s, before --seconds "
                         "(exit 1 if the server refuses it)")
    ap.add_argument("--amplitude", type=float, default=200.0, help="pA per cell, for --stim-at (default: %(default)s)")
    ap.add_argument("--stim-ms", type=float, default=1000.0,
                    help="duration of the step (ms), for --stim-at (default: %(default)s)")
    ap.add_argument("--ring-length-mm", type=float,
                    help="the ring's length in mm, for the VSDi axis (default: the server's, from GetInfo)")
    ap.add_argument("--network-position-mm", type=float, help="the config's network.position_mm (marked)")
    a = ap.parse_args(argv)
    # A step due at or after the end was never sent, unsaid (an outside audit).
    if a.stim_at is not None and a.seconds is not None and a.stim_at >= a.seconds:
        ap.error(f"argument --stim-at: {a.stim_at:g} s is not before --seconds {a.seconds:g}: it would never be sent")

    import matplotlib
    if a.snapshot:
        a.snapshot = cli.figure_file(a.snapshot, "--snapshot")  # before the session, not after it
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    client = Client(a.commands, a.pub, curve_server_key=a.curve_server_key, curve_secret=a.curve_secret)
    if not a.snapshot and matplotlib.get_backend().lower() == "agg":  # no display: a window would never appear
        raise cli.ToolError("no display to open a window on (matplotlib's backend is Agg): give --snapshot FILE.png "
                            "(written after --seconds, or at Ctrl-C) to draw to a file")
    # With --seconds, the wait for a server is bounded by it too (at least 2 s): with none running, `--seconds 3` took
    # 13.6 s to say so (an outside check, 2026-12-06). Two thirds for the handshake, a third to tell which endpoint
    # did not answer.
    connect_s = 10.0 if a.seconds is None else min(10.0, max(2.0, a.seconds))
    if not client.sync(connect_s * 2 / 3):
        raise cli.ToolError(no_server(client, a.commands, a.pub, connect_s / 3))
    info = client.info(5.0) or {}
    tick_ms = info.get("tick_ms") or 1.0
    # The finest readout period is a tick (readout_every 1): a window holds at most window / tick_ms readouts.
    b = Buffers(a.window, max_readouts=int(np.ceil(a.window * 1000.0 / tick_ms)) + 1)
    # Wait for a first readout to know whether a ring runs.
    first_by = time.monotonic() + connect_s
    while not b.t:
        if time.monotonic() > first_by:
            raise cli.ToolError(f"no readout from {a.pub} in {connect_s:g} s: a server in stepped mode publishes only when "
                                "stepped (`cortexloop stim step`), a paused one not at all")
        m = client.receive(0.2)
        if m is not None:
            b.add(m)

    fig = plt.figure()
    axes = lay_out_figure(fig, panels_for(b, info))
    geo = view_of(info, a.ring_length_mm, a.network_position_mm)
    servers = new_servers(b.clock.boundaries)
    start, stim_sent, refused = time.monotonic(), False, None
    if not a.snapshot:
        plt.ion()
        plt.show(block=False)
    try:
        while a.seconds is None or time.monotonic() - start < a.seconds:
            if a.stim_at is not None and not stim_sent and time.monotonic() - start >= a.stim_at:
                ack = client.wait_ack(client.stimulate(a.amplitude, duration_ms=a.stim_ms), 5.0)
                what = f"DC {a.amplitude:g} pA for {a.stim_ms:g} ms"
                if ack is not None and ack.accepted:
                    print(f"viewer: {what}: applied at tick {ack.tick_applied}")
                else:
                    refused = (f"{what} refused: {ack.code_name}: {ack.reason}" if ack is not None
                               else f"{what}: no ack from {a.commands} in 5 s")
                    print(f"viewer: {refused}", file=sys.stderr)
                stim_sent = True
            b.drain(client, 0.1, wait_s=0.05 if a.snapshot else 0.0)  # the window waits in plt.pause instead
            if new_servers(b.clock.boundaries) > servers:
                # Another server now publishes here: its sensing signals, ring and tick are its own (the first
                # server's were kept for the whole session). The readouts' bound stays the first tick's.
                servers = new_servers(b.clock.boundaries)
                info = client.info(2.0) or {}
                geo = view_of(info, a.ring_length_mm, a.network_position_mm)
                print(f"viewer: a new server at {a.commands}: "
                      f"{'its GetInfo read' if info else 'no answer to GetInfo'}", file=sys.stderr)
            if panels_for(b, info) != fig.panels:
                axes = lay_out_figure(fig, panels_for(b, info))
            if not a.snapshot:
                draw(fig, axes, b, **geo)
                fig.canvas.draw_idle()
                plt.pause(0.05)
                if not plt.fignum_exists(fig.number):
                    break
    except KeyboardInterrupt:  # Ctrl-C ends a snapshot's session as --seconds would: the figure is still written
        if not a.snapshot:
            raise
        print("viewer: stopped by Ctrl-C", file=sys.stderr)
    draw(fig, axes, b, **geo)
    fig.tight_layout()
    if a.snapshot:
        fig.savefig(cli.with_folder(a.snapshot), dpi=150)
        print(f"viewer: {cli.plural(len(b.t), 'readout')} -> {a.snapshot}")
    client.close()
    if refused:
        raise cli.ToolError(f"--stim-at: {refused}")


if __name__ == "__main__":
    cli.run(main)
