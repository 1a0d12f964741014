#!/usr/bin/python3
"""Open-loop schedule: stimulation programs sent at fixed simulated times, no feedback (the control condition
for the closed loops). Each --program is T_S:WAVEFORM:AMPLITUDE_PA[:FREQUENCY_HZ[:PULSE_WIDTH_MS[:DURATION_MS
[:POPULATION[:CHANNEL]]]]], WAVEFORM dc | sine | pulses | off (off clears CHANNEL). Default: a 100 pA DC step
0.5-1.5 s, a 10 Hz 60 pA sine 2-3 s, a 100 Hz pulse train 3.2-3.5 s (cortexloop_client/controllers.py,
OpenLoopSchedule).

    /usr/bin/python3 tools/python/examples/open_loop.py --png open_loop.png
    /usr/bin/python3 tools/python/examples/open_loop.py --program 1:sine:40:3:0:1333 --duration 3
"""
import argparse

import _common  # noqa: F401
from cortexloop_client import cli, loop
from cortexloop_client.controllers import OpenLoopSchedule, StimCommand

DEFAULT = ["0.5:dc:100:0:0:1000", "2.0:sine:60:10:0:1000", "3.2:pulses:200:100:1:300"]


def parse_program(text):
    f = text.split(":")
    if len(f) < 3:
        raise argparse.ArgumentTypeError(f"{text!r}: need at least T_S:WAVEFORM:AMPLITUDE_PA")
    try:
        num = [float(v) for v in f[3:6]] + [0.0] * (3 - len(f[3:6]))
        cmd = StimCommand(f[1], float(f[2]), frequency_Hz=num[0], pulse_width_ms=num[1], duration_ms=num[2],
                          population=f[6] if len(f) > 6 else "exc", channel=int(f[7]) if len(f) > 7 else 0)
        t_s = float(f[0])
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"{text!r}: {e}") from None
    if cmd.waveform not in ("dc", "sine", "pulses", "off"):
        raise argparse.ArgumentTypeError(f"{text!r}: waveform must be dc, sine, pulses or off")
    if cmd.population not in ("exc", "inh"):
        raise argparse.ArgumentTypeError(f"{text!r}: population must be exc or inh")
    return t_s, cmd


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    loop.add_server_arguments(ap, neurons=10000, duration_s=4.0)
    ap.add_argument("--program", action="append", type=parse_program, help="repeatable; see above")
    args = ap.parse_args(argv)
    late = [t for t, _ in args.program or [] if t >= args.duration]
    if late:
        ap.error(f"--program at {', '.join(f'{t:g}' for t in late)} s: after the run's end (--duration {args.duration:g})")
    # The default schedule, cut to the run (a short --duration runs its first programs only).
    events = args.program or [e for e in map(parse_program, DEFAULT) if e[0] < args.duration]
    sched = OpenLoopSchedule(list(events))
    with loop.server_from_args(args) as server:  # leaving it stops the server and checks its exit code
        client = loop.connect(server)
        def draw(rec):
            loop.figure(rec, args.png, "Open-loop schedule", "exc rate (Hz)", "programs sent\n(count so far)",
                        marks=[t for t, _ in events], marks_label="program scheduled")

        rec = loop.run_loop(client, sched, loop.sense_exc_rate, args.duration, stepped=args.mode == "stepped",
                            controller_value=lambda s: float(s._next), partial_out=args.out,
                            partial_figure=draw if args.png else None)
        client.close()
    a = rec.arrays()
    refused = 0
    for (t, cmd), seq, applied in zip(sorted(events, key=lambda e: e[0]), [c["seq"] for c in rec.commands],
                                      a["command_tick_applied"]):
        ack = rec.acks.get(seq)
        outcome = f"applied at tick {applied}" if ack is not None and ack.accepted else \
            f"REFUSED: {ack.code_name}: {ack.reason}" if ack is not None else "no ack"
        refused += ack is None or not ack.accepted
        print(f"  {t:.3f} s: {cmd.waveform} {cmd.amplitude_pA:g} pA on {cmd.population} ch {cmd.channel} -> {outcome}")
    if args.out:
        rec.save(args.out)
    if args.png:
        draw(rec)
    if refused:
        raise cli.ToolError(f"{refused} of {len(events)} programs were refused or not acknowledged (above)")


if __name__ == "__main__":
    cli.run(main)
