"""The external controllers (tools/python/cortexloop_client/controllers.py) offline, against simulated plants
(ctest: python_controllers; no server, ~1 s).

References are analytic:
- PI: a first-order rate plant r' = (r0 + g u - r) / tau with a 2-sample loop delay and white sensor noise.
  Its steady state needs u* = (target - r0) / g; the clamp must hold the rate within 10% of the target (the
  issue's tolerance) and the integrator must converge to u* within 5%. Anti-windup: after 1 s at an unreachable
  target (output saturated), the output must leave saturation within 60 ms of a reachable target (measured:
  0 ms with back-calculation; 986 ms with the back-calculation term removed, which fails this test).
  Measured over seeds 1-30 (2026-12-03, 60 segments): max |rate - target| / target 1.2-4.0 % (mean 2.36, SD
  0.74), settling after the step 110-137 ms (mean 124, SD 6.4), |mean output - u*| / u* 0.002-1.3 % (mean 0.39,
  SD 0.34). The issue's 10% stays beside the measured levels, about mean + 4 SD: max deviation <= 5.5 %,
  settling <= 150 ms, mean output within 2 % of u* (was the issue's 5 %). Breaks tried: the integral's gain x 0.6
  (settling 198-237 ms) and x 0.8 (149-177 ms) passed the old 400 ms bound.
- Responsive: a step of the feature from 1 to 10 at t0 through the exponential smoother (tau) crosses
  threshold 5 at t0 - tau ln(1 - 4/9) = t0 + 5.9 ms. In samples: the smoother has seen m high samples at sample
  t0 + m - 1 and crosses once m >= 5.9, so the burst comes at t0 + ceil(5.9) - 1 = t0 + 5; it must come there
  within 1 sample (noise SD 0.5): measured over seeds 1-100, t0 + 5 in 208 of 300 bursts, t0 + 6 in 92. Once per
  event, never inside the refractory period. The old bound (5.9 +- 3 samples) passed the responsive controller's
  smoother at tau x 1.3 (bursts at t0 + 7).
- Phase-locked: a noisy sinusoid (SNR: amplitude 3, noise SD 1 per sample); pulses applied `latency` later
  must land within +-30 deg of the target phase (circular mean; the issue's tolerance) with R >= 0.9, at the
  band-pass centre and 15-20% off it, with a 20-sample latency to compensate (measured over 2 seeds x 4 targets:
  |error| <= 3.7 deg, R >= 0.99; without the latency extrapolation the error is 73 deg and the test fails).
  Measured over seeds 1-5 x 4 targets x 3 frequencies (60 runs, 2026-12-03): error -3.8..+3.7 deg (mean 1.3, SD
  1.6), R 0.992-0.999 (mean 0.9967, SD 0.0015); held at about 4 SD: |error| <= 8 deg, R >= 0.99. The issue's
  30 deg passed the latency compensated only to 70 % (errors 22-26 deg).
"""
import math
import os
import random
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "python"))
from cortexloop_client.controllers import (  # noqa: E402
    Biquad, ExpSmoother, OpenLoopSchedule, PhaseLockedController, PIController, ResponsiveController, StimCommand,
    wrap_rad)

DT = 1e-3


class Plant:
    """r' = (r0 + g max(u, 0) - r) / tau, the command applied `delay` samples after it is decided."""

    def __init__(self, r0=2.0, g=0.05, tau=0.02, delay=2, noise=1.0, seed=1):
        self.r, self.r0, self.g, self.tau = r0, r0, g, tau
        self.pipe = [0.0] * delay
        self.rng = random.Random(seed)
        self.noise = noise

    def sense(self):
        return self.r + self.rng.gauss(0, self.noise)

    def apply(self, u):
        self.pipe.append(u)
        ua = self.pipe.pop(0)
        self.r += DT / self.tau * (self.r0 + self.g * max(ua, 0.0) - self.r)


def run_pi(pi, plant, targets):
    rates, outs = [], []
    for n, target in enumerate(targets):
        pi.target_Hz = target
        pi.update(n * DT, plant.sense())
        plant.apply(pi.u)
        rates.append(plant.r)
        outs.append(pi.u)
    return rates, outs


class PITest(unittest.TestCase):
    def make(self, **kw):
        return PIController(6.0, kp_pA_per_Hz=5.0, ki_pA_per_Hz_s=200.0, dt_s=DT, u_min_pA=0.0, u_max_pA=300.0, **kw)

    def test_holds_target_and_tracks_a_step(self):
        for seed in (1, 2, 3):
            plant = Plant(seed=seed)
            pi = self.make()
            targets = [6.0] * 2000 + [10.0] * 2000
            rates, outs = run_pi(pi, plant, targets)
            for lo, hi, target in [(1000, 2000, 6.0), (2500, 4000, 10.0)]:
                seg = rates[lo:hi]
                self.assertLess(max(abs(r - target) for r in seg), 0.1 * target, (seed, lo))  # the issue's
                self.assertLess(max(abs(r - target) for r in seg), 0.055 * target, (seed, lo))  # measured level
                u_star = (target - plant.r0) / plant.g
                u_mean = sum(outs[lo:hi]) / (hi - lo)
                self.assertLess(abs(u_mean - u_star), 0.02 * u_star, (seed, lo, u_mean, u_star))
            # Tracking: within 10% of the new target at most 150 ms after the step (measured 110-137 ms, docstring).
            settle = next(i for i in range(2000, 4000) if all(abs(r - 10.0) < 1.0 for r in rates[i:i + 100]))
            self.assertLessEqual(settle - 2000, 150)

    def test_output_bounded_and_anti_windup(self):
        plant = Plant(noise=0.0)
        pi = self.make()
        targets = [30.0] * 1000 + [5.0] * 1000      # 30 Hz needs 560 pA > 300 pA: saturated for 1 s
        rates, outs = run_pi(pi, plant, targets)
        self.assertEqual(max(outs), 300.0)
        self.assertGreaterEqual(min(outs), 0.0)
        leave = next(i for i in range(1000, 2000) if outs[i] < 300.0)
        self.assertLess(leave - 1000, 60, "integrator wound up while saturated")
        self.assertLess(abs(rates[-1] - 5.0), 0.5)

    def test_sends_only_when_output_moves(self):
        pi = self.make(min_change_pA=0.5)
        sent = [pi.update(n * DT, 6.0) for n in range(500)]  # at target: e = 0, output constant
        self.assertEqual(sum(len(s) for s in sent), 1)
        self.assertEqual(sent[0][0].waveform, "dc")


