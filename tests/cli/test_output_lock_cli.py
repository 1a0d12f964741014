#!/usr/bin/env python3
"""One run per output folder: while another process holds the folder's lock (flock(2) on the folder, as
io::output_dir_lock takes it), `sweep`, `plasticity`, `simulate` and `simulate --sweep` are refused at once, exit 1,
naming the folder, and leave the files in it as they were. Two sweeps (or plasticity runs) on one --out both wrote
there, the second removing the first's files; only record and simulate were locked (an outside audit's note,
2026-12-07). Reference: flock(2)'s exclusive lock, taken here by the test itself as the first run would hold it, and
the brief's "no data is lost". Breaks tried: sweep's, plasticity's and simulate --sweep's lock removed -> each runs
(exit 0 or a config's refusal after removing the files) and this test fails on the exit code and the file.
Run by ctest as: /usr/bin/python3 tests/cli/test_output_lock_cli.py BUILD_DIR"""
import fcntl
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.path.join(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build"), "cortexloop")
REFUSAL = "another cortexloop process is writing into this folder"
NETWORK = os.path.join(ROOT, "configs", "zerlaut2018_network.toml")


class HeldFolder(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="cortexloop_lock_")
        self.out = os.path.join(self.tmp.name, "out")
        os.mkdir(self.out)
        self.fd = os.open(self.out, os.O_RDONLY | os.O_DIRECTORY)
        fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # the first run's lock

    def tearDown(self):
        os.close(self.fd)
        self.tmp.cleanup()

    def refused(self, args, first_run_file):
        """`args` is refused on the held folder and the first run's `first_run_file` is kept."""
        path = os.path.join(self.out, first_run_file)
        with open(path, "w") as f:
            f.write("the first run's")
        r = subprocess.run([BINARY, *args, "--out", self.out], capture_output=True, text=True, timeout=120,
                           stdin=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("--out " + self.out + ": " + REFUSAL, r.stderr)
        with open(path) as f:
            self.assertEqual(f.read(), "the first run's")

    def test_sweep(self):
        self.refused(["sweep", "--x", "aln.mu_ext_e_mV_per_ms=0:3:2", "--y", "aln.mu_ext_i_mV_per_ms=0:3:2",
                      "--duration", "3", "--quiet"], "state.npy")

    def test_plasticity(self):
        self.refused(["plasticity", "--quiet"], "rate_Hz.npy")

    def test_simulate(self):
        self.refused(["simulate", "--config", NETWORK, "--set", "network.n_neurons=100", "--duration", "0.01",
                      "--quiet"], "rates.npy")

    def test_simulate_sweep(self):
        # The sweep's own folder: refused before any point folder is prepared.
        self.refused(["simulate", "--config", NETWORK, "--set", "network.n_neurons=100", "--duration", "0.01",
                      "--sweep", "simulation.seed=1,2", "--quiet"], "sweep.json")
        self.assertEqual(sorted(os.listdir(self.out)), ["sweep.json"])

    def test_a_free_folder_is_taken(self):
        # The check above is the lock's, not a refusal of these arguments: with the lock released the same run goes.
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        r = subprocess.run([BINARY, "simulate", "--config", NETWORK, "--set", "network.n_neurons=100", "--duration",
                            "0.01", "--quiet", "--out", self.out], capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(os.path.exists(os.path.join(self.out, "rates.npy")))


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
