#include "engine/philox.hpp"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace cortexloop::engine {

namespace {
// Round keys: the key bumped by the Weyl increments before rounds 2..R (Salmon et al. 2011, Sec. 4.2).
struct round_keys {
  std::uint32_t k0[philox_detail::kRounds], k1[philox_detail::kRounds];
  explicit round_keys(philox_key key) noexcept {
    std::uint32_t a = key.k0, b = key.k1;
    for (int r = 0; r < philox_detail::kRounds; ++r) {
      if (r > 0) a += philox_detail::kW0, b += philox_detail::kW1;
      k0[r] = a;
      k1[r] = b;
    }
  }
};
}  // namespace

#if defined(__AVX512F__)
// 16 blocks in the 16 lanes of one register per counter word. A 32x32 -> 64-bit product exists for the even
// lanes only (vpmuludq), so each multiplication is done twice, the odd lanes shifted down first, and the high and
// low halves are blended back into 16 lanes. GCC's own vectorisation of the scalar loop takes twice as long.
void philox_fill_groups(philox_key key, std::uint32_t first_group, std::size_t n_groups, std::uint64_t step,
                        random_stream stream, std::uint16_t* out) noexcept {
  const round_keys rk(key);
  const __m512i m0 = _mm512_set1_epi64(philox_detail::kM0), m1 = _mm512_set1_epi64(philox_detail::kM1);
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i step_lo = _mm512_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(step)));
  const __m512i step_hi = _mm512_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(step >> 32)));
  const __m512i stream_word = _mm512_set1_epi32(static_cast<int>(stream));
  constexpr __mmask16 kOdd = 0xAAAA;
  for (std::size_t g = 0; g < n_groups; ++g) {
    const auto first_block = static_cast<int>((first_group + static_cast<std::uint32_t>(g)) * 16u);
    __m512i c0 = _mm512_add_epi32(_mm512_set1_epi32(first_block), lane), c1 = step_lo, c2 = step_hi, c3 = stream_word;
    for (int r = 0; r < philox_detail::kRounds; ++r) {
      const __m512i even0 = _mm512_mul_epu32(c0, m0), odd0 = _mm512_mul_epu32(_mm512_srli_epi64(c0, 32), m0);
      const __m512i even1 = _mm512_mul_epu32(c2, m1), odd1 = _mm512_mul_epu32(_mm512_srli_epi64(c2, 32), m1);
      const __m512i hi0 = _mm512_mask_blend_epi32(kOdd, _mm512_srli_epi64(even0, 32), odd0);
      const __m512i lo0 = _mm512_mask_blend_epi32(kOdd, even0, _mm512_slli_epi64(odd0, 32));
      const __m512i hi1 = _mm512_mask_blend_epi32(kOdd, _mm512_srli_epi64(even1, 32), odd1);
      const __m512i lo1 = _mm512_mask_blend_epi32(kOdd, even1, _mm512_slli_epi64(odd1, 32));
      // 0x96: the truth table of a ^ b ^ c.
      c0 = _mm512_ternarylogic_epi32(hi1, c1, _mm512_set1_epi32(static_cast<int>(rk.k0[r])), 0x96);
      c1 = lo1;
      c2 = _mm512_ternarylogic_epi32(hi0, c3, _mm512_set1_epi32(static_cast<int>(rk.k1[r])), 0x96);
      c3 = lo0;
    }
    std::uint16_t* group = out + g * kPhiloxGroup;
    const __m512i words[4] = {c0, c1, c2, c3};
    for (int w = 0; w < 4; ++w) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(group + 32 * w), _mm512_cvtepi32_epi16(words[w]));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(group + 32 * w + 16),
                          _mm512_cvtepi32_epi16(_mm512_srli_epi32(words[w], 16)));
    }
  }
}
#else
void philox_fill_groups(philox_key key, std::uint32_t first_group, std::size_t n_groups, std::uint64_t step,
                        random_stream stream, std::uint16_t* out) noexcept {
  const round_keys rk(key);
  const auto step_lo = static_cast<std::uint32_t>(step), step_hi = static_cast<std::uint32_t>(step >> 32);
  const auto stream_word = static_cast<std::uint32_t>(stream);
  for (std::size_t g = 0; g < n_groups; ++g) {
    std::uint16_t* __restrict group = out + g * kPhiloxGroup;
    const std::uint32_t first_block = (first_group + static_cast<std::uint32_t>(g)) * 16u;
    for (std::uint32_t b = 0; b < 16; ++b) {
      std::uint32_t c[4] = {first_block + b, step_lo, step_hi, stream_word};
      for (int r = 0; r < philox_detail::kRounds; ++r) philox_detail::round(c[0], c[1], c[2], c[3], rk.k0[r], rk.k1[r]);
      for (int w = 0; w < 4; ++w) {
        group[32 * w + b] = static_cast<std::uint16_t>(c[w]);
        group[32 * w + 16 + b] = static_cast<std::uint16_t>(c[w] >> 16);
      }
    }
  }
}
#endif

}  // namespace cortexloop::engine
