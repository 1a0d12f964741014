"""docs/device.md ("Safety", the External watchdog) tells a loop that holds a sine how to resend it without a jump:
SetPrograms at start_tick = the next tick, phase_deg advanced by 360 f (T - T0) tick_ms / 1000 (ctest:
python_sine_reload). An outside check (2026-12-05) saw a plain reload restart the sine at phase 0; this holds the
recipe to the analytic waveform. Reference: the tick means of 100 sin(2 pi 10 Hz t) pA from the first load, by
integration ((cos a - cos b) / omega), every tick across the reload, to 1e-3 pA (float32 readouts of ~100 pA: ~1e-5).
And a future start_tick stops the running program when the command is applied (the doc says so): ticks between
are 0. Break tried: the reload sent with phase_deg 0 -> tick 55 reads 3.141 against 27.895: fails.
Needs CORTEXLOOP_BIN and PYTHONPATH with build/python and tools/python.
"""
import math
import os
import unittest

from cortexloop_client import Client
from cortexloop_client.client import Program, Site
from cortexloop_client.loop import serve_on_free_ports

BIN = os.environ.get("CORTEXLOOP_BIN", "build/cortexloop")
CONFIG = "configs/zerlaut2018_network.toml"
F_HZ, A_PA, TICK_MS, T0 = 10.0, 100.0, 1.0, 10


def tick_mean(tick):
    """Mean over tick [tick, tick + 1) ms of A sin(2 pi f (t - T0 tick_ms)), in pA."""
    w = 2 * math.pi * F_HZ / 1000.0
    a, b = (tick - T0) * TICK_MS, (tick - T0 + 1) * TICK_MS
    return A_PA * (math.cos(w * a) - math.cos(w * b)) / (w * TICK_MS)


class SineReload(unittest.TestCase):
    def test_reload_at_the_next_tick_with_advanced_phase_is_seamless(self):
        server, pub, commands = serve_on_free_ports([BIN, "serve", "--config", CONFIG, "--set", "network.n_neurons=1000",
                                                     "--mode", "stepped", "-q"])
        try:
            c = Client(commands, pub)
            self.assertTrue(c.sync(), "no server")
            site = Site(kind="population", population="exc")

            def sine(start_tick):
                phase_deg = 360.0 * F_HZ * (start_tick - T0) * TICK_MS / 1000.0
                return c.set_programs([(0, site, Program(waveform="sine", amplitude=A_PA, frequency_hz=F_HZ,
                                                         phase_deg=phase_deg))], start_tick=start_tick)

            ack = c.wait_ack(sine(T0), 10)
            self.assertTrue(ack and ack.accepted and ack.tick_applied == T0, ack)
            self.assertTrue(c.wait_ack(c.step(55), 10))
            got = {r["tick"]: r["exc"]["i_stim_pa"] for r in c.readouts(55)}
            ack = c.wait_ack(sine(55), 10)  # the next tick: the resend recipe
            self.assertTrue(ack and ack.accepted and ack.tick_applied == 55, ack)
            self.assertTrue(c.wait_ack(c.step(25), 10))
            got.update({r["tick"]: r["exc"]["i_stim_pa"] for r in c.readouts(25)})
            ack = c.wait_ack(sine(90), 10)  # a later start_tick: the sine stops when this is applied (tick 80)
            self.assertTrue(ack and ack.accepted and ack.tick_applied == 90, ack)
            self.assertTrue(c.wait_ack(c.step(15), 10))
            got.update({r["tick"]: r["exc"]["i_stim_pa"] for r in c.readouts(15)})
        finally:
            server.terminate()
            server.wait(30)
        self.assertEqual(sorted(got), list(range(95)))
        for tick in range(T0, 80):
            self.assertAlmostEqual(got[tick], tick_mean(tick), delta=1e-3, msg=f"tick {tick}")
        for tick in range(80, 90):
            self.assertEqual(got[tick], 0.0, f"tick {tick}: the old program runs on past the command")
        for tick in range(90, 95):
            self.assertAlmostEqual(got[tick], tick_mean(tick), delta=1e-3, msg=f"tick {tick}")


if __name__ == "__main__":
    unittest.main()
