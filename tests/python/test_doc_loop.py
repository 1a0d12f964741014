"""docs/closed_loop.md section 6's "Your own loop" runs as written and says what it does (ctest: python_doc_loop).
The tutorial's my_loop.py printed nothing while it ran (an outside check, 2026-12-05): a user could not tell a
silent loop from a dead one. Reference: the doc's text. Against a realtime `serve` with the default config given
the doc's drive (`stim dc --amplitude 200`), the loop prints the smoothed rate once a second and a line per burst,
which the doc says come every 0.5 s, and goes on bursting after a Reset. The code is taken from the doc, only its two endpoints replaced.
Breaks tried: the doc's burst print removed -> no "100 pA on inh" line; its SIGINT handler removed -> a traceback
and exit 1: each fails.
Needs CORTEXLOOP_BIN and PYTHONPATH with build/python and tools/python.
"""
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

from cortexloop_client.loop import serve_on_free_ports

BIN = os.environ.get("CORTEXLOOP_BIN", "build/cortexloop")
DOC = "docs/closed_loop.md"


def doc_loop_code():
    text = Path(DOC).read_text(encoding="utf-8")
    section = text[text.index("## 6. Your own loop"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


class DocLoop(unittest.TestCase):
    def test_my_loop_prints_rates_and_bursts(self):
        code = doc_loop_code()
        self.assertIn('"tcp://127.0.0.1:5556", "tcp://127.0.0.1:5555"', code)
        server, pub, commands = serve_on_free_ports([BIN, "serve", "-q"])
        loop = None
        try:
            code = code.replace('"tcp://127.0.0.1:5556"', repr(commands)).replace('"tcp://127.0.0.1:5555"', repr(pub))
            with tempfile.TemporaryDirectory() as folder:
                path = os.path.join(folder, "my_loop.py")
                with open(path, "w", encoding="utf-8") as f:
                    f.write(code)
                loop = subprocess.Popen([sys.executable, path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True)
                r = subprocess.run([BIN, "stim", "dc", "--amplitude", "200", "--commands", commands],
                                   capture_output=True, text=True, timeout=60)
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                time.sleep(4.0)  # 4000 ticks in real time; ~8 bursts
                # A Reset (ticks back to 0, programs cleared), then the drive again: the loop must burst in the new
                # epoch too, not wait for its tick to pass the old epoch's refractory end.
                for args in (["reset", "--seed", "2"], ["dc", "--amplitude", "200"]):
                    r = subprocess.run([BIN, "stim", *args, "--commands", commands], capture_output=True, text=True,
                                       timeout=60)
                    self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                time.sleep(3.0)
                loop.send_signal(signal.SIGINT)
                out, err = loop.communicate(timeout=30)
        finally:
            if loop is not None and loop.poll() is None:
                loop.kill()
            server.terminate()
            server.wait(30)
        # "Ctrl-C stops it", as the doc says, without a KeyboardInterrupt traceback (an outside check, 2026-12-05).
        self.assertEqual(loop.returncode, 0, err)
        self.assertNotIn("Traceback", err)
        rates = [l for l in out.splitlines() if re.fullmatch(r"tick \d+: exc \d+\.\d\d Hz", l)]
        bursts = [l for l in out.splitlines() if l.endswith("> 6 Hz: 100 pA on inh for 100 ms")]
        self.assertGreaterEqual(len(rates), 2, out + err)
        self.assertGreaterEqual(len(bursts), 2, out + err)
        # At most one burst per 0.5 s refractory (500 ticks) within an epoch, and bursts after the Reset: its ticks
        # start again below the last burst's (an outside check, 2026-12-06: the doc's loop kept its refractory end
        # from the epoch before and stayed silent for as long as that epoch had run; break tried: the doc's two lines
        # that reset quiet_until removed -> no burst after the Reset).
        ticks = [int(l.split()[1].rstrip(":")) for l in bursts]
        cut = next((i for i in range(1, len(ticks)) if ticks[i] < ticks[i - 1]), None)
        self.assertIsNotNone(cut, f"no burst after the Reset: {ticks}")
        for epoch in (ticks[:cut], ticks[cut:]):
            self.assertTrue(all(b - a >= 500 for a, b in zip(epoch, epoch[1:])), ticks)


if __name__ == "__main__":
    unittest.main()
