"""Cakan & Obermayer 2020 Fig 4 live, through `cortexloop serve`: a DC step onto the excitatory population, sent as
one ordinary stimulation command (SetStimulation, Population site, waveform Dc, delay and duration), and the E
rates of the models the server runs recorded per tick: the AdEx network, the ALN node, or both side by side
(configs/cakan2020/live_a1.toml); a model the server does not run reads NaN. tools/aln_live_fig4.py is the command-line front end (it also draws the PNG). And a closed
loop on the node: the device's PI clamp holding the node's sensed E rate at a set-point (pi_clamp_protocol).

Stepped mode (the default): the command is applied at tick 0 and the server advances exactly the protocol's
ticks, so every run gives the same arrays. Realtime mode: the command's delay counts from the tick at which the
server applied it (its ack's tick_applied); the readouts from that tick on are kept.
"""
import numpy as np

from .cli import ToolError
from .client import Program, Site
from .loop import Server, connect
from .readouts import full_readout_with_device, require_accepted, tick_readouts


def step_protocol(client, amplitude_pA, pre_ms, step_ms, post_ms, tick_ms, stepped, chunk_ticks=500, timeout_s=30.0,
                  has_network=True):
    """Sends the step (onto Exc, from pre_ms for step_ms) and returns per-tick arrays over pre + step + post:
    t_ms (from the command's tick), network exc/inh rates (Hz, NaN when the server has no network), ALN E/I rates
    (Hz, NaN when the server has no ALN node), and the injected current onto Exc (pA, the readout's)."""
    seq = client.stimulate(amplitude_pA, waveform="dc", population="exc", delay_ms=pre_ms, duration_ms=step_ms)
    return _rates_from(client, seq, pre_ms + step_ms + post_ms, tick_ms, stepped, chunk_ticks, timeout_s, has_network)


def stimuli_protocol(client, stimuli, duration_ms, tick_ms, stepped, chunk_ticks=500, timeout_s=30.0,
                     has_network=True):
    """Sends a config's [[stimulus]] entries (dicts with kind "dc" | "sine", target "exc" | "inh", amplitude_pA,
    frequency_Hz, start_ms, stop_ms; e.g. those of configs/cakan2020/fig4_b3.toml) as one SetPrograms, entry k on
    the device's channel k with a Population site, delay start_ms and duration stop_ms - start_ms, all from the
    same tick; returns step_protocol's arrays over duration_ms."""
    if not 1 <= len(stimuli) <= 8:
        raise ValueError(f"{len(stimuli)} stimuli: the device has 8 channels, one per [[stimulus]] entry")
    programs = []
    for k, st in enumerate(stimuli):
        if st["kind"] not in ("dc", "sine"):
            raise ValueError(f"stimulus {k}: kind {st['kind']!r}: dc or sine")
        start_us, stop_us = round(st["start_ms"] * 1000.0), round(st["stop_ms"] * 1000.0)
        programs.append((k, Site(population=st["target"]),
                         Program(waveform=st["kind"], amplitude=st["amplitude_pA"],
                                 frequency_hz=st.get("frequency_Hz", 0.0), delay_us=start_us,
                                 duration_us=stop_us - start_us)))
    seq = client.set_programs(programs)
    return _rates_from(client, seq, duration_ms, tick_ms, stepped, chunk_ticks, timeout_s, has_network)


def _rates_from(client, seq, duration_ms, tick_ms, stepped, chunk_ticks, timeout_s, has_network):
    """Waits for the stimulation command's ack and records duration_ms of ticks from the tick it was applied."""
    first = require_accepted(client.wait_ack(seq, 10.0), "the stimulation command", 10.0).tick_applied
    ticks = int(round(duration_ms / tick_ms))
    a = np.full((ticks, 6), np.nan)
    for k, r in tick_readouts(client, ticks, first, None, stepped, chunk_ticks, timeout_s):
        n = r["aln"]
        net = (r["exc"]["rate_hz"], r["inh"]["rate_hz"]) if has_network else (np.nan, np.nan)
        a[k] = (r["t_ms"] - first * tick_ms, *net,
                n["rate_e_hz"] if n else np.nan, n["rate_i_hz"] if n else np.nan, r["exc"]["i_stim_pa"])
    return {"t_ms": a[:, 0], "net_rate_exc_Hz": a[:, 1], "net_rate_inh_Hz": a[:, 2], "aln_rate_e_Hz": a[:, 3],
            "aln_rate_i_Hz": a[:, 4], "i_stim_exc_pA": a[:, 5], "tick_applied": np.array(first)}


