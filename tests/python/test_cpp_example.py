"""tools/cpp_examples/threshold_loop.cpp, the C++ client docs/protocol.md points to, run against a realtime server
(ctest: python_cpp_example): built from the schema alone, it must close its loop (a burst when the smoothed excitatory
rate passes the threshold), every burst accepted and applied after the readout that triggered it, and its amplitude
clamped to Info.safety.max_direct_pa (5000 pA asked, the default limit 1000 pA, docs/device.md "Safety").
Break tried: the example without its clamp -> the bursts are refused (5000 pA > 1000 pA) and it exits 1.
Needs CORTEXLOOP_BIN and PYTHONPATH with build/python and tools/python.
"""
import os
import re
import shlex
import subprocess
import tempfile
import unittest
from pathlib import Path

from cortexloop_client.loop import serve_on_free_ports

BIN = os.environ.get("CORTEXLOOP_BIN", "build/cortexloop")
EXAMPLE = os.path.join(os.path.dirname(os.path.abspath(BIN)), "examples", "threshold_loop")


class CppExample(unittest.TestCase):
    def test_threshold_loop_closes_its_loop_within_the_safety_limit(self):
        server, pub, commands = serve_on_free_ports([BIN, "serve", "--set", "network.n_neurons=1000", "-q"])
        try:
            r = subprocess.run([EXAMPLE, "--commands", commands, "--pub", pub, "--threshold-hz", "0.5",
                                "--ticks", "1500", "--amplitude-pa", "5000"], capture_output=True, text=True,
                               timeout=120)
        finally:
            server.terminate()
            server.wait(30)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("max_direct_pa 1000: bursts of 1000 pA", r.stdout)
        applied = [(int(t), int(by)) for t, by in re.findall(r"applied at tick (\d+) \(triggered by readout (\d+)\)",
                                                              r.stdout)]
        self.assertGreaterEqual(len(applied), 1, r.stdout)
        for tick, by in applied:
            self.assertGreater(tick, by, r.stdout)
        self.assertRegex(r.stdout, r"readouts=1500 triggers=%d accepted=%d refused=0" % (len(applied), len(applied)))

    def test_command_line(self):
        self.assertEqual(subprocess.run([EXAMPLE, "--help"], capture_output=True).returncode, 0)
        r = subprocess.run([EXAMPLE, "--ticks", "zero"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("wrong command line", r.stderr)

    def test_the_out_of_tree_build_its_comment_gives(self):
        # The file's header says how to build it outside the tree; as written it failed (the generated header
        # landed beside the -I folder, not where the #include looks: an outside check, 2026-12-05). Reference: the
        # comment's own two commands, run as written from the repository root with gen/ and the binary in a
        # temporary folder. Break seen to fail: the old `-o gen` line -> "cortexloop_generated.h: No such file".
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        source = os.path.join(root, "tools", "cpp_examples", "threshold_loop.cpp")
        lines = [line[2:].strip() for line in Path(source).read_text().splitlines()
                 if re.match(r"//\s+(flatc|g\+\+) ", line)]
        self.assertEqual([line.split()[0] for line in lines], ["flatc", "g++"], lines)
        with tempfile.TemporaryDirectory() as tmp:
            for line in lines:
                args = shlex.split(line)
                # gen/... and the output binary go to the temporary folder; sources are read from the repository.
                args = [os.path.join(tmp, a) if a.startswith("gen") or a == "threshold_loop" else a for a in args]
                r = subprocess.run(args, cwd=root, capture_output=True, text=True, timeout=300)
                self.assertEqual(r.returncode, 0, line + "\n" + r.stderr[-2000:])
            self.assertTrue(os.access(os.path.join(tmp, "threshold_loop"), os.X_OK))


if __name__ == "__main__":
    unittest.main()
