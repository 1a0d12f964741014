#include "engine/drive.hpp"

#include <algorithm>

#include "engine/units.hpp"

namespace cortexloop::engine {

poisson_drive::poisson_drive(const drive_params& p, double q_exc_nS, double dt_ms, std::uint64_t seed)
    : rate_Hz_(p.rate_Hz), k_exc_(p.k_exc), ramp_ms_(p.ramp_ms), dt_ms_(dt_ms),
      q_exc_nS_(static_cast<float>(q_exc_nS)), rng_(seed) {}

double poisson_drive::rate_at_Hz(double t_ms) const noexcept {
  const double ramp = ramp_ms_ > 0 ? std::min(1.0, t_ms / ramp_ms_) : 1.0;
  return rate_Hz_ * ramp;
}

void poisson_drive::apply(double t_ms, float* g_exc_nS, std::size_t n) noexcept {
  const double p = dt_ms_ / kMsPerS * k_exc_ * rate_at_Hz(t_ms);
  if (p <= 0.0) return;
  // Compare 32-bit uniforms with p * 2^32: exact Bernoulli(p) up to 2^-32 quantisation of p.
  const double scaled = p * 4294967296.0;
  const bool always = scaled >= 4294967295.0;
  const std::uint32_t threshold = always ? 0xFFFFFFFFu : static_cast<std::uint32_t>(scaled);
  alignas(64) std::uint32_t draws[lane_rng::kLanes];
  std::uint32_t fired = 0;
  for (std::size_t base = 0; base < n; base += lane_rng::kLanes) {
    rng_.next_block(draws);
    const std::size_t m = std::min(lane_rng::kLanes, n - base);
    for (std::size_t l = 0; l < m; ++l) {
      const bool event = always || draws[l] < threshold;
      g_exc_nS[base + l] += event ? q_exc_nS_ : 0.0f;
      fired += event ? 1u : 0u;
    }
  }
  events_ += fired;
}

}  // namespace cortexloop::engine
