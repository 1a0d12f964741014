"""The mean field predicts the network's response to a DC step (ctest: python_meanfield_dc_step; real
`cortexloop serve --mode stepped` servers, one mean field and five network runs, 10-14 s).

Protocol (the DC-step experiment of configs/stimulation/dc_step.toml): 1000 ms warm-up (discarded), 1000 ms
pre-stimulus, a 100 pA DC step on the excitatory population for 1000 ms (one SetStimulation with a Population
site: uniform current into every cell / every unit), 1000 ms after release.
- Network: configs/zerlaut2018_network.toml (10k cells), excitatory rate smoothed by a 20 ms moving mean.
- Mean field: configs/stimulation/ring_only.toml, the ring of first-order mean-field units (Zerlaut 2018
  transfer function, di Volo 2019 adaptation) with no network and no afferent stimulus; under the uniform
  current every unit is the same local mean field (asserted: units differ by < 1e-3 Hz), so its mean is the
  one-unit prediction.
Reference: the network, as the mean over seeds 1-5, never one seed; and Brian2's network (below). A change of rounding in the engine redraws
a seed's spike trains and can move its rate by a seed SD or more (the one-cell-type update loops took seed 1 from
4.72 to 4.54 Hz during the step), and the old bound, held by seed 1 alone, sat within 1-2 seed SDs of it
(bench/README.md "One thread, third pass").
Tolerances:
- Time course, per seed: the issue's requirement, correlation >= 0.9 between the two exc rates over the 3 s
  after the warm-up. Measured over seeds 1-5: 0.9857-0.9893 (main at 7eb262c: 0.9858-0.9893). The test
  also holds the measured level, >= 0.980 (about mean - 4 SD), so a degradation that still clears 0.9 is caught.
- Level during the step (last 500 ms of it), mean field against the 5-seed mean: within 25 % (the issue's
  level; tests/test_meanfield_vs_network.cpp holds the steady state against Brian2 with 20-25 %). Measured: the
  mean field's 5.691 Hz against the mean of seeds 1-15, 4.828 Hz (SD 0.128 Hz), bias +0.179; seeds 1-5 +0.180.
  No band around that measured bias: it is the distance between two of our own models, with no reference but
  the code under test (the reason kBias left tests/test_meanfield_vs_network.cpp), so the level is caught only
  beyond the issue's 25 %.
- The step must raise both rates (during > 2 x pre).
- Against Brian2 on the same protocol (the network built as ours, a [[stimulus]] DC of 100 pA on every exc cell from
  2000 to 3000 ms; tests/reference/data/brian2_network_dc_step_rates.json, whose "command" made it, and its mean trace
  over seeds 1-5 in brian2_network_dc_step_rates_4Hz.npy), the independent reference of both models:
  - the network's level during the step (mean of seeds 1-5) within 3.5 standard errors of the difference of two
    5-seed means, 3.5 sqrt((0.128^2 + 0.105^2) / 5) = 0.259 Hz (Brian2's SD over its 5 seeds, ours over seeds 1-15;
    3.5: Student's t, two-sided 99.7 %, at Welch's ~15 degrees of freedom, as both SDs are estimates). Measured
    2026-12-06: 4.842 against Brian2's 4.844 Hz (-0.002). Break seen to fail: network.exc.c_pF=210 in the network's
    runs only, -0.320 Hz; a change of under ~5 % passes (c_pF 205: -0.163 Hz): five seeds a side resolve no more;
  - the mean field's level within the issue's 25 % of Brian2's (measured +0.175);
  - the time courses' correlation with Brian2's mean trace (both smoothed 20 ms) is printed, not held: measured
    0.9950 (network) and 0.9939 (mean field), with no spread of that statistic to set a bound from.
Breaks tried, q_exc changed in the mean field's run only (sets=("network.q_exc_nS=X",)): 1.1 nS gives bias
+0.251 and fails the 25 % level; 0.8 (+0.033), 0.92 (+0.122) and 1.05 (+0.216) pass: a change of the level is
caught only beyond the issue's 25 %.
"""
import json
import os
import sys
import unittest

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "python"))
from cortexloop_client import analysis  # noqa: E402
from saved_figures import saved_figures  # noqa: E402  (this folder is the script's, first on sys.path)
from cortexloop_client.experiments import correlation, dc_step_run  # noqa: E402

