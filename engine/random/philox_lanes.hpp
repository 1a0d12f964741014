#pragma once
// Philox4x32-10 (engine/random/philox.hpp) for 16 consecutive counters at once, one 16-lane vector per counter word:
// the draws of one group of 128 neurons (philox.hpp, kPhiloxGroup) in four registers. Used by philox_fill_groups and
// by the network's update, which takes a group's draws straight from the registers (engine/network/partition.cpp).
#include <cstdint>

#include "engine/cpu/lanes16.hpp"
#include "engine/random/philox.hpp"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

// As in lanes16.hpp: the 64-byte vector instantiations are always inlined, no call passes one by value (GCC warns
// about their ABI in builds without AVX-512, e.g. CORTEXLOOP_PORTABLE).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"

namespace cortexloop::engine {

// The key bumped by the Weyl increments before rounds 2..R (Salmon et al. 2011, Sec. 4.2), computed once per key.
struct philox_round_keys {
  std::uint32_t k0[philox_detail::kRounds], k1[philox_detail::kRounds];
  explicit philox_round_keys(philox_key key) noexcept {
    std::uint32_t a = key.k0, b = key.k1;
    for (int r = 0; r < philox_detail::kRounds; ++r) {
      if (r > 0) a += philox_detail::kW0, b += philox_detail::kW1;
      k0[r] = a;
      k1[r] = b;
    }
  }
};

// Words 0..3 of the blocks with counters (first_block + lane, step_lo, step_hi, stream), lane = 0..15.
struct philox_lanes {
  lanes::vu x[4];
};

#if defined(__AVX512F__)
// A 32x32 -> 64-bit product exists for the even lanes only (vpmuludq): each multiplication is done for the even
// lanes and for the odd lanes moved down, and the high and low halves are put back into 16 lanes with one masked
// in-lane shuffle each (swapping the 32-bit halves of every 64-bit lane): 12 instructions per round.
// The 16 blocks whose counters are (c[0][lane], c[1][lane], c[2][lane], c[3][lane]).
[[gnu::always_inline]] inline philox_lanes philox16_of(const philox_round_keys& rk, const philox_lanes& counters) noexcept {
  const __m512i m0 = _mm512_set1_epi64(philox_detail::kM0), m1 = _mm512_set1_epi64(philox_detail::kM1);
  constexpr __mmask16 kEven = 0x5555, kOdd = 0xAAAA;
  constexpr __mmask8 kAll64 = 0xFF;
  __m512i c0 = reinterpret_cast<__m512i>(counters.x[0]), c1 = reinterpret_cast<__m512i>(counters.x[1]);
  __m512i c2 = reinterpret_cast<__m512i>(counters.x[2]), c3 = reinterpret_cast<__m512i>(counters.x[3]);
  for (int r = 0; r < philox_detail::kRounds; ++r) {
    // even: products of the even lanes (low half in the even lane, high half in the odd one above it);
    // odd: of the odd lanes (low half in the even lane below, high half in the odd lane).
    // (The masked forms with every lane selected are the same instructions; GCC 12 warns at every use of the
    // unmasked ones, which pass it an uninitialised source.)
    auto mul = [](__m512i a, __m512i b) { return _mm512_mask_mul_epu32(a, kAll64, a, b); };
    auto down = [](__m512i a) { return _mm512_mask_srli_epi64(a, kAll64, a, 32); };
    const __m512i even0 = mul(c0, m0), odd0 = mul(down(c0), m0);
    const __m512i even1 = mul(c2, m1), odd1 = mul(down(c2), m1);
    const __m512i hi0 = _mm512_mask_shuffle_epi32(odd0, kEven, even0, _MM_PERM_CDAB);
    const __m512i lo0 = _mm512_mask_shuffle_epi32(even0, kOdd, odd0, _MM_PERM_CDAB);
    const __m512i hi1 = _mm512_mask_shuffle_epi32(odd1, kEven, even1, _MM_PERM_CDAB);
    const __m512i lo1 = _mm512_mask_shuffle_epi32(even1, kOdd, odd1, _MM_PERM_CDAB);
    // 0x96: the truth table of a ^ b ^ c.
    c0 = _mm512_ternarylogic_epi32(hi1, c1, _mm512_set1_epi32(static_cast<int>(rk.k0[r])), 0x96);
    c1 = lo1;
    c2 = _mm512_ternarylogic_epi32(hi0, c3, _mm512_set1_epi32(static_cast<int>(rk.k1[r])), 0x96);
    c3 = lo0;
  }
  return {{reinterpret_cast<lanes::vu>(c0), reinterpret_cast<lanes::vu>(c1), reinterpret_cast<lanes::vu>(c2),
           reinterpret_cast<lanes::vu>(c3)}};
}
#else
// Without AVX-512: the scalar round per lane (the compiler may vectorise it); the same integer results.
[[gnu::always_inline]] inline philox_lanes philox16_of(const philox_round_keys& rk, const philox_lanes& counters) noexcept {
  philox_lanes out;
  for (unsigned b = 0; b < lanes::kLanes; ++b) {
    std::uint32_t c0 = counters.x[0][b], c1 = counters.x[1][b], c2 = counters.x[2][b], c3 = counters.x[3][b];
    for (int r = 0; r < philox_detail::kRounds; ++r) philox_detail::round(c0, c1, c2, c3, rk.k0[r], rk.k1[r]);
    out.x[0][b] = c0;
    out.x[1][b] = c1;
    out.x[2][b] = c2;
    out.x[3][b] = c3;
  }
  return out;
}
#endif

// Words 0..3 of the blocks with counters (first_block + lane, step_lo, step_hi, stream), lane = 0..15.
[[gnu::always_inline]] inline philox_lanes philox16(const philox_round_keys& rk, std::uint32_t first_block,
                                                     std::uint32_t step_lo, std::uint32_t step_hi,
                                                     std::uint32_t stream) noexcept {
  const lanes::vu zero{};
  return philox16_of(rk, {{zero + first_block + lanes::vu(lanes::iota()), zero + step_lo, zero + step_hi, zero + stream}});
}

// philox_stream (engine/random/philox.hpp) with 16 blocks drawn per philox16_of call: the same words in the same
// order, for set-up work that draws many numbers from one stream (the sources of a target, where one scalar block
// per two uniforms left draw_sources a third of the start-up's samples at 77,000 cells and in-degree 3,850, and
// ~20 % less of the start-up's CPU time at 100k cells with 16 blocks per call; bench/README.md, "Set-up on every
// usable CPU").
class philox_stream16 {
 public:
  philox_stream16(const philox_round_keys& keys, std::uint32_t id, random_stream stream,
                  std::uint64_t first_block = 0) noexcept
      : keys_(keys), id_(id), stream_(static_cast<std::uint32_t>(stream)), index_(first_block) {}
  std::uint32_t next32() noexcept {
    if (used_ == kWords) refill();
    // Word w of block b (the scalar stream's word 4 b + w) is lane b of the vector of word w.
    const unsigned k = used_++;
    return words_[(k % 4) * lanes::kLanes + k / 4];
  }
  // Uniform in [0, 1) with 53 random bits, as philox_stream::uniform.
  double uniform() noexcept {
    const std::uint64_t hi = next32(), lo = next32();
    return static_cast<double>(((hi << 32) | lo) >> 11) * 0x1.0p-53;
  }

