#!/usr/bin/python3
"""PI clamp of the network's excitatory rate, from outside the server (over ZeroMQ).

Senses the excitatory population rate every tick, smooths it (exponential, --smoothing-ms), and sets a DC
current on the excitatory population (SetStimulation, channel 0) so that the rate holds --target Hz; at
--step-at s the target becomes --step-to Hz. Output bounded to [0, --max-pA]; anti-windup by back-calculation
(cortexloop_client/controllers.py, PIController). The controller starts at --start s (after the network's
initial transient).

    /usr/bin/python3 tools/python/examples/pi_clamp.py --png pi_clamp.png
"""
import argparse

import numpy as np

import _common  # noqa: F401
from cortexloop_client import cli, loop
from cortexloop_client.controllers import PIController
from cortexloop_client.timeline import smooth


class SteppedTarget:
    """The PI controller, with the target stepped at a time and idle before `start_s`."""

    def __init__(self, pi, start_s, step_at_s, step_to_Hz):
        self.pi, self.start_s, self.step_at_s, self.step_to_Hz = pi, start_s, step_at_s, step_to_Hz
        self.targets = []

    def update(self, t_s, x):
        if t_s >= self.step_at_s:
            self.pi.target_Hz = self.step_to_Hz
        self.targets.append(self.pi.target_Hz)
        if t_s < self.start_s:
            return []
        return self.pi.update(t_s, x)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    loop.add_server_arguments(ap, neurons=10000, duration_s=4.0)
    ap.add_argument("--target", type=float, default=5.0, help="target exc rate, Hz (default %(default)s)")
    ap.add_argument("--step-to", type=float, default=8.0, help="target after --step-at, Hz (default %(default)s)")
    ap.add_argument("--step-at", type=float, default=2.0, help="time of the target step, s (default %(default)s)")
    ap.add_argument("--kp", type=float, default=10.0, help="proportional gain, pA per Hz (default %(default)s)")
    ap.add_argument("--ki", type=float, default=300.0, help="integral gain, pA per Hz per s (default %(default)s)")
    ap.add_argument("--max-pA", type=float, default=400.0, help="output bound, pA (default %(default)s)")
    ap.add_argument("--smoothing-ms", type=float, default=10.0,
                    help="rate smoothing time constant, ms (default %(default)s)")
    ap.add_argument("--start", type=float, default=0.3, help="controller on from this time, s (default %(default)s)")
    args = ap.parse_args(argv)

    with loop.server_from_args(args) as server:  # leaving it stops the server and checks its exit code
        client = loop.connect(server)
        tick_s = 1e-3
        pi = PIController(args.target, args.kp, args.ki, tick_s, u_min_pA=0.0, u_max_pA=args.max_pA,
                          smoothing_s=args.smoothing_ms / 1000)
        ctrl = SteppedTarget(pi, args.start, args.step_at, args.step_to)

        def draw(rec):
            a = rec.arrays()
            sm = smooth(a["sensed"], 20)
            target = np.array(ctrl.targets[:len(a["t_ms"])])
            loop.figure(rec, args.png, "PI clamp of the excitatory rate (external loop)", "exc rate (Hz)",
                        "PI output (pA)", sensed_extra=[(a["t_ms"] / 1000, sm, "20 ms mean"),
                                                        (a["t_ms"] / 1000, target, "target")])

        rec = loop.run_loop(client, ctrl, loop.sense_exc_rate, args.duration, stepped=args.mode == "stepped",
                            controller_value=lambda c: c.pi.u, partial_out=args.out,
                            partial_figure=draw if args.png else None)
        client.close()
    a = rec.arrays()
    t = (a["t_ms"] - a["t_ms"][0]) / 1000 + 1e-3
    target = np.array(ctrl.targets)
    # The settled part of each target's span, within the run (a window past --duration reported a span never run).
    windows = [(args.start + 0.7, min(args.step_at, args.duration)), (args.step_at + 0.7, args.duration)]
    if not any(lo < hi for lo, hi in windows):
        print(f"  no settled window in {args.duration:g} s (each starts 0.7 s after the controller or the target "
              "step): run longer for a summary")
    for lo, hi in windows:
        sel = (t >= lo) & (t < hi)
        if lo < hi and sel.any():
            print(f"  {lo:.1f}-{hi:.1f} s: target {target[sel].mean():.2f} Hz, exc rate {a['rate_exc_Hz'][sel].mean():.2f}"
                  f" Hz, stimulation {a['i_stim_exc_pA'][sel].mean():.1f} pA")
    if args.out:
        rec.save(args.out)
    if args.png:
        draw(rec)
    loop.raise_if_refused(rec)  # after the run is saved and drawn: a refused command fails the example


if __name__ == "__main__":
    cli.run(main)
