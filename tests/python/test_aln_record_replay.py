"""`cortexloop record` and `cortexloop replay` of a session with an ALN node (ctest: python_aln_record_replay; a real
`serve --mode stepped` of configs/cakan2020/aln_a1.toml, the node alone, ~5-10 s).

The session: one SetStimulation (Population site Exc, Dc 60 pA, delay 1000 ms, duration 1000 ms: Cakan & Obermayer
2020's Fig 4a step at A1), 3000 ticks stepped by this client, recorded by `cortexloop record --sync`.
References:
- the node is deterministic and stepped through one engine path: record's aln_rates.npy [3000, 2] equals, bit for bit,
  rates.npy of `cortexloop simulate` of configs/cakan2020/fig4_a1.toml, which gives the same step from its
  [[stimulus]] schedule (the stimulator's mean over a step of a DC level is the level itself), and equals the
  float32 of the rates this client received;
- `cortexloop replay` of the recording re-runs it and compares every readout's hash, the node's fields included
  (io/protocol/session.cpp, readout_hash), and its rows of the stored arrays: "bit-identical: 3000 ticks"; the recording with one ALN key changed in
  session.toml (mu_ext_e 1.2 -> 1.3 mV/ms, A1 -> A2) is reported as differing: the node is part of what is compared.
Seen to fail: (1) with the node's fields left out of readout_hash, the doctored recording replays "bit-identical";
(2) with record's aln_rates.npy written from the E rate twice (pair(aln_rates, e, e)) the simulate check fails.
- the node alone: record's rates.npy, mean_v.npy and mean_w.npy hold the node's, equal bit for bit to simulate's files
  of the same run (simulate writes the node's rates there, `simulate --help`), and there is no lfp.npy, as simulate
  writes none. record wrote the readouts' network fields there, all zeros, and an lfp.npy of zeros (an outside audit,
  2026-12-07). Seen to fail (3) with record_command.cpp's node_alone forced false: rates.npy all 0, fails.

A second session (OutOfTableRecordTest) drives the node out of its cascade table's grid: -1000 pA onto E from 200 to
500 ms. Analytic reference (tests/test_aln_domain.cpp): under -1000 pA mu_E <= 1.2 + 2.43 - 5 = -1.37 mV/ms, below the
grid's -1 mV/ms, so once mu_f has settled (150 ms) every step of a tick reads outside (10 per tick), and none does
before the pulse or 150 ms after it; no ring, so the ring column is 0. The run's total equals `simulate`'s
summary (aln.out_of_table_steps) for the same schedule as a [[stimulus]].
Seen to fail: with record's two columns swapped, column 0 is all 0.
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "python"))
from cortexloop_client.client import decode_readout_rates  # noqa: E402
from cortexloop_client.loop import Server, connect  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BIN = os.environ.get("CORTEXLOOP_BIN", os.path.join(ROOT, "build", "cortexloop"))
TICKS = 3000


def replay(path):
    return subprocess.run([BIN, "replay", "--quiet", path], capture_output=True, text=True, timeout=120)


def record_session(rec, config, ticks, amplitude_pa, delay_ms, duration_ms):
    """A stepped `serve` of config recorded by `cortexloop record --sync` into rec: one DC SetStimulation onto E, then
    `ticks` ticks stepped by this client. Returns the E rate received per tick, the recorder's exit code and stderr."""
    with Server(config, "stepped", 1, (), BIN) as server:
        recorder = subprocess.Popen([BIN, "record", "--out", rec, "--pub", server.pub, "--commands", server.commands,
                                     "--sync", "--quiet"], stderr=subprocess.PIPE, text=True)
        try:
            line = recorder.stderr.readline()
            assert "record: subscribed" in line, line
            client = connect(server)
            try:
                ack = client.wait_ack(client.stimulate(amplitude_pa, waveform="dc", population="exc",
                                                       delay_ms=delay_ms, duration_ms=duration_ms), 10)
                assert ack is not None and ack.accepted and ack.tick_applied == 0, ack
                client.step(ticks)
                got = np.full(ticks, np.nan)
                while np.isnan(got).any():
                    m = client.receive_raw(30.0)
                    assert m is not None, "no readout for 30 s"
                    r = decode_readout_rates(m[1]) if m[0] == b"readout" else None
                    if r is not None and 0 <= r[0] < ticks:
                        got[r[0]] = r[4]
            finally:
                client.close()
            time.sleep(0.5)  # the recorder has the same stream; let it take the last readouts
        finally:
            recorder.terminate()
            code = recorder.wait(30)
            err = recorder.stderr.read()
            recorder.stderr.close()
    return got, code, err


class AlnRecordReplayTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.rec = os.path.join(cls.tmp.name, "rec")
        config = os.path.join(ROOT, "configs", "cakan2020", "aln_a1.toml")
        cls.received_e, cls.record_code, cls.record_err = record_session(cls.rec, config, TICKS, 60.0, 1000.0, 1000.0)
        out = os.path.join(cls.tmp.name, "sim")
        r = subprocess.run([BIN, "simulate", "-q", "--config", "configs/cakan2020/fig4_a1.toml", "--out", out],
                           capture_output=True, text=True, cwd=ROOT, timeout=120)
        assert r.returncode == 0, r.stderr
        cls.simulated = np.load(os.path.join(out, "rates.npy"))
        cls.simulated_files = {name: np.load(os.path.join(out, name + ".npy")) for name in ("rates", "mean_v", "mean_w")}
        cls.simulate_wrote_lfp = os.path.exists(os.path.join(out, "lfp.npy"))

    def test_record_writes_the_node_rates_that_simulate_gives(self):
        self.assertEqual(self.record_code, 0, self.record_err)
        aln = np.load(os.path.join(self.rec, "aln_rates.npy"))
        self.assertEqual(aln.shape, (TICKS, 2))
        self.assertEqual(aln.dtype, np.float32)
        np.testing.assert_array_equal(aln, self.simulated)
        np.testing.assert_array_equal(aln[:, 0], self.received_e.astype(np.float32))
        self.assertGreater(np.ptp(aln[1500:2000, 0]), 5.0)  # the step's oscillation is in it (not a flat record)

    def test_record_writes_the_node_alone_into_the_files_simulate_writes_it_to(self):
        self.assertEqual(self.record_code, 0, self.record_err)
        for name, simulated in self.simulated_files.items():
            recorded = np.load(os.path.join(self.rec, name + ".npy"))
            self.assertEqual(recorded.dtype, np.float32, name)
            np.testing.assert_array_equal(recorded, simulated, name)
        np.testing.assert_array_equal(np.load(os.path.join(self.rec, "rates.npy")),
                                      np.load(os.path.join(self.rec, "aln_rates.npy")))
        self.assertGreater(np.ptp(np.load(os.path.join(self.rec, "mean_v.npy"))[:, 0]), 1.0)  # the node's V, not 0
        self.assertFalse(self.simulate_wrote_lfp)
        self.assertFalse(os.path.exists(os.path.join(self.rec, "lfp.npy")))
        with open(os.path.join(self.rec, "summary.json")) as f:
            files = json.load(f)["files"]
        for name in ("rates.npy", "mean_v.npy", "mean_w.npy", "aln_rates.npy", "aln_mean_v.npy", "aln_mean_w.npy"):
            self.assertIn(name, files)
        self.assertNotIn("lfp.npy", files)
        with open(os.path.join(self.rec, "summary.json")) as f:
            arrays = json.load(f)["arrays"]
        self.assertIn("ALN node", arrays["rates.npy"])  # described as the node's, as simulate describes them

    def test_the_session_plot_draws_the_node(self):
        # The recording of a node alone had a rates.npy of zeros (no spiking cells; the node's since 2026-12-07):
        # plot.py drew those as the network's rates and an LFP and mean V of zeros (an outside check, 2026-12-04). Reference: aln_rates.npy
        # of this recording, the 5 ms running mean plot.py states on the axis. Seen to fail with load() ignoring
        # aln_rates.npy (the panel's E line is all 0).
        from cortexloop_client import plot
        d = plot.load(self.rec)
        fig = plot.figure(d)
        panels = {ax.get_label(): ax for ax in fig.axes}
        self.assertNotIn("lfp", panels)
        self.assertNotIn("mean_v", panels)
        e_line = panels["rates"].get_lines()[0].get_ydata()
        aln = np.load(os.path.join(self.rec, "aln_rates.npy"))
        mean_5ms = np.convolve(aln[:, 0], np.ones(5) / 5, mode="valid")
        np.testing.assert_allclose(e_line[2:-2], mean_5ms, rtol=1e-5, atol=1e-6)
        self.assertIn("ALN node", panels["rates"].get_ylabel())

    def test_replay_reproduces_the_session_bit_for_bit(self):
        r = replay(self.rec)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.startswith(f"bit-identical: {TICKS} ticks"), r.stdout + r.stderr)

    def test_replay_sees_a_changed_aln_key(self):
        doctored = os.path.join(self.tmp.name, "doctored")
        subprocess.run(["cp", "-r", self.rec, doctored], check=True)
        path = os.path.join(doctored, "session.toml")
        with open(path) as f:
            text = f.read()
        key = "mu_ext_e_mV_per_ms = 1.2"
        self.assertIn(key, text)
        with open(path, "w") as f:
            f.write(text.replace(key, "mu_ext_e_mV_per_ms = 1.3", 1))
        r = replay(doctored)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertTrue(r.stdout.startswith("not bit-identical"), r.stdout)
        self.assertIn("first differing readout", r.stderr)

    def test_replay_sees_an_altered_stored_array(self):
        # 1 Hz added to one row of rates.npy replayed as "bit-identical", exit 0: only readout_hash.npy was compared
        # (an outside audit, 2026-12-07). The node alone: rates.npy is a copy of aln_rates.npy, each compared with
        # the node's replayed rates (tools/readout_rows.hpp, replay's compare_stored_rows). Reference: the
        # recording's own values, one altered here. Break tried: replay_command.cpp as before the fix -> exit 0,
        # "bit-identical: 3000 ticks", for both files: fails.
        for name in ("rates.npy", "aln_rates.npy"):
            with self.subTest(name=name):
                doctored = os.path.join(self.tmp.name, "altered_" + name)
                subprocess.run(["cp", "-r", self.rec, doctored], check=True)
                rates = np.load(os.path.join(doctored, name))
                rates[1500, 1] += 1.0
                np.save(os.path.join(doctored, name), rates)
                r = replay(doctored)
                self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
                self.assertTrue(r.stdout.startswith("not bit-identical"), r.stdout)
                self.assertIn("first differing readout: epoch 0, tick 1500 (row 1500 of ticks.npy)", r.stderr)
                self.assertIn(f"{name} column 1: recorded ", r.stderr)

    def test_replay_refuses_an_array_deleted_or_added(self):
        # aln_rates.npy deleted replayed as "bit-identical", exit 0, and an lfp.npy added (the node alone has none)
        # was ignored where an added vsdi.npy was reported (an outside audit, 2026-12-07). Reference: summary.json's
        # "arrays", every array record wrote. Break seen to fail: replay_command.cpp as before the fix -> exit 0 for
        # the first two, exit 1 for vsdi.npy ("stored, but no replayed readout has a row of it").
        cases = {
            "deleted aln_rates.npy": (lambda d: os.remove(os.path.join(d, "aln_rates.npy")),
                                      "aln_rates.npy: missing, where summary.json's \"arrays\" lists it"),
            "added lfp.npy": (lambda d: np.save(os.path.join(d, "lfp.npy"), np.zeros(TICKS, np.float32)),
                              "lfp.npy: in the folder, but not in summary.json's \"arrays\""),
            "added vsdi.npy": (lambda d: np.save(os.path.join(d, "vsdi.npy"), np.zeros((TICKS, 100), np.float32)),
                               "vsdi.npy: in the folder, but not in summary.json's \"arrays\""),
        }
        for i, (label, (change, says)) in enumerate(cases.items()):
            with self.subTest(label):
                doctored = os.path.join(self.tmp.name, f"arrays_{i}")
                subprocess.run(["cp", "-r", self.rec, doctored], check=True)
                change(doctored)
                r = replay(doctored)
                self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
                self.assertIn(says, r.stderr)


