#pragma once
// A network's steady-state rates against Brian2 built the same way (tests/reference/brian2_network.py), at each drive
// of its reference file: the mean rate of each population over the reference's window, of one run of the engine (the
// config's seed), against Brian2's mean over its seeds.
// Tolerance: 3 standard deviations of (our one run - Brian2's n-seed mean), sqrt(s_ours^2 + s_brian2^2 / n), with
// the seed-to-seed sample SDs of both simulators from their data: Brian2's seeds (in its file) and the engine's
// (own_json, made by tests/reference/cortexloop_network_seeds.py).
#include <cmath>
#include <cstdio>
#include <string>

#include <catch2/catch.hpp>

#include "test_support.hpp"

namespace cortexloop::testing {

inline void check_rates_against_brian2(const std::string& config, const std::string& brian2_json,
                                       const std::string& own_json) {
  const auto ref = load_json(brian2_json);
  const auto own = load_json(own_json);
  const auto window = ref.at("window_s").get<std::vector<double>>();
  const double n_brian2 = static_cast<double>(ref.at("seeds").size());
  REQUIRE(n_brian2 >= 3);
  REQUIRE(ref.at("config").get<std::string>() == config);
  // Not a structured binding: clang 14 (the sanitizer builds') cannot capture one in the lambda below.
  for (const auto& item : ref.at("drives").items()) {
    const std::string drive = item.key();
    const auto& b = item.value();
    auto p = load_params(config, {"network.drive.rate_Hz=" + drive});
    engine::engine eng(p);
    const auto ours = run_and_average(eng, window[0], window[1]);
    const auto& o = own.at("drives").at(drive);
    const double exc = b["exc_Hz"], inh = b["inh_Hz"];
    auto bound = [&](const char* per_seed) {
      const double s_b = sample_sd(b[per_seed].get<std::vector<double>>());
      const double s_o = sample_sd(o[per_seed].get<std::vector<double>>());
      return 3.0 * std::sqrt(s_o * s_o + s_b * s_b / n_brian2);
    };
    const double bound_exc = bound("exc_Hz_per_seed"), bound_inh = bound("inh_Hz_per_seed");
    std::printf("drive %s Hz: exc %.4f vs Brian2 %.4f (%+.2f %%, bound %.2f %%), inh %.4f vs %.4f (%+.2f %%, bound %.2f %%)\n",
                drive.c_str(), ours.exc_Hz, exc, 100 * (ours.exc_Hz / exc - 1), 100 * bound_exc / exc, ours.inh_Hz,
                inh, 100 * (ours.inh_Hz / inh - 1), 100 * bound_inh / inh);
    INFO("drive " << drive << " Hz: exc " << ours.exc_Hz << " vs Brian2 " << exc << " (bound " << bound_exc
                  << " Hz), inh " << ours.inh_Hz << " vs " << inh << " (bound " << bound_inh << " Hz)");
    CHECK(std::fabs(ours.exc_Hz - exc) <= bound_exc);
    CHECK(std::fabs(ours.inh_Hz - inh) <= bound_inh);
  }
}

}  // namespace cortexloop::testing
