"""Live viewer of a running cortexloop server: population rates, LFP proxy, stimulation current, the device's
sensed signals and delivered current and, when a ring runs, the VSDi space-time map (position in mm along the
ring, unit i at i * length / n_units; diverging colour map centred on 0, with its colour bar).

Time is the session's simulated time, as plot.py draws a recording (timeline.py): after a Reset (t_ms restarts at 0)
it continues where the last epoch ended, with a black line labelled "Reset" there; readouts this client lost are
hatched, not drawn across.

    # from the repository's root, with PYTHONPATH=build/python:tools/python (the client and its generated protocol)
    /usr/bin/python3 -m cortexloop_client.viewer                       # window, until closed
    /usr/bin/python3 -m cortexloop_client.viewer --seconds 6 --snapshot live.png --stim-at 3 --amplitude 200
"""
import argparse
import collections
import time

import numpy as np

from . import cli, marks, ringmap, timeline
from .style import EXC_COLOUR, INH_COLOUR
from .units import SIGNAL_UNITS, SITE_UNITS, sensing_signals
from .client import Client


class Buffers:
    def __init__(self, window_ticks):
        self.t = collections.deque(maxlen=window_ticks)        # session time (s): timeline.SessionClock
        self.clock = timeline.SessionClock()
        self.exc = collections.deque(maxlen=window_ticks)
        self.inh = collections.deque(maxlen=window_ticks)
        self.lfp = collections.deque(maxlen=window_ticks)
        self.stim = collections.deque(maxlen=window_ticks)
        self.vsdi = collections.deque(maxlen=window_ticks)
        self.sensing = collections.deque(maxlen=window_ticks)   # [n_sensing, 2]: raw, filtered
        self.delivered = collections.deque(maxlen=window_ticks)  # [8]: mean current per channel
        self.active = set()                                      # channels ever active (index, unit)
        self.status = None

    def drain(self, client, budget_s=0.05):
        end = time.monotonic() + budget_s
        while time.monotonic() < end:
            m = client.receive(0.0)
            if m is None:
                break
            self.add(m)

    def add(self, m):
        """One message of client.receive()."""
        _, kind, v = m
        if kind == "readout":
            self.t.append(self.clock.add(v["epoch"], v["tick"], v["t_ms"]) / 1000.0)
            self.exc.append(v["exc"]["rate_hz"])
            self.inh.append(v["inh"]["rate_hz"])
            self.lfp.append(v["lfp_proxy_na"])
            self.stim.append(v["exc"]["i_stim_pa"])
            if len(v["vsdi_percent"]):
                self.vsdi.append(v["vsdi_percent"])
            dev = v.get("device")
            if dev is not None:
                self.sensing.append([[x["raw"], x["filtered"]] for x in dev["sensing"]])
                self.delivered.append([c["mean_current"] for c in dev["channels"]])
                for i, c in enumerate(dev["channels"]):
                    if c["active"]:
                        self.active.add((i, SITE_UNITS.get(c["site_kind"], "pA/cell")))
        elif kind == "status":
            self.status = v


def build_figure(plt, with_ring, n_sensing=0, with_device=False):
    """Rates, LFP, stim; one panel per sensing channel (each in its own unit) and the delivered current when a
    device reports; the ring's VSDi last."""
    rows = 3 + n_sensing + (1 if with_device else 0) + (1 if with_ring else 0)
    fig, axes = plt.subplots(rows, 1, figsize=(11, 1.8 * rows + 0.5), sharex=True)
    fig.n_sensing, fig.with_device = n_sensing, with_device
    return fig, axes


