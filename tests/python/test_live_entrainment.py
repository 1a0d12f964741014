"""Cakan & Obermayer 2020 Figs 5-6 live (ctest: python_live_entrainment): a reduced entrainment and phase-locking
scan through one `cortexloop serve --mode stepped` session of configs/cakan2020/live_a2.toml (the spiking network,
N_E = N_I = 2000, and the ALN node side by side, each at its own A2), each point a Reset and one SetStimulation
sine onto Exc (cortexloop_client.entrainment.run_live; the analysis is the one the offline scan uses).

References and tolerances:
- the command: over the run the readout's i_stim (the stimulator's mean current over each 1-ms tick) is the
  analytic tick mean of A sin(2 pi f (t - onset)) from the onset, 0 before: A sinc(pi f tick) sin(2 pi f (t_mid -
  onset)), t_mid the tick's centre; to 1e-4 A (float32 on the wire);
- Cakan & Obermayer 2020 Fig 6 / the issue's must-show, for both models: phase locking rises with the amplitude of
  a sinusoid near the intrinsic frequency. Measured as the phase-locking value R = |<exp(i (phi_rate -
  phi_stim))>| (entrainment.fig6_plv, analysis.peak_to_peak_kuramoto; ~0 unlocked, 1 locked at any lag), NOT the
  paper's Fig 6 measure (the mean two-oscillator order parameter, ~0.64 unlocked: analysis.mean_two_oscillator_order,
  tested in test_fig6_order.py): every R and bound below is a PLV. ALN: f = 22.75 Hz (0.45 Hz above its intrinsic 22.3 Hz, inside the
  paper's scan 20.85-22.85 Hz), A = 0, 2, 6 pA (the C++ test of the model, test_aln_model, uses the same amplitudes
  at 22.8 Hz; measured there R = 0.13, 0.34, 1.00); network: f = 31 Hz (the edge of the paper's network scan 29-31
  Hz, 1 Hz above its ~30 Hz), A = 0, 20, 40 pA (inside the paper's 2-40 pA; measured for seeds 1-8 at f7cf543:
  R = 0.02-0.08 at 0 pA; 0.33-0.64 at 20 pA (mean 0.43); 0.95-0.98 at 40 pA; docs/aln.md). Tolerances: R rising with
  A, and the measured levels. Measured again (2026-12-03, seeds 1-8 through run_live): network R(0) 0.024-0.077
  (mean 0.053, SD 0.021), R(40 pA) 0.950-0.962 (mean 0.956, SD 0.004) -> R(0) < 0.15, R(40) > 0.94 (about 4 SD);
  the ALN has no noise: R = 0.128, 0.371, 0.9987 at every seed. An oscillation left alone drifts by the 0.45 Hz
  detuning through 2.5 turns over the 5.5 s analysed (from_ms 500): R = |sin(pi 0.45 5.5)| / (pi 0.45 5.5) = 0.128;
  it moves fast with the detuning (0.08 at 0.40 or 0.50 Hz) -> R(0) < 0.2; locked: R(6 pA) > 0.99. (They were
  R(0) < 0.3, R > 0.9.) Breaks tried: the node's population current x 0.5 (engine.cpp, aln_->step) -> R(6 pA)
  0.939, passed 0.9, fails 0.99; the network cells' stimulus x 0.8 -> R(40 pA) 0.945 (passes both), x 0.75 or 0.7
  -> 0.78, 0.88 (fail both).
- Fig 5 (1:1 entrainment below ~30 Hz at 0.4 mV/ms for the ALN, docs/aln.md): a 12 Hz sine of 80 pA makes 12 Hz
  the dominant frequency of the E rate after the onset (Welch, 1 Hz bins), for the ALN; and 60 Hz at 40 pA, above
  the range it follows, leaves the intrinsic LC_EI rhythm (20-25 Hz) dominant.
Seen to fail: with the Population site's current left out of the node (engine/engine.cpp, aln_->step(0 * i_exc,
i_inh)) the ALN's R stays 0.128 at every amplitude and the 12 Hz point is dominated by 22 Hz (two failures); with
the stimulus left out of the network's cells (engine/cells/adex_heun.cpp, 0 * i_stim_pA * inv_c) the network's R
stays 0.065 at every amplitude.
"""
import os
import sys
import unittest

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "python"))
from cortexloop_client import analysis, entrainment  # noqa: E402

