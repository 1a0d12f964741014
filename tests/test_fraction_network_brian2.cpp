// The Cakan & Obermayer 2020 network (configs/cakan2020/network.toml) against Brian2 2.5 built with the authors'
// equations (tests/reference/brian2_cakan_network.py, data in tests/reference/data/brian2_cakan_network_rates.json):
// mean E and I population rates over [1 s, 5 s] of one run of ours (the config's seed) against Brian2's mean of 5
// seeds, at N_E = N_I = 2000 with the paper's in-degrees (K_E = 800, K_I = 200), at the inputs of the network's points
// A1 (no adaptation) and B3 (a = 15 nS, b = 40 pA). With this wiring the network is not in the paper's states there
// (at A1 it bursts near 20 Hz; the authors' wiring gives them: docs/cakan2020_network.md): the comparison is of two
// simulators on one network, whatever its state.
//
// Tolerance: 3 standard deviations of (one run - mean of 5), 3 s_b sqrt(1 + 1/5), with s_b Brian2's seed-to-seed
// sample SD from its data (the spread is the model's at this N; ours over seeds 1-3 is of the same size):
//   point                 A1 exc / inh        B3 exc / inh
//   Brian2 mean (Hz)      11.70 / 16.01       10.61 / 32.10
//   s_b (Hz)              0.070 / 0.028       0.27  / 0.17
//   bound                 2.0 % / 0.6 %       8.4 % / 1.8 %
// Break tried: network.fraction.integrator=heun added to the overrides (the predictor-corrector instead of the
// authors' effective Euler-Maruyama) -> A1 exc -3.9 % (bound 2.02 %), inh -3.5 % (0.55 %), B3 exc -9.6 % (7.95 %):
// fails at both points. Seed 1 passes with A1 exc -1.79 %, inh -0.06 %, B3 exc -1.13 %, inh +1.04 %. Our seeds 1-3
// (`cortexloop simulate --seed S --set network.n_neurons=4000`, rows 1000-5000 of rates.npy): A1 exc 11.49-11.62,
// inh 15.93-16.00; B3 exc 10.43-10.49, inh 31.98-32.43 Hz. At A1 our E rate sits ~1 % below Brian2's mean (seeds
// 1-3 mean 11.55 against 11.70, Brian2's standard error 0.03 Hz): a small offset not explained here.
#include <cmath>
#include <cstdio>

#include <catch2/catch.hpp>

#include "test_support.hpp"

using namespace cortexloop;

using testing::sample_sd;

namespace {

// One run of ours per point of a Brian2 reference file, against Brian2's mean of 5 seeds (the header's tolerance).
void check_against_brian2(const char* reference, const char* config) {
  const auto ref = testing::load_json(reference);
  const auto window = ref.at("window_s").get<std::vector<double>>();
  const double n_brian2 = static_cast<double>(ref.at("seeds").size());
  REQUIRE(n_brian2 >= 3);
  REQUIRE(ref.at("points").size() >= 2);
  for (const auto& entry : ref.at("points").items()) {  // not a structured binding: clang 14 cannot capture one
    const std::string point = entry.key();
    const auto& b = entry.value();
    auto overrides = ref.at("overrides").get<std::vector<std::string>>();
    for (const auto& o : b.at("overrides").get<std::vector<std::string>>()) overrides.push_back(o);
    auto p = testing::load_params(config, overrides);
    REQUIRE(p.network.n_neurons == 4000);
    engine::engine eng(p);
    const auto ours = testing::run_and_average(eng, window[0], window[1]);
    const double exc = b["exc_Hz"], inh = b["inh_Hz"];
    auto bound = [&](const char* per_seed) {
      return 3.0 * sample_sd(b[per_seed].get<std::vector<double>>()) * std::sqrt(1.0 + 1.0 / n_brian2);
    };
    const double bound_exc = bound("exc_Hz_per_seed"), bound_inh = bound("inh_Hz_per_seed");
    std::printf("%s %s: exc %.3f vs Brian2 %.3f (%+.2f %%, bound %.2f %%), inh %.3f vs %.3f (%+.2f %%, bound %.2f %%)\n",
                config, point.c_str(), ours.exc_Hz, exc, 100 * (ours.exc_Hz / exc - 1), 100 * bound_exc / exc, ours.inh_Hz,
                inh, 100 * (ours.inh_Hz / inh - 1), 100 * bound_inh / inh);
    INFO(point << ": exc " << ours.exc_Hz << " vs Brian2 " << exc << " (bound " << bound_exc << " Hz), inh "
               << ours.inh_Hz << " vs " << inh << " (bound " << bound_inh << " Hz)");
    CHECK(std::fabs(ours.exc_Hz - exc) <= bound_exc);
    CHECK(std::fabs(ours.inh_Hz - inh) <= bound_inh);
  }
}

}  // namespace

TEST_CASE("fraction network rates match Brian2 within 3 seed SDs at A1 and B3 (N_E = N_I = 2000)",
          "[fraction][brian2]") {
  check_against_brian2("tests/reference/data/brian2_cakan_network_rates.json", "configs/cakan2020/network.toml");
}

// The authors' wiring (configs/cakan2020/authors_wiring.toml: the one that gives the paper's states, which every
// network claim of Figs 2 and 4-6 relies on) had no Brian2 check. The same script with --config
// configs/cakan2020/authors_wiring.toml --points A2,B3 (command in the data file, 232 s): A2 exc 30.69 +- 0.16,
// inh 9.265 +- 0.056 Hz; B3 exc 6.92 +- 0.15, inh 10.07 +- 0.15 Hz (mean +- seed SD). Bounds, as above: A2 1.8 % /
// 2.0 %, B3 7.2 % / 4.9 %. Ours, seeds 1-3 (`cortexloop simulate --config configs/cakan2020/authors_wiring.toml
// --duration 5 --seed S --set network.n_neurons=4000` with the point's four --set, rows 1000-5000 of rates.npy,
// 2026-12-04): A2 exc 30.41-30.49, inh 9.21-9.23; B3 exc 7.00-7.18, inh 10.17-10.40 Hz. Break tried: the paper's
// wiring (network.toml) against this reference -> fails at both points.
TEST_CASE("fraction network rates match Brian2 within 3 seed SDs at A2 and B3 with the authors' wiring",
          "[fraction][brian2]") {
  check_against_brian2("tests/reference/data/brian2_cakan_authors_wiring_rates.json",
                       "configs/cakan2020/authors_wiring.toml");
}
