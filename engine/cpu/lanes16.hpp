#pragma once
// Fixed 16-lane vectors (GCC vector extensions) for the kernels of one step: the AdEx update
// (engine/cells/adex_lanes.hpp) and the drive's Philox blocks (engine/random/philox_lanes.hpp). Why fixed 16 lanes of
// 32 bits: every array the update touches is then one register wide (one AVX-512 register; two AVX or four SSE
// registers elsewhere, split by the compiler), so no lane-width mixing with byte arrays, and a cell's arithmetic is the
// same code whichever block, partition or machine width it falls in. Comparisons give lanes of 0 or -1; bits() turns
// them into a 16-bit mask.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

// Without AVX-512 GCC warns that passing these 64-byte vectors by value would change the calling convention; every
// function here is always_inline, so no call with that convention exists.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"

namespace cortexloop::engine::lanes {

inline constexpr unsigned kLanes = 16;

using vf = float __attribute__((vector_size(64)));
using vi = std::int32_t __attribute__((vector_size(64)));
using vu = std::uint32_t __attribute__((vector_size(64)));
using vu16 = std::uint16_t __attribute__((vector_size(32)));

// Unaligned loads and stores (the state arrays are std::vectors). Through a vector type of the element type with
// 1-element alignment rather than memcpy: a vector access aliases only its element type, so the compiler need not
// reload every pointer and constant after each store, as it must after a memcpy (a char access).
namespace detail {
template <class V>
struct unaligned_of;
typedef float vf_u __attribute__((vector_size(64), aligned(4)));
typedef std::int32_t vi_u __attribute__((vector_size(64), aligned(4)));
typedef std::uint32_t vu_u __attribute__((vector_size(64), aligned(4)));
typedef std::uint16_t vu16_u __attribute__((vector_size(32), aligned(2)));
template <> struct unaligned_of<vf> { using type = vf_u; using element = float; };
template <> struct unaligned_of<vi> { using type = vi_u; using element = std::int32_t; };
template <> struct unaligned_of<vu> { using type = vu_u; using element = std::uint32_t; };
template <> struct unaligned_of<vu16> { using type = vu16_u; using element = std::uint16_t; };
}  // namespace detail
template <class V, class T>
[[gnu::always_inline]] inline V load(const T* p) noexcept {
  static_assert(std::is_same_v<typename detail::unaligned_of<V>::element, T>);
  return *reinterpret_cast<const typename detail::unaligned_of<V>::type*>(p);
}
template <class V, class T>
[[gnu::always_inline]] inline void store(T* p, const V& v) noexcept {
  static_assert(std::is_same_v<typename detail::unaligned_of<V>::element, T>);
  *reinterpret_cast<typename detail::unaligned_of<V>::type*>(p) = v;
}

// A short block (count < 16 cells at the end of a range) of one state array, through a 16-lane buffer: the spare
// lanes hold `spare` (a resting cell's value, whose results the caller discards), and only the first count lanes
// are written back. Every cell is then stepped by the same vector code as in a whole block.
template <class V, class T>
[[gnu::always_inline]] inline V load_part(const T* p, std::size_t count, T spare) noexcept {
  T buffer[kLanes];
  for (std::size_t k = 0; k < kLanes; ++k) buffer[k] = k < count ? p[k] : spare;
  return load<V>(buffer);
}
template <class V, class T>
[[gnu::always_inline]] inline void store_part(T* p, std::size_t count, const V& v) noexcept {
  T buffer[kLanes];
  store(buffer, v);
  for (std::size_t k = 0; k < count; ++k) p[k] = buffer[k];
}

// Lanes of the concatenation a|b picked by idx (0..15 from a, 16..31 from b; only the low 5 bits count). GCC has
// __builtin_shuffle for this (one vpermt2ps with AVX-512); clang, used by the sanitizer builds, has only constant
// shuffles, so there the lanes are picked one by one (same result).
[[gnu::always_inline]] inline vf permute2(vf a, vf b, vi idx) noexcept {
#if defined(__clang__)
  vf r;
  for (unsigned i = 0; i < kLanes; ++i) {
    const int k = idx[i] & 31;
    r[i] = k < 16 ? a[k] : b[k - 16];
  }
  return r;
#else
  return __builtin_shuffle(a, b, idx);
#endif
}

[[gnu::always_inline]] inline vi iota() noexcept { return vi{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}; }

// Bit k set where lane k of the comparison result m is true (-1).
[[gnu::always_inline]] inline std::uint32_t bits(vi m) noexcept {
#if defined(__AVX512DQ__)
  return _mm512_movepi32_mask(reinterpret_cast<__m512i>(m));
#elif defined(__AVX2__)
  using half = std::int32_t __attribute__((vector_size(32)));
  half lo, hi;
  std::memcpy(&lo, &m, sizeof lo);
  std::memcpy(&hi, reinterpret_cast<const char*>(&m) + sizeof lo, sizeof hi);
  return static_cast<std::uint32_t>(_mm256_movemask_ps(reinterpret_cast<__m256>(lo))) |
         static_cast<std::uint32_t>(_mm256_movemask_ps(reinterpret_cast<__m256>(hi))) << 8;
#else
  std::uint32_t out = 0;
  for (unsigned k = 0; k < kLanes; ++k) out |= (static_cast<std::uint32_t>(m[k]) & 1u) << k;
  return out;
#endif
}

#if defined(__AVX512F__)
// The intrinsics below are the masked forms with every lane selected (the same instructions): GCC 12's unmasked
// forms pass an uninitialised source and warn about it at every use.
inline constexpr __mmask16 kAll = 0xFFFF;
#endif

// x86's minps and maxps, lane by lane: a < b ? a : b and a > b ? a : b, b where either is NaN. Spelled as
// intrinsics because GCC turns the vector conditionals into a compare and a blend (two instructions).
[[gnu::always_inline]] inline vf min_or_b(vf a, vf b) noexcept {
#if defined(__AVX512F__)
  return reinterpret_cast<vf>(_mm512_mask_min_ps(reinterpret_cast<__m512>(a), kAll, reinterpret_cast<__m512>(a), reinterpret_cast<__m512>(b)));
#else
  return a < b ? a : b;
#endif
}
[[gnu::always_inline]] inline vf max_or_b(vf a, vf b) noexcept {
#if defined(__AVX512F__)
  return reinterpret_cast<vf>(_mm512_mask_max_ps(reinterpret_cast<__m512>(a), kAll, reinterpret_cast<__m512>(a), reinterpret_cast<__m512>(b)));
#else
  return a > b ? a : b;
#endif
}

// -1 in the lanes where x is neither infinite nor NaN: |x| <= FLT_MAX fails for those only. (vfpclassps would be
// one instruction, but its mask result costs conversions where the kernel combines it with vector conditions.)
[[gnu::always_inline]] inline vi finite(vf x) noexcept {
  constexpr float kMax = 3.40282347e38f;
  return (x <= kMax) & (x >= -kMax);
}

// floor(u) - offset, lane by lane, for u > 0 (as truncation, which the portable path uses): one vrndscaleps and a
// subtraction, both exact, with AVX-512.
[[gnu::always_inline]] inline vf floor_minus(vf u, std::int32_t offset) noexcept {
#if defined(__AVX512F__)
  const __m512 down = _mm512_mask_roundscale_ps(reinterpret_cast<__m512>(u), kAll, reinterpret_cast<__m512>(u),
                                                     _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
  return reinterpret_cast<vf>(down) - static_cast<float>(offset);
#else
  return __builtin_convertvector(__builtin_convertvector(u, vi) - offset, vf);
#endif
}
// Per-lane conditions for the update's kernels. With AVX-512 a condition is a 16-bit mask register, so that a
// comparison, a combination of conditions and the select it drives are one instruction each and the spike bits
// need no conversion; as vectors of 0 / -1 lanes (what the comparison operators give) GCC materialised each
// condition in a vector register and converted it back (a blend and a vpmovd2m per condition, bench/README.md,
// "One thread, fifth pass"). Elsewhere a condition is such a vector. Every function gives the same lanes either
// way.
#if defined(__AVX512F__)
using mask = __mmask16;
[[gnu::always_inline]] inline std::uint32_t bits(mask m) noexcept { return m; }
[[gnu::always_inline]] inline mask all_if(bool b) noexcept { return b ? mask{0xFFFF} : mask{0}; }
[[gnu::always_inline]] inline mask either(mask a, mask b) noexcept { return static_cast<mask>(a | b); }
[[gnu::always_inline]] inline mask but_not(mask a, mask b) noexcept { return static_cast<mask>(a & ~b); }
[[gnu::always_inline]] inline mask both(mask a, mask b) noexcept { return static_cast<mask>(a & b); }
// a > b (false where either is NaN)
[[gnu::always_inline]] inline mask greater(vf a, vf b) noexcept {
  return _mm512_cmp_ps_mask(reinterpret_cast<__m512>(a), reinterpret_cast<__m512>(b), _CMP_GT_OQ);
}
[[gnu::always_inline]] inline mask positive(vi a) noexcept {
  return _mm512_cmpgt_epi32_mask(reinterpret_cast<__m512i>(a), _mm512_setzero_si512());
}
[[gnu::always_inline]] inline mask below(vu a, vu b) noexcept {
  return _mm512_cmplt_epu32_mask(reinterpret_cast<__m512i>(a), reinterpret_cast<__m512i>(b));
}
// Inf or NaN
[[gnu::always_inline]] inline mask nonfinite(vf a) noexcept {
#if defined(__AVX512DQ__)
  return _mm512_fpclass_ps_mask(reinterpret_cast<__m512>(a), 0x99);  // QNaN | +Inf | -Inf | SNaN
#else
  const __m512 magnitude = _mm512_abs_ps(reinterpret_cast<__m512>(a));
  return _mm512_cmp_ps_mask(magnitude, _mm512_set1_ps(3.40282347e38f), _CMP_NLE_UQ);  // not |a| <= FLT_MAX
#endif
}
// keep ? c : a b + c (one masked vfmadd: GCC fused the select of a multiply-add into a second instruction)
[[gnu::always_inline]] inline vf mul_add_unless(mask keep, vf a, vf b, vf c) noexcept {
  return reinterpret_cast<vf>(_mm512_mask3_fmadd_ps(reinterpret_cast<__m512>(a), reinterpret_cast<__m512>(b),
                                                    reinterpret_cast<__m512>(c), static_cast<mask>(~keep)));
}
[[gnu::always_inline]] inline vf select(mask m, vf a, vf b) noexcept {
  return reinterpret_cast<vf>(_mm512_mask_blend_ps(m, reinterpret_cast<__m512>(b), reinterpret_cast<__m512>(a)));
}
[[gnu::always_inline]] inline vi select(mask m, vi a, vi b) noexcept {
  return reinterpret_cast<vi>(_mm512_mask_blend_epi32(m, reinterpret_cast<__m512i>(b), reinterpret_cast<__m512i>(a)));
}
// m ? 0 : x, one zero-masking move (select(m, vf{}, x) became a copy, a zeroing and a masked move)
[[gnu::always_inline]] inline vf zero_where(mask m, vf x) noexcept {
  return reinterpret_cast<vf>(_mm512_maskz_mov_ps(static_cast<mask>(~m), reinterpret_cast<__m512>(x)));
}
#else
using mask = vi;
[[gnu::always_inline]] inline mask all_if(bool b) noexcept { return b ? vi{} - 1 : vi{}; }
[[gnu::always_inline]] inline mask either(mask a, mask b) noexcept { return a | b; }
[[gnu::always_inline]] inline mask but_not(mask a, mask b) noexcept { return a & ~b; }
[[gnu::always_inline]] inline mask both(mask a, mask b) noexcept { return a & b; }
[[gnu::always_inline]] inline mask greater(vf a, vf b) noexcept { return a > b; }
[[gnu::always_inline]] inline mask positive(vi a) noexcept { return a > 0; }
[[gnu::always_inline]] inline mask below(vu a, vu b) noexcept { return reinterpret_cast<vi>(a < b); }
[[gnu::always_inline]] inline mask nonfinite(vf a) noexcept {
  constexpr float kMax = 3.40282347e38f;
  return ~((a <= kMax) & (a >= -kMax));
}
// keep ? c : a b + c (contracted to one fused multiply-add or not as the build's -ffp-contract says)
[[gnu::always_inline]] inline vf mul_add_unless(mask keep, vf a, vf b, vf c) noexcept {
  return keep != 0 ? c : a * b + c;
}
[[gnu::always_inline]] inline vf select(mask m, vf a, vf b) noexcept { return m != 0 ? a : b; }
[[gnu::always_inline]] inline vi select(mask m, vi a, vi b) noexcept { return m != 0 ? a : b; }
[[gnu::always_inline]] inline vf zero_where(mask m, vf x) noexcept { return m != 0 ? vf{} : x; }
#endif

// a b + c rounded once (one vfmadd) with AVX-512, whatever -ffp-contract says: kernels compiled without contraction
// (engine/CMakeLists.txt: every inlined copy must round alike) still get fused multiply-adds where they ask for one,
// and every copy gets the same one. Elsewhere a b + c, contracted or not as the build says.
[[gnu::always_inline]] inline vf mul_add(vf a, vf b, vf c) noexcept {
#if defined(__AVX512F__)
  return reinterpret_cast<vf>(_mm512_mask_fmadd_ps(reinterpret_cast<__m512>(a), kAll, reinterpret_cast<__m512>(b),
                                                   reinterpret_cast<__m512>(c)));
#else
  return a * b + c;
#endif
}

// x rounded to the nearest integer, ties to even (as rintf in the default rounding mode), lane by lane: one
// vrndscaleps with AVX-512.
[[gnu::always_inline]] inline vf round_nearest(vf x) noexcept {
#if defined(__AVX512F__)
  return reinterpret_cast<vf>(_mm512_mask_roundscale_ps(reinterpret_cast<__m512>(x), kAll, reinterpret_cast<__m512>(x),
                                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
#else
  vf out;
  for (unsigned k = 0; k < kLanes; ++k) out[k] = __builtin_rintf(x[k]);
  return out;
#endif
}
// p 2^n for integral n in [-126, 127]: one vscalefps with AVX-512, else 2^n built in the exponent field. The same
// value either way (a product by a power of two, rounded once).
[[gnu::always_inline]] inline vf times_pow2(vf p, vf n) noexcept {
#if defined(__AVX512F__)
  return reinterpret_cast<vf>(_mm512_mask_scalef_ps(reinterpret_cast<__m512>(p), kAll, reinterpret_cast<__m512>(p), reinterpret_cast<__m512>(n)));
#else
  return p * reinterpret_cast<vf>((__builtin_convertvector(n, vi) + 127) << 23);
#endif
}


// sqrt lane by lane, correctly rounded (IEEE), so the same value as std::sqrt of each lane: one vsqrtps with AVX-512.
[[gnu::always_inline]] inline vf sqrt(vf x) noexcept {
#if defined(__AVX512F__)
  return reinterpret_cast<vf>(_mm512_mask_sqrt_ps(reinterpret_cast<__m512>(x), kAll, reinterpret_cast<__m512>(x)));
#else
  vf out;
  for (unsigned k = 0; k < kLanes; ++k) out[k] = __builtin_sqrtf(x[k]);
  return out;
#endif
}

}  // namespace cortexloop::engine::lanes

#pragma GCC diagnostic pop
