// The Cakan & Obermayer 2020 AdEx E-I network (engine/network/fraction_network.*) at its points of interest, issue 11's
// "Must show" for the network side:
//  - the state at the authors' network points (fitparams.loadpoint_network; other_seeds_facts.md C.4), found with
//    the mean field's classifier (engine/aln/aln_states.hpp: the authors' analyse_run with their 'rect' probe),
//    wired as the authors' Brian2 code (configs/cakan2020/authors_wiring*.toml; docs/cakan2020_network.md says why);
//  - the 60 pA step onto E at the network's A1 starts the E-I oscillation and removing it stops it (Fig 4A);
//  - ALN vs network steady rates (the paper's Fig 2 statement that the mean field reproduces the network).
// Size: N_E = N_I = 2000 with the full in-degrees (the states and their frequencies at N = 2000 per population are
// those of N = 4000 per population and of the 10k runs in docs/cakan2020_network.md; seeds 1-3 checked there).
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "aln_test_support.hpp"
#include "engine/inputs/external_current.hpp"
#include "test_support.hpp"

using namespace cortexloop;
using engine::aln::aln_state_class;

namespace {

constexpr const char* kSize = "network.n_neurons=4000";  // N_E = N_I = 2000
constexpr double kProbe_pA = 200.0;                       // the authors' 'rect' probe: 1 mV/ms x C = 200 pF

// A current onto every E cell given as a function of time (ms); the engine asks for it once per step.
class e_current final : public engine::external_current_source {
 public:
  e_current(double dt_ms, std::function<double(double)> f) : dt_ms_(dt_ms), f_(std::move(f)) {}
  engine::population_currents currents_pA(std::int64_t step_index) noexcept override {
    return {static_cast<float>(f_(dt_ms_ * static_cast<double>(step_index))), 0.0f};
  }

 private:
  double dt_ms_;
  std::function<double(double)> f_;
};

struct rate_traces {
  std::vector<float> exc_Hz, inh_Hz;  // per 1-ms tick
};

rate_traces run_network(const std::string& config, std::vector<std::string> overrides, double duration_ms,
                        std::function<double(double)> stim_e_pA) {
  overrides.emplace_back(kSize);
  auto p = testing::load_params(config, overrides);
  REQUIRE(p.simulation.tick_ms == 1.0);
  engine::engine eng(p);
  e_current stim(eng.dt_ms(), std::move(stim_e_pA));
  eng.set_external_current(&stim);
  rate_traces out;
  engine::tick_readout r;
  const auto ticks = static_cast<std::size_t>(std::lround(duration_ms));
  out.exc_Hz.reserve(ticks);
  out.inh_Hz.reserve(ticks);
  for (std::size_t k = 0; k < ticks; ++k) {
    eng.tick(r);
    out.exc_Hz.push_back(static_cast<float>(r.exc.rate_Hz));
    out.inh_Hz.push_back(static_cast<float>(r.inh.rate_Hz));
  }
  eng.set_external_current(nullptr);
  return out;
}

std::vector<std::string> at(double mu_e, double mu_i) {
  return {"network.input.mu_exc_mV_per_ms=" + std::to_string(mu_e),
          "network.input.mu_inh_mV_per_ms=" + std::to_string(mu_i)};
}

aln_state_class network_state(const std::string& config, const std::vector<std::string>& overrides, bool adaptation,
                              engine::aln::state_measures& m) {
  const auto r = run_network(config, overrides, 6000.0,
                             [](double t) { return engine::aln::bistability_probe_pA(t, 6000.0, kProbe_pA); });
  m = engine::aln::measure_states(r.exc_Hz, 1.0);
  engine::aln::classify_options how;
  how.has_adaptation = adaptation;
  return engine::aln::classify(m, how);
}

double mean_of(const std::vector<float>& x, std::size_t from, std::size_t to) {
  double s = 0;
  for (std::size_t k = from; k < to; ++k) s += x[k];
  return s / static_cast<double>(to - from);
}

}  // namespace

