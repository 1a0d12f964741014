#pragma once
// exp() for float that the compiler can vectorise (glibc's expf is a scalar call unless -ffast-math,
// which we do not use). Cody-Waite range reduction x = n ln2 + r, |r| <= ln2/2, then a degree-6
// polynomial for e^r (Taylor coefficients); relative error below 3e-7 on [-87, 88], checked
// against std::exp in tests/test_fast_exp.cpp. x is clamped to that range here, NaN included (NaN -> 88:
// a NaN state stays NaN through the caller's other terms, and the float-to-int conversion below never sees a
// value it cannot represent, which would be undefined behaviour; UBSan found it in the divergence test).
#include <bit>
#include <cstdint>

namespace cortexloop::engine {

[[gnu::always_inline]] inline float fast_exp(float x) noexcept {
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kLn2Hi = 0.693359375f;  // ln 2 split so that n * kLn2Hi is exact
  constexpr float kLn2Lo = -2.12194440e-4f;
  // n = floor(x log2e + 1/2) by truncating a positive number: floorf itself does not vectorise without
  // -fno-trapping-math. The offset keeps the argument positive over the clamped range [-87, 88].
  constexpr std::int32_t kOffset = 128;
  x = x < 88.0f ? x : 88.0f;    // comparisons with NaN are false: NaN becomes 88 here...
  x = x > -87.0f ? x : -87.0f;  // ...and stays in range; minps/maxps, vectorised
  const std::int32_t n_int = static_cast<std::int32_t>(x * kLog2e + (0.5f + kOffset)) - kOffset;
  const float n = static_cast<float>(n_int);
  const float r = (x - n * kLn2Hi) - n * kLn2Lo;
  float p = 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  // 2^n built in the exponent field; n in [-126, 127] for the clamped range.
  const std::int32_t bits = (n_int + 127) << 23;
  return p * std::bit_cast<float>(bits);
}

}  // namespace cortexloop::engine