def draw(fig, axes, b, ring_length_mm=36.0, network_position_mm=None, signals=(), tick_ms=1.0, smooth_n=5):
    if not b.t:
        return
    shown = [e for e in b.clock.boundaries if e[0] / 1000.0 >= b.t[0]]  # the restarts inside the window
    lay = timeline.lay_out(np.asarray(b.t) * 1000.0, shown, tick_ms)
    t = lay["t_s"]
    for a in axes:
        a.cla()

    def line(ax, y, *args, **kwargs):
        """ax.plot of the newest len(y) readouts, not joined across a gap or a Reset."""
        at = lay["breaks"][lay["breaks"] > len(t) - len(y)] - (len(t) - len(y))
        return ax.plot(*timeline.broken(t[len(t) - len(y):], y, at), *args, **kwargs)

    # Neutral labels: the server may run either paper's cells (plot.py's figure() says why). The running mean is
    # divided by its overlap with the data: the newest points are means of what has come, not pulled towards zero.
    line(axes[0], timeline.smooth(b.exc, smooth_n, lay["breaks"]), color=EXC_COLOUR, lw=1, label="excitatory")
    line(axes[0], timeline.smooth(b.inh, smooth_n, lay["breaks"]), color=INH_COLOUR, lw=1, label="inhibitory")
    axes[0].set_ylabel("rate (Hz)")
    axes[0].legend(loc="upper left", frameon=False, ncol=2)
    line(axes[1], b.lfp, color="k", lw=0.8)
    axes[1].set_ylabel("LFP proxy (nA)")
    line(axes[2], b.stim, color="tab:blue", lw=1)
    axes[2].set_ylabel("network stim\nexc (pA/cell)")
    row = 3
    n_sensing = getattr(fig, "n_sensing", 0)
    if n_sensing and b.sensing:
        s = np.asarray(b.sensing)
        for i in range(min(n_sensing, s.shape[1])):
            line(axes[row + i], s[:, i, 0], lw=0.6, color="tab:blue", alpha=0.6, label="raw (ADC)")
            line(axes[row + i], s[:, i, 1], lw=1.0, color="tab:orange", label="filtered")
            name = signals[i] if i < len(signals) else ""
            axes[row + i].set_ylabel(f"S{i}: {name}\n({SIGNAL_UNITS.get(name, 'unit unknown')})")
        axes[row].legend(loc="upper left", frameon=False, ncol=2, fontsize=7)
    row += n_sensing
    if getattr(fig, "with_device", False):
        c = np.asarray(b.delivered)
        for i, unit in sorted(b.active):
            line(axes[row], c[:, i], lw=1, drawstyle="steps-pre", label=f"ch {i} ({unit})")
        units = sorted({unit for _, unit in b.active})
        axes[row].set_ylabel(f"delivered, tick mean\n({' | '.join(units) or 'uA or pA/cell'})")
        if b.active:
            axes[row].legend(loc="upper left", frameon=False, ncol=4, fontsize=7)
        row += 1
    if len(axes) > row and b.vsdi:
        v = np.asarray(b.vsdi)
        lim, peak = ringmap.symmetric_limit(v, ringmap.VSDI_FLOOR_PERCENT)
        mesh = ringmap.draw(axes[row], v, t[-len(v):], lay["left_s"][-len(v):], ring_length_mm, "RdBu_r", lim)
        ringmap.colour_bar(fig, axes[row], mesh, "VSDi (%)", peak, lim)
        if network_position_mm is not None:
            axes[row].axhline(network_position_mm, color="k", lw=0.8, ls=":")
        axes[row].set_ylabel("ring position (mm)")
        axes[row].set_title(f"ring VSDi (relative depolarisation, %), colour scale ±{lim:.2g} % (red +, blue -)",
                            fontsize=8, loc="left")
    marks.restarts_and_gaps(axes, shown, t, lay["left_s"], lay["gaps"])
    axes[-1].set_xlim(lay["left_s"][0], t[-1])
    axes[-1].set_xlabel("simulated time (s)" + ("; after a Reset, continued from where the epoch before ended"
                                                if b.clock.boundaries else ""))
    s = b.status
    title = "cortexloop live"
    if s:
        title += (f" | tick {s['engine_tick']} | {s['realtime_factor']:.2f}x real time | lateness p99 "
                  f"{s['lateness_p99_us']:.0f} us | misses {s['deadline_misses']}")
    fig.suptitle(title, x=0.01, ha="left", fontsize=10)
    for a in axes:
        a.spines[["top", "right"]].set_visible(False)