// Reference: Cakan & Obermayer 2020, Fig 2 and its text, at the authors' network points (fitparams.py,
// loadpoint_network; other_seeds_facts.md C.4): A1 (1.1, 0.6) in the down state left of LC_EI, A2 (1.6, 0.3) inside
// LC_EI near 30 Hz (the range of their network phase-locking scan, 29-31 Hz), B3 (3.8, 1.2) with a = 15 nS,
// b = 40 pA inside the slow adaptation cycle LC_aE. Classified with the mean field's classifier and thresholds
// (aln_states.hpp: one 6 s run with the 'rect' probe of 200 pA onto E; bistable above 10 Hz up - down, oscillating
// above 0.5 Hz with power > 1 Hz^2, LC_aE below 5 Hz with adaptation).
// Measured (seed 1): A1 down, down-window 0.024 Hz, up-window 0.023 Hz; A2 LC_EI at 30 Hz, power 1114 Hz^2; B3 LC_aE
// at 2 Hz, power 66 Hz^2. Without the probe, seeds 1-3 at N_E = N_I = 2000 and 4000 give the same: A1 E 0.022-0.027 Hz,
// A2 30 Hz, B3 2 Hz (docs/cakan2020_network.md, "Network states").
// Seen to fail: (1) with the adaptation current left out of the cell's dV/dt (adex_heun.cpp, Euler predictor,
// w * inv_c -> 0) B3 is "up" (no dominant frequency with power > 1 Hz^2); (2) with inhibition halved there
// (0.5f * j_i * si) A1 is "up" (51 Hz), A2 "up" and B3 "up": all three checks fail.
TEST_CASE("the network is in the paper's states at the authors' network points", "[cakan][network][states]") {
  engine::aln::state_measures m;
  const auto a1 = network_state("configs/cakan2020/authors_wiring.toml", at(1.1, 0.6), false, m);
  INFO("A1: " << engine::aln::name(a1) << ", down window " << m.mean_down_Hz << " Hz, up window " << m.mean_up_Hz
              << " Hz");
  CHECK(a1 == aln_state_class::down);
  const auto a2 = network_state("configs/cakan2020/authors_wiring.toml", at(1.6, 0.3), false, m);
  INFO("A2: " << engine::aln::name(a2) << ", " << m.dominant_frequency_Hz << " Hz, power " << m.dominant_power_Hz2);
  CHECK(a2 == aln_state_class::lc_ei);
  CHECK(m.dominant_frequency_Hz >= 28.0);
  CHECK(m.dominant_frequency_Hz <= 32.0);
  const auto b3 = network_state("configs/cakan2020/authors_wiring_adapt.toml", {}, true, m);
  INFO("B3: " << engine::aln::name(b3) << ", " << m.dominant_frequency_Hz << " Hz, power " << m.dominant_power_Hz2);
  CHECK(b3 == aln_state_class::lc_ae);
  CHECK(m.dominant_frequency_Hz < 5.0);
}

// Reference: the same Fig 2 text at the authors' other network points (loadpoint_network; other_seeds_facts.md C.4):
// A3 (2.0, 1.2) in the bistable region "bi", B2 (3.7, 0.5) with a = 15 nS, b = 40 pA inside the E-I cycle, B4
// (3.4, 1.2) with a, b left of the slow cycle LC_aE (its down side). Same classifier and thresholds as above: A3 is
// bistable when the up window's mean exceeds the down window's by > 10 Hz; B2 must be the fast cycle (LC_EI: >= 5 Hz).
// Measured (seeds 1-3, `cortexloop sweep` of these points at N_E = N_I = 2000, 2026-12-03): A3 bistable, down window
// 0.002 Hz, up window 17.57-17.60 Hz; B2 LC_EI at 22-24 Hz, power 254-317 Hz^2; B4 down, windows 0.06-0.08 Hz.
// Seen to fail: with inhibition halved in the cell's drive (adex_heun_lanes.hpp, linear_slope: 0.5f * j_from_inh)
// all three are "up" (A3 80 Hz in both windows, B2 without a rhythm, B4 26 Hz).
TEST_CASE("the network's A3 is bistable, B2 inside LC_EI and B4 down, as the paper places them",
          "[cakan][network][states]") {
  struct expected_point {
    const char* name;
    const char* config;
    double mu_e, mu_i;
    bool adaptation;
    aln_state_class state;
  };
  for (const expected_point& pt :
       {expected_point{"A3", "configs/cakan2020/authors_wiring.toml", 2.0, 1.2, false, aln_state_class::bistable},
        expected_point{"B2", "configs/cakan2020/authors_wiring_adapt.toml", 3.7, 0.5, true, aln_state_class::lc_ei},
        expected_point{"B4", "configs/cakan2020/authors_wiring_adapt.toml", 3.4, 1.2, true, aln_state_class::down}}) {
    engine::aln::state_measures m;
    const auto got = network_state(pt.config, at(pt.mu_e, pt.mu_i), pt.adaptation, m);
    INFO(pt.name << ": " << engine::aln::name(got) << ", windows " << m.mean_down_Hz << " / " << m.mean_up_Hz
                 << " Hz, " << m.dominant_frequency_Hz << " Hz, power " << m.dominant_power_Hz2);
    CHECK(got == pt.state);
  }
}

