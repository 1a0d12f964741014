// fast_exp against std::exp (double), the analytic reference, over the range the AdEx update clamps to.
#include <catch2/catch.hpp>
#include <cmath>

#include "engine/cpu/fast_exp.hpp"
#include "engine/cpu/lanes16.hpp"

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

TEST_CASE("fast_exp2_in_range matches std::exp2 to 3e-7 relative over the AdEx clamp [-115, 57]", "[fast_exp]") {
  // Reference: std::exp2 in double (the analytic 2^y). The polynomial's own error is 9e-8 and float arithmetic
  // adds ~1e-7 (bench/fit_exp2_poly.py prints both); 3e-7 is the bound fast_exp is held to above. Includes the
  // ends of the reduction interval (y = n +- 1/2) at every n.
  double worst = 0;
  for (int k = 0; k <= 172000; ++k) {
    const float y = -115.0f + 0.001f * static_cast<float>(k);
    const double exact = std::exp2(static_cast<double>(y));
    worst = std::max(worst, std::fabs(cortexloop::engine::fast_exp2_in_range(y) - exact) / exact);
  }
  CHECK(worst < 3e-7);
  CHECK(cortexloop::engine::fast_exp2_in_range(0.0f) == 1.0f);    // p(0) = 1: integral y are exact powers of two
  CHECK(cortexloop::engine::fast_exp2_in_range(-7.0f) == 0.0078125f);
}

TEST_CASE("fast_exp2_in_range on 16 lanes gives, lane by lane, the scalar's float", "[fast_exp][lanes]") {
  // vrndscaleps (nearest, ties to even) and vscalefps in the lane form against rintf and the exponent-field product
  // in the scalar one: bit for bit over the clamp range, ties of the rounding (y = n + 1/2) included.
  using cortexloop::engine::lanes::vf;
  int mismatches = 0;
  for (int k = 0; k <= 172000; k += 16) {
    vf y;
    for (int lane = 0; lane < 16; ++lane) y[lane] = -115.0f + 0.001f * static_cast<float>(k + lane);
    const vf e = cortexloop::engine::fast_exp2_in_range(y);
    for (int lane = 0; lane < 16; ++lane) mismatches += e[lane] != cortexloop::engine::fast_exp2_in_range(y[lane]);
  }
  for (int n = -115; n < 57; ++n) {  // the ties
    vf y;
    for (int lane = 0; lane < 16; ++lane) y[lane] = static_cast<float>(n) + 0.5f;
    const vf e = cortexloop::engine::fast_exp2_in_range(y);
    mismatches += e[0] != cortexloop::engine::fast_exp2_in_range(static_cast<float>(n) + 0.5f);
  }
  CHECK(mismatches == 0);
}
