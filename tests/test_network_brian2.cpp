// The Zerlaut 2018 RS-FS network against Brian2 2.5 built the same way (tests/reference/brian2_network.py,
// data in tests/reference/data/brian2_network_rates.json): steady-state mean rate of each population over
// [2 s, 6 s] of one run (the config's seed) against Brian2's mean of 3 seeds, at drives 2, 4 and 8 Hz.
//
// Tolerance: 3 standard deviations of (our one run - Brian2's 3-seed mean), sqrt(s_ours^2 + s_brian2^2 / 3),
// with the seed-to-seed sample SDs of both simulators from their data: Brian2's 3 seeds (in its JSON) and the
// engine's 5 seeds (tests/reference/data/cortexloop_network_seeds.json, how they were made is in the file).
//   drive                    2 Hz            4 Hz            8 Hz
//   s_brian2 exc / inh (Hz)  0.0091 / 0.017  0.032 / 0.042   0.062 / 0.084
//   s_ours   exc / inh (Hz)  0.012  / 0.016  0.040 / 0.045   0.079 / 0.078
//   bound    exc / inh       7.2 % / 1.7 %   8.4 % / 1.9 %   9.8 % / 1.8 %   (was 10 % for all)
//   seed 1 (this test)       -0.9 % / +0.9 % -3.2 % / -0.3 % -3.9 % / -0.4 %
// s_ours is from the engine's counter-based (Philox) random streams of issue 10, with the AdEx exponential term
// added last, one-cell-type update loops and the fewer-operation update (changes of rounding: every seed's spike
// trains changed), regenerated with tests/reference/cortexloop_network_seeds.py (e0ed398); the means of our 5
// seeds agree with Brian2's within 2.9 % exc and 1.6 % inh (at the earlier roundings: 3.8 % and 1.9 %, 2.8 % and
// 1.6 %, the same within the seed spread). The excitatory rate (0.5-2.7 Hz) cannot be held much tighter from one
// run: its own seed SD is 2.1-3.0 %; the inhibitory one is held to 1.7-1.9 % instead of 10 %. (Table and figures
// as printed by `build/tests/test_network_brian2` at fb32c8c, 2026-12-03.)
// Break tried: q_exc 1 -> 1.02 nS (network.q_exc_nS=1.02 added to this test's overrides) -> fails at every
// drive (inh +5.4 / +2.7 / +2.3 % against bounds 1.7 / 1.9 / 1.8 %, rerun at fb32c8c; at earlier roundings
// +5.5 / +3.2 / +2.2 % and +7.8 / +3.5 / +2.7 %); the old 10 % caught it only at 2 Hz (exc +14 %).
#include <cmath>
#include <cstdio>

#include <catch2/catch.hpp>

#include "brian2_rates.hpp"

using namespace cortexloop;

TEST_CASE("steady-state rates match Brian2 within 3 seed SDs at drives 2, 4 and 8 Hz", "[network][brian2][slow]") {
  testing::check_rates_against_brian2("configs/zerlaut2018_network.toml",
                                      "tests/reference/data/brian2_network_rates.json",
                                      "tests/reference/data/cortexloop_network_seeds.json");
}