// Reference: Fig 4A and its text (DC 0.3 mV/ms x C = 60 pA onto E for 1000 ms after 1000 ms without stimulus): the
// step moves A1 into the E-I oscillation and the activity returns to the down state when it ends. Criteria are the
// classifier's (oscillating: dominant frequency > 0.5 Hz with power > 1 Hz^2, Welch over 500 ms windows); the cycle
// must be LC_EI (>= 10 Hz, not the slow cycle) and sustained (both halves of the step oscillate).
// Measured (seed 1; E mean, dominant frequency, power per 500 ms window; fb32c8c, 2026-12-03): before [500, 1000)
// 0.020 Hz, no power; step [1000, 1500) 8.29 Hz, 18 Hz, 16.3 Hz^2; [1500, 2000) 8.48 Hz, 18 Hz, 37.8 Hz^2; after
// [2500, 3000) 0.030 Hz, no power (before a8ac7dd: 0.014; 7.3, 36.8; 8.3, 27.4; 0.025).
// Seen to fail: (1) with the stimulus current left out of the cell's drive (adex_heun.cpp, i_stim_pA * inv_c -> 0)
// neither step window oscillates; (2) with the step left on to the end (t < 3000) the last window oscillates and its E
// mean is 8.6 Hz.
TEST_CASE("a 60 pA step onto E at the network's A1 starts the oscillation and removing it stops it",
          "[cakan][network][stimulus]") {
  const auto r = run_network("configs/cakan2020/authors_wiring.toml", at(1.1, 0.6), 3000.0,
                             [](double t) { return (t >= 1000 && t < 2000) ? 60.0 : 0.0; });
  engine::aln::classify_options how;
  auto window = [&](int from_ms, double& f, double& power) {
    engine::aln::dominant_frequency(std::span<const float>(r.exc_Hz).subspan(from_ms, 500), 1.0, 70.0, f, power);
    INFO("[" << from_ms << ", " << from_ms + 500 << ") ms: E " << mean_of(r.exc_Hz, from_ms, from_ms + 500)
             << " Hz, " << f << " Hz, power " << power << " Hz^2");
    return f > how.oscillating_above_Hz && power > how.min_power_Hz2;
  };
  double f = 0, power = 0;
  CHECK_FALSE(window(500, f, power));  // before: the down state
  CHECK(mean_of(r.exc_Hz, 500, 1000) < 1.0);
  CHECK(window(1000, f, power));
  CHECK(f >= 10.0);
  CHECK(window(1500, f, power));  // sustained to the end of the step
  CHECK(f >= 10.0);
  CHECK_FALSE(window(2500, f, power));  // after: back in the down state
  CHECK(mean_of(r.exc_Hz, 2500, 3000) < 1.0);
}

