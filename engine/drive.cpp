#include "engine/drive.hpp"

#include <algorithm>

#include "engine/units.hpp"

namespace cortexloop::engine {

poisson_drive::poisson_drive(const drive_params& p, double q_exc_nS, double dt_ms, std::size_t n_neurons,
                             std::uint64_t seed)
    : rate_Hz_(p.rate_Hz), k_exc_(p.k_exc), ramp_ms_(p.ramp_ms), dt_ms_(dt_ms),
      q_exc_nS_(static_cast<float>(q_exc_nS)), rng_(seed),
      draws_((n_neurons + lane_rng::kLanes - 1) / lane_rng::kLanes * lane_rng::kLanes) {}

namespace {
// Adds q to g[i] where draw[i] < threshold and returns the number of events. Restrict parameters let the
// compiler vectorise the compare-and-add.
std::uint32_t add_events(const std::uint32_t* __restrict draw, float* __restrict g, std::size_t n,
                         std::uint32_t threshold, bool always, float q) noexcept {
  std::uint32_t fired = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const bool event = always | (draw[i] < threshold);
    g[i] += event ? q : 0.0f;
    fired += event ? 1u : 0u;
  }
  return fired;
}
}  // namespace

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
  if (n > draws_.size()) n = draws_.size();  // never past the scratch sized at construction
  rng_.fill(draws_.data(), draws_.size());
  const std::uint32_t fired = add_events(draws_.data(), g_exc_nS, n, threshold, always, q_exc_nS_);
  events_ += fired;
}

}  // namespace cortexloop::engine