BIN = os.environ.get("CORTEXLOOP_BIN", "build/cortexloop")
DURATION_S = 6.0


def scan(what, model, freqs, amps_pA, onset_ms):
    s = entrainment.load_scan(what, model, frequencies_Hz=freqs,
                              amplitudes_mV_per_ms=np.array(amps_pA) / entrainment.C_PF)
    # The Fig 6 bounds below were measured with the PLV from 500 ms (the scan file's from_ms before it took the
    # paper's onset, 1 s, and from_ms 1.5 s): pinned here so these 6 s runs keep that window.
    s["duration_s"], s["onset_ms"], s["from_ms"] = DURATION_S, onset_ms, 500.0
    return s


class LiveEntrainmentTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Fig 6: the ALN's and the network's points in one session (both models see every command)
        cls.lock = scan("phase-locking", "both", [22.75, 31.0], [0.0, 2.0, 6.0, 20.0, 40.0], 0.0)
        cls.lock_rates, cls.lock_stims, walls = entrainment.run_live(cls.lock, BIN)
        print(f"  phase locking: {len(walls)} points, {walls.sum():.1f} s wall", file=sys.stderr)
        cls.entrain = scan("frequency", "aln", [12.0, 60.0], [40.0, 80.0], 1000.0)
        cls.entrain_rates, cls.entrain_stims, walls = entrainment.run_live(cls.entrain, BIN)
        print(f"  entrainment: {len(walls)} points, {walls.sum():.1f} s wall", file=sys.stderr)

    def order(self, model, f_Hz, amps_pA):
        grid = entrainment.points(self.lock)
        r = entrainment.fig6_plv(self.lock, self.lock_rates[model], model)
        out = []
        for a in amps_pA:
            k = grid.index((f_Hz, a / entrainment.C_PF))
            out.append(r.flat[k])
        return out

    def test_the_command_is_the_sine_asked_for(self):
        for (f, a), stim in zip(entrainment.points(self.entrain), self.entrain_stims):
            amp = a * entrainment.C_PF
            t_mid = np.arange(len(stim)) + 0.5
            on = t_mid > self.entrain["onset_ms"]
            expected = np.where(on, amp * np.sinc(f / 1000.0) * np.sin(2 * np.pi * f * (t_mid - 1000.0) / 1000.0), 0)
            np.testing.assert_allclose(stim, expected, rtol=0, atol=1e-4 * amp, err_msg=f"{f} Hz, {amp} pA")

    def test_aln_phase_locking_rises_with_amplitude(self):
        r = self.order("aln", 22.75, [0.0, 2.0, 6.0])
        print(f"  ALN 22.75 Hz, 0/2/6 pA: R = {r[0]:.3f}, {r[1]:.3f}, {r[2]:.3f}", file=sys.stderr)
        self.assertLess(r[0], 0.2)
        self.assertGreater(r[1], r[0])
        self.assertGreater(r[2], r[1])
        self.assertGreater(r[2], 0.99)

    def test_network_phase_locking_rises_with_amplitude(self):
        r = self.order("network", 31.0, [0.0, 20.0, 40.0])
        print(f"  network 31 Hz, 0/20/40 pA: R = {r[0]:.3f}, {r[1]:.3f}, {r[2]:.3f}", file=sys.stderr)
        self.assertLess(r[0], 0.15)
        self.assertGreater(r[1], r[0])
        self.assertGreater(r[2], r[1])
        self.assertGreater(r[2], 0.94)

    def test_aln_follows_a_slow_sine_and_not_a_fast_weak_one(self):
        f_spec, spectra = entrainment.fig5_spectra(self.entrain, self.entrain_rates["aln"])
        dominant = f_spec[np.argmax(spectra, axis=2)]  # [amplitude, stimulus frequency]
        print(f"  ALN dominant frequency [A x f]: {dominant.tolist()}", file=sys.stderr)
        self.assertEqual(dominant[1, 0], 12.0)           # 12 Hz at 80 pA: 1:1
        self.assertTrue(20.0 <= dominant[0, 1] <= 25.0)   # 60 Hz at 40 pA: the intrinsic rhythm stays


if __name__ == "__main__":
    unittest.main(verbosity=2)
