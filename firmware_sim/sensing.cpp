#include "firmware_sim/sensing.hpp"
#include "firmware_sim/text_builder.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numbers>

#include "engine/meanfield/ring_geometry.hpp"
#include "engine/network/network.hpp"

namespace cortexloop::firmware_sim {

namespace {

constexpr double kUsPerS = 1e6;

// "field = value: allowed", the value in its shortest round-trip form; no allocation.
template <class T>
std::string_view refuse(reason_text& reason, const char* field, T value, const char* allowed) noexcept {
  return detail::field_reason(reason, field, value, allowed);
}

bool is_aln_signal(signal_kind s) noexcept { return s == signal_kind::aln_rate_exc || s == signal_kind::aln_rate_inh; }

// Steps per sample when 1 / sample_rate is a whole number of steps, else 0.
std::int64_t whole_steps_per_sample(double sample_rate_Hz, std::int64_t dt_us) noexcept {
  if (!(sample_rate_Hz > 0.0) || !std::isfinite(sample_rate_Hz) || dt_us <= 0) return 0;
  const double steps = kUsPerS / sample_rate_Hz / static_cast<double>(dt_us);
  const double whole = std::round(steps);
  if (whole < 1.0 || whole > 1e9 || std::fabs(steps - whole) > 1e-9 * whole) return 0;
  return static_cast<std::int64_t>(whole);
}

// The distance from a stimulation electrode to a sensing contact at height h above the sheet is the
// electrode's distance to the sheet point under the contact with the vertical offset |h_e - h| in place of
// h_e (same floor at the electrode's radius).
double electrode_to_contact_mm(const electrode_params& e, double x_mm, double height_mm, double ring_length_mm) noexcept {
  electrode_params offset = e;
  offset.height_mm = std::fabs(e.height_mm - height_mm);
  return electrode_distance_mm(offset, x_mm, ring_length_mm);
}

// Linear interpolation between the two units around position_mm, periodic (unit i at i L / n).
double ring_value_at(std::span<const float> values, double position_mm, double length_mm) noexcept {
  const std::size_t n = values.size();
  if (n == 0) return 0.0;
  const double spacing_mm = length_mm / static_cast<double>(n);
  const auto below = static_cast<std::size_t>(std::floor(position_mm / spacing_mm)) % n;
  const std::size_t above = (below + 1) % n;
  const double fraction = (position_mm - engine::meanfield::ring_unit_position_mm(below, n, length_mm)) / spacing_mm;
  return (1.0 - fraction) * values[below] + fraction * values[above];
}

}  // namespace

bool is_ring_signal(signal_kind s) noexcept {
  return s == signal_kind::ring_vsdi || s == signal_kind::ring_rate_exc || s == signal_kind::ring_rate_inh;
}

std::string_view validate(const sensing_params& p, const stimulator_layout& layout, reason_text& reason) noexcept {
  const auto kind = static_cast<std::uint8_t>(p.signal);
  if (kind > static_cast<std::uint8_t>(signal_kind::aln_rate_inh))
    return refuse(reason, "sensing.signal", kind,
                  "must be 0..7 (lfp_proxy, rate_exc, rate_inh, ring_vsdi, ring_rate_exc, ring_rate_inh, aln_rate_exc, "
                  "aln_rate_inh)");
  if (is_ring_signal(p.signal) && layout.ring.n_units == 0)
    return refuse(reason, "sensing.signal", kind, "is a ring signal, but this device has no ring");
  if (is_aln_signal(p.signal) && !layout.aln_node)
    return refuse(reason, "sensing.signal", kind, "is an ALN signal, but this device has no ALN node ([aln])");
  // The network signals count spikes of cells: an ALN node alone receives the network's currents but has none.
  if (!is_ring_signal(p.signal) && !is_aln_signal(p.signal) && !(layout.network && layout.spiking_network))
    return refuse(reason, "sensing.signal", kind, "is a network signal, but this device has no spiking network");
  if (!std::isfinite(p.position_mm) || (is_ring_signal(p.signal) && (p.position_mm < 0.0 || p.position_mm >= layout.ring.length_mm)))
    return refuse(reason, "sensing.position_mm", p.position_mm, "must be in [0, ring length) mm for a ring signal");
  if (!std::isfinite(p.height_mm) || p.height_mm < 0.0)
    return refuse(reason, "sensing.height_mm", p.height_mm, "must be finite and >= 0 mm");
  if (whole_steps_per_sample(p.sample_rate_Hz, layout.dt_us) == 0)
    return refuse(reason, "sensing.sample_rate_Hz", p.sample_rate_Hz,
                  "must be > 0 with 1 / sample_rate a whole number of steps of dt");
  if (p.adc_bits < 1 || p.adc_bits > 24) return refuse(reason, "sensing.adc_bits", p.adc_bits, "must be in [1, 24]");
  if (!std::isfinite(p.range_min)) return refuse(reason, "sensing.range_min", p.range_min, "must be finite");
  if (!std::isfinite(p.range_max) || p.range_max <= p.range_min)
    return refuse(reason, "sensing.range_max", p.range_max, "must be finite and > range_min");
  if (!std::isfinite(p.noise_sd) || p.noise_sd < 0.0)
    return refuse(reason, "sensing.noise_sd", p.noise_sd, "must be finite and >= 0");
  if (!std::isfinite(p.artifact_gain_per_mV))
    return refuse(reason, "sensing.artifact_gain_per_mV", p.artifact_gain_per_mV, "must be finite");
  if (p.blanking_us < 0 || p.blanking_us > 10'000'000)
    return refuse(reason, "sensing.blanking_us", p.blanking_us, "must be in [0, 10000000] us");
  if (!std::isfinite(p.band_high_Hz) || p.band_high_Hz < 0.0 || p.band_high_Hz >= p.sample_rate_Hz / 2.0)
    return refuse(reason, "sensing.band_high_Hz", p.band_high_Hz, "must be 0 (no band-pass) or in (band_low_Hz, Nyquist) Hz");
  if (p.band_high_Hz > 0.0 && (!std::isfinite(p.band_low_Hz) || p.band_low_Hz <= 0.0 || p.band_low_Hz >= p.band_high_Hz))
    return refuse(reason, "sensing.band_low_Hz", p.band_low_Hz, "must be in (0, band_high_Hz) Hz");
  // A low edge alone was accepted and filtered nothing (filtered equal to raw), where a high edge alone is refused.
  if (p.band_high_Hz == 0.0 && p.band_low_Hz != 0.0)
    return refuse(reason, "sensing.band_low_Hz", p.band_low_Hz,
                  "must be 0 when band_high_Hz is 0: a band-pass needs both edges (both 0: none)");
  // Said as one range, the config's (a too large value was told another bound than a too small one: an outside audit).
  if (const rms_window_range w = rms_window_range_of(p.sample_rate_Hz);
      !(p.rms_window_ms >= w.lo_ms && p.rms_window_ms <= w.hi_ms)) {
    detail::text_builder t(reason);
    t << "sensing.rms_window_ms = " << p.rms_window_ms << ": must be in [" << w.lo_ms << ", " << w.hi_ms
      << "] ms: at least one sample period (1 / sample_rate_Hz), at most a minute";
    return t.view();
  }
  if (layout.electrodes.size() > kMaxElectrodes)
    return refuse(reason, "device.electrodes", layout.electrodes.size(), "at most 8 electrodes");
  return {};
}

sensing_channel::sensing_channel(const sensing_params& p, const stimulator_layout& layout)
    : p_(p),
      steps_per_sample_(std::max<std::int64_t>(whole_steps_per_sample(p.sample_rate_Hz, layout.dt_us), 1)),
      dt_us_(layout.dt_us),
      sample_period_s_(static_cast<double>(steps_per_sample_ * layout.dt_us) / kUsPerS),
      site_mm_(is_ring_signal(p.signal) ? p.position_mm : layout.network_position_mm),
      // Without a ring, distances along the sheet do not wrap (as in the stimulator's field model).
      ring_length_mm_(layout.ring.n_units > 0 ? layout.ring.length_mm : std::numeric_limits<double>::infinity()),
      n_electrodes_(std::min(layout.electrodes.size(), kMaxElectrodes)),
      sigma_S_per_m_(layout.coupling.sigma_S_per_m),
      rng_(p.seed),
      adc_step_((p.range_max - p.range_min) / (std::ldexp(1.0, std::clamp(p.adc_bits, 1, 24)) - 1.0)),
      // ceil(blanking / dt): a pulse edge in step k hides the samples of steps k .. k + blanking_steps - 1
      blanking_steps_((p.blanking_us + layout.dt_us - 1) / layout.dt_us),
      band_on_(p.band_high_Hz > 0.0),
      rms_(static_cast<std::size_t>(std::max(1.0, std::round(p.rms_window_ms * 1e-3 * p.sample_rate_Hz)))),
      envelope_(p.rms_window_ms * 1e-3 * p.sample_rate_Hz),
      phase_(sample_period_s_) {
  for (std::size_t e = 0; e < n_electrodes_; ++e)
    electrode_distance_mm_[e] = electrode_to_contact_mm(layout.electrodes[e], site_mm_, p.height_mm, ring_length_mm_);
  if (band_on_) band_ = biquad::band_pass(p.band_low_Hz, p.band_high_Hz, p.sample_rate_Hz);
}

double sensing_channel::true_signal(const signal_inputs& in) const noexcept {
  // Rate over the sample period: spikes / (cells x counted steps x dt).
  const double counted_s = static_cast<double>(counted_steps_ * dt_us_) / kUsPerS;
  const auto rate_Hz = [&](std::int64_t spikes, std::uint32_t cells) {
    return cells == 0 || counted_s <= 0.0 ? 0.0 : static_cast<double>(spikes) / (cells * counted_s);
  };
  switch (p_.signal) {
    case signal_kind::lfp_proxy: return in.net ? in.net->sum_exc().abs_syn_pA / 1000.0 : 0.0;  // O(N): samples only
    case signal_kind::rate_exc: return rate_Hz(spikes_exc_, in.n_exc);
    case signal_kind::rate_inh: return rate_Hz(spikes_inh_, in.n_inh);
    case signal_kind::ring_vsdi: return ring_value_at(in.ring_vsdi_percent, p_.position_mm, ring_length_mm_);
    case signal_kind::ring_rate_exc: return ring_value_at(in.ring_rates_exc_Hz, p_.position_mm, ring_length_mm_);
    case signal_kind::ring_rate_inh: return ring_value_at(in.ring_rates_inh_Hz, p_.position_mm, ring_length_mm_);
    case signal_kind::aln_rate_exc: return counted_steps_ > 0 ? aln_sum_exc_Hz_ / static_cast<double>(counted_steps_) : 0.0;
    case signal_kind::aln_rate_inh: return counted_steps_ > 0 ? aln_sum_inh_Hz_ / static_cast<double>(counted_steps_) : 0.0;
  }
  return 0.0;
}

// phi = I / (4 pi sigma r) of every stimulation electrode at the contact, scaled by the amplifier's pickup.
double sensing_channel::artifact(std::span<const double> electrode_current_uA) const noexcept {
  if (p_.artifact_gain_per_mV == 0.0) return 0.0;
  const std::size_t n = std::min(n_electrodes_, electrode_current_uA.size());
  double phi_mV = 0.0;
  for (std::size_t e = 0; e < n; ++e)
    phi_mV += potential_mV(electrode_current_uA[e], electrode_distance_mm_[e], sigma_S_per_m_);
  return p_.artifact_gain_per_mV * phi_mV;
}

// Box-Muller: two uniforms give two independent standard normals.
double sensing_channel::gaussian() noexcept {
  if (have_spare_) {
    have_spare_ = false;
    return spare_normal_;
  }
  const double u1 = 1.0 - rng_.uniform();  // (0, 1]: log finite
  const double u2 = rng_.uniform();
  const double radius = std::sqrt(-2.0 * std::log(u1));
  const double angle = 2.0 * std::numbers::pi * u2;
  spare_normal_ = radius * std::sin(angle);
  have_spare_ = true;
  return radius * std::cos(angle);
}

// Clip to the input range, then round to the nearest of 2^bits levels range_min + k * adc_step.
double sensing_channel::adc(double x) const noexcept {
  const double clipped = std::clamp(x, p_.range_min, p_.range_max);
  const double code = std::nearbyint((clipped - p_.range_min) / adc_step_);
  return std::min(p_.range_min + code * adc_step_, p_.range_max);
}

// A pulse edge is a step whose current turns on from zero or changes sign on any electrode: the amplifier
// saturates there, whatever the sample grid, so edges are watched every step.
void sensing_channel::watch_pulse_edges(std::int64_t step_index, std::span<const double> electrode_current_uA) noexcept {
  const std::size_t n = std::min(n_electrodes_, electrode_current_uA.size());
  for (std::size_t e = 0; e < n; ++e) {
    const double now = electrode_current_uA[e], before = previous_current_uA_[e];
    const bool edge = (before == 0.0 && now != 0.0) || (before * now < 0.0);
    if (edge && blanking_steps_ > 0) blank_until_step_ = std::max(blank_until_step_, step_index + blanking_steps_);
    previous_current_uA_[e] = now;
  }
}

void sensing_channel::renumber_steps(std::int64_t shift) noexcept {
  if (blank_until_step_ >= 0) blank_until_step_ += shift;
  if (last_.step >= 0) last_.step += shift;
}

const sensed_sample& sensing_channel::step(std::int64_t step_index, const signal_inputs& in,
                                           std::span<const double> electrode_current_uA) noexcept {
  spikes_exc_ += in.spikes_exc;
  spikes_inh_ += in.spikes_inh;
  aln_sum_exc_Hz_ += in.aln_rate_exc_Hz;
  aln_sum_inh_Hz_ += in.aln_rate_inh_Hz;
  ++counted_steps_;
  watch_pulse_edges(step_index, electrode_current_uA);
  last_.sampled = false;
  // Samples close each sample period: steps_per_sample - 1, 2 steps_per_sample - 1, ...
  if ((step_index + 1) % steps_per_sample_ != 0) return last_;

  last_.sampled = true;
  last_.step = step_index;
  last_.signal = true_signal(in);
  spikes_exc_ = spikes_inh_ = counted_steps_ = 0;
  aln_sum_exc_Hz_ = aln_sum_inh_Hz_ = 0.0;
  const double x = last_.signal + artifact(electrode_current_uA) + (p_.noise_sd > 0.0 ? p_.noise_sd * gaussian() : 0.0);
  last_.blanked = step_index < blank_until_step_;
  // A non-finite input (a diverged model) is held like a blanked sample rather than poisoning the filters.
  if (!last_.blanked && std::isfinite(x)) held_raw_ = adc(x);
  last_.raw = held_raw_;
  last_.filtered = band_on_ ? band_.step(last_.raw) : last_.raw;
  last_.rms = rms_.step(last_.filtered);
  last_.envelope = envelope_.step(last_.filtered);
  last_.phase_rad = phase_.step(last_.filtered);
  last_.period_s = phase_.period_s();
  return last_;
}

}  // namespace cortexloop::firmware_sim
