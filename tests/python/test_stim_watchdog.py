"""`cortexloop stim controller --kind external --watchdog-timeout T --watchdog-ramp R` takes T and R in
milliseconds, as its --help and docs/closed_loop.md say (ctest: python_stim_watchdog). A mutation audit (2026-12-05)
found that nothing checked the unit: read as microseconds, the tutorial's 100 ms watchdog would fire after 0.1 ms;
a second audit found the same of --watchdog-ramp, which the first test passed as 0.
Needs CORTEXLOOP_BIN and PYTHONPATH with build/python and tools/python.
"""
import os
import subprocess
import unittest

from cortexloop_client import Client
from cortexloop_client.client import Program, Site
from cortexloop_client.loop import serve_on_free_ports

BIN = os.environ.get("CORTEXLOOP_BIN", "build/cortexloop")
CONFIG = "configs/closed_loop.toml"
DT_MS, TIMEOUT_MS = 0.1, 5.0
RAMP_MS, DC_PA, CHANNEL = 3.0, 100.0, 1


def silent_loop(ramp_ms, loop_commands=lambda client: None, ticks=20):
    """A stepped server, `cortexloop stim controller` setting an external loop on CHANNEL (watchdog TIMEOUT_MS,
    ramp ramp_ms), loop_commands(client) (what the loop sends before it falls silent), then `ticks` ticks of silence:
    (the server's Info, loop_commands' result, the readouts)."""
    server, pub, commands = serve_on_free_ports([BIN, "serve", "--config", CONFIG, "--set", "network.n_neurons=1000",
                                                 "--mode", "stepped", "-q"])
    try:
        c = Client(commands, pub)
        try:
            assert c.sync(), "no server"
            info = c.info()
            r = subprocess.run([BIN, "stim", "controller", "--slot", "1", "--kind", "external", "--channel",
                                str(CHANNEL), "--watchdog-timeout", str(TIMEOUT_MS), "--watchdog-ramp", str(ramp_ms),
                                "--commands", commands], capture_output=True, text=True, timeout=60)
            assert r.returncode == 0, r.stdout + r.stderr
            sent = loop_commands(c)
            ack = c.wait_ack(c.step(ticks), 10)
            assert ack and ack.accepted, ack
            return info, sent, c.readouts(ticks)
        finally:
            c.close()
    finally:
        server.terminate()
        server.wait(30)


def watchdog_events(readouts):
    return [e for r in readouts for e in r["device"]["events"] if e["limit"] == "watchdog"]


class StimWatchdogUnits(unittest.TestCase):
    def test_watchdog_timeout_is_in_ms(self):
        # Reference: a stepped server left silent after the command: its Watchdog event comes T after the controller
        # starts (T / dt steps, dt = 0.1 ms), not before. Break tried: the option scaled by 1 instead of 1000 (ms read
        # as us) -> the event at step 2, not 50: fails.
        _, _, readouts = silent_loop(0)  # 20 ms of silence on the channel
        self.assertEqual(len(readouts), 20)
        events = watchdog_events(readouts)
        self.assertEqual(len(events), 1, events)
        # The controller starts at step 0 (tick 0); its watchdog fires T later, within a tick (10 steps).
        self.assertGreaterEqual(events[0]["step"], round(TIMEOUT_MS / DT_MS))
        self.assertLessEqual(events[0]["step"], round(TIMEOUT_MS / DT_MS) + 10)

    def test_watchdog_ramp_is_in_ms(self):
        # Reference: docs/device.md, "Watchdog": when the watchdog fires (step E) the channel "ramps to zero over
        # ramp_down_us" and stops; the stimulator's ramp (firmware_sim/stimulator.hpp) takes the linear envelope at
        # each step's midpoint, so a DC of A delivers A at steps S..E (S its first step), A (E + n - 0.5 - k) / n at
        # step k in E+1..E+n-1 (n = R / dt = 30 steps) and 0 after: every tick's mean current follows from S and E
        # alone, and each tick's readout channel mean must equal it within float32 rounding.
        # Break tried: --watchdog-ramp scaled by 1 instead of 1000 in stim_command.cpp (3 ms sent as ramp_down_us =
        # 3) -> the channel stops after the event's step: tick 5 reads 20 pA where 86.67 pA is due (E = 51): fails.
        def one_program(c):  # the loop's one command (it feeds the watchdog), then silence
            ack = c.wait_ack(c.set_programs([(CHANNEL, Site("population", "exc"), Program("dc", DC_PA))]), 10)
            self.assertTrue(ack and ack.accepted, ack)
            return ack.tick_applied

        info, tick_applied, readouts = silent_loop(RAMP_MS, one_program)
        self.assertAlmostEqual(info["dt_ms"], DT_MS)
        steps_per_tick = info["steps_per_tick"]
        first_step = tick_applied * steps_per_tick
        self.assertEqual(len(readouts), 20)
        events = watchdog_events(readouts)
        self.assertEqual(len(events), 1, events)
        fired = events[0]["step"]
        n = round(RAMP_MS / DT_MS)

        def current(k):
            if k < first_step or k >= fired + n:
                return 0.0
            return DC_PA if k <= fired else DC_PA * (fired + n - 0.5 - k) / n

        self.assertLess(fired + n, readouts[-1]["tick"] * steps_per_tick)  # the ramp ends inside the session
        for r in readouts:
            steps = range(r["tick"] * steps_per_tick, (r["tick"] + 1) * steps_per_tick)
            expected = sum(current(k) for k in steps) / steps_per_tick
            self.assertAlmostEqual(r["device"]["channels"][CHANNEL]["mean_current"], expected, delta=1e-3,
                                   msg=f"tick {r['tick']}, watchdog at step {fired}")


if __name__ == "__main__":
    unittest.main()