class OutOfTableRecordTest(unittest.TestCase):
    TICKS, START_MS, STOP_MS, SETTLE_MS = 800, 200, 500, 150

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.rec = os.path.join(cls.tmp.name, "rec")
        config = os.path.join(ROOT, "configs", "cakan2020", "aln_a1.toml")
        _, cls.record_code, cls.record_err = record_session(cls.rec, config, cls.TICKS, -1000.0, cls.START_MS,
                                                            cls.STOP_MS - cls.START_MS)
        schedule = os.path.join(cls.tmp.name, "pulse.toml")
        with open(schedule, "w") as f:
            f.write(f'base = "{config}"\n[simulation]\nduration_s = {cls.TICKS / 1000}\n'
                    f'[[stimulus]]\nkind = "dc"\ntarget = "exc"\namplitude_pA = -1000.0\n'
                    f'start_ms = {float(cls.START_MS)}\nstop_ms = {float(cls.STOP_MS)}\n')
        out = os.path.join(cls.tmp.name, "sim")
        r = subprocess.run([BIN, "simulate", "-q", "--config", schedule, "--out", out], capture_output=True, text=True,
                           cwd=ROOT, timeout=120)
        assert r.returncode == 0, r.stderr
        with open(os.path.join(out, "summary.json")) as f:
            cls.simulated_steps = json.load(f)["aln"]["out_of_table_steps"]

    def test_record_writes_the_steps_outside_the_table(self):
        self.assertEqual(self.record_code, 0, self.record_err)
        outside = np.load(os.path.join(self.rec, "out_of_table.npy"))
        self.assertEqual(outside.shape, (self.TICKS, 2))
        node, ring = outside[:, 0], outside[:, 1]
        np.testing.assert_array_equal(node[:self.START_MS], 0)
        np.testing.assert_array_equal(node[self.START_MS + self.SETTLE_MS:self.STOP_MS], 10)
        np.testing.assert_array_equal(node[self.STOP_MS + self.SETTLE_MS:], 0)
        np.testing.assert_array_equal(ring, 0)
        with open(os.path.join(self.rec, "summary.json")) as f:
            totals = json.load(f)["out_of_table"]
        self.assertEqual(totals["aln_steps"], int(node.sum()))
        self.assertEqual(totals["ring_unit_steps"], 0)
        self.assertEqual(totals["aln_steps"], self.simulated_steps)


if __name__ == "__main__":
    unittest.main(verbosity=2)
