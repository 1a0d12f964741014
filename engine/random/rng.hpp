#pragma once
// Random numbers for the engine. Distributions are written here rather than taken from <random>,
// whose distributions are implementation-defined: a seed must give the same network everywhere.
#include <cmath>
#include <cstddef>
#include <cstdint>

namespace cortexloop::engine {

// SplitMix64 (Steele, Lea & Flood 2014): expands one seed into well-mixed state words.
constexpr std::uint64_t splitmix64(std::uint64_t& x) noexcept {
  std::uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// xoshiro256** (Blackman & Vigna 2018): the scalar generator for set-up work.
class scalar_rng {
 public:
  explicit scalar_rng(std::uint64_t seed) noexcept {
    for (auto& w : s_) w = splitmix64(seed);
  }
  std::uint64_t next() noexcept {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Number of failures before the first success of Bernoulli(p) trials, by inversion.
  // Used to skip over absent synapses in O(number of synapses).
  std::uint64_t geometric(double log1m_p) noexcept {
    const double u = 1.0 - uniform();  // (0, 1]
    return static_cast<std::uint64_t>(std::floor(std::log(u) / log1m_p));
  }

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

// 16 independent xoshiro128** streams in structure-of-arrays form, so that the compiler turns one call
// of next_block() into a few vector instructions. It feeds the per-neuron, per-step Bernoulli drive,
// which needs ~10^8 uniform draws per simulated second at N = 10,000.
class lane_rng {
 public:
  static constexpr std::size_t kLanes = 16;
  explicit lane_rng(std::uint64_t seed) noexcept {
    for (std::size_t l = 0; l < kLanes; ++l) {
      const std::uint64_t a = splitmix64(seed), b = splitmix64(seed);
      s0_[l] = static_cast<std::uint32_t>(a) | 1u;  // never the all-zero state
      s1_[l] = static_cast<std::uint32_t>(a >> 32);
      s2_[l] = static_cast<std::uint32_t>(b);
      s3_[l] = static_cast<std::uint32_t>(b >> 32);
    }
  }
  // Fills out[0, n) (n a multiple of kLanes). The state is copied to locals so that the compiler keeps it
  // in vector registers across the whole loop instead of reloading it through `this`.
  void fill(std::uint32_t* __restrict out, std::size_t n) noexcept {
    fill_with(n, [out](std::size_t i, std::uint32_t w) { out[i] = w; });
  }
  // The same stream as 16-bit halves: word i gives out[2i] (low half) and out[2i + 1] (high half), written as
  // uint16_t objects -- the layout little-endian memory gave the old cast of this buffer to uint32_t*, without
  // its strict-aliasing undefined behaviour (a uint16_t array must not be written through a uint32_t lvalue).
  void fill_halves(std::uint16_t* __restrict out, std::size_t n_words) noexcept {
    fill_with(n_words, [out](std::size_t i, std::uint32_t w) {
      out[2 * i] = static_cast<std::uint16_t>(w);
      out[2 * i + 1] = static_cast<std::uint16_t>(w >> 16);
    });
  }

 private:
  template <class Store>
  void fill_with(std::size_t n, Store store) noexcept {
    std::uint32_t a[kLanes], b[kLanes], c[kLanes], d[kLanes];
    for (std::size_t l = 0; l < kLanes; ++l) a[l] = s0_[l], b[l] = s1_[l], c[l] = s2_[l], d[l] = s3_[l];
    for (std::size_t base = 0; base < n; base += kLanes) {
      for (std::size_t l = 0; l < kLanes; ++l) {
        store(base + l, rotl(b[l] * 5u, 7) * 9u);
        const std::uint32_t t = b[l] << 9;
        c[l] ^= a[l];
        d[l] ^= b[l];
        b[l] ^= c[l];
        a[l] ^= d[l];
        c[l] ^= t;
        d[l] = rotl(d[l], 11);
      }
    }
    for (std::size_t l = 0; l < kLanes; ++l) s0_[l] = a[l], s1_[l] = b[l], s2_[l] = c[l], s3_[l] = d[l];
  }

  static constexpr std::uint32_t rotl(std::uint32_t x, int k) noexcept { return (x << k) | (x >> (32 - k)); }
  alignas(64) std::uint32_t s0_[kLanes];
  alignas(64) std::uint32_t s1_[kLanes];
  alignas(64) std::uint32_t s2_[kLanes];
  alignas(64) std::uint32_t s3_[kLanes];
};

}  // namespace cortexloop::engine
