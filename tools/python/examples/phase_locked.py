#!/usr/bin/python3
"""Phase-locked stimulation from outside the server: a pulse at a chosen phase of the sensed rate.

The network is driven by a background sine on the excitatory population (--drive-pA at --drive-hz,
channel 0; the oscillation to lock to). The controller band-passes the sensed exc rate around --f0 (two RBJ
biquads), estimates its instantaneous phase in real time (quadrature from the derivative; cosine phase,
0 deg = peak), extrapolates it by the loop latency (--latency-ticks) and sends a short pulse (PulseTrain
program of one pulse: --pulse-pA for --pulse-ms on --pulse-population, channel 2) when the predicted phase
crosses --phase-deg. (cortexloop_client/controllers.py, PhaseLockedController.)

At the end the phase of the rate at every applied pulse (tick_applied of its ack) is measured offline with a
zero-phase FFT band-pass + Hilbert transform (cortexloop_client/analysis.py) and compared to the target.

    /usr/bin/python3 tools/python/examples/phase_locked.py --phase-deg 0 --png phase_locked.png
"""
import argparse
import math

import numpy as np

import _common  # noqa: F401
from cortexloop_client import analysis, cli, loop
from cortexloop_client.controllers import PhaseLockedController, StimCommand


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    loop.add_server_arguments(ap, neurons=10000, duration_s=4.0)
    ap.add_argument("--drive-hz", type=cli.positive_float, default=8.0, help="background sine, Hz (default %(default)s)")
    ap.add_argument("--drive-pA", type=float, default=60.0, help="background sine amplitude, pA (default %(default)s)")
    ap.add_argument("--f0", type=cli.positive_float, default=None, help="band-pass centre, Hz (default: --drive-hz)")
    ap.add_argument("--phase-deg", type=float, default=0.0,
                    help="target phase of the rate, deg, 0 = peak (default %(default)s)")
    ap.add_argument("--latency-ticks", type=float, default=1.0,
                    help="sense->stimulate latency to compensate, ticks (default %(default)s; stepped mode: exactly 1)")
    ap.add_argument("--pulse-pA", type=float, default=100.0, help="pulse amplitude, pA (default %(default)s)")
    ap.add_argument("--pulse-ms", type=cli.positive_float, default=2.0, help="pulse length, ms (default %(default)s)")
    ap.add_argument("--pulse-population", choices=["exc", "inh"], default="exc", help="(default %(default)s)")
    ap.add_argument("--warmup", type=float, default=0.8, help="no pulses before this time, s (default %(default)s)")
    args = ap.parse_args(argv)

    f0 = args.f0 or args.drive_hz
    if f0 * 1.2 >= 500.0:  # the band-pass's upper edge must stay below Nyquist of the 1 kHz readouts
        ap.error(f"--f0 {f0:g} Hz: the band-pass (f0 +- 20 %) must stay below 500 Hz, the Nyquist frequency of the "
                 "1 kHz readouts")
    tick_s = 1e-3
    pulse = StimCommand("pulses", args.pulse_pA, frequency_Hz=1000.0 / (2 * args.pulse_ms),
                        pulse_width_ms=args.pulse_ms, duration_ms=args.pulse_ms,
                        population=args.pulse_population, channel=2)
    ctrl = PhaseLockedController(f0, 1.0 / tick_s, args.phase_deg, args.latency_ticks * tick_s, pulse=pulse,
                                 warmup_s=args.warmup)
    drive = StimCommand("sine", args.drive_pA, frequency_Hz=args.drive_hz, channel=0)
    with loop.server_from_args(args) as server:  # leaving it stops the server and checks its exit code
        client = loop.connect(server)
        def analyse(rec):
            """The rate's phase (offline Hilbert) at the applied pulses: arrays, pulse ticks, error, R, mean."""
            a = rec.arrays()
            applied = a["command_tick_applied"][a["command_tick_decided"] >= 0]
            ph, idx = analysis.phase_at(a["rate_exc_Hz"], a["tick"], applied, 1.0 / tick_s, f0)
            err = ph - math.radians(args.phase_deg)
            R, mean = analysis.kuramoto(err) if len(idx) else (math.nan, math.nan)
            return a, idx, err, R, mean

        def draw(rec):
            a, idx, _, R, mean = analyse(rec)
            t = a["t_ms"] / 1000
            y = analysis.bandpass_fft(a["rate_exc_Hz"], 1.0 / tick_s, f0 * 0.8, f0 * 1.2) + a["rate_exc_Hz"].mean()
            loop.figure(rec, args.png, f"Phase-locked pulses at {args.phase_deg:.0f} deg of the exc rate "
                        f"(external loop; offline error {math.degrees(mean):+.1f} deg, R = {R:.2f})",
                        "exc rate (Hz)", "real-time phase\nestimate (deg)", marks=list(t[idx]),
                        marks_label="pulse applied",
                        sensed_extra=[(t, y, "band-passed (offline)")])

        rec = loop.run_loop(client, ctrl, loop.sense_exc_rate, args.duration, stepped=args.mode == "stepped",
                            setup=[drive], controller_value=lambda c: math.degrees(c.est.phase), partial_out=args.out,
                            partial_figure=draw if args.png else None)
        client.close()
    a, idx, err, R, mean = analyse(rec)
    if len(idx):
        err_deg = np.degrees(np.angle(np.exp(1j * err)))
        print(f"  {cli.plural(len(idx), 'pulse')}; phase of the rate at the applied pulses (offline Hilbert): mean "
              f"{args.phase_deg + math.degrees(mean):.1f} deg (target {args.phase_deg:.1f}), error "
              f"{math.degrees(mean):+.1f} deg, R = {R:.3f}, |error| p90 = {np.percentile(np.abs(err_deg), 90):.1f} deg")
    else:  # a run too short for a pulse (the estimator needs two cycles)
        print(f"  no pulse in {args.duration} s")
    if args.out:
        rec.save(args.out)
    if args.png:
        draw(rec)
    loop.raise_if_refused(rec)  # after the run is saved and drawn: a refused command fails the example


if __name__ == "__main__":
    cli.run(main)
