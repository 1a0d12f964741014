#include "firmware_sim/stimulator.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>

#include "engine/meanfield/ring_geometry.hpp"
#include "engine/units.hpp"

namespace cortexloop::firmware_sim {

namespace {

std::string_view fail(reason_buffer& reason, const char* field, double value, const char* allowed) noexcept {
  const int n = std::snprintf(reason.data(), reason.size(), "%s = %g: %s", field, value, allowed);
  return {reason.data(), static_cast<std::size_t>(std::clamp(n, 0, static_cast<int>(reason.size()) - 1))};
}

std::int64_t to_steps(double ms, double dt_ms) noexcept { return std::llround(ms / dt_ms); }

}  // namespace

std::string_view validate(const program& p, const ring_geometry& ring, double dt_ms, reason_buffer& reason) noexcept {
  if (!std::isfinite(p.amplitude_pA) || std::fabs(p.amplitude_pA) > limits::max_abs_amplitude_pA)
    return fail(reason, "amplitude_pa", p.amplitude_pA, "must be finite with |amplitude| <= 5000 pA");
  if (!std::isfinite(p.delay_ms) || p.delay_ms < 0 || p.delay_ms > limits::max_time_ms)
    return fail(reason, "delay_ms", p.delay_ms, "must be in [0, 3600000] ms");
  if (!std::isfinite(p.duration_ms) || p.duration_ms < 0 || p.duration_ms > limits::max_time_ms)
    return fail(reason, "duration_ms", p.duration_ms, "must be 0 (no end) or in (0, 3600000] ms");
  if (p.duration_ms > 0 && to_steps(p.duration_ms, dt_ms) < 1)
    return fail(reason, "duration_ms", p.duration_ms, "is shorter than one step of dt");
  if (p.shape == waveform::sine || p.shape == waveform::pulse_train) {
    if (!std::isfinite(p.frequency_Hz) || p.frequency_Hz <= 0 || p.frequency_Hz > limits::max_frequency_Hz)
      return fail(reason, "frequency_hz", p.frequency_Hz, "must be in (0, 1000] Hz for sine and pulse train");
  }
  if (p.shape == waveform::pulse_train) {
    const double period_ms = engine::kMsPerS / p.frequency_Hz;
    const double max_width = p.biphasic ? period_ms / 2 : period_ms;
    if (!std::isfinite(p.pulse_width_ms) || p.pulse_width_ms <= 0 || p.pulse_width_ms > max_width)
      return fail(reason, "pulse_width_ms", p.pulse_width_ms,
                  p.biphasic ? "must be in (0, period / 2] for a biphasic train" : "must be in (0, period]");
  }
  if (p.site == site_kind::ring_position) {
    if (ring.n_units == 0) return fail(reason, "site.kind", 1, "RingPosition, but this config has no ring");
    if (!std::isfinite(p.position_mm) || p.position_mm < 0 || p.position_mm >= ring.length_mm)
      return fail(reason, "site.position_mm", p.position_mm, "must be in [0, ring length)");
    if (!std::isfinite(p.width_mm) || p.width_mm <= 0 || p.width_mm > ring.length_mm)
      return fail(reason, "site.width_mm", p.width_mm, "must be in (0, ring length]");
  }
  return {};
}

stimulator::stimulator(double dt_ms, ring_geometry ring)
    : dt_ms_(dt_ms), ring_(ring), profiles_(kChannels * ring.n_units, 0.0f),
      ring_exc_(ring.n_units, 0.0f),
      ring_inh_(ring.n_units, 0.0f) {}

void stimulator::load(std::size_t channel, const program& p, std::int64_t now_step) noexcept {
  if (channel >= kChannels) return;
  channel_state& c = channels_[channel];
  c.p = p;
  c.start_step = now_step + to_steps(p.delay_ms, dt_ms_);
  c.stop_step = p.duration_ms > 0 ? c.start_step + to_steps(p.duration_ms, dt_ms_) : -1;
  c.period_ms = p.frequency_Hz > 0 ? engine::kMsPerS / p.frequency_Hz : 0.0;
  if (p.site == site_kind::ring_position && ring_.n_units > 0) {
    // The ring's own geometry, so that a site and a config stimulus at the same position_mm hit the same units.
    engine::meanfield::ring_gaussian_profile({profiles_.data() + channel * ring_.n_units, ring_.n_units},
                                             ring_.length_mm, p.position_mm, p.width_mm, 1.0);
  }
  c.loaded = true;
}

void stimulator::clear(std::size_t channel) noexcept {
  if (channel < kChannels) channels_[channel].loaded = false;
}

void stimulator::clear_all() noexcept {
  for (channel_state& c : channels_) c.loaded = false;
}

double stimulator::value_at(const channel_state& c, std::int64_t step) const noexcept {
  if (!c.loaded || step < c.start_step || (c.stop_step >= 0 && step >= c.stop_step)) return 0.0;
  const double tau_ms = static_cast<double>(step - c.start_step) * dt_ms_;
  switch (c.p.shape) {
    case waveform::dc:
      return c.p.amplitude_pA;
    case waveform::sine:
      return c.p.amplitude_pA * std::sin(2.0 * std::numbers::pi * c.p.frequency_Hz * tau_ms / engine::kMsPerS);
    case waveform::pulse_train: {
      // A small tolerance keeps a width that is a whole number of steps from gaining a step to rounding.
      const double phase = std::fmod(tau_ms, c.period_ms) + 1e-9 * dt_ms_;
      if (phase < c.p.pulse_width_ms) return c.p.amplitude_pA;
      if (c.p.biphasic && phase < 2 * c.p.pulse_width_ms) return -c.p.amplitude_pA;
      return 0.0;
    }
  }
  return 0.0;
}

engine::population_currents stimulator::currents_pA(std::int64_t step_index) noexcept {
  double exc = 0, inh = 0;
  for (const channel_state& c : channels_) {
    if (!c.loaded || c.p.site != site_kind::population) continue;
    const double v = value_at(c, step_index);
    (c.p.population == engine::population::exc ? exc : inh) += v;
  }
  return {static_cast<float>(exc), static_cast<float>(inh)};
}

engine::ring_currents stimulator::ring_currents_pA(double t_ms) noexcept {
  std::fill(ring_exc_.begin(), ring_exc_.end(), 0.0f);
  std::fill(ring_inh_.begin(), ring_inh_.end(), 0.0f);
  const auto step = static_cast<std::int64_t>(std::floor(t_ms / dt_ms_ + 1e-9));
  bool any = false;
  for (std::size_t ch = 0; ch < kChannels; ++ch) {
    const channel_state& c = channels_[ch];
    if (!c.loaded) continue;
    const auto v = static_cast<float>(value_at(c, step));
    if (v == 0.0f) continue;
    any = true;
    std::vector<float>& out = c.p.population == engine::population::exc ? ring_exc_ : ring_inh_;
    if (c.p.site == site_kind::ring_position) {
      const float* profile = profiles_.data() + ch * ring_.n_units;
      for (std::uint32_t i = 0; i < ring_.n_units; ++i) out[i] += v * profile[i];
    } else {
      for (float& x : out) x += v;
    }
  }
  if (!any) return {};
  return {ring_exc_, ring_inh_};
}

}  // namespace cortexloop::firmware_sim
