"""Cakan & Obermayer 2020 Fig 4 live, through `cortexloop serve`: a DC step onto the excitatory population, sent as
one ordinary stimulation command (SetStimulation, Population site, waveform Dc, delay and duration), and the E
rates of both models the server runs side by side (configs/cakan2020/live_a1.toml: the AdEx network and the ALN
node) recorded per tick. tools/aln_live_fig4.py is the command-line front end (it also draws the PNG).

Stepped mode (the default): the command is applied at tick 0 and the server advances exactly the protocol's
ticks, so every run gives the same arrays. Realtime mode: the command's delay counts from the tick at which the
server applied it (its ack's tick_applied); the readouts from that tick on are kept.
"""
import numpy as np

from .loop import Server, connect


def step_protocol(client, amplitude_pA, pre_ms, step_ms, post_ms, tick_ms, stepped, chunk_ticks=500, timeout_s=30.0):
    """Sends the step (onto Exc, from pre_ms for step_ms) and returns per-tick arrays over pre + step + post:
    t_ms (from the command's tick), network exc/inh rates (Hz), ALN E/I rates (Hz, NaN when the server has no ALN
    node), and the injected current onto Exc (pA, the network's readout)."""
    seq = client.stimulate(amplitude_pA, waveform="dc", population="exc", delay_ms=pre_ms, duration_ms=step_ms)
    ack = client.wait_ack(seq, 10.0)
    if ack is None or not ack.accepted:
        raise RuntimeError(f"the stimulation command was refused: {ack and ack.reason}")
    first = ack.tick_applied
    ticks = int(round((pre_ms + step_ms + post_ms) / tick_ms))
    rows = {}
    requested = 0
    while len(rows) < ticks:
        if stepped and requested < ticks and len(rows) == requested:
            n = min(chunk_ticks, ticks - requested)
            client.step(n)
            requested += n
        m = client.receive(timeout_s)
        if m is None:
            raise RuntimeError(f"no readout for {timeout_s} s ({len(rows)} of {ticks} ticks received)")
        if m[1] != "readout":
            continue
        r = m[2]
        k = r["tick"] - first
        if 0 <= k < ticks:
            a = r["aln"]
            rows[k] = (r["t_ms"] - first * tick_ms, r["exc"]["rate_hz"], r["inh"]["rate_hz"],
                       a["rate_e_hz"] if a else np.nan, a["rate_i_hz"] if a else np.nan, r["exc"]["i_stim_pa"])
    if len(rows) != ticks or sorted(rows) != list(range(ticks)):
        raise RuntimeError("readouts are missing (in realtime mode a slow client loses them: use stepped mode)")
    a = np.array([rows[k] for k in range(ticks)], dtype=np.float64)
    return {"t_ms": a[:, 0], "net_rate_exc_Hz": a[:, 1], "net_rate_inh_Hz": a[:, 2], "aln_rate_e_Hz": a[:, 3],
            "aln_rate_i_Hz": a[:, 4], "i_stim_exc_pA": a[:, 5], "tick_applied": np.array(first)}


def run(config, amplitude_pA=60.0, pre_ms=1000.0, step_ms=1000.0, post_ms=1000.0, mode="stepped", sets=(),
        binary=None, seed=1):
    """Starts `serve` on free loopback ports, runs step_protocol, stops the server."""
    with Server(config, mode, seed, sets, binary) as server:
        client = connect(server)
        try:
            info = client.info()
            if not info.get("aln"):
                raise RuntimeError(f"{config}: the server runs no [aln] node")
            return step_protocol(client, amplitude_pA, pre_ms, step_ms, post_ms, info["tick_ms"], mode == "stepped")
        finally:
            client.close()
