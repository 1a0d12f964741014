"""The ALN node live in `cortexloop serve` (ctest: python_aln_live; a real `serve --mode stepped` server of
configs/cakan2020/live_a1.toml with 2,000 network cells instead of 20,000 to keep it short, ~10-30 s).

Run through tools/aln_live_fig4.py, the Fig 4a script: it starts the server, sends one SetStimulation (Population site
Exc, Dc 60 pA, delay 1000 ms, duration 1000 ms), steps 3000 ticks and writes the arrays and a PNG.
References:
- the command itself: 60 pA onto Exc exactly over ticks 1000-1999 of the command, 0 elsewhere, in the readouts;
- Cakan & Obermayer 2020 Fig 4a for the ALN node, with test_aln_model's criteria (its "a 60 pA step at A1 starts
  the E-I oscillation and removing it stops it"): swing < 0.01 Hz in the last 500 ms before and after the step,
  > 5 Hz in the last 500 ms of the step and at least 0.9 x that of its first 500 ms, dominant frequency during the
  step > 15 Hz (here the periodogram's peak over 1 s, 1 Hz bins, mean removed);
- the paper's Fig 4a for the network (authors' wiring, as live_a1.toml): the step starts its oscillation and its end
  stops it; measured at this size (2,000 cells, seed 1, fb32c8c) E 0.006 Hz before, 6.8-7.8 Hz during (500-ms
  windows), 0.014 Hz after (docs/cakan2020_network.md's 0.014 / 7.3-8.3 / 0.025 Hz are of 2,000 per population).
  Bounds: mean E rate < 0.5 Hz in the last 500 ms before and after, > 2 Hz in the last 500 ms of the step;
- the node is deterministic and the run is stepped: the rates of the node in serve equal those of
  `cortexloop simulate` of configs/cakan2020/fig4_a1.toml (the same protocol from the config's [[stimulus]], one
  engine path), to float precision of the two files (both float32 of the same double).
Seen to fail: with the node's readout left out of the real-time thread's record (`record_.aln = r.aln` removed in
io/runtime/realtime_loop.cpp) the readouts carry no node: its rates are NaN and the step and simulate checks fail.
"""
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BIN = os.environ.get("CORTEXLOOP_BIN", os.path.join(ROOT, "build", "cortexloop"))


def swing(x, a, b):
    return float(np.ptp(x[a:b]))


class AlnLiveTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.png = os.path.join(cls.tmp.name, "live_a1.png")
        r = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "aln_live_fig4.py"), "--out", cls.png,
                            "--set", "network.n_neurons=2000", "--bin", BIN],
                           capture_output=True, text=True, cwd=ROOT, timeout=300)
        assert r.returncode == 0, r.stderr + r.stdout
        cls.d = np.load(os.path.join(cls.tmp.name, "live_a1.npz"))

    def test_the_command_reaches_the_models(self):
        stim = self.d["i_stim_exc_pA"]
        self.assertEqual(len(stim), 3000)
        expected = np.zeros(3000)
        expected[1000:2000] = 60.0
        np.testing.assert_array_equal(stim, expected)
        self.assertGreater(os.path.getsize(self.png), 10000)

    def test_the_step_starts_and_stops_the_network_oscillation(self):
        x = self.d["net_rate_exc_Hz"]
        self.assertLess(x[500:1000].mean(), 0.5)
        self.assertGreater(x[1500:2000].mean(), 2.0)
        self.assertLess(x[2500:3000].mean(), 0.5)

    def test_the_step_starts_and_stops_the_aln_oscillation(self):
        x = self.d["aln_rate_e_Hz"]
        self.assertLess(swing(x, 500, 1000), 0.01)
        self.assertGreater(swing(x, 1500, 2000), 5.0)
        self.assertGreater(swing(x, 1500, 2000), 0.9 * swing(x, 1000, 1500))
        seg = x[1000:2000] - x[1000:2000].mean()
        f = np.fft.rfftfreq(len(seg), 1e-3)
        self.assertGreater(f[np.argmax(np.abs(np.fft.rfft(seg))[1:]) + 1], 15.0)
        self.assertLess(swing(x, 2500, 3000), 0.01)

    def test_serve_and_simulate_step_the_node_alike(self):
        out = os.path.join(self.tmp.name, "sim")
        r = subprocess.run([BIN, "simulate", "-q", "--config", "configs/cakan2020/fig4_a1.toml", "--out", out],
                           capture_output=True, text=True, cwd=ROOT, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        sim = np.load(os.path.join(out, "rates.npy"))
        np.testing.assert_array_equal(sim[:, 0], self.d["aln_rate_e_Hz"].astype(np.float32))
        np.testing.assert_array_equal(sim[:, 1], self.d["aln_rate_i_Hz"].astype(np.float32))


class AlnLiveOneModelTest(unittest.TestCase):
    """The same script on a server that runs one model only (issue 11 item 4: the Fig 4 protocols "runnable on the
    network, the ALN model, or both side by side"): the network alone (authors_wiring.toml, 2,000 cells, A1) and the
    node alone (aln_a1.toml). References as above: the paper's Fig 4a for the network (mean E rate < 0.5 Hz before
    and after, > 2 Hz in the last 500 ms of the step), and for the node alone `simulate` of fig4_a1.toml (the same
    protocol from the config's [[stimulus]], as in AlnLiveTest): equal. The model the server does not run reads NaN.
    Seen to fail: before the script accepted a server without an [aln] node it exited with "the server runs no [aln]
    node" on authors_wiring.toml; with the network's rates kept for a server without a network they read 0, not NaN."""

    def run_script(self, tmp, config, *sets):
        png = os.path.join(tmp, "one.png")
        args = [sys.executable, os.path.join(ROOT, "tools", "aln_live_fig4.py"), "--out", png, "--config", config,
                "--bin", BIN]
        for s in sets:
            args += ["--set", s]
        r = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr + r.stdout)
        self.assertGreater(os.path.getsize(png), 10000)
        return np.load(os.path.join(tmp, "one.npz"))

    def test_the_network_alone(self):
        with tempfile.TemporaryDirectory() as tmp:
            d = self.run_script(tmp, "configs/cakan2020/authors_wiring.toml", "network.n_neurons=2000")
        x = d["net_rate_exc_Hz"]
        self.assertEqual(len(x), 3000)
        self.assertLess(x[500:1000].mean(), 0.5)
        self.assertGreater(x[1500:2000].mean(), 2.0)
        self.assertLess(x[2500:3000].mean(), 0.5)
        self.assertTrue(np.all(np.isnan(d["aln_rate_e_Hz"])))
        self.assertEqual(d["i_stim_exc_pA"][1500], 60.0)

    def test_the_node_alone(self):
        with tempfile.TemporaryDirectory() as tmp:
            d = self.run_script(tmp, "configs/cakan2020/aln_a1.toml")
            out = os.path.join(tmp, "sim")
            r = subprocess.run([BIN, "simulate", "-q", "--config", "configs/cakan2020/fig4_a1.toml", "--out", out],
                               capture_output=True, text=True, cwd=ROOT, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr)
            sim = np.load(os.path.join(out, "rates.npy"))
        np.testing.assert_array_equal(sim[:, 0], d["aln_rate_e_Hz"].astype(np.float32))
        self.assertTrue(np.all(np.isnan(d["net_rate_exc_Hz"])))


