#include "engine/synapses/fixed_indegree.hpp"

#include <algorithm>
#include <bit>

#include "engine/random/philox_lanes.hpp"
#include "engine/random/philox_normal.hpp"

namespace cortexloop::engine {

void draw_fixed_indegree_sources(const fixed_indegree& spec, philox_key key, std::uint32_t target,
                                 std::vector<std::uint32_t>& out, std::vector<std::uint64_t>& bits) {
  const int post = target < spec.n_exc ? 0 : 1;
  for (int pre = 0; pre < 2; ++pre) {
    const std::uint32_t first = pre == 0 ? 0 : spec.n_exc, size = pre == 0 ? spec.n_exc : spec.n - spec.n_exc;
    const std::uint32_t k = spec.k_in[post][pre];
    if (k == 0 || size == 0) continue;
    bits.assign((size + 63) / 64, 0);
    if (post == pre) bits[(target - first) / 64] |= 1ull << ((target - first) % 64);  // no autapse
    philox_stream rng(key, target, static_cast<random_stream>(kFixedIndegreeStream + static_cast<std::uint32_t>(pre)));
    // Rejection of repeats: k <= size - 1 is checked at load; at K = 800 of 10k, 4 % of draws are repeats.
    for (std::uint32_t drawn = 0; drawn < k;) {
      // Multiply-shift maps 32 bits onto [0, size) with a bias below size / 2^32 (2e-6 at 10k).
      const auto j = static_cast<std::uint32_t>((static_cast<std::uint64_t>(rng.next32()) * size) >> 32);
      std::uint64_t& word = bits[j / 64];
      const std::uint64_t bit = 1ull << (j % 64);
      if (word & bit) continue;
      word |= bit;
      ++drawn;
    }
    // The set bits are the sources, ascending (the target's own bit aside).
    if (post == pre) bits[(target - first) / 64] &= ~(1ull << ((target - first) % 64));
    for (std::size_t w = 0; w < bits.size(); ++w)
      for (std::uint64_t word = bits[w]; word != 0; word &= word - 1)
        out.push_back(first + static_cast<std::uint32_t>(64 * w + static_cast<std::size_t>(std::countr_zero(word))));
  }
}

namespace {

// The sources of the `count` <= 16 targets from `first`, appended target by target as draw_fixed_indegree_sources
// gives them: the same streams, their words taken in the same order and rejected alike, but 16 targets' Philox blocks
// per philox16 call (engine/random/philox_lanes.hpp) instead of one scalar block per call (the scalar draws were ~12 %
// of the 20k network's start-up samples), written from `out` on (sources_of_target(t) per target, in order). bits:
// per target, the E then the I source bitset.
void append_sources16(const fixed_indegree& spec, const philox_round_keys& keys, std::uint32_t first,
                      std::uint32_t count, std::uint32_t* out, std::vector<std::uint64_t>& bits) {
  const std::uint32_t first_cell[2] = {0, spec.n_exc}, size[2] = {spec.n_exc, spec.n - spec.n_exc};
  const std::size_t words[2] = {(size[0] + 63) / 64, (size[1] + 63) / 64}, per_target = words[0] + words[1];
  bits.assign(lanes::kLanes * per_target, 0);
  auto bits_of = [&](std::uint32_t lane, int pre) { return bits.data() + lane * per_target + (pre == 0 ? 0 : words[0]); };
  auto own_bit = [&](std::uint32_t lane, int pre, std::uint64_t*& word) {  // the target's own bit, if pre is its population
    const std::uint32_t target = first + lane, post = target < spec.n_exc ? 0 : 1;
    if (static_cast<int>(post) != pre) return std::uint64_t{0};
    word = bits_of(lane, pre) + (target - first_cell[pre]) / 64;
    return std::uint64_t{1} << ((target - first_cell[pre]) % 64);
  };
  for (int pre = 0; pre < 2; ++pre) {
    std::uint32_t need[lanes::kLanes] = {}, busy = 0;
    for (std::uint32_t lane = 0; lane < count; ++lane) {
      need[lane] = size[pre] == 0 ? 0 : spec.k_in[first + lane < spec.n_exc ? 0 : 1][pre];
      std::uint64_t* word = nullptr;
      if (need[lane] != 0) {
        if (const std::uint64_t bit = own_bit(lane, pre, word)) *word |= bit;  // no autapse
        ++busy;
      }
    }
    const auto stream = kFixedIndegreeStream + static_cast<std::uint32_t>(pre);
    for (std::uint64_t index = 0; busy != 0; ++index) {
      const philox_lanes r = philox16(keys, first, static_cast<std::uint32_t>(index), static_cast<std::uint32_t>(index >> 32), stream);
      for (std::uint32_t lane = 0; lane < count; ++lane) {
        for (int w = 0; w < 4 && need[lane] != 0; ++w) {
          const auto j = static_cast<std::uint32_t>((static_cast<std::uint64_t>(r.x[w][lane]) * size[pre]) >> 32);
          std::uint64_t& word = bits_of(lane, pre)[j / 64];
          const std::uint64_t bit = std::uint64_t{1} << (j % 64);
          if (word & bit) continue;
          word |= bit;
          busy -= --need[lane] == 0;
        }
      }
    }
    for (std::uint32_t lane = 0; lane < count; ++lane) {
      std::uint64_t* word = nullptr;
      if (const std::uint64_t bit = own_bit(lane, pre, word)) *word &= ~bit;
    }
  }
  for (std::uint32_t lane = 0; lane < count; ++lane) {
    for (int pre = 0; pre < 2; ++pre) {
      const std::uint64_t* b = bits_of(lane, pre);
      for (std::size_t w = 0; w < words[pre]; ++w)
        for (std::uint64_t word = b[w]; word != 0; word &= word - 1)
          *out++ = first_cell[pre] + static_cast<std::uint32_t>(64 * w + static_cast<std::size_t>(std::countr_zero(word)));
    }
  }
}

// How many sources target t has: k_in from each population that has cells.
std::uint64_t sources_of_target(const fixed_indegree& spec, std::uint32_t t) {
  const int post = t < spec.n_exc ? 0 : 1;
  return (spec.n_exc > 0 ? std::uint64_t{spec.k_in[post][0]} : 0) +
         (spec.n > spec.n_exc ? std::uint64_t{spec.k_in[post][1]} : 0);
}

}  // namespace

fixed_indegree_sources::fixed_indegree_sources(const fixed_indegree& spec, std::uint64_t seed, std::uint32_t begin)
    : spec_(spec), seed_(seed), begin_(begin), ends_(lanes::kLanes + 1, 0) {}

void fixed_indegree_sources::draw_from(std::uint32_t t) {
  first_ = t;
  count_ = std::min(lanes::kLanes, spec_.n - t);
  for (std::uint32_t j = 0; j < count_; ++j) ends_[j + 1] = ends_[j] + sources_of_target(spec_, t + j);
  sources_.resize(ends_[count_]);
  append_sources16(spec_, philox_round_keys(philox_key::from_seed(seed_)), t, count_, sources_.data(), bits_);
}

incoming_synapses fixed_indegree_synapses(const fixed_indegree& spec, std::uint32_t begin, std::uint32_t end,
                                          std::uint64_t seed, unsigned threads) {
  return incoming_synapses(spec.n, begin, end, threads, [&] { return fixed_indegree_sources(spec, seed, begin); });
}

}  // namespace cortexloop::engine
