"""A sine from the config (`simulate`, [[stimulus]]) and the same sine commanded (`serve --mode stepped`,
SetStimulation) give bit-identical readouts (ctest python_sine_simulate_vs_serve; configs/cakan2020/live_a1.toml,
the Cakan network at 2,000 cells and the ALN node side by side, 1.5 s; ~15 s).

Both give each 0.1 ms step the sine's mean over the step, from one function (engine/inputs/sine_step.cpp): the
stimulator as its charge over the step / dt, the schedule likewise. The reference is the other path: every readout of
the tick (network E/I rates and mean V, the injected currents, the node's E/I rates) equal as float32, the precision
`simulate` writes. A spiking network turns any difference in a current's last bit into other spikes, so equal
network rates mean equal currents at every step.
Seen to fail: with the schedule's sine sampled at the step's start (the schedule before), the injected current
differs in every tick of the sine (1000 of 1000, by up to 0.29 pA = A w dt / 2), the node's rates in 1996 of 3000
values and the network's rates in 506.
"""
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools", "python"))
from cortexloop_client.loop import Server, connect  # noqa: E402
from cortexloop_client.readouts import tick_readouts  # noqa: E402

BIN = os.environ.get("CORTEXLOOP_BIN", os.path.join(ROOT, "build", "cortexloop"))
CONFIG = "configs/cakan2020/live_a1.toml"
SETS = ["network.n_neurons=2000"]
# Exact in float32 (SetStimulation carries amplitude and frequency as floats) and in microseconds.
AMPLITUDE_PA, FREQUENCY_HZ, ONSET_MS, TICKS = 40.0, 22.75, 500.0, 1500


class SineSimulateVsServeTest(unittest.TestCase):
    def test_the_same_sine_gives_the_same_readouts(self):
        with tempfile.TemporaryDirectory() as tmp:
            stim = (f'stimulus=[{{kind="sine",target="exc",amplitude_pA={AMPLITUDE_PA!r},'
                    f'frequency_Hz={FREQUENCY_HZ!r},start_ms={ONSET_MS!r},stop_ms={TICKS + 1.0!r}}}]')
            args = [BIN, "simulate", "-q", "--config", CONFIG, "--out", tmp, "--duration", repr(TICKS / 1000.0),
                    "--seed", "1", "--set", stim]
            for s in SETS:
                args += ["--set", s]
            r = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr)
            sim = {name: np.load(os.path.join(tmp, name + ".npy")) for name in ("rates", "mean_v", "stim", "aln_rates")}

        live = np.full((TICKS, 9), np.nan)
        with Server(CONFIG, "stepped", 1, SETS, BIN) as server:
            client = connect(server)
            try:
                ack = client.wait_ack(client.stimulate(AMPLITUDE_PA, waveform="sine", population="exc",
                                                       frequency_hz=FREQUENCY_HZ, delay_ms=ONSET_MS,
                                                       duration_ms=TICKS - ONSET_MS), 10.0)
                self.assertTrue(ack is not None and ack.accepted, ack and ack.reason)
                self.assertEqual(ack.tick_applied, 0)
                for k, x in tick_readouts(client, TICKS):
                    e, i, a = x["exc"], x["inh"], x["aln"]
                    live[k] = (e["rate_hz"], i["rate_hz"], e["mean_v_mv"], i["mean_v_mv"], e["i_stim_pa"],
                               i["i_stim_pa"], a["rate_e_hz"], a["rate_i_hz"], x["tick"])
            finally:
                client.close()
        live32 = live.astype(np.float32)
        stim_on = sim["stim"][:, 0] != 0
        print(f"  {int(stim_on.sum())} ticks of the sine; network E rate over them {sim['rates'][stim_on, 0].mean():.2f} "
              f"Hz; largest |current| {np.abs(sim['stim'][:, 0]).max():.3f} pA")
        self.assertEqual(int(stim_on.sum()), TICKS - ONSET_MS)
        for name, cols, got in (("rates", (0, 1), live32[:, 0:2]), ("mean_v", (0, 1), live32[:, 2:4]),
                                ("stim", (0, 1), live32[:, 4:6]), ("aln_rates", (0, 1), live32[:, 6:8])):
            with self.subTest(name):
                np.testing.assert_array_equal(sim[name][:, list(cols)], got, err_msg=name)


if __name__ == "__main__":
    unittest.main(verbosity=2)
