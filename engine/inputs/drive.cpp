#include "engine/inputs/drive.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "engine/units.hpp"

namespace cortexloop::engine {

poisson_drive::poisson_drive(const drive_params& p, double q_exc_nS, double dt_ms, random_stream stream,
                             std::uint64_t seed)
    : rate_Hz_(p.rate_Hz), k_exc_(p.k_exc), ramp_ms_(p.ramp_ms), dt_ms_(dt_ms),
      q_exc_nS_(static_cast<float>(q_exc_nS)), stream_(stream), key_(philox_key::from_seed(seed)) {}

double poisson_drive::rate_at_Hz(double t_ms) const noexcept {
  const double ramp = ramp_ms_ > 0 ? std::min(1.0, t_ms / ramp_ms_) : 1.0;
  return rate_Hz_ * ramp;
}

drive_quantum quantise_drive(double p) noexcept {
  // Compare 16-bit uniforms with p * 2^16: Bernoulli(p) with p quantised to 2^-16 (1.5e-5; at the default 0.16
  // the relative error is 2.3e-5, far below the drive's sampling noise), half the random bits of 32-bit draws.
  const double scaled = p * 65536.0;
  const bool always = scaled >= 65535.5;
  return {static_cast<std::uint16_t>(always || !(p > 0) ? 0 : std::lround(scaled)), always};
}

double drawn_drive_rate_Hz(double rate_Hz, double k_exc, double dt_ms) noexcept {
  const double per_Hz = dt_ms / kMsPerS * k_exc;  // p per Hz of rate
  if (!(per_Hz > 0)) return rate_Hz;
  const drive_quantum q = quantise_drive(per_Hz * rate_Hz);
  return (q.always ? 1.0 : q.threshold / 65536.0) / per_Hz;
}

std::string drive_resolution_problem(double rate_Hz, double k_exc, double dt_ms) {
  const double drawn = drawn_drive_rate_Hz(rate_Hz, k_exc, dt_ms);
  if (!(rate_Hz > 0) || std::abs(drawn - rate_Hz) <= kMaxDriveQuantisationError * rate_Hz) return {};
  // Above 0.5 / 0.01 = 50 quanta every rate is drawn within 1 %.
  const double least_Hz = 50.0 / 65536.0 / (dt_ms / kMsPerS * k_exc);
  char text[400];
  std::snprintf(text, sizeof text,
                "drawn as %.6g Hz (%+.3g %%): each cell's event probability per step, dt * k_exc * rate "
                "(k_exc %.6g, dt %.6g ms), is drawn in steps of 2^-16; give 0, a rate of at least %.3g Hz (drawn "
                "within 1 %%), or a larger k_exc",
                drawn, 100.0 * (drawn - rate_Hz) / rate_Hz, k_exc, dt_ms, least_Hz);
  return text;
}

drive_rule poisson_drive::rule(std::int64_t step_index) const noexcept {
  const double t_ms = static_cast<double>(step_index) * dt_ms_;
  const drive_quantum q = quantise_drive(dt_ms_ / kMsPerS * k_exc_ * rate_at_Hz(t_ms));
  return {q.threshold, q.always, q_exc_nS_};
}

void poisson_drive::fill(std::int64_t step_index, std::uint32_t first_group, std::size_t n_groups,
                         std::uint16_t* out) const noexcept {
  philox_fill_groups(key_, first_group, n_groups, static_cast<std::uint64_t>(step_index), stream_, out);
}

std::uint64_t poisson_drive::add_events(std::int64_t step_index, std::uint32_t begin, std::uint32_t end,
                                        float* g_exc_nS, std::uint16_t* draws) const noexcept {
  const drive_rule r = rule(step_index);
  if (r.never()) return 0;
  fill(step_index, begin / static_cast<std::uint32_t>(kPhiloxGroup), (end - begin + kPhiloxGroup - 1) / kPhiloxGroup,
       draws);
  float* g = g_exc_nS + begin;
  std::uint64_t events = 0;
  for (std::uint32_t i = 0; i < end - begin; ++i) {
    const bool event = r.always || draws[i] < r.threshold;
    g[i] += event ? r.q_nS : 0.0f;
    events += event ? 1u : 0u;
  }
  return events;
}

}  // namespace cortexloop::engine
