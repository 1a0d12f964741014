// fast_exp against std::exp (double), the analytic reference, over the range the AdEx update clamps to.
#include <catch2/catch.hpp>
#include <cmath>

#include "engine/fast_exp.hpp"
#include "engine/lanes16.hpp"

// Without AVX-512 (portable builds) GCC warns that a 64-byte vector would be passed in another convention; fast_exp
// is always inlined, so no such call exists.
#pragma GCC diagnostic ignored "-Wpsabi"

TEST_CASE("fast_exp matches std::exp to 3e-7 relative over [-80, 40]", "[fast_exp]") {
  double worst = 0;
  for (int k = 0; k <= 120000; ++k) {
    const float x = -80.0f + 0.001f * static_cast<float>(k);
    const double exact = std::exp(static_cast<double>(x));
    const double rel = std::fabs(cortexloop::engine::fast_exp(x) - exact) / exact;
    worst = std::max(worst, rel);
  }
  CHECK(worst < 3e-7);
}

TEST_CASE("fast_exp is exact at integer multiples of ln 2 boundaries and zero", "[fast_exp]") {
  CHECK(cortexloop::engine::fast_exp(0.0f) == 1.0f);
  CHECK(cortexloop::engine::fast_exp(std::log(2.0f)) == Approx(2.0f).epsilon(1e-7));
}

TEST_CASE("fast_exp on 16 lanes gives, lane by lane, the scalar fast_exp's float", "[fast_exp][lanes]") {
  // The network's update uses the lane form (vrndscaleps and vscalefps with AVX-512, the exponent-field
  // construction elsewhere); the scalar function is the one checked against std::exp above. Every lane must give
  // the scalar's float, bit for bit, over the range the update clamps to (ties of the rounding included).
  // Break tried: rounding to nearest instead of down in lanes::floor_minus fails here.
  using cortexloop::engine::lanes::vf;
  int mismatches = 0;
  for (int k = 0; k <= 120000; k += 16) {
    vf x;
    for (int lane = 0; lane < 16; ++lane) x[lane] = -80.0f + 0.001f * static_cast<float>(k + lane);
    const vf y = cortexloop::engine::fast_exp(x);
    for (int lane = 0; lane < 16; ++lane) mismatches += y[lane] != cortexloop::engine::fast_exp(x[lane]);
  }
  CHECK(mismatches == 0);
}