// Reference: the paper's Fig 2 and its text (the ALN mean field reproduces the network's states and rates). The ALN
// is built with the paper's wiring (one K_E, one K_I, delays by source), so it is compared with network.toml (the
// same wiring), not with the authors' wiring, which the mean field cannot express. Points where both are steady:
//   - the mean field's A1 (1.2, 1.2), no adaptation: the down state of both;
//   - a B-diagram up state (5.0, 1.2) with a = 15 nS, b = 40 pA: both steady there (measured), adaptation
//     engaged.
// At B3 itself neither is steady and the two disagree (network_adapt.toml, seeds 1-3: E 10.49-10.63 Hz, I 32.1-32.3
// Hz, dominant 12 Hz; ALN: E 7.61 Hz (-28 %), I 30.7 Hz (-4.6 %), dominant 8 Hz; means over [1 s, 6 s]), so B3 is
// not tested here; docs/cakan2020_network.md reports it.
// Tolerance 5 %: the tolerance for the Fokker-Planck rate against a direct simulation of the neuron, which
// the ALN's rates inherit. It is a model tolerance, not a noise one: the network's seed spread is far smaller
// (seeds 1-3, N_E = N_I = 2000: (1.2, 1.2) E 0.302-0.307 Hz, I 4.109-4.129 Hz; (5.0, 1.2) E 30.46-30.48 Hz,
// I 55.51-55.58 Hz) and the differences do not shrink with N (N_E = N_I = 10000, over [1 s, 4 s]: E 0.307 / I 4.110
// Hz; E 30.46 / I 55.57 Hz), so the ALN does NOT match within 3 seed SDs: the mean field's own error is larger.
// Measured (seed 1, network window [1 s, 3 s]): (1.2, 1.2) ALN E 0.3125 vs 0.302 Hz (+3.5 %), I 4.184 vs 4.109 Hz
// (+1.8 %); (5.0, 1.2) ALN E 30.63 vs 30.48 Hz (+0.5 %), I 54.78 vs 55.55 Hz (-1.4 %). The 5 % holds for seed 1's
// network, the one run here, not for every seed: seeds 2 and 3 give the down point's E +1.5 % and +5.6 % (an outside
// audit, 2026-12-07; docs/cakan2020_network.md's table lists the range), since 0.3 Hz of 2000 cells is ~600 spikes
// a second and the ALN sits 0.010 Hz above the seeds' mean.
// Seen to fail: (1) with the ALN's adaptation off (a = b = 0 in the mean field only) the up point gives ALN E 123.9 Hz
// (+307 %), I +14 %; (2) with the ALN's sigma_ext,E 1.4 instead of 1.5 mV/sqrt(ms) the down point gives E -22.5 %.
TEST_CASE("ALN and network (seed 1) steady rates agree within 5 % in the down state and in an adapted up state",
          "[cakan][network][aln]") {
  struct point {
    const char* name;
    double mu_e, mu_i;
    bool adaptation;
  };
  for (const point& pt : {point{"A1 (1.2, 1.2)", 1.2, 1.2, false}, point{"up (5.0, 1.2), a, b", 5.0, 1.2, true}}) {
    const auto net = run_network(pt.adaptation ? "configs/cakan2020/network_adapt.toml" : "configs/cakan2020/network.toml",
                                 at(pt.mu_e, pt.mu_i), 3000.0, [](double) { return 0.0; });
    const double net_e = mean_of(net.exc_Hz, 1000, 3000), net_i = mean_of(net.inh_Hz, 1000, 3000);
    engine::aln::aln_params p = testing::aln_point(pt.mu_e, pt.mu_i, pt.adaptation);
    engine::aln::aln_model m(p, testing::default_aln_table(), 0.1);
    double aln_e = 0, aln_i = 0;
    constexpr int kSteps = 30000, kFrom = 10000;  // 3 s, averaged over [1 s, 3 s] as the network
    for (int k = 0; k < kSteps; ++k) {
      m.step(0.0);
      if (k >= kFrom) {
        aln_e += m.rate_e_Hz() / (kSteps - kFrom);
        aln_i += m.rate_i_Hz() / (kSteps - kFrom);
      }
    }
    std::printf("%s: E ALN %.4f network %.4f (%+.2f %%), I ALN %.4f network %.4f (%+.2f %%)\n", pt.name, aln_e, net_e,
                100 * (aln_e / net_e - 1), aln_i, net_i, 100 * (aln_i / net_i - 1));
    INFO(pt.name << ": E ALN " << aln_e << " network " << net_e << ", I ALN " << aln_i << " network " << net_i);
    CHECK(std::fabs(aln_e - net_e) <= 0.05 * net_e);
    CHECK(std::fabs(aln_i - net_i) <= 0.05 * net_i);
  }
}
