"""The readouts of a run of ticks, one per tick, from a `cortexloop serve` session: the receive loop that the live
experiments share (aln_live.py's step and PI-clamp protocols, entrainment.py's points).

    for k, r in tick_readouts(client, ticks=3000, first_tick=ack.tick_applied, decode=full_readout):
        rate[k] = r["exc"]["rate_hz"]

In stepped mode the generator itself advances the server, chunk_ticks at a time, asking for the next chunk when the
previous one has arrived (the server then never runs ahead of what the client has read, and a chunk's readouts fit
in the socket's queue). In realtime mode it only listens. A readout that never comes (a slow client loses readouts
in realtime mode) ends the run with an error after timeout_s instead of a silent gap.

A command the server refuses (an amplitude above the device's limit, a controller on a sensing channel the config
does not have) or does not acknowledge ends the run with cli.ToolError naming it and the server's reason: the tools'
cli.run prints that as one line and exits 1 (a RuntimeError traceback before: an outside check, 2026-12-06).
"""
import time

from .cli import ToolError
from .client import decode_message, decode_readout_rates


def require_accepted(ack, what, timeout_s):
    """`ack` (client.wait_ack's answer to the command `what` names, e.g. "the stimulation command"), or ToolError:
    not answered in timeout_s, or refused (its code and the server's reason)."""
    if ack is None:
        raise ToolError(f"{what}: no answer from the server in {timeout_s:g} s")
    if not ack.accepted:
        raise ToolError(f"the server refused {what}: {ack.code_name}: {ack.reason}")
    return ack


def full_readout(payload, device=False):
    """decode(): (tick, epoch, the readout as client.decode_message's dict), or None for another message. The
    device part only when asked (most of the decoding cost: client.decode_message)."""
    kind, r = decode_message(payload, device)
    return (r["tick"], r["epoch"], r) if kind == "readout" else None


def full_readout_with_device(payload):
    return full_readout(payload, device=True)


def rate_readout(payload):
    """decode(): (tick, epoch, client.decode_readout_rates' tuple), the cheap decode of a rate experiment."""
    r = decode_readout_rates(payload)
    return (r[0], r[1], r) if r is not None else None


def tick_readouts(client, ticks, first_tick=0, epoch=None, stepped=True, chunk_ticks=1000, timeout_s=60.0,
                  decode=full_readout):
    """Yields (k, readout) for the ticks first_tick .. first_tick + ticks - 1, k = tick - first_tick, each once;
    readouts of other ticks, and of other epochs when `epoch` is given, are skipped. stepped: the server is in
    stepped mode and first_tick is its next tick. decode(payload) -> (tick, epoch, readout) or None."""
    requested = 0
    seen = set()  # the ks yielded
    # The wait is for the next awaited readout: a deadline that only such a readout moves. Waiting timeout_s per
    # message restarted it at every status (one a second) or readout of another tick, so it never ran out (a paused
    # stepped server: still waiting after 25 s with timeout_s=5; an outside audit).
    deadline = time.monotonic() + timeout_s
    while len(seen) < ticks:
        if stepped and requested == len(seen):
            n = min(chunk_ticks, ticks - requested)
            client.step(n)
            requested += n
        left = deadline - time.monotonic()
        m = client.receive_raw(left) if left > 0 else None
        if m is None:
            raise ToolError(f"no readout for {timeout_s:g} s ({len(seen)} of {ticks} ticks received"
                               f"{'; is the server paused, or not in stepped mode?' if stepped else '; in realtime mode a slow client loses readouts: use stepped mode'})")
        if m[0] != b"readout":
            continue
        d = decode(m[1])
        if d is None or (epoch is not None and d[1] != epoch):
            continue
        k = d[0] - first_tick
        if not 0 <= k < ticks or k in seen:
            continue
        seen.add(k)
        yield k, d[2]
        deadline = time.monotonic() + timeout_s  # from when the caller asks for the next one


if __name__ == "__main__":  # a library: says so and what to run instead (exit 2)
    from .cli import library_module
    library_module(__spec__.name, ["tools/aln_live_fig4.py", "tools/aln_entrainment.py", "experiments"])