def pi_clamp_protocol(client, target_Hz, ki_per_s, output_max_pA, clamp_from_ms, duration_ms, tick_ms, stepped,
                      kp=0.0, sensing_channel=0, output_channel=0, chunk_ticks=500, timeout_s=30.0, margin_ms=100.0):
    """A closed loop on the device (configs/cakan2020/aln_closed_loop.toml): programs the on-device PI clamp
    (SetController PiClamp, controller slot 0) on `sensing_channel`'s raw sample, whose output is a DC program onto
    Exc, from clamp_from_ms on, and returns per-tick arrays over duration_ms: t_ms (from the first tick kept),
    sensed (the channel's last sample of the tick, Hz), target_Hz (NaN before the clamp starts), delivered_pA (the
    channel's mean current over the tick, pA per cell), controller_pA (the clamp's output), aln_rate_e_Hz (the
    node's own E rate, mean over the tick). The first tick kept is the server's current tick (a Ping's) in stepped
    mode, margin_ms later in realtime mode (the controller command must arrive before its start tick)."""
    ack = client.wait_ack(client.ping(), 10.0)
    if ack is None:
        raise ToolError("no answer to Ping from the server in 10 s")
    first = ack.tick_applied + (0 if stepped else int(round(margin_ms / tick_ms)))
    start = first + int(round(clamp_from_ms / tick_ms))
    seq = client.set_controller(0, "pi_clamp", output_channel, Program(waveform="dc"), Site(population="exc"),
                                sensing_channel=sensing_channel, feature="raw", start_tick=start, target=target_Hz,
                                kp=kp, ki_per_s=ki_per_s, output_min=0.0, output_max=output_max_pA)
    require_accepted(client.wait_ack(seq, 10.0), "the PI clamp (SetController)", 10.0)
    ticks = int(round(duration_ms / tick_ms))
    a = np.full((ticks, 6), np.nan)
    for k, r in tick_readouts(client, ticks, first, None, stepped, chunk_ticks, timeout_s,
                              decode=full_readout_with_device):
        d, n = r["device"], r["aln"]
        a[k] = (r["t_ms"] - first * tick_ms, d["sensing"][sensing_channel]["raw"],
                target_Hz if first + k >= start else np.nan, d["channels"][output_channel]["mean_current"],
                d["controllers"][0]["output"], n["rate_e_hz"] if n else np.nan)
    return {"t_ms": a[:, 0], "sensed_Hz": a[:, 1], "target_Hz": a[:, 2], "delivered_pA": a[:, 3],
            "controller_pA": a[:, 4], "aln_rate_e_Hz": a[:, 5], "clamp_start_tick": np.array(start - first)}


def run_pi_clamp(config, target_Hz=0.45, ki_per_s=400.0, output_max_pA=25.0, clamp_from_ms=1000.0,
                 duration_ms=5000.0, mode="stepped", sets=(), binary=None, seed=1):
    """Starts `serve` on free loopback ports, runs pi_clamp_protocol, stops the server."""
    return _on_server(config, mode, sets, binary, seed, True,
                      lambda client, info, stepped: pi_clamp_protocol(
                          client, target_Hz, ki_per_s, output_max_pA, clamp_from_ms, duration_ms, info["tick_ms"],
                          stepped))


def _on_server(config, mode, sets, binary, seed, need_aln, protocol):
    """Starts `serve` on free loopback ports, checks that it runs an [aln] node (need_aln) or at least one of the
    network and the node, returns protocol(client, info, stepped) and stops the server."""
    with Server(config, mode, seed, sets, binary) as server:
        client = connect(server)
        try:
            info = client.info()
            if need_aln and not info.get("aln"):
                raise ToolError(f"{config}: the server runs no [aln] node")
            if not info.get("aln") and info["n_exc"] == 0:
                raise ToolError(f"{config}: the server runs neither a network nor an [aln] node")
            return protocol(client, info, mode == "stepped")
        finally:
            client.close()


def run_stimuli(config, stimuli, duration_ms, mode="stepped", sets=(), binary=None, seed=1):
    """Starts `serve` on free loopback ports, runs stimuli_protocol, stops the server."""
    return _on_server(config, mode, sets, binary, seed, False,
                      lambda client, info, stepped: stimuli_protocol(
                          client, stimuli, duration_ms, info["tick_ms"], stepped, has_network=info["n_exc"] > 0))


def run(config, amplitude_pA=60.0, pre_ms=1000.0, step_ms=1000.0, post_ms=1000.0, mode="stepped", sets=(),
        binary=None, seed=1):
    """Starts `serve` on free loopback ports, runs step_protocol, stops the server."""
    return _on_server(config, mode, sets, binary, seed, False,
                      lambda client, info, stepped: step_protocol(
                          client, amplitude_pA, pre_ms, step_ms, post_ms, info["tick_ms"], stepped,
                          has_network=info["n_exc"] > 0))


if __name__ == "__main__":  # a library: says so and what to run instead (exit 2)
    from .cli import library_module
    library_module(__spec__.name, ["tools/aln_live_fig4.py"])
