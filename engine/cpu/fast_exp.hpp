#pragma once
// exp() for float that the compiler can vectorise (glibc's expf is a scalar call unless -ffast-math,
// which we do not use). Cody-Waite range reduction x = n ln2 + r, |r| <= ln2/2, then a degree-6
// polynomial for e^r (Taylor coefficients); relative error below 3e-7 on [-87, 88], checked
// against std::exp in tests/test_fast_exp.cpp. x is clamped to that range here, NaN included (NaN -> 88:
// a NaN state stays NaN through the caller's other terms, and the float-to-int conversion below never sees a
// value it cannot represent, which would be undefined behaviour; UBSan found it in the divergence test).
// One template for a float and for 16 float lanes (engine/cpu/lanes16.hpp): the vector kernels compute, lane by lane,
// exactly what the scalar function computes.
#include <bit>
#include <cstdint>

#include "engine/cpu/lanes16.hpp"

// As in lanes16.hpp: the 64-byte vector instantiation is always inlined, no call passes one by value.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"

namespace cortexloop::engine {

namespace fast_exp_detail {
[[gnu::always_inline]] inline float min_or_b(float a, float b) noexcept { return a < b ? a : b; }
[[gnu::always_inline]] inline float max_or_b(float a, float b) noexcept { return a > b ? a : b; }
// floor(u) - offset for u > 0, by truncation (floorf itself does not vectorise without -fno-trapping-math).
[[gnu::always_inline]] inline float floor_minus(float u, std::int32_t offset) noexcept {
  return static_cast<float>(static_cast<std::int32_t>(u) - offset);
}
// p 2^n for an integral n in [-126, 127]: 2^n built in the exponent field.
[[gnu::always_inline]] inline float times_pow2(float p, float n) noexcept {
  return p * std::bit_cast<float>((static_cast<std::int32_t>(n) + 127) << 23);
}
// a b + c: for float as the build contracts it; for lanes one vfmadd with AVX-512 (lanes::mul_add), so that
// fast_exp2_in_range's polynomial is fused in kernels compiled without contraction too (the same value as a
// contracting build's: each step a b + c rounded once).
[[gnu::always_inline]] inline float mul_add(float a, float b, float c) noexcept { return a * b + c; }
using lanes::mul_add;
// x rounded to the nearest integer, ties to even (rintf; vrndscaleps in the lane form).
[[gnu::always_inline]] inline float round_nearest(float x) noexcept { return __builtin_rintf(x); }
using lanes::floor_minus;
using lanes::round_nearest;
using lanes::times_pow2;
using lanes::max_or_b;
using lanes::min_or_b;
}  // namespace fast_exp_detail

// e^x for x in [-87, 88] (the caller guarantees it; NaN is not allowed): the kernel that clamps its argument
// itself calls this and saves the second clamp. F is float or lanes::vf.
template <class F>
[[gnu::always_inline]] inline F fast_exp_in_range(F x) noexcept {
  using fast_exp_detail::floor_minus;
  using fast_exp_detail::times_pow2;
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kLn2Hi = 0.693359375f;  // ln 2 split so that n * kLn2Hi is exact
  constexpr float kLn2Lo = -2.12194440e-4f;
  // n = floor(x log2e + 1/2), taken of a number kept positive over [-87, 88] by an offset (see floor_minus).
  constexpr std::int32_t kOffset = 128;
  const F n = floor_minus(x * kLog2e + (0.5f + kOffset), kOffset);
  const F r = (x - n * kLn2Hi) - n * kLn2Lo;
  F p = F{} + 1.0f / 720.0f;  // F{} + c: c as a scalar or in every lane
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  return times_pow2(p, n);  // n in [-126, 127] for the range
}

// 2^y for y in [-126, 127] (the caller guarantees it; NaN is not allowed), in fewer operations than
// fast_exp_in_range: the AdEx update (engine/cells/adex_lanes.hpp) folds log2(e) into its argument's constants, so that
// no multiplication by log2(e) and no Cody-Waite split is needed. y = n + f with n the nearest integer, f in
// [-1/2, 1/2] exact (y - n needs no rounding), then 2^f from a degree-5 polynomial with p(0) = 1 whose
// coefficients minimise the largest relative error on [-1/2, 1/2] (9e-8 in exact arithmetic; fitted by
// iteratively reweighted least squares on 4001 Chebyshev points, bench/fit_exp2_poly.py), 1.7e-7 with float
// arithmetic: tests/test_fast_exp.cpp holds it to 3e-7 of std::exp2. 4 operations fewer than fast_exp_in_range
// per call (one rounding instead of a multiply-add, rounding and subtraction; one reduction step instead of two;
// degree 5 instead of 6). F is float or lanes::vf.
template <class F>
[[gnu::always_inline]] inline F fast_exp2_in_range(F y) noexcept {
  using fast_exp_detail::mul_add;
  using fast_exp_detail::round_nearest;
  using fast_exp_detail::times_pow2;
  const F n = round_nearest(y);
  const F f = y - n;
  F p = F{} + 1.326472731e-03f;  // F{} + c: c as a scalar or in every lane
  p = mul_add(p, f, F{} + 9.671512991e-03f);
  p = mul_add(p, f, F{} + 5.550733581e-02f);
  p = mul_add(p, f, F{} + 2.402224243e-01f);
  p = mul_add(p, f, F{} + 6.931470037e-01f);
  p = mul_add(p, f, F{} + 1.0f);
  return times_pow2(p, n);
}

// e^x for any x (clamped to [-87, 88]). F is float or lanes::vf.
template <class F>
[[gnu::always_inline]] inline F fast_exp(F x) noexcept {
  using fast_exp_detail::max_or_b;
  using fast_exp_detail::min_or_b;
  x = min_or_b(x, F{} + 88.0f);   // x < 88 ? x : 88; comparisons with NaN are false: NaN becomes 88 here...
  x = max_or_b(x, F{} - 87.0f);   // x > -87 ? x : -87; ...and stays in range (minps, maxps)
  return fast_exp_in_range(x);
}

}  // namespace cortexloop::engine

#pragma GCC diagnostic pop
