#!/usr/bin/python3
"""Responsive stimulation from outside the server: a threshold crossing of the smoothed excitatory rate
triggers a burst.

"Events" to respond to are made by an open-loop schedule: a DC step of --event-pA on the excitatory
population for --event-ms every --event-every s (channel 0), standing in for a pathological up-state.
The controller smooths the sensed exc rate (exponential, --smoothing-ms); when it crosses --threshold Hz
upwards it sends one burst: a pulse train (PulseTrain program with a duration) of --burst-pA at --burst-hz,
--burst-width-ms per pulse, lasting --burst-ms, on the --burst-population (default inh, to suppress the
event; channel 1). No new burst for --refractory s; re-armed below threshold - --hysteresis.
(cortexloop_client/controllers.py, ResponsiveController.)

    /usr/bin/python3 tools/python/examples/responsive.py --png responsive.png
"""
import argparse

import numpy as np

import _common  # noqa: F401
from cortexloop_client import cli, loop
from cortexloop_client.controllers import OpenLoopSchedule, ResponsiveController, StimCommand


class EventsAndResponse:
    def __init__(self, events, responsive, start_s):
        self.events, self.responsive, self.start_s = events, responsive, start_s
        self.features = []

    def update(self, t_s, x):
        out = self.events.update(t_s, x)
        if t_s >= self.start_s:    # after the network's initial transient
            out += self.responsive.update(t_s, x)
        self.features.append(self.responsive.feature)
        return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    loop.add_server_arguments(ap, neurons=10000, duration_s=4.0)
    ap.add_argument("--threshold", type=float, default=4.0, help="Hz (default %(default)s)")
    ap.add_argument("--hysteresis", type=float, default=0.5, help="Hz (default %(default)s)")
    ap.add_argument("--smoothing-ms", type=float, default=20.0,
                    help="rate smoothing time constant, ms (default %(default)s)")
    ap.add_argument("--refractory", type=float, default=0.5, help="s (default %(default)s)")
    ap.add_argument("--burst-pA", type=float, default=300.0, help="pulse amplitude, pA (default %(default)s)")
    ap.add_argument("--burst-hz", type=float, default=100.0, help="pulse rate in the burst, Hz (default %(default)s)")
    ap.add_argument("--burst-width-ms", type=float, default=2.0, help="width of one pulse, ms (default %(default)s)")
    ap.add_argument("--burst-ms", type=float, default=150.0, help="length of the burst, ms (default %(default)s)")
    ap.add_argument("--burst-population", choices=["exc", "inh"], default="inh", help="(default %(default)s)")
    ap.add_argument("--start", type=float, default=0.5, help="controller on from this time, s (default %(default)s)")
    ap.add_argument("--event-pA", type=float, default=200.0, help="DC step of an event, pA (default %(default)s)")
    ap.add_argument("--event-ms", type=float, default=400.0, help="length of an event, ms (default %(default)s)")
    ap.add_argument("--event-every", type=float, default=1.0,
                    help="event period, s; first event at 0.8 s (default %(default)s)")
    args = ap.parse_args(argv)

    onsets = np.arange(0.8, args.duration - 0.2, args.event_every)
    events = OpenLoopSchedule([(t, StimCommand("dc", args.event_pA, duration_ms=args.event_ms)) for t in onsets])
    burst = StimCommand("pulses", args.burst_pA, frequency_Hz=args.burst_hz, pulse_width_ms=args.burst_width_ms,
                        duration_ms=args.burst_ms, population=args.burst_population, channel=1)
    resp = ResponsiveController(args.threshold, 1e-3, smoothing_s=args.smoothing_ms / 1000,
                                hysteresis=args.hysteresis, refractory_s=args.refractory, burst=burst)
    ctrl = EventsAndResponse(events, resp, args.start)
    with loop.server_from_args(args) as server:  # leaving it stops the server and checks its exit code
        client = loop.connect(server)
        def draw(rec):
            a = rec.arrays()
            t0 = a["t_ms"][0] / 1000 - 1e-3
            loop.figure(rec, args.png, "Responsive stimulation (external loop): threshold crossing -> burst",
                        "exc rate (Hz)", "smoothed feature (Hz)", marks=[t0 + b for b in resp.triggers],
                        marks_label="burst triggered",
                        sensed_extra=[(a["t_ms"] / 1000, np.array(ctrl.features[:len(a["t_ms"])]),
                                       "smoothed feature"),
                                      (a["t_ms"][[0, -1]] / 1000, [args.threshold] * 2, "threshold")])

        rec = loop.run_loop(client, ctrl, loop.sense_exc_rate, args.duration, stepped=args.mode == "stepped",
                            controller_value=lambda c: c.responsive.feature, partial_out=args.out,
                            partial_figure=draw if args.png else None)
        client.close()
    print(f"  events at {', '.join(f'{t:.2f}' for t in onsets)} s")
    print(f"  bursts at {', '.join(f'{t:.3f}' for t in resp.triggers)} s")
    for t in onsets:
        after = [b for b in resp.triggers if t <= b < t + args.event_ms / 1000]
        print(f"  event {t:.2f} s: " + (f"burst {1000 * (after[0] - t):.0f} ms after onset" if after else "no burst"))
    if args.out:
        rec.save(args.out)
    if args.png:
        draw(rec)
    loop.raise_if_refused(rec)  # after the run is saved and drawn: a refused command fails the example


if __name__ == "__main__":
    cli.run(main)
