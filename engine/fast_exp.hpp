#pragma once
// exp() for float that the compiler can vectorise (glibc's expf is a scalar call unless -ffast-math,
// which we do not use). Cody-Waite range reduction x = n ln2 + r, |r| <= ln2/2, then a degree-6
// polynomial for e^r (Taylor coefficients); relative error below 3e-7 on [-87, 88], checked
// against std::exp in tests/test_fast_exp.cpp. x is clamped to that range here, NaN included (NaN -> 88:
// a NaN state stays NaN through the caller's other terms, and the float-to-int conversion below never sees a
// value it cannot represent, which would be undefined behaviour; UBSan found it in the divergence test).
// One template for a float and for 16 float lanes (engine/lanes16.hpp): the vector kernels compute, lane by lane,
// exactly what the scalar function computes.
#include <bit>
#include <cstdint>

#include "engine/lanes16.hpp"

namespace cortexloop::engine {

namespace fast_exp_detail {
[[gnu::always_inline]] inline std::int32_t truncate_to_int(float x) noexcept { return static_cast<std::int32_t>(x); }
[[gnu::always_inline]] inline float to_float(std::int32_t n) noexcept { return static_cast<float>(n); }
[[gnu::always_inline]] inline float min_or_b(float a, float b) noexcept { return a < b ? a : b; }
[[gnu::always_inline]] inline float max_or_b(float a, float b) noexcept { return a > b ? a : b; }
using lanes::max_or_b;
using lanes::min_or_b;
using lanes::to_float;
using lanes::truncate_to_int;
}  // namespace fast_exp_detail

// F is float or lanes::vf.
template <class F>
[[gnu::always_inline]] inline F fast_exp(F x) noexcept {
  using fast_exp_detail::max_or_b;
  using fast_exp_detail::min_or_b;
  using fast_exp_detail::to_float;
  using fast_exp_detail::truncate_to_int;
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kLn2Hi = 0.693359375f;  // ln 2 split so that n * kLn2Hi is exact
  constexpr float kLn2Lo = -2.12194440e-4f;
  // n = floor(x log2e + 1/2) by truncating a positive number: floorf itself does not vectorise without
  // -fno-trapping-math. The offset keeps the argument positive over the clamped range [-87, 88].
  constexpr std::int32_t kOffset = 128;
  x = min_or_b(x, F{} + 88.0f);   // x < 88 ? x : 88; comparisons with NaN are false: NaN becomes 88 here...
  x = max_or_b(x, F{} - 87.0f);   // x > -87 ? x : -87; ...and stays in range (minps, maxps)
  const auto n_int = truncate_to_int(x * kLog2e + (0.5f + kOffset)) - kOffset;
  const F n = to_float(n_int);
  const F r = (x - n * kLn2Hi) - n * kLn2Lo;
  F p = F{} + 1.0f / 720.0f;  // F{} + c: c as a scalar or in every lane
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  // 2^n built in the exponent field; n in [-126, 127] for the clamped range.
  const auto bits = (n_int + 127) << 23;
  return p * std::bit_cast<F>(bits);
}

}  // namespace cortexloop::engine