BIN = os.environ.get("CORTEXLOOP_BIN", "build/cortexloop")
REFERENCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference", "data")
NET_SD_HZ = 0.128             # the network's seed SD of the level during the step, seeds 1-15 (docstring)
T_QUANTILE = 3.5              # Student's t, two-sided 99.7 %, Welch's ~15 degrees of freedom (docstring)
WARMUP, PRE, STEP, POST = 1000.0, 1000.0, 1000.0, 1000.0
AMPLITUDE_PA = 100.0
SEEDS = (1, 2, 3, 4, 5)
CORR_MIN = 0.980              # about the measured mean - 4 SD (docstring)
LEVEL_MAX = 0.25              # |mean field / network - 1|, the level


class MeanFieldDcStepTest(unittest.TestCase):
    def test_mean_field_predicts_network_dc_step(self):
        mf = dc_step_run("configs/stimulation/ring_only.toml", AMPLITUDE_PA, WARMUP, PRE, STEP, POST, seed=1,
                         binary=BIN)
        units = mf["ring_rates_exc_Hz"][int(WARMUP):]
        self.assertLess(float(np.ptp(units, axis=1).max()), 1e-3, "ring units differ under a uniform current")
        ring = units.mean(axis=1)
        on, off = int(PRE), int(PRE + STEP)
        mf_pre, mf_on = ring[:on].mean(), ring[on + 500:off].mean()
        self.assertGreater(mf_on, 2 * mf_pre, "the step must raise the mean field's rate")
        net_on, net_rates = [], []
        for seed in SEEDS:
            net = dc_step_run("configs/zerlaut2018_network.toml", AMPLITUDE_PA, WARMUP, PRE, STEP, POST, seed=seed,
                              binary=BIN)
            self.assertAlmostEqual(float(net["i_stim_exc_pA"][int(WARMUP) + on + 10]), AMPLITUDE_PA, places=3)
            rate = analysis.smooth(net["rate_exc_Hz"], 20)[int(WARMUP):]
            net_rates.append(rate)
            c = correlation(rate, ring)
            pre, during = float(rate[:on].mean()), float(rate[on + 500:off].mean())
            net_on.append(during)
            print(f"  seed {seed}: corr {c:.4f}; network {pre:.3f} -> {during:.3f} Hz "
                  f"(mean field / this seed - 1: {mf_on / during - 1:+.4f})", flush=True)
            self.assertGreaterEqual(c, 0.9, f"seed {seed}: the issue's requirement")
            self.assertGreaterEqual(c, CORR_MIN, f"seed {seed}: the measured level")
            self.assertGreater(during, 2 * pre, f"seed {seed}: the step must raise the network's rate")
        bias = mf_on / float(np.mean(net_on)) - 1
        per_seed_sd = float(np.std([mf_on / r - 1 for r in net_on], ddof=1))
        print(f"  mean field {mf_pre:.3f} -> {mf_on:.3f} Hz; network mean over seeds {SEEDS} {np.mean(net_on):.3f} "
              f"Hz; bias {bias:+.4f} (per-seed SD {per_seed_sd:.4f})", flush=True)
        self.assertLess(abs(bias), LEVEL_MAX, "the issue's level")
        # Brian2 on the same protocol (tests/reference/data/brian2_network_dc_step_rates.json, its command inside).
        with open(os.path.join(REFERENCE, "brian2_network_dc_step_rates.json")) as f:
            b2 = json.load(f)["drives"]["4"]
        b2_trace = analysis.smooth(np.load(os.path.join(REFERENCE, "brian2_network_dc_step_rates_4Hz.npy"))[:, 0],
                                   20)[int(WARMUP):]
        ours_vs_b2 = float(np.mean(net_on)) - b2["exc_Hz"]
        tolerance = T_QUANTILE * np.sqrt((NET_SD_HZ ** 2 + b2["exc_Hz_sd"] ** 2) / len(SEEDS))
        c_net = correlation(np.mean(net_rates, axis=0), b2_trace)
        c_mf = correlation(ring, b2_trace)
        print(f"  Brian2 {b2['exc_Hz']:.3f} Hz (SD {b2['exc_Hz_sd']:.3f}) during the step: network - Brian2 "
              f"{ours_vs_b2:+.3f} Hz (tolerance {tolerance:.3f}); mean field / Brian2 - 1 {mf_on / b2['exc_Hz'] - 1:+.4f}; "
              f"corr with Brian2's mean trace: network {c_net:.4f}, mean field {c_mf:.4f}", flush=True)
        self.assertLess(abs(ours_vs_b2), tolerance, "the network's step response against Brian2's")
        self.assertLess(abs(mf_on / b2["exc_Hz"] - 1), LEVEL_MAX, "the issue's level, against Brian2")


