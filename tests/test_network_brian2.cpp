// The Zerlaut 2018 RS-FS network against Brian2 2.5 built the same way (tests/reference/brian2_network.py,
// data in tests/reference/data/brian2_network_rates.json): steady-state mean rate of each population over
// [2 s, 6 s] within 10% of Brian2's (mean of 3 seeds) at drives 2, 4 and 8 Hz.
#include <catch2/catch.hpp>

#include "test_support.hpp"

using namespace cortexloop;

TEST_CASE("steady-state rates match Brian2 within 10% at drives 2, 4 and 8 Hz", "[network][brian2][slow]") {
  const auto ref = testing::load_json("tests/reference/data/brian2_network_rates.json");
  const auto window = ref.at("window_s").get<std::vector<double>>();
  for (const std::string drive : {"2", "4", "8"}) {
    auto p = testing::load_params("configs/zerlaut2018_network.toml", {"network.drive.rate_Hz=" + drive});
    engine::engine eng(p);
    const auto ours = testing::run_and_average(eng, window[0], window[1]);
    const double exc = ref["drives"][drive]["exc_Hz"], inh = ref["drives"][drive]["inh_Hz"];
    INFO("drive " << drive << " Hz: exc " << ours.exc_Hz << " vs Brian2 " << exc << ", inh " << ours.inh_Hz
                  << " vs " << inh);
    CHECK(ours.exc_Hz == Approx(exc).epsilon(0.10));
    CHECK(ours.inh_Hz == Approx(inh).epsilon(0.10));
  }
}
