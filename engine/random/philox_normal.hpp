#pragma once
// Standard normal draws from the counter-based Philox streams (engine/random/philox.hpp): the draw of neuron i at step
// k is a pure function of (seed, i, k, stream), so white-noise input does not depend on N, the partitioning, the
// thread count or the order of the draws.
// Transform: Box & Muller 1958 (Ann. Math. Stat. 29:610), the same as Random123's boxmuller.hpp: two uniforms
// u1 in (0, 1], u2 in [0, 1) give the independent normals sqrt(-2 ln u1) (cos 2 pi u2, sin 2 pi u2). One Philox
// block (four 32-bit words) serves four consecutive neurons: block (i / 4, step low, step high, stream), words
// (0, 1) give neurons 4j, 4j + 1 and words (2, 3) neurons 4j + 2, 4j + 3.
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "engine/cpu/lanes16.hpp"
#include "engine/random/philox.hpp"
#include "engine/random/philox_lanes.hpp"

// As in lanes16.hpp: the 64-byte vector instantiations are always inlined, no call passes one by value.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"

namespace cortexloop::engine {

// Streams of the fraction network's random numbers, past those of engine/random/philox.hpp (its enum stays the one list
// of the conductance network's other streams; these values are reserved here and never reused there). White noise
// uses kWhiteNoiseStream in either network (the conductance network's network.input.sigma_*).
inline constexpr random_stream kWhiteNoiseStream = static_cast<random_stream>(16);
// The sources of one target from population p use stream kFixedIndegreeStream + p (counter word 0 = target).
inline constexpr std::uint32_t kFixedIndegreeStream = 17;

namespace philox_normal_detail {
// Each function below is one template for a float and for 16 float lanes (engine/cpu/lanes16.hpp), as fast_exp is: the
// fill (philox_fill_normals) runs the lanes, philox_normal4 the scalar form, and both compute, lane by lane, the same
// operations in the same order, so they agree bit for bit: every multiply-add is written out (mul_add, fused in both
// forms or in neither) and no product is left next to a sum that a contracting compiler could fuse on its own.
template <class F>
struct lane_ints {  // the 32-bit integer types of F's lanes
  using i32 = std::int32_t;
  using u32 = std::uint32_t;
};
template <>
struct lane_ints<lanes::vf> {
  using i32 = lanes::vi;
  using u32 = lanes::vu;
};
// static_cast for a scalar, the same conversion lane by lane for a vector (float <- int exact here, int <- float
// truncating in both).
template <class To, class From>
[[gnu::always_inline]] inline To convert(From x) noexcept {
  if constexpr (std::is_arithmetic_v<From>)
    return static_cast<To>(x);
  else
    return __builtin_convertvector(x, To);
}
[[gnu::always_inline]] inline float sqrt_of(float x) noexcept { return std::sqrt(x); }
[[gnu::always_inline]] inline lanes::vf sqrt_of(lanes::vf x) noexcept { return lanes::sqrt(x); }
// a b + c rounded once wherever lanes::mul_add is one fused multiply-add (AVX-512), else a b + c as lanes::mul_add
// then is: the scalar form rounds as the lanes do in either build (std::fma is one vfmadd with -march=native).
[[gnu::always_inline]] inline float mul_add(float a, float b, float c) noexcept {
#if defined(__AVX512F__)
  return std::fma(a, b, c);
#else
  return a * b + c;
#endif
}
using lanes::mul_add;

// Float log and sincos that vectorise (glibc's are scalar calls without -ffast-math): the polynomials of Cephes'
// logf and sinf/cosf (S. L. Moshier, Cephes Math Library, 1984-1992), relative error ~1e-7 on their reduced ranges;
// checked against std::log, std::sin and std::cos in tests/test_fraction_network.cpp.
// ln(x 2^-scale_log2) for x 2^-scale_log2 in (0, 1], x a normal float: the power of two is taken in the exponent, so
// a caller whose argument is an integer times 2^-k passes the integer's float and k (no multiplication).
template <class F>
[[gnu::always_inline]] inline F log_unit(F x, int scale_log2 = 0) noexcept {
  using I = typename lane_ints<F>::i32;
  using U = typename lane_ints<F>::u32;
  // x = (1 + f) 2^e with 1 + f in [sqrt(1/2), sqrt(2)): adding 1.0f's bits minus sqrt(1/2)'s (0x3F3504F3) carries into
  // the exponent exactly when the mantissa is >= sqrt(1/2)'s, and adding sqrt(1/2)'s back to the low 23 bits gives
  // 1 + f (as musl's logf). The same e and f as Cephes' m in [0.5, 1), "if m < SQRTHF: e -= 1, m = 2m - 1, else
  // m - 1" (its SQRTHF 0.70710678f is 0x3F3504F3), in four integer operations and no compare or select.
  const U bits = std::bit_cast<U>(x) + (0x3F800000u - 0x3F3504F3u);
  const F fe = convert<F>(convert<I>(bits >> 23) - (127 + scale_log2));
  const F m = std::bit_cast<F>((bits & 0x007FFFFFu) + 0x3F3504F3u) - 1.0f;
  const F z = m * m;
  // Horner's steps and the sums as fused multiply-adds (one rounding each; ~10 instructions fewer per 16 lanes).
  auto all = [](float k) { return F{} + k; };  // k as a scalar or in every lane
  F y = all(7.0376836292E-2f);
  y = mul_add(y, m, all(-1.1514610310E-1f));
  y = mul_add(y, m, all(1.1676998740E-1f));
  y = mul_add(y, m, all(-1.2420140846E-1f));
  y = mul_add(y, m, all(1.4249322787E-1f));
  y = mul_add(y, m, all(-1.6668057665E-1f));
  y = mul_add(y, m, all(2.0000714765E-1f));
  y = mul_add(y, m, all(-2.4999993993E-1f));
  y = mul_add(y, m, all(3.3333331174E-1f));
  y = y * m * z;
  y = mul_add(fe, all(-2.12194440E-4f), y);  // ln 2 split in two, as Cephes (0.693359375 fe is exact)
  y = mul_add(z, all(-0.5f), y);
  return mul_add(fe, all(0.693359375f), m + y);
}

// cos and sin of 2 pi u for u = (word >> 8) 2^-24 in [0, 1) (the word's top 24 bits), from the 32-bit word itself:
// quadrant q = round(4u) (mod 4), r = (4u - q) pi/2 in [-pi/4, pi/4]. In integers: 4u = t 2^-30 with
// t = word & ~0xFF, so s = t + 2^29 (mod 2^32) has q in its top two bits and 4u - q = d 2^-30 exactly, with
// d = (s mod 2^30) - 2^29 (an exact float: at most 22 significant bits); r = d (pi/2 2^-30) is then the value of
// (4u - q) pi/2 rounded once, as the float form (4u, + 1/2, truncate, subtract) computed it. The quarter turns: (cos, sin) of q pi/2 + r is (cos r, sin r) with the two swapped
// when q is odd, cos negated for q = 1, 2 (bit 31 of s + 2^30) and sin for q = 2, 3 (bit 31 of s).
template <class U, class F>
[[gnu::always_inline]] inline void sincos_turn_bits(U word, F& c, F& s) noexcept {
  using I = typename lane_ints<F>::i32;
  constexpr std::uint32_t kSign = 0x80000000u;
  const U shifted = (word & 0xFFFFFF00u) + (1u << 29);
  const F r = convert<F>(convert<I>(shifted & 0x3FFFFFFFu) - (1 << 29)) * (1.5707963267948966f * 0x1.0p-30f);
  const F z = r * r;
  auto all = [](float k) { return F{} + k; };  // k as a scalar or in every lane
  const F sin_poly = mul_add(mul_add(all(-1.9515295891E-4f), z, all(8.3321608736E-3f)), z, all(-1.6666654611E-1f));
  const F cos_poly =
      mul_add(mul_add(all(2.443315711809948E-5f), z, all(-1.388731625493765E-3f)), z, all(4.166664568298827E-2f));
  const F sin_r = mul_add(r * z, sin_poly, r);
  const F cos_r = mul_add(z * z, cos_poly, mul_add(z, all(-0.5f), all(1.0f)));
  const auto odd = (shifted & (1u << 30)) != 0u;
  const U c_bits = std::bit_cast<U>(odd ? sin_r : cos_r) ^ ((shifted + (1u << 30)) & kSign);
  const U s_bits = std::bit_cast<U>(odd ? cos_r : sin_r) ^ (shifted & kSign);
  c = std::bit_cast<F>(c_bits);
  s = std::bit_cast<F>(s_bits);
}

// The two normals of one pair of 32-bit words: u1 = (x + 1/2) 2^-32 in (0, 1) from the top 24 bits (never 0, so the
// logarithm is finite; the largest |normal| is sqrt(-2 ln 2^-25) = 5.9), u2 = y 2^-32 in [0, 1) from 24 bits.
// U is std::uint32_t (F float) or lanes::vu (F lanes::vf).
template <class U, class F>
[[gnu::always_inline]] inline void box_muller(U x, U y, F& n0, F& n1) noexcept {
  // u1 = ((x >> 8) + 1/2) 2^-24 = ((x & ~0xFF) | 0x80) 2^-32: the integer's float is that sum rounded once, as
  // float(x >> 8) + 0.5f was, and the 2^-32 goes to log_unit's exponent.
  const F radius = sqrt_of(-2.0f * log_unit(convert<F>((x & 0xFFFFFF00u) | 0x80u), 32));
  F c, s;
  sincos_turn_bits(y, c, s);
  n0 = radius * c;
  n1 = radius * s;
}
}  // namespace philox_normal_detail

// The normals of the 64 neurons 4 first_quad .. 4 first_quad + 63 at (step_lo, step_hi) in neuron order, 16 per
// register: the 16 Philox blocks first_quad + 0..15 in the lanes of four registers (engine/random/philox_lanes.hpp),
// word w of lane l being neuron 4 l + w's; Box-Muller on the register pairs (words 0, 1) and (2, 3); then a 4 x 16
// transpose, n[w][l] -> neuron 4 l + w. Used by philox_fill_normals and by the fraction network's fused update
// (engine/network/fraction_update.cpp), which keeps them in registers; callers are compiled without FP contraction.
[[gnu::always_inline]] inline void philox_normals64(const philox_round_keys& keys, std::uint32_t first_quad,
                                                    std::uint32_t step_lo, std::uint32_t step_hi, std::uint32_t stream,
                                                    lanes::vf out[4]) noexcept {
  using lanes::vf;
  using lanes::vi;
  // Shuffle indices into the concatenation of two vectors (0..15 the first, 16..31 the second).
  const vi pairs_lo{0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23};
  const vi pairs_hi = pairs_lo + 8;
  const vi quads_lo{0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23};
  const vi quads_hi = quads_lo + 8;
  const philox_lanes r = philox16(keys, first_quad, step_lo, step_hi, stream);
  vf n[4];
  philox_normal_detail::box_muller(r.x[0], r.x[1], n[0], n[1]);
  philox_normal_detail::box_muller(r.x[2], r.x[3], n[2], n[3]);
  // a = (n0[l], n1[l]) for l = 0..7 and 8..15, b the same of n2, n3; then (a pair, b pair) for four l at a time.
  const vf a_lo = lanes::permute2(n[0], n[1], pairs_lo), a_hi = lanes::permute2(n[0], n[1], pairs_hi);
  const vf b_lo = lanes::permute2(n[2], n[3], pairs_lo), b_hi = lanes::permute2(n[2], n[3], pairs_hi);
  out[0] = lanes::permute2(a_lo, b_lo, quads_lo);  // neurons 0..15 (l = 0..3)
  out[1] = lanes::permute2(a_lo, b_lo, quads_hi);  // 16..31 (l = 4..7)
  out[2] = lanes::permute2(a_hi, b_hi, quads_lo);  // 32..47
  out[3] = lanes::permute2(a_hi, b_hi, quads_hi);  // 48..63
}

// The four normals of neurons 4 quad .. 4 quad + 3 at `step`, and the normal of one neuron (for tests and set-up:
// the value philox_fill_normals gives). Defined in philox_normal.cpp, compiled like the fill without FP contraction,
// so that the scalar and the vector code round alike.
void philox_normal4(philox_key key, std::uint32_t quad, std::uint64_t step, random_stream stream, float out[4]) noexcept;
float philox_normal(philox_key key, std::uint32_t neuron, std::uint64_t step, random_stream stream) noexcept;

// out[0, 128 n_groups) = the normals of neurons [128 first_group, 128 (first_group + n_groups)) at `step`, 64 at a
// time in 16-lane vectors (engine/random/philox_lanes.hpp). Whole groups of 128, so there is no scalar remainder: every
// draw is the vector code's (bit-identical to philox_normal's, tests/test_fraction_network.cpp). Allocation-free.
void philox_fill_normals(philox_key key, std::uint32_t first_group, std::size_t n_groups, std::uint64_t step,
                         random_stream stream, float* out) noexcept;

}  // namespace cortexloop::engine

#pragma GCC diagnostic pop
