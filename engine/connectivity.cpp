#include "engine/connectivity.hpp"

#include <cmath>

#include "engine/rng.hpp"

namespace cortexloop::engine {

connectivity::connectivity(std::uint32_t n, double p, std::uint64_t seed) : row_start_(n + 1u, 0) {
  scalar_rng rng(seed);
  const std::uint64_t candidates = n > 0 ? n - 1u : 0u;  // no autapses
  targets_.reserve(static_cast<std::size_t>(1.05 * p * n * candidates + 64));
  const double log1m_p = std::log1p(-p);
  for (std::uint32_t pre = 0; pre < n; ++pre) {
    row_start_[pre] = targets_.size();
    if (p >= 1.0) {
      for (std::uint32_t post = 0; post < n; ++post)
        if (post != pre) targets_.push_back(post);
    } else if (p > 0.0) {
      // Candidate k in [0, n-1) maps to post = k, skipping pre itself.
      for (std::uint64_t k = rng.geometric(log1m_p); k < candidates; k += 1 + rng.geometric(log1m_p))
        targets_.push_back(static_cast<std::uint32_t>(k < pre ? k : k + 1));
    }
  }
  row_start_[n] = targets_.size();
}

}  // namespace cortexloop::engine
