"""The external controllers closing the loop over ZeroMQ against a real `cortexloop serve` (ctest:
python_external_loop; configs/zerlaut2018_network.toml, 10k cells; ~15 s).

- PI clamp, **realtime** mode: the exc rate, in 200 ms windows after settling, stays within 10% of the target
  (the issue's tolerance), before and after a step of the target 5 -> 8 Hz at 2 s. Measured over seeds 1-3 on
  the shared machine: worst window 4.4% off (5 Hz) and 2.6% off (8 Hz); means 4.93-4.96 and 7.94-7.97 Hz.
  Under heavy load this used to fail (windows at 1.5 Hz for a 5 Hz target): a client given less CPU than 1 kHz
  readouts needed (decoding each readout's device part cost ~0.15 ms of Python) never emptied its queue, and
  run_loop's catch-up held every command until it did, so 66 commands went out in 4 s. run_loop now skips the
  device part and sends held commands at least every max_hold_ticks readouts (cortexloop_client/loop.py).
  Checked with both processes starved by SIGSTOP/SIGCONT (30% of 5-ms slices each) at load ~10: 4 of 4 runs
  failed before, 4 of 4 passed after (`tests/python/starve.py 0.3 5 /usr/bin/python3 tests/python/test_external_loop.py
  ExternalLoopTest.test_pi_clamp_realtime_holds_and_tracks`). The windows are taken by tick, after checking that no
  readout was lost.
- Responsive, stepped mode: a 200 pA DC event at 0.8 s raises the smoothed rate over 4 Hz; the burst must be
  applied within 15 ticks of the event (the 20 ms smoother crosses in ~5-8 ticks; measured 6-8 ticks decision
  + 1 tick loop latency) and exactly once per event (refractory).
- Phase-locked, stepped mode, on a network driven by an 8 Hz 60 pA sine: the offline phase of the exc rate
  (FFT band-pass + Hilbert, cortexloop_client.analysis) at the applied pulses is within +-30 deg of the target
  (the issue's tolerance; circular mean) with R >= 0.9. Measured (seeds 1, 2, 3): target 0 deg: +14.3, +15.9,
  +13.1 deg; target 180 deg: -12.1, -11.1, -11.2 deg; R 0.993-0.995 (the bias comes from the rate's
  non-sinusoidal shape and the pulses' own effect on it; a clean sinusoid gives <= 4 deg, test_controllers).
  Measured over seeds 1-8 (2026-12-03): target 0 deg +13.8..+15.7 deg (mean 14.5, SD 0.59), target 180 deg
  -12.6..-11.6 deg (mean -12.1, SD 0.26), R 0.991-0.998 (mean 0.9950, SD 0.0017). Beside the issue's bounds the
  test holds the measured levels, about mean + 4 SD: |error| <= 17 deg, R >= 0.988. Break tried: the client's
  predicted phase 0.2 rad (11.5 deg) ahead (PhaseLockedController.update) -> passed the issue's 30 deg.
"""
import math
import os
import sys
import tempfile
import threading
import time
import unittest

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "python"))
from cortexloop_client import analysis, loop  # noqa: E402
from cortexloop_client.controllers import (  # noqa: E402
    OpenLoopSchedule, PhaseLockedController, PIController, ResponsiveController, StimCommand)

BIN = os.environ.get("CORTEXLOOP_BIN", "build/cortexloop")
CONFIG = "configs/zerlaut2018_network.toml"


def run(controller, mode, duration_s, seed=1, setup=None, value=None):
    with loop.Server(CONFIG, mode, seed, [], BIN) as server:  # its exit code checked when it stops
        client = loop.connect(server)
        rec = loop.run_loop(client, controller, loop.sense_exc_rate, duration_s, stepped=mode == "stepped",
                            setup=setup, controller_value=value, progress_s=0)
        client.close()
    return rec.arrays()


class TargetStep:
    def __init__(self, pi):
        self.pi = pi

    def update(self, t_s, x):
        self.pi.target_Hz = 5.0 if t_s < 2.0 else 8.0
        return self.pi.update(t_s, x) if t_s >= 0.3 else []


