#pragma once
// Counter-based random numbers: Philox4x32-10 (Salmon, Moraes, Dror & Shaw 2011, "Parallel random numbers: as easy
// as 1, 2, 3", SC'11, Sec. 4). A draw is a pure function of a 128-bit counter and a 64-bit key, so every random
// number of the engine is a function of (seed, neuron, step, stream) and not of the order in which they are
// drawn: a neuron's inputs do not depend on N, on the partitioning, on the thread count or on the vector width.
// The paper finds 7 rounds enough to pass TestU01's BigCrush (its Table 2); 10 is the authors' recommended default
// (safety margin), and what the known-answer tests of Random123 (kat_vectors) pin, which tests/test_philox.cpp
// checks.
#include <cstddef>
#include <cstdint>

namespace cortexloop::engine {

// What the random numbers are for: the last counter word, so that the streams never share a counter.
enum class random_stream : std::uint32_t {
  drive = 0,          // external drive, every neuron, every step
  afferent = 1,       // afferent input onto the excitatory cells, every step
  initial_state = 2,  // initial membrane potential, once per neuron
  connectivity = 3,   // the sources of one target (counter word 0 = target)
  // The plasticity experiment's cells (engine/plasticity/rate_effect.cpp): counter word 0 = the cell's number in
  // the grid. Offline and never beside the network, but kept apart from its streams all the same.
  plasticity_cells = 24,
};

struct philox_key {
  std::uint32_t k0, k1;
  static constexpr philox_key from_seed(std::uint64_t seed) noexcept {
    return {static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)};
  }
};

struct philox_block {
  std::uint32_t x[4];
};

namespace philox_detail {
inline constexpr std::uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;  // multipliers (paper, Sec. 4.2)
inline constexpr std::uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;  // Weyl key increments (golden ratio, sqrt 3)
inline constexpr int kRounds = 10;

// One round on four counter words; the 32x32 -> 64-bit products vectorise (vpmuludq).
[[gnu::always_inline]] inline void round(std::uint32_t& c0, std::uint32_t& c1, std::uint32_t& c2, std::uint32_t& c3,
                                         std::uint32_t k0, std::uint32_t k1) noexcept {
  const std::uint64_t p0 = static_cast<std::uint64_t>(kM0) * c0;
  const std::uint64_t p1 = static_cast<std::uint64_t>(kM1) * c2;
  const std::uint32_t hi0 = static_cast<std::uint32_t>(p0 >> 32), lo0 = static_cast<std::uint32_t>(p0);
  const std::uint32_t hi1 = static_cast<std::uint32_t>(p1 >> 32), lo1 = static_cast<std::uint32_t>(p1);
  c0 = hi1 ^ c1 ^ k0;
  c1 = lo1;
  c2 = hi0 ^ c3 ^ k1;
  c3 = lo0;
}
}  // namespace philox_detail

// Philox4x32-10 of one counter.
constexpr philox_block philox4x32(philox_block counter, philox_key key) noexcept {
  std::uint32_t c0 = counter.x[0], c1 = counter.x[1], c2 = counter.x[2], c3 = counter.x[3];
  std::uint32_t k0 = key.k0, k1 = key.k1;
  for (int r = 0; r < philox_detail::kRounds; ++r) {
    if (r > 0) k0 += philox_detail::kW0, k1 += philox_detail::kW1;  // the key is bumped before rounds 2..R
    philox_detail::round(c0, c1, c2, c3, k0, k1);
  }
  return {{c0, c1, c2, c3}};
}

// The per-neuron, per-step draws are 16-bit: a Bernoulli event compares its draw with p * 2^16
// (engine/inputs/drive.hpp), so each 32-bit word serves two neurons and a step costs half the Philox blocks. Neurons
// are grouped by 128: in group g, neuron 128 g + 32 w + 16 h + b takes half h (0: low, 1: high) of word w of the block
// with counter (16 g + b, step low, step high, stream). Any one neuron's draw is thus a function of (key, neuron, step,
// stream) only, and a group's 16 blocks are 16 SIMD lanes whose words fill the group's 128 draws with whole-vector
// stores.
inline constexpr std::size_t kPhiloxGroup = 128;

// The draw of one neuron at one step (scalar; for tests and set-up, the value philox_fill_groups gives).
constexpr std::uint16_t philox_draw16(philox_key key, std::uint32_t neuron, std::uint64_t step,
                                      random_stream stream) noexcept {
  const std::uint32_t block = neuron / 128u * 16u + neuron % 16u, word = neuron % 128u / 32u,
                      half = neuron % 32u / 16u;
  const philox_block r = philox4x32({{block, static_cast<std::uint32_t>(step), static_cast<std::uint32_t>(step >> 32),
                                      static_cast<std::uint32_t>(stream)}},
                                    key);
  return static_cast<std::uint16_t>(r.x[word] >> (16u * half));
}

// Fills out[0, 128 n_groups) with the draws of neurons [128 first_group, 128 (first_group + n_groups)) at `step`.
// Allocation-free. With AVX-512 the 16 blocks of a group are one register per counter word
// (engine/random/philox_lanes.hpp); otherwise a loop the compiler may vectorise. Both give the same values (integer
// arithmetic).
void philox_fill_groups(philox_key key, std::uint32_t first_group, std::size_t n_groups, std::uint64_t step,
                        random_stream stream, std::uint16_t* out) noexcept;

// A sequential stream from the counter (id, i, stream) for i = 0, 1, ...: for set-up work that needs a variable
// number of draws from one (seed, id) pair, such as the sources of one target.
class philox_stream {
 public:
  // first_block: the counter index i to start from.
  philox_stream(philox_key key, std::uint32_t id, random_stream stream, std::uint64_t first_block = 0) noexcept
      : key_(key), id_(id), stream_(static_cast<std::uint32_t>(stream)), index_(first_block) {}
  std::uint32_t next32() noexcept {
    if (used_ == 4) {
      block_ = philox4x32({{id_, static_cast<std::uint32_t>(index_), static_cast<std::uint32_t>(index_ >> 32), stream_}},
                          key_);
      ++index_;
      used_ = 0;
    }
    return block_.x[used_++];
  }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() noexcept {
    const std::uint64_t hi = next32(), lo = next32();
    return static_cast<double>(((hi << 32) | lo) >> 11) * 0x1.0p-53;
  }

 private:
  philox_key key_;
  std::uint32_t id_, stream_;
  std::uint64_t index_;
  philox_block block_{};
  int used_ = 4;
};

// Uniform in [0, 1) with 32 random bits, a function of (key, neuron, stream) (for the initial state).
constexpr double philox_unit(philox_key key, std::uint32_t neuron, random_stream stream) noexcept {
  return static_cast<double>(philox4x32({{neuron, 0u, 0u, static_cast<std::uint32_t>(stream)}}, key).x[0]) * 0x1.0p-32;
}

}  // namespace cortexloop::engine