def ring_length_of(given_mm, client, timeout_s=5.0):
    """The VSDi axis's length: --ring-length-mm when given, else the server's (GetInfo), so that no client needs the
    server's config (docs/protocol.md); 36 mm (the shipped ring's) only when the server does not answer."""
    if given_mm is not None:
        return given_mm
    info = client.info(timeout_s) or {}
    return info.get("ring_length_mm") or 36.0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pub", default="tcp://127.0.0.1:5555", help="server's PUB endpoint (default: %(default)s)")
    ap.add_argument("--commands", default="tcp://127.0.0.1:5556",
                    help="server's command endpoint (default: %(default)s)")
    ap.add_argument("--curve-server-key", help="CURVE: the server's public key file (server.key)")
    ap.add_argument("--curve-secret", help="CURVE: this client's secret key file (NAME.key_secret)")
    ap.add_argument("--window", type=cli.positive_float, default=5.0,
                    help="seconds of simulated time shown (default: %(default)s)")
    ap.add_argument("--seconds", type=cli.positive_float,
                    help="stop after this many wall seconds (default: until the window is closed)")
    ap.add_argument("--snapshot", help="save the figure to this PNG at the end (headless when given)")
    ap.add_argument("--stim-at", type=float, help="send a DC step to the excitatory population after this many s")
    ap.add_argument("--amplitude", type=float, default=200.0, help="pA per cell, for --stim-at (default: %(default)s)")
    ap.add_argument("--stim-ms", type=float, default=1000.0,
                    help="duration of the step (ms), for --stim-at (default: %(default)s)")
    ap.add_argument("--ring-length-mm", type=float,
                    help="the ring's length in mm, for the VSDi axis (default: the server's, from GetInfo)")
    ap.add_argument("--network-position-mm", type=float, help="the config's network.position_mm (marked)")
    a = ap.parse_args(argv)

    import matplotlib
    if a.snapshot:
        a.snapshot = cli.figure_file(a.snapshot, "--snapshot")  # before the session, not after it
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    client = Client(a.commands, a.pub, curve_server_key=a.curve_server_key, curve_secret=a.curve_secret)
    if not a.snapshot and matplotlib.get_backend().lower() == "agg":  # no display: a window would never appear
        raise cli.ToolError("no display to open a window on (matplotlib's backend is Agg): give --snapshot FILE.png "
                            "(with --seconds) to draw to a file")
    if not client.sync(10.0):
        raise SystemExit(f"viewer: no server at {a.commands} / {a.pub}")
    b = Buffers(max(1, int(a.window * 1000)))
    # Wait for a first readout to know whether a ring runs.
    first_by = time.monotonic() + 10.0
    while not b.t:
        if time.monotonic() > first_by:
            raise cli.ToolError(f"no readout from {a.pub} in 10 s: a server in stepped mode publishes only when "
                                "stepped (`cortexloop stim step`), a paused one not at all")
        m = client.receive(0.2)
        if m is not None:
            b.add(m)
    with_ring = bool(b.vsdi)
    n_sensing = len(b.sensing[-1]) if b.sensing else 0
    fig, axes = build_figure(plt, with_ring, n_sensing, with_device=bool(b.delivered))
    info = client.info(5.0) or {}
    geo = {"ring_length_mm": ring_length_of(a.ring_length_mm, client), "network_position_mm": a.network_position_mm,
           "signals": sensing_signals(info.get("config_toml")), "tick_ms": info.get("tick_ms") or 1.0}
    start, stim_sent = time.monotonic(), False
    if not a.snapshot:
        plt.ion()
        plt.show(block=False)
    while a.seconds is None or time.monotonic() - start < a.seconds:
        if a.stim_at is not None and not stim_sent and time.monotonic() - start >= a.stim_at:
            ack = client.wait_ack(client.stimulate(a.amplitude, duration_ms=a.stim_ms), 5.0)
            print(f"viewer: DC {a.amplitude} pA for {a.stim_ms} ms: "
                  f"{'applied at tick ' + str(ack.tick_applied) if ack and ack.accepted else 'refused/no ack'}")
            stim_sent = True
        b.drain(client, 0.1)
        if not a.snapshot:
            draw(fig, axes, b, **geo)
            fig.canvas.draw_idle()
            plt.pause(0.05)
            if not plt.fignum_exists(fig.number):
                break
    draw(fig, axes, b, **geo)
    fig.tight_layout()
    if a.snapshot:
        fig.savefig(cli.with_folder(a.snapshot), dpi=150)
        print(f"viewer: {len(b.t)} ticks -> {a.snapshot}")
    client.close()


if __name__ == "__main__":
    cli.run(main)