class ResponsiveTest(unittest.TestCase):
    def test_fires_once_per_event_within_bounded_delay(self):
        tau = 0.01
        crossing = -tau * math.log(1 - 4 / 9) / DT    # high samples the smoother needs to cross, analytic: 5.9
        expected = math.ceil(crossing) - 1             # the sample of the burst after the onset's (docstring): 5
        rng = random.Random(4)
        ctrl = ResponsiveController(5.0, DT, smoothing_s=tau, hysteresis=1.0, refractory_s=0.5)
        onsets = [500, 1500, 1700, 2600]               # 1700: inside the refractory period of 1500
        fired = []
        for n in range(3200):
            high = any(o <= n < o + 150 for o in onsets)
            x = (10.0 if high else 1.0) + rng.gauss(0, 0.5)
            out = ctrl.update(n * DT, x)
            if out:
                self.assertEqual(out[0].waveform, "pulses")
                self.assertGreater(out[0].duration_ms, 0)
                fired.append(n)
        self.assertEqual(len(fired), 3, fired)
        for n, onset in zip(fired, [500, 1500, 2600]):
            self.assertLessEqual(abs((n - onset) - expected), 1, (n, onset, expected))

    def test_no_burst_without_crossing(self):
        ctrl = ResponsiveController(5.0, DT, smoothing_s=0.01)
        self.assertFalse(any(ctrl.update(n * DT, 4.0) for n in range(2000)))
        # Starting above threshold is not a crossing: the controller arms only below threshold.
        ctrl = ResponsiveController(5.0, DT, smoothing_s=0.01)
        self.assertFalse(any(ctrl.update(n * DT, 8.0) for n in range(2000)))


class PhaseLockedTest(unittest.TestCase):
    def run_lock(self, f_signal, target_deg, latency_samples, seed, f0=10.0):
        rng = random.Random(seed)
        ctrl = PhaseLockedController(f0, 1.0 / DT, target_deg=target_deg, latency_s=latency_samples * DT)
        phases = []
        for n in range(5000):
            t = n * DT
            x = 5.0 + 3.0 * math.cos(2 * math.pi * f_signal * t) + rng.gauss(0, 1.0)
            if ctrl.update(t, x):
                t_applied = (n + latency_samples) * DT
                phases.append(2 * math.pi * f_signal * t_applied - math.radians(target_deg))
        z = sum(complex(math.cos(p), math.sin(p)) for p in phases) / len(phases)
        return math.degrees(math.atan2(z.imag, z.real)), abs(z), len(phases)

    def test_pulses_at_target_phase(self):
        for f_signal in (10.0, 12.0, 8.5):
            for target in (0.0, 90.0, 180.0, -90.0):
                for seed in (1, 2):
                    err, R, count = self.run_lock(f_signal, target, latency_samples=20, seed=seed)
                    self.assertLessEqual(abs(err), 30.0, (f_signal, target, seed, err))  # the issue's
                    self.assertLessEqual(abs(err), 8.0, (f_signal, target, seed, err))   # measured level
                    self.assertGreaterEqual(R, 0.99, (f_signal, target, seed, R))
                    # one pulse per cycle after the 0.5 s warm-up
                    self.assertLessEqual(abs(count - f_signal * 4.5), 3, (f_signal, count))

    def test_bandpass_zero_phase_unit_gain_at_centre(self):
        bq = Biquad.bandpass(10.0, 1.0, 1000.0)
        h = bq.response(10.0, 1000.0)
        self.assertAlmostEqual(abs(h), 1.0, places=9)
        self.assertAlmostEqual(math.atan2(h.imag, h.real), 0.0, places=9)
        # -3 dB edges of H(s) = (s/Q)/(s^2 + s/Q + 1) at Q = 1: f0 (sqrt(5) -+ 1) / 2 (bilinear warping small)
        self.assertAlmostEqual(abs(bq.response(10.0 * (math.sqrt(5) - 1) / 2, 1000.0)), math.sqrt(0.5), places=2)


class MiscTest(unittest.TestCase):
    def test_smoother_time_constant(self):
        s = ExpSmoother(0.02, DT, 0.0)
        y = [s.update(1.0) for _ in range(20)]
        self.assertAlmostEqual(y[-1], 1 - math.exp(-1), places=9)

    def test_open_loop_schedule_sends_each_event_once_in_order(self):
        a, b = StimCommand("dc", 1.0), StimCommand("sine", 2.0, frequency_Hz=5)
        sched = OpenLoopSchedule([(0.5, b), (0.1, a)])
        sent = [(n, c) for n in range(1000) for c in sched.update(n * DT)]
        self.assertEqual([(n, c.waveform) for n, c in sent], [(100, "dc"), (500, "sine")])

    def test_wrap(self):
        self.assertAlmostEqual(wrap_rad(3 * math.pi / 2), -math.pi / 2)


if __name__ == "__main__":
    unittest.main(verbosity=2)