 private:
  static constexpr unsigned kWords = 4 * lanes::kLanes;
  void refill() noexcept {
    // Blocks index_ + lane: the counter's words 1 and 2 are the 64-bit index, the carry into word 2 per lane.
    const lanes::vu zero{}, lane = lanes::vu(lanes::iota());
    const auto lo = static_cast<std::uint32_t>(index_), hi = static_cast<std::uint32_t>(index_ >> 32);
    const lanes::vu index_lo = zero + lo + lane;
    const lanes::vu carry = reinterpret_cast<lanes::vu>(index_lo < lo) & 1u;
    const philox_lanes r = philox16_of(keys_, {{zero + id_, index_lo, zero + hi + carry, zero + stream_}});
    for (unsigned w = 0; w < 4; ++w) lanes::store(words_ + w * lanes::kLanes, r.x[w]);
    index_ += lanes::kLanes;
    used_ = 0;
  }
  const philox_round_keys& keys_;
  std::uint32_t id_, stream_;
  std::uint64_t index_;
  unsigned used_ = kWords;
  alignas(64) std::uint32_t words_[kWords];
};

// The 16 draws of neurons 128 g + 16 j + (0..15) (j = 0..7) from the blocks of group g: half j % 2 of word j / 2
// (philox.hpp), in the low 16 bits of 32-bit lanes.
[[gnu::always_inline]] inline lanes::vu philox_draws16(const philox_lanes& r, unsigned j) noexcept {
  return (r.x[j / 2] >> (16u * (j % 2))) & 0xFFFFu;
}

// True in the lanes whose draw (philox_draws16(r, j)) is below threshold (< 2^16), without extracting the draws: a high
// half (j odd) is below t exactly when its word is below t 2^16, a low half when its word shifted up by 16 is.
[[gnu::always_inline]] inline lanes::mask philox_below16(const philox_lanes& r, unsigned j,
                                                         std::uint32_t threshold) noexcept {
  const lanes::vu word = j % 2 != 0 ? r.x[j / 2] : r.x[j / 2] << 16u;
  return lanes::below(word, lanes::vu{} + (threshold << 16u));
}

}  // namespace cortexloop::engine

#pragma GCC diagnostic pop