class ExternalLoopTest(unittest.TestCase):
    def test_pi_clamp_realtime_holds_and_tracks(self):
        pi = PIController(5.0, kp_pA_per_Hz=10.0, ki_pA_per_Hz_s=300.0, dt_s=1e-3, u_min_pA=0.0, u_max_pA=400.0,
                          smoothing_s=0.01)
        a = run(TargetStep(pi), "realtime", 4.0)
        r = a["rate_exc_Hz"]
        self.assertGreaterEqual(len(r), 4000)
        # Row i is tick t0 + i: a lost readout would shift every window after it.
        self.assertTrue(np.all(np.diff(a["tick"]) == 1), "readouts were lost: the windows would not be the ticks")
        sent = a["command_tick_decided"] >= 0
        lag = a["command_tick_applied"][sent] - a["command_tick_decided"][sent]
        print(f"  {int(sent.sum())} commands, decided -> applied p50 {np.median(lag):.0f} ticks, max {lag.max()}")
        for lo, hi, target in [(1000, 2000, 5.0), (2800, 4000, 8.0)]:
            windows = r[lo:hi].reshape(-1, 200).mean(axis=1)
            print(f"  target {target:g} Hz: 200 ms windows {np.round(windows, 2)}")
            self.assertLess(float(np.max(np.abs(windows / target - 1))), 0.10, windows)
        self.assertLessEqual(float(a["i_stim_exc_pA"].max()), 400.0 + 1e-3)

    def test_responsive_fires_within_bounded_ticks(self):
        events = OpenLoopSchedule([(0.8, StimCommand("dc", 200.0, duration_ms=400.0)),
                                   (1.8, StimCommand("dc", 200.0, duration_ms=400.0))])
        burst = StimCommand("pulses", 300.0, frequency_Hz=100.0, pulse_width_ms=2.0, duration_ms=150.0,
                            population="inh", channel=1)
        resp = ResponsiveController(4.0, 1e-3, smoothing_s=0.02, hysteresis=0.5, refractory_s=0.5, burst=burst)

        class Both:
            def update(self, t_s, x):
                return events.update(t_s, x) + (resp.update(t_s, x) if t_s >= 0.5 else [])

        a = run(Both(), "stepped", 2.5)
        amp = a["command_amplitude_pA"]
        applied = a["command_tick_applied"]
        event_ticks = applied[amp == 200.0]
        burst_ticks = applied[amp == 300.0]
        print(f"  events applied at ticks {event_ticks}, bursts at {burst_ticks}")
        self.assertEqual(len(event_ticks), 2)
        self.assertEqual(len(burst_ticks), 2, burst_ticks)
        for e, b in zip(event_ticks, burst_ticks):
            self.assertGreater(b, e)
            self.assertLessEqual(b - e, 15)
        self.assertTrue(np.all(a["command_tick_applied"] - a["command_tick_decided"] == 1), "stepped: one tick")

    def test_loop_ends_with_its_data_when_the_server_is_reset(self):
        # A Reset from another client (the ticks start again at 0 in epoch 1) ends the loop with a ToolError naming
        # it, and run_loop keeps what it had recorded: before, the controllers read a time far below their last event
        # and silently stopped deciding (an outside check, 2026-12-06). Reference: docs/protocol.md, a Reset restarts
        # the tick at 0 and adds 1 to the epoch. A Reset may clear the Step this stepped loop
        # has sent, and then only a status or ack shows the new epoch (the full suite once saw that race, when the loop
        # looked at readouts alone). Break tried: _loop's epoch checks removed -> "no readout from the server for 5 s"
        # after 5 s, the Reset unnamed.
        with loop.Server(CONFIG, "stepped", 1, ["network.n_neurons=1000"], BIN) as server:
            client, other = loop.connect(server), loop.connect(server)
            with tempfile.TemporaryDirectory() as folder:
                out = os.path.join(folder, "run.npz")

                class ResetAt:
                    def update(self, t_s, x):
                        if 0.1 <= t_s < 0.101:
                            other.reset(2)
                        return []

                with self.assertRaisesRegex(loop.ToolError, r"the server was reset: .*epoch 1.* came after epoch 0"):
                    loop.run_loop(client, ResetAt(), loop.sense_exc_rate, 0.4, stepped=True, progress_s=0,
                                  partial_out=out)
                self.assertTrue(os.path.exists(out), "run_loop kept nothing of the run before the Reset")
                ticks = np.load(out)["tick"]
            client.close()
            other.close()
        # The epoch-0 ticks up to the Reset, in order, none of the new epoch's.
        self.assertGreaterEqual(len(ticks), 100)
        self.assertTrue(np.all(np.diff(ticks) == 1), ticks)

    def test_loop_ends_when_another_client_steps_the_server(self):
        # Another client's Step runs a stepped server ahead of the loop, whose commands were then applied 43-51 ticks
        # after their decision for the rest of the run, silently (an outside check, 2026-12-06: a PI clamp at 24.5 Hz
        # for an 8 Hz target, exit 0). Reference: docs/closed_loop.md, a stepped loop's command is applied on the next
        # tick. Break tried: _check_steps's raise removed -> the loop ran to its end, no error.
        with loop.Server(CONFIG, "stepped", 1, ["network.n_neurons=1000"], BIN) as server:
            client, other = loop.connect(server), loop.connect(server)

            class StepAt:
                def update(self, t_s, x):
                    if 0.1 <= t_s < 0.101:
                        other.step(50)
                    return []

            with self.assertRaisesRegex(loop.ToolError, r"the server ran ahead of this loop: its Step, sent after the "
                                                        r"readout of tick \d+, was applied at tick \d+.*another client"):
                loop.run_loop(client, StepAt(), loop.sense_exc_rate, 0.4, stepped=True, progress_s=0)
            client.close()
            other.close()

    def test_loop_waits_through_a_pause(self):
        # A realtime server paused for longer than the loop's 5 s readout timeout: the loop waits for the Resume and
        # runs on (an outside check, 2026-12-06: an 8 s pause ended it, telling a realtime loop to pass --mode
        # stepped). Reference: docs/protocol.md, a paused server publishes its status (paused) and no readout. Break
        # tried: the paused-status clause removed from _loop -> ToolError "no readout from the server for 5 s".
        with loop.Server(CONFIG, "realtime", 1, ["network.n_neurons=1000"], BIN) as server:
            client, other = loop.connect(server), loop.connect(server)
            paused_at = []

            class PauseAt:
                def update(self, t_s, x):
                    if not paused_at and t_s >= 0.1:
                        other.wait_ack(other.pause(), 5)
                        paused_at.append(time.monotonic())
                        timer = threading.Timer(6.5, other.resume)  # the only use of `other` from now on
                        timer.start()
                    return []

            rec = loop.run_loop(client, PauseAt(), loop.sense_exc_rate, 0.3, stepped=False, progress_s=0)
            client.close()
            other.close()
        ticks = rec.arrays()["tick"]
        self.assertGreaterEqual(time.monotonic() - paused_at[0], 6.5)
        self.assertTrue(np.all(np.diff(ticks) == 1), "a readout was lost around the pause")
        self.assertGreaterEqual(len(ticks), 300)

    def test_a_reset_between_two_loops_is_not_one_during_the_second(self):
        # A realtime server's readouts queue in the client's socket between two loops: the second loop took a stale
        # epoch-0 readout as its start and called the Reset made before it a Reset during it (a review, 2026-12-06).
        # Reference: the Reset's ack came before the second loop started. Break tried: _loop without its start_epoch
        # -> ToolError "the server was reset".
        class Idle:
            def update(self, t_s, x):
                return []

        with loop.Server(CONFIG, "realtime", 1, ["network.n_neurons=1000"], BIN) as server:
            client = loop.connect(server)
            loop.run_loop(client, Idle(), loop.sense_exc_rate, 0.2, stepped=False, progress_s=0)
            time.sleep(0.1)  # readouts of epoch 0 queue up (fewer than the second loop's 1 s)
            ack = client.wait_ack(client.reset(2), 30)
            self.assertTrue(ack is not None and ack.accepted)
            rec = loop.run_loop(client, Idle(), loop.sense_exc_rate, 1.0, stepped=False, progress_s=0)
            client.close()
        ticks = rec.arrays()["tick"]
        self.assertGreaterEqual(len(ticks), 900)
        # The second loop's readouts are the new epoch's, from its start (tick 0 when the Reset's ack came).
        self.assertLess(ticks[0], 200, ticks[:5])
        self.assertTrue(np.all(np.diff(ticks) == 1))

    def test_phase_locked_on_sine_driven_network(self):
        for seed in (1, 2):
            for target in (0.0, 180.0):
                pulse = StimCommand("pulses", 100.0, frequency_Hz=250.0, pulse_width_ms=2.0, duration_ms=2.0,
                                    channel=2)
                ctrl = PhaseLockedController(8.0, 1000.0, target, latency_s=1e-3, pulse=pulse, warmup_s=0.8)
                a = run(ctrl, "stepped", 3.0, seed, setup=[StimCommand("sine", 60.0, frequency_Hz=8.0)])
                applied = a["command_tick_applied"][a["command_tick_decided"] >= 0]
                ph, _ = analysis.phase_at(a["rate_exc_Hz"], a["tick"], applied, 1000.0, 8.0)
                R, mean = analysis.kuramoto(ph - math.radians(target))
                print(f"  seed {seed} target {target:g} deg: {len(ph)} pulses, error {math.degrees(mean):+.1f} deg, "
                      f"R {R:.3f}")
                self.assertGreaterEqual(len(ph), 15)
                self.assertLessEqual(abs(math.degrees(mean)), 30.0)  # the issue's
                self.assertLessEqual(abs(math.degrees(mean)), 17.0)  # the measured level (docstring)
                self.assertGreaterEqual(R, 0.988)


if __name__ == "__main__":
    unittest.main(verbosity=2)