class RingSiteOnTheServersRing(unittest.TestCase):
    """experiments.dc_step with a RingPosition site on a ring of ring.length_mm = 72 and ring.n_units = 100 (an
    outside audit: /tmp/auditC/ring72.toml reported unit 50, at 36 mm, as "the unit under the site" at 54 mm, and drew
    the VSDi map on 0-36 mm). Reference: unit i sits at i * 72 / 100 mm (engine/meanfield/ring_geometry.hpp), so
    54 mm is unit 75, which the site's profile (peak 1, docs/device.md) drives with the whole 200 pA; the map spans
    the ring, 0-72 mm. Break tried: ring_unit's fixed 36 mm and the map's 0-36 mm (as before) -> the reported rates
    are unit 50's and the map's top is 36 mm: fails."""

    def test_the_unit_under_the_site_and_the_map_are_on_the_servers_ring(self):
        import tempfile
        import matplotlib
        matplotlib.use("Agg")
        from cortexloop_client import experiments
        root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
        cfg = {"name": "ring72", "seeds": [1], "sets": ["ring.n_units=100", "ring.length_mm=72.0"],
               "server_config": os.path.join(root, "configs", "stimulation", "ring_only.toml"),
               "dc_step": {"warmup_ms": 50.0, "pre_ms": 100.0, "step_ms": 100.0, "post_ms": 100.0,
                           "amplitudes_pA": [200.0], "ring_position_mm": 54.0, "ring_width_mm": 1.5}}
        with saved_figures() as kept, tempfile.TemporaryDirectory() as tmp:
            r, = experiments.dc_step(cfg, tmp, binary=BIN, progress=lambda *a, **k: None)
            a = np.load(os.path.join(tmp, "ring72.npz"))
        on = 150  # warmup + pre (ticks of 1 ms)
        self.assertAlmostEqual(float(a["seed1_200pA_ring_stim_pA"][on + 10, 75]), 200.0, places=2,
                               msg="unit 75 (54 mm) is not the stimulated unit: the reference is off")
        during = float(a["seed1_200pA_ring_rates_exc_Hz"][on + 50:on + 100, 75].mean())
        self.assertAlmostEqual(r["ring_exc_Hz"]["during"], during, places=4,
                               msg="the rate reported for the unit under 54 mm is not unit 75's")
        tops = [ax.images[0].get_extent()[3] for ax in kept[0].axes if ax.images]
        self.assertEqual(tops, [72.0], "the VSDi map does not span the 72 mm ring")


if __name__ == "__main__":
    unittest.main(verbosity=2)
