"""The mean field predicts the network's response to a DC step (ctest: python_meanfield_dc_step; real
`cortexloop serve --mode stepped` servers, ~6 s).

Protocol (the DC-step experiment of configs/stimulation/dc_step.toml): 1000 ms warm-up (discarded), 1000 ms
pre-stimulus, a 100 pA DC step on the excitatory population for 1000 ms (one SetStimulation with a Population
site: uniform current into every cell / every unit), 1000 ms after release.
- Network: configs/zerlaut2018_network.toml (10k cells), excitatory rate smoothed by a 20 ms moving mean.
- Mean field: configs/stimulation/ring_only.toml, the ring of first-order mean-field units (Zerlaut 2018
  transfer function, di Volo 2019 adaptation) with no network and no afferent stimulus; under the uniform
  current every unit is the same local mean field (asserted: units differ by < 1e-3 Hz), so its mean is the
  one-unit prediction.
Reference and tolerance: the issue's requirement, time-course correlation >= 0.9 between the two exc rates over
the 3 s after the warm-up. Measured over seeds 1-5 (one mean field, deterministic): 100 pA 0.9882, 0.9852,
0.9856, 0.9850, 0.9857 (mean 0.9859, SD 0.0013); 60 pA mean 0.9712 (SD 0.0027); 200 pA mean 0.9928 (SD 0.0006).
The test also holds the measured level: >= 0.980 at 100 pA (mean - 4 SD), so a degradation that still
clears 0.9 is caught. The step must raise both rates (during > 2 x pre) and the mean field's during-step rate
must be within 25% of the network's (measured 14%; tests/test_meanfield_vs_network.cpp allows 20-25%).
"""
import os
import sys
import unittest

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "python"))
from cortexloop_client import analysis  # noqa: E402
from cortexloop_client.experiments import correlation, dc_step_run  # noqa: E402

BIN = os.environ.get("CORTEXLOOP_BIN", "build/cortexloop")
WARMUP, PRE, STEP, POST = 1000.0, 1000.0, 1000.0, 1000.0
AMPLITUDE_PA = 100.0


class MeanFieldDcStepTest(unittest.TestCase):
    def test_mean_field_predicts_network_dc_step(self):
        mf = dc_step_run("configs/stimulation/ring_only.toml", AMPLITUDE_PA, WARMUP, PRE, STEP, POST, seed=1,
                         binary=BIN)
        units = mf["ring_rates_exc_Hz"][int(WARMUP):]
        self.assertLess(float(np.ptp(units, axis=1).max()), 1e-3, "ring units differ under a uniform current")
        ring = units.mean(axis=1)
        on, off = int(PRE), int(PRE + STEP)
        for seed in (1, 2):
            net = dc_step_run("configs/zerlaut2018_network.toml", AMPLITUDE_PA, WARMUP, PRE, STEP, POST, seed=seed,
                              binary=BIN)
            self.assertAlmostEqual(float(net["i_stim_exc_pA"][int(WARMUP) + on + 10]), AMPLITUDE_PA, places=3)
            rate = analysis.smooth(net["rate_exc_Hz"], 20)[int(WARMUP):]
            c = correlation(rate, ring)
            net_pre, net_on = rate[:on].mean(), rate[on + 500:off].mean()
            mf_pre, mf_on = ring[:on].mean(), ring[on + 500:off].mean()
            print(f"  seed {seed}: corr {c:.4f}; network {net_pre:.2f} -> {net_on:.2f} Hz, mean field {mf_pre:.2f} -> "
                  f"{mf_on:.2f} Hz")
            self.assertGreaterEqual(c, 0.9, "the issue's requirement")
            self.assertGreaterEqual(c, 0.980, "measured level 0.9859 +- 0.0013 (seeds 1-5), mean - 4 SD")
            self.assertGreater(net_on, 2 * net_pre)
            self.assertGreater(mf_on, 2 * mf_pre)
            self.assertLess(abs(mf_on - net_on), 0.25 * net_on)


if __name__ == "__main__":
    unittest.main(verbosity=2)
