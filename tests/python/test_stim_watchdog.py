"""`cortexloop stim controller --kind external --watchdog-timeout T` takes T in milliseconds, as its --help and
docs/closed_loop.md say (ctest: python_stim_watchdog). A mutation audit (2026-12-05) found that nothing checked the
unit: read as microseconds, the tutorial's 100 ms watchdog would fire after 0.1 ms. Reference: a stepped server
left silent after the command: its Watchdog event comes T after the controller starts (T / dt steps, dt = 0.1 ms),
not before. Break tried: the option scaled by 1 instead of 1000 (ms read as us) -> the event at step 2, not 50: fails.
Needs CORTEXLOOP_BIN and PYTHONPATH with build/python and tools/python.
"""
import os
import subprocess
import unittest

from cortexloop_client import Client
from cortexloop_client.loop import serve_on_free_ports

BIN = os.environ.get("CORTEXLOOP_BIN", "build/cortexloop")
CONFIG = "configs/closed_loop.toml"
DT_MS, TIMEOUT_MS = 0.1, 5.0


class StimWatchdogUnits(unittest.TestCase):
    def test_watchdog_timeout_is_in_ms(self):
        server, pub, commands = serve_on_free_ports([BIN, "serve", "--config", CONFIG, "--set", "network.n_neurons=1000",
                                                     "--mode", "stepped", "-q"])
        try:
            c = Client(commands, pub)
            self.assertTrue(c.sync(), "no server")
            r = subprocess.run([BIN, "stim", "controller", "--slot", "1", "--kind", "external", "--channel", "1",
                                "--watchdog-timeout", str(TIMEOUT_MS), "--watchdog-ramp", "0", "--commands", commands],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            ack = c.wait_ack(c.step(20), 10)  # 20 ms of silence on the channel
            self.assertTrue(ack and ack.accepted, ack)
            readouts = c.readouts(20)
        finally:
            server.terminate()
            server.wait(30)
        self.assertEqual(len(readouts), 20)
        events = [e for r in readouts for e in r["device"]["events"] if e["limit"] == "watchdog"]
        self.assertEqual(len(events), 1, events)
        # The controller starts at step 0 (tick 0); its watchdog fires T later, within a tick (10 steps).
        self.assertGreaterEqual(events[0]["step"], round(TIMEOUT_MS / DT_MS))
        self.assertLessEqual(events[0]["step"], round(TIMEOUT_MS / DT_MS) + 10)


if __name__ == "__main__":
    unittest.main()
