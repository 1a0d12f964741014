#include "engine/synapses/connectivity.hpp"

#include <cmath>

namespace cortexloop::engine {

void draw_sources(std::uint32_t n, double p, philox_key key, std::uint32_t target, std::vector<std::uint32_t>& out) {
  const std::uint32_t candidates = n > 0 ? n - 1u : 0u;  // no autapses: candidate k maps to k, or k + 1 past target
  auto source = [target](std::uint64_t k) { return static_cast<std::uint32_t>(k < target ? k : k + 1); };
  if (p >= 1.0) {
    for (std::uint32_t k = 0; k < candidates; ++k) out.push_back(source(k));
    return;
  }
  if (!(p > 0.0)) return;
  philox_stream rng(key, target, random_stream::connectivity);
  const double log1m_p = std::log1p(-p);
  // Failures before the first success of Bernoulli(p) trials, by inversion of the geometric law.
  auto skip = [&] { return static_cast<std::uint64_t>(std::floor(std::log(1.0 - rng.uniform()) / log1m_p)); };
  for (std::uint64_t k = skip(); k < candidates; k += 1 + skip()) out.push_back(source(k));
}

template <class SourcesOf>
void incoming_synapses::fill_rows(std::uint32_t n, SourcesOf sources_of) {
  // A counting sort from targets to rows by source: each row then lists its local targets ascending, and the
  // delivery of one spike walks them in memory order.
  for (std::uint32_t local = 0; local < end_ - begin_; ++local)
    sources_of(local, [this](std::uint32_t s) { ++row_start_[s + 1]; });
  for (std::size_t i = 0; i < n; ++i) row_start_[i + 1] += row_start_[i];
  targets_.resize(row_start_[n]);
  std::vector<std::uint64_t> fill(row_start_.begin(), row_start_.end() - 1);
  for (std::uint32_t local = 0; local < end_ - begin_; ++local)
    sources_of(local, [&](std::uint32_t s) { targets_[fill[s]++] = local; });
}

incoming_synapses::incoming_synapses(std::uint32_t n, std::uint32_t begin, std::uint32_t end, double p,
                                     std::uint64_t seed)
    : begin_(begin), end_(end), row_start_(static_cast<std::size_t>(n) + 1, 0) {
  const philox_key key = philox_key::from_seed(seed);
  // Each target's sources are drawn twice (the same Philox stream both times), to count and then to place them,
  // rather than kept: all the sources held at once are as large as the table itself, and beside it they were the
  // start-up's peak memory (403 MB at 100k cells, 309 MB drawn twice; bench/README.md, "Tidy pass").
  std::vector<std::uint32_t> sources;
  fill_rows(n, [&](std::uint32_t local, auto visit) {
    sources.clear();
    draw_sources(n, p, key, begin + local, sources);
    for (const std::uint32_t s : sources) visit(s);
  });
}

incoming_synapses::incoming_synapses(std::uint32_t n, std::uint32_t begin, std::uint32_t end,
                                     const std::vector<std::uint32_t>& sources,
                                     const std::vector<std::uint64_t>& first_source)
    : begin_(begin), end_(end), row_start_(static_cast<std::size_t>(n) + 1, 0) {
  fill_rows(n, [&](std::uint32_t local, auto visit) {
    for (std::uint64_t k = first_source[local]; k < first_source[local + 1]; ++k) visit(sources[k]);
  });
}

}  // namespace cortexloop::engine
