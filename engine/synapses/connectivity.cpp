#include "engine/synapses/connectivity.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "engine/random/philox_lanes.hpp"

namespace cortexloop::engine {

void draw_sources(std::uint32_t n, double p, philox_key key, std::uint32_t target, std::vector<std::uint32_t>& out) {
  const std::uint32_t candidates = n > 0 ? n - 1u : 0u;  // no autapses: candidate k maps to k, or k + 1 past target
  auto source = [target](std::uint64_t k) { return static_cast<std::uint32_t>(k < target ? k : k + 1); };
  if (p >= 1.0) {
    for (std::uint32_t k = 0; k < candidates; ++k) out.push_back(source(k));
    return;
  }
  if (!(p > 0.0)) return;
  // 16 blocks per Philox call (philox_stream16): the same uniforms as philox_stream, so the same sources.
  const philox_round_keys keys(key);
  philox_stream16 rng(keys, target, random_stream::connectivity);
  const double log1m_p = std::log1p(-p);
  // Failures before the first success of Bernoulli(p) trials, by inversion of the geometric law.
  auto skip = [&] { return static_cast<std::uint64_t>(std::floor(std::log(1.0 - rng.uniform()) / log1m_p)); };
  for (std::uint64_t k = skip(); k < candidates; k += 1 + skip()) out.push_back(source(k));
}

std::vector<std::uint32_t> target_shares(std::uint32_t n_local, unsigned threads) {
  constexpr std::uint32_t kMinTargetsPerThread = 1024;  // fewer are not worth a thread
  threads = std::clamp(n_local / kMinTargetsPerThread, 1u, std::max(1u, threads));
  std::vector<std::uint32_t> cut(threads + 1);
  for (unsigned t = 0; t <= threads; ++t)
    cut[t] = static_cast<std::uint32_t>(static_cast<std::uint64_t>(n_local) * t / threads);
  return cut;
}

incoming_synapses::incoming_synapses(std::uint32_t n, std::uint32_t begin, std::uint32_t end, double p,
                                     std::uint64_t seed, unsigned threads)
    // Each target's sources are drawn twice (the same Philox stream both times), to count and then to place them,
    // rather than kept: all the sources held at once are as large as the table itself, and beside it they were the
    // start-up's peak memory (403 MB at 100k cells, 309 MB drawn twice; bench/README.md, "Tidy pass").
    : incoming_synapses(n, begin, end, threads, [&] { return fixed_probability_sources(n, p, seed, begin); }) {}

incoming_synapses::incoming_synapses(std::uint32_t n, std::uint32_t begin, std::uint32_t end,
                                     const std::vector<std::uint32_t>& sources,
                                     const std::vector<std::uint64_t>& first_source, unsigned threads)
    : incoming_synapses(n, begin, end, threads, [&] {
        return [&](std::uint32_t local, auto visit) {
          for (std::uint64_t k = first_source[local]; k < first_source[local + 1]; ++k) visit(sources[k]);
        };
      }) {}

}  // namespace cortexloop::engine