class AlnLiveFig4ProtocolsTest(unittest.TestCase):
    """tools/aln_live_fig4.py --stimuli: the other Fig 4 protocols live (issue 11 item 4), the [[stimulus]] entries of
    the Fig 4 protocols configs/cakan2020/fig4/a3.toml (a -200 pA kick, +100 pA and -100 pA steps) and fig4/b3.toml
    (40 pA at 3 Hz, 4 periods from 1280 ms) sent as one SetPrograms onto the node alone (aln_a3.toml, aln_b3.toml).
    Reference: `simulate` of fig4_a3.toml / fig4_b3.toml (the same protocol file as their base), whose schedule gives each step the same current (engine/inputs/sine_step.hpp): A3 equal
    tick for tick; B3 equal up to the sine's end (4 periods, 2613.33 ms; the config's stop_ms 2613.4, a whole step, takes the
    same steps), from there within 1e-3 Hz (measured 2.8e-4 when the program ended inside the step).
    Seen to fail: before --stimuli existed (exit 2, unknown option); with the programs' delay left at 0 (every entry
    from the command's tick) the A3 rates differ at 700 of 3000 ticks and the B3 stimulus everywhere."""

    def live_against_simulate(self, tmp, point):
        png = os.path.join(tmp, f"{point}.png")
        r = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "aln_live_fig4.py"), "--out", png,
                            "--config", f"configs/cakan2020/aln_{point}.toml", "--stimuli",
                            f"configs/cakan2020/fig4/{point}.toml", "--bin", BIN],
                           capture_output=True, text=True, cwd=ROOT, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr + r.stdout)
        self.assertGreater(os.path.getsize(png), 10000)
        out = os.path.join(tmp, f"sim_{point}")
        r = subprocess.run([BIN, "simulate", "-q", "--config", f"configs/cakan2020/fig4_{point}.toml", "--out", out],
                           capture_output=True, text=True, cwd=ROOT, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        live = np.load(os.path.join(tmp, f"{point}.npz"))
        return (live["aln_rate_e_Hz"].astype(np.float32), live["i_stim_exc_pA"],
                np.load(os.path.join(out, "rates.npy"))[:, 0], np.load(os.path.join(out, "stim.npy"))[:, 0])

    def test_a3_steps(self):
        with tempfile.TemporaryDirectory() as tmp:
            rate, stim, sim_rate, sim_stim = self.live_against_simulate(tmp, "a3")
        self.assertEqual(len(rate), 3000)
        np.testing.assert_array_equal(stim, sim_stim)
        np.testing.assert_array_equal(rate, sim_rate)

    def test_b3_sine(self):
        with tempfile.TemporaryDirectory() as tmp:
            rate, stim, sim_rate, sim_stim = self.live_against_simulate(tmp, "b3")
        self.assertEqual(len(rate), 4000)
        end = 2613  # the tick holding the sine's end
        # the readout's tick mean of the current is summed by the device, stim.npy's by the schedule: float32 apart
        np.testing.assert_allclose(stim[:end], sim_stim[:end], rtol=0, atol=1e-5)
        np.testing.assert_array_equal(rate[:end], sim_rate[:end])
        np.testing.assert_allclose(rate, sim_rate, rtol=0, atol=1e-3)
        self.assertGreater(np.ptp(stim), 79.0)  # the sine is there: +-40 pA


def open_loop_rate_Hz(tmp, i_pA):
    """The ALN node's E rate (Hz, the last tick) after 3 s of a DC current onto E, open loop: `simulate` of
    aln_a1.toml with a [[stimulus]] (the node at A1 settles within 0.5 s)."""
    out = os.path.join(tmp, f"open_{i_pA!r}")
    stim = f'stimulus=[{{kind="dc",target="exc",amplitude_pA={i_pA!r},start_ms=0.0,stop_ms=4000.0}}]'
    r = subprocess.run([BIN, "simulate", "-q", "--config", "configs/cakan2020/aln_a1.toml", "--out", out,
                        "--duration", "3", "--set", stim], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.returncode == 0, r.stderr
    return float(np.load(os.path.join(out, "rates.npy"))[-1, 0])


class AlnClosedLoopLiveTest(unittest.TestCase):
    """tools/aln_live_fig4.py --protocol pi-clamp: the device's PI clamp (pure integral, ki 400 pA/(Hz s)) holds the
    node's sensed E rate (aln_closed_loop.toml, A1, rest 0.31 Hz) at 0.45 Hz from 1 s on, through a stepped serve.
    References: an integral controller on a static plant r = f(I) has no steady error, so the sensed mean of the
    last second is the set-point within 2 mHz (13 ADC steps of the 0-10 Hz, 16-bit channel: the clamp dithers), and
    its current is f^-1(set-point) of the node open loop (bisection of `simulate` runs with a DC current), within
    0.05 pA (0.6 mHz of rate at f' = 0.012 Hz/pA); no current before the clamp starts.
    Seen to fail: with pi_clamp_protocol recording the controller slot's `feature` as the delivered current, the
    current check fails (off by 11.48 pA); with the sensing channel's true `signal` recorded instead of its ADC sample
    the sensed values are not the ADC's levels (1000 of 1000; the 2 mHz check alone would not see it)."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.png = os.path.join(cls.tmp.name, "aln_closed_loop.png")
        r = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "aln_live_fig4.py"), "--protocol", "pi-clamp",
                            "--out", cls.png, "--bin", BIN], capture_output=True, text=True, cwd=ROOT, timeout=300)
        assert r.returncode == 0, r.stderr + r.stdout
        print(r.stdout)
        cls.d = np.load(os.path.join(cls.tmp.name, "aln_closed_loop.npz"))

    def test_the_clamp_holds_the_set_point_with_the_open_loop_current(self):
        d = self.d
        self.assertEqual(len(d["t_ms"]), 5000)
        self.assertEqual(int(d["clamp_start_tick"]), 1000)
        self.assertGreater(os.path.getsize(self.png), 10000)
        np.testing.assert_array_equal(d["delivered_pA"][:1000], 0.0)
        self.assertTrue(np.all(np.isnan(d["target_Hz"][:1000])))
        np.testing.assert_array_equal(d["target_Hz"][1000:], 0.45)
        last = slice(4000, 5000)
        sensed = d["sensed_Hz"][last]
        adc_step = 10.0 / (2**16 - 1)  # levels k * range / (2^bits - 1): range 0-10 Hz, 16 bits (aln_closed_loop.toml)
        np.testing.assert_allclose(sensed / adc_step, np.round(sensed / adc_step), atol=1e-3)
        self.assertLess(abs(sensed.mean() - 0.45), 2e-3)
        lo, hi = 0.0, 25.0
        self.assertLess(open_loop_rate_Hz(self.tmp.name, lo), 0.45)
        self.assertGreater(open_loop_rate_Hz(self.tmp.name, hi), 0.45)
        for _ in range(16):
            mid = 0.5 * (lo + hi)
            if open_loop_rate_Hz(self.tmp.name, mid) < 0.45:
                lo = mid
            else:
                hi = mid
        i_star = 0.5 * (lo + hi)
        print(f"  clamp's current {d['delivered_pA'][-1]:.4f} pA, open-loop f^-1(0.45 Hz) {i_star:.4f} pA")
        self.assertLess(abs(d["delivered_pA"][-1] - i_star), 0.05)


class RefusedCommandTest(unittest.TestCase):
    """A command the server refuses ends the live ALN tools in one line naming the refusal and exit 1: aln_live_fig4.py
    printed a RuntimeError traceback for `--amplitude-pA 2000` (above max_direct_pA, 1000 pA) and for `--protocol
    pi-clamp` on aln_a1.toml (no sensing channel), aln_entrainment.py --live for a sine of 100 mV/ms (20,000 pA) (an
    outside check, 2026-12-06). Reference: the server's own reasons (OutOfRange, the limit it names). Break tried:
    readouts.require_accepted raising RuntimeError instead of cli.ToolError -> a traceback of several lines in each
    case: every subtest fails."""

    def test_a_refusal_is_one_line(self):
        a1 = os.path.join(ROOT, "configs", "cakan2020", "aln_a1.toml")
        with tempfile.TemporaryDirectory() as tmp:
            for name, args, words in (
                    ("step", ["aln_live_fig4.py", "--amplitude-pA", "2000", "--config", a1, "--out", tmp + "/s.png",
                              "--bin", BIN],
                     ["aln_live_fig4: the server refused the stimulation command: OutOfRange:", "max_direct_pA"]),
                    ("pi-clamp", ["aln_live_fig4.py", "--protocol", "pi-clamp", "--config", a1, "--out",
                                  tmp + "/p.png", "--bin", BIN],
                     ["aln_live_fig4: the server refused the PI clamp (SetController): OutOfRange:",
                      "no sensing channel"]),
                    ("entrainment", ["aln_entrainment.py", "frequency", "--live", "--frequencies", "5", "--amplitudes",
                                     "100", "--out", tmp + "/e", "--cortexloop", BIN],
                     ["aln_entrainment: the server refused the sine at 5 Hz, 20000 pA: OutOfRange:",
                      "max_direct_pA"])):
                with self.subTest(case=name):
                    r = subprocess.run([sys.executable, os.path.join(ROOT, "tools", args[0]), *args[1:]],
                                       capture_output=True, text=True, cwd=ROOT, timeout=120)
                    self.assertEqual(r.returncode, 1, r.stderr)
                    self.assertNotIn("Traceback", r.stderr)
                    last = r.stderr.strip().splitlines()[-1]
                    for w in words:
                        self.assertIn(w, last)
                    # Nothing else of the tool's own on stderr (entrainment's progress line before it is its own).
                    self.assertEqual([line for line in r.stderr.strip().splitlines()
                                      if not line.startswith("entrainment: ")], [last], r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
