#include "firmware_sim/stimulator.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "engine/meanfield/ring_geometry.hpp"
#include "firmware_sim/text_builder.hpp"
#include "firmware_sim/time_limits.hpp"

namespace cortexloop::firmware_sim {

namespace {

using text = detail::text_builder;

constexpr double kNcPerUaUs = 1e-3;               // uA x us -> nC

const site kNoSite{};
const program kNoProgram{};

// "field = value: must be ..." ; the value printed exactly.
template <class T>
std::string_view fail(reason_text& reason, const char* field, T value, const char* range) noexcept {
  return detail::field_reason(reason, field, value, range);
}

template <class T>
std::string_view fail_range(reason_text& reason, const char* field, T value, const char* open, double low, double high,
                            const char* close_and_unit) noexcept {
  text t(reason);
  t << field << " = " << value << ": must be in " << open << low << ", " << high << close_and_unit;
  return t.view();
}

// Range checks of the site against the layout.
std::string_view validate_site(const site& s, const program& p, const stimulator_layout& layout,
                               reason_text& reason) noexcept {
  const auto kind = static_cast<unsigned>(s.kind);
  if (kind > static_cast<unsigned>(site_kind::electrode))
    return fail(reason, "site.kind", kind, "must be 0 (population), 1 (ring_position) or 2 (electrode)");
  const auto pop = static_cast<unsigned>(s.population);
  if (s.kind != site_kind::electrode && pop > static_cast<unsigned>(engine::population::inh))
    return fail(reason, "site.population", pop, "must be 0 (exc) or 1 (inh)");
  switch (s.kind) {
    case site_kind::population:
      if (!layout.network && layout.ring.n_units == 0)
        return fail(reason, "site.kind", kind, "population, but this layout has neither network nor ring");
      break;
    case site_kind::ring_position:
      if (layout.ring.n_units == 0) return fail(reason, "site.kind", kind, "ring_position, but this layout has no ring");
      if (!std::isfinite(s.position_mm) || s.position_mm < 0 || s.position_mm >= layout.ring.length_mm)
        return fail_range(reason, "site.position_mm", s.position_mm, "[", 0.0, layout.ring.length_mm, ") mm");
      // A unit within two widths of the centre (engine::meanfield::ring_gaussian_reaches_a_unit): a narrower site fell
      // between the units (an outside audit, 2026-12-06). From one spacing up the units together receive its current,
      // sum_i profile_i = sqrt(2 pi) width / spacing to 1e-8 wherever its centre (docs/device.md, "Sites").
      if (!std::isfinite(s.width_mm) || s.width_mm <= 0.0 || s.width_mm > layout.ring.length_mm)
        return fail_range(reason, "site.width_mm", s.width_mm, "(", 0.0, layout.ring.length_mm, "] mm");
      if (!engine::meanfield::ring_gaussian_reaches_a_unit(s.position_mm, s.width_mm, layout.ring.n_units,
                                                           layout.ring.length_mm)) {
        text t(reason);
        t << "site.width_mm = " << s.width_mm << ": no unit within two widths of position_mm (the nearest is "
          << engine::meanfield::ring_distance_shown_mm(
                 engine::meanfield::ring_nearest_unit_mm(s.position_mm, layout.ring.n_units, layout.ring.length_mm))
          << " mm away, units " << engine::meanfield::ring_unit_spacing_mm(layout.ring.n_units, layout.ring.length_mm)
          << " mm apart): it falls between them";
        return t.view();
      }
      break;
    case site_kind::electrode:
      if (s.electrode >= layout.electrodes.size()) {
        text t(reason);
        t << "site.electrode = " << s.electrode << ": must be below the number of electrodes ("
          << layout.electrodes.size() << ")";
        return t.view();
      }
      // A monophasic pulse leaves its whole charge in the tissue: only direct (model) sites may use it.
      if (p.shape == waveform::pulse_train && !p.biphasic) {  // named as the wire names it (SetPrograms' monophasic)
        text t(reason);
        t << "program.monophasic = true: refused at an electrode (a monophasic pulse leaves its charge in the tissue; "
             "direct sites only)";
        return t.view();
      }
      break;
  }
  return {};
}

std::string_view validate_timing(const program& p, reason_text& reason) noexcept {
  constexpr double kMax = static_cast<double>(kMaxTimeUs);
  if (!in_time_range(p.delay_us))
    return fail_range(reason, "program.delay_us", p.delay_us, "[", 0, kMax, "] us");
  if (!in_time_range(p.duration_us))
    return fail_range(reason, "program.duration_us", p.duration_us, "[", 0, kMax,
                      "] us (0: no end)");
  if (p.shape == waveform::pulse_train) return {};  // ramps apply to dc, sine and arbitrary only
  if (!in_time_range(p.ramp_up_us))
    return fail_range(reason, "program.ramp_up_us", p.ramp_up_us, "[", 0, kMax, "] us");
  if (!in_time_range(p.ramp_down_us))
    return fail_range(reason, "program.ramp_down_us", p.ramp_down_us, "[", 0, kMax, "] us");
  if (p.ramp_down_us > 0 && p.duration_us == 0)
    return fail(reason, "program.ramp_down_us", p.ramp_down_us,
                "needs duration_us > 0 (it ends the program)");
  if (p.duration_us > 0 && p.ramp_up_us + p.ramp_down_us > p.duration_us) {
    text t(reason);
    t << "program.ramp_up_us + ramp_down_us = " << p.ramp_up_us + p.ramp_down_us
      << ": must be <= duration_us (" << p.duration_us << " us)";
    return t.view();
  }
  return {};
}

// A biphasic train is charge balanced only if its end does not cut a pulse: duration_us falling inside a pulse
// (or its interphase gap) left part of it unbalanced (fuzz/fuzz_program: 50 uA, 1370 us phases, duration 831 us
// left -41550 in the tissue). The train's signed microseconds up to duration_us are exact integers, so a
// balanced end is exactly a zero charge.
std::string_view validate_pulse_duration(const program& p, reason_text& reason) noexcept {
  if (!p.biphasic || p.duration_us <= 0) return {};
  program endless = p;
  endless.duration_us = 0;
  endless.amplitude = 1.0;
  const double q = program_charge(endless, 0, p.duration_us);
  if (q != 0.0) {
    text t(reason);
    t << "program.duration_us = " << p.duration_us
      << ": ends inside a biphasic pulse (it would leave " << q
      << " us x amplitude of unbalanced charge); end the train between pulses";
    return t.view();
  }
  return {};
}

std::string_view validate_pulses(const program& p, reason_text& reason) noexcept {
  if (p.phase_width_us == 0) return fail(reason, "program.phase_width_us", 0, "must be > 0 us");
  // At most an hour between pulses, like every other time of a program. Below that, pulse start times
  // (llround(n * 1e6 / f) us) left int64: a subnormal frequency made llround return garbage, which let a
  // burst "fit" its period, overflowed burst arithmetic (UB) or looped for ever in first_pulse_at_or_after
  // (found by fuzz/fuzz_command and fuzz/fuzz_program).
  if (p.frequency_Hz < kMinPulseFrequencyHz)
    return fail_range(reason, "program.frequency_hz", p.frequency_Hz, "[", kMinPulseFrequencyHz, kMaxFrequencyHz,
                      "] Hz for a pulse train (a pulse period of at most an hour)");
  const double period_us = 1e6 / p.frequency_Hz;
  // Pulse n starts at llround(n period): consecutive starts are at least floor(period) apart.
  const double spacing_us = std::floor(period_us + 1e-9);
  const double extent_us = p.biphasic ? 2.0 * p.phase_width_us + p.interphase_gap_us : 1.0 * p.phase_width_us;
  if (extent_us > spacing_us) {
    text t(reason);
    t << "program.phase_width_us = " << p.phase_width_us << ": the pulse ("
      << (p.biphasic ? "2 phases + gap = " : "") << extent_us << " us) must fit in its period (" << spacing_us
      << " us at " << p.frequency_Hz << " Hz)";
    return t.view();
  }
  if (p.pulses_per_burst == 0) {
    if (p.n_bursts > 0)
      return fail(reason, "program.n_bursts", p.n_bursts, "must be 0 when pulses_per_burst = 0 (continuous train)");
    return validate_pulse_duration(p, reason);
  }
  if (p.burst_period_us <= 0 || p.burst_period_us > kMaxTimeUs)
    return fail_range(reason, "program.burst_period_us", p.burst_period_us, "(", 0,
                      static_cast<double>(kMaxTimeUs), "] us (needed when pulses_per_burst > 0)");
  const double burst_us =
      static_cast<double>(std::llround((p.pulses_per_burst - 1.0) * 1e6 / p.frequency_Hz)) + extent_us;
  if (burst_us > p.burst_period_us) {
    text t(reason);
    t << "program.burst_period_us = " << p.burst_period_us << ": must hold the burst ("
      << p.pulses_per_burst << " pulses = " << burst_us << " us)";
    return t.view();
  }
  return validate_pulse_duration(p, reason);
}

std::string_view validate_program(const program& p, reason_text& reason) noexcept {
  const auto shape = static_cast<unsigned>(p.shape);
  if (shape > static_cast<unsigned>(waveform::noise))
    return fail(reason, "program.shape", shape, "must be 0 (dc), 1 (sine), 2 (pulse_train), 3 (arbitrary) or 4 (noise)");
  if (!std::isfinite(p.amplitude)) return fail(reason, "program.amplitude", p.amplitude, "must be finite");
  if (!std::isfinite(p.offset)) return fail(reason, "program.offset", p.offset, "must be finite");
  if (!std::isfinite(p.phase_deg)) return fail(reason, "program.phase_deg", p.phase_deg, "must be finite");
  if (!std::isfinite(p.frequency_Hz)) return fail(reason, "program.frequency_hz", p.frequency_Hz, "must be finite");
  if (p.offset != 0.0 && p.shape == waveform::pulse_train)
    return fail(reason, "program.offset", p.offset, "must be 0 for a pulse train (no offset)");
  if (p.shape == waveform::sine || p.shape == waveform::pulse_train) {
    if (p.frequency_Hz <= 0 || p.frequency_Hz > kMaxFrequencyHz)
      return fail_range(reason, "program.frequency_hz", p.frequency_Hz, "(", 0, kMaxFrequencyHz,
                        "] Hz for sine and pulse train");
  }
  if (const auto why = validate_timing(p, reason); !why.empty()) return why;
  if (p.shape == waveform::pulse_train) return validate_pulses(p, reason);
  if (p.shape == waveform::noise && (p.wave.sample_period_us < 1 || p.wave.sample_period_us > 1'000'000))
    return fail_range(reason, "program.sample_period_us (noise hold)", p.wave.sample_period_us, "[", 1, 1e6, "] us");
  if (p.shape == waveform::arbitrary) {
    const arbitrary_waveform& w = p.wave;
    if (w.n_samples < 1 || w.n_samples > kMaxWaveformSamples)
      return fail_range(reason, "program.samples (count)", w.n_samples, "[", 1,
                        static_cast<double>(kMaxWaveformSamples), "]");
    if (w.sample_period_us < 1 || w.sample_period_us > kMaxTimeUs / kMaxWaveformSamples)
      return fail_range(reason, "program.sample_period_us", w.sample_period_us, "[", 1,
                        static_cast<double>(kMaxTimeUs / kMaxWaveformSamples), "] us");
    for (std::uint32_t i = 0; i < w.n_samples; ++i) {
      if (!std::isfinite(w.samples[i])) {
        text t(reason);
        t << "program.samples[" << i << "] = " << static_cast<double>(w.samples[i])
          << ": must be finite";
        return t.view();
      }
    }
  }
  return {};
}

stimulator_layout legacy_layout(double dt_ms, ring_geometry ring) {
  stimulator_layout l;
  l.dt_us = std::llround(dt_ms * 1000.0);
  l.ring = ring;
  return l;
}

// The texts below quote the least values of electrode.hpp.
static_assert(kMinSigma_S_per_m == 0.01 && kMinArea_mm2 == 1e-5, "update the least values in check_layout's texts");

void check_layout(const stimulator_layout& l) {
  auto bad = [](const std::string& what) { throw std::invalid_argument("stimulator layout: " + what); };
  if (l.dt_us <= 0) bad("dt_us = " + std::to_string(l.dt_us) + ": must be > 0 us");
  if (l.electrodes.size() > kMaxElectrodes)
    bad("electrodes: " + std::to_string(l.electrodes.size()) + " given, at most " + std::to_string(kMaxElectrodes));
  if (l.ring.n_units > 0 && !(l.ring.length_mm > 0)) bad("ring.length_mm must be > 0 mm");
  if (!(l.coupling.sigma_S_per_m >= kMinSigma_S_per_m) || !std::isfinite(l.coupling.sigma_S_per_m))
    bad("coupling.sigma_S_per_m must be finite and >= 0.01 S/m");
  if (!(l.coupling.tau_pole_ms > 0) || !(l.coupling.tau_zero_ms >= 0)) bad("coupling: tau_pole_ms > 0, tau_zero_ms >= 0");
  for (std::size_t e = 0; e < l.electrodes.size(); ++e) {
    const electrode_params& p = l.electrodes[e];
    const std::string at = "electrodes[" + std::to_string(e) + "].";
    if (!std::isfinite(p.position_mm)) bad(at + "position_mm must be finite");
    if (!(p.height_mm >= 0) || !std::isfinite(p.height_mm)) bad(at + "height_mm must be >= 0 mm");
    if (!(p.area_mm2 >= kMinArea_mm2) || !std::isfinite(p.area_mm2)) bad(at + "area_mm2 must be finite and >= 1e-05 mm^2");
    if (!(p.impedance_kOhm >= 0) || !std::isfinite(p.impedance_kOhm)) bad(at + "impedance_kOhm must be >= 0");
  }
}

}  // namespace

std::string_view validate(const site& s, const program& p, const stimulator_layout& layout, reason_text& reason,
                          safety_verdict* verdict) noexcept {
  if (verdict) *verdict = {};
  if (auto why = validate_site(s, p, layout, reason); !why.empty()) return why;
  if (auto why = validate_program(p, reason); !why.empty()) return why;
  const electrode_params* e = s.kind == site_kind::electrode ? &layout.electrodes[s.electrode] : nullptr;
  const safety_verdict v = check_program(p, e, layout.safety, layout.dt_us);
  if (verdict) *verdict = v;
  if (v.ok()) return {};
  return format_reason(v, reason);
}

// ---- construction ---------------------------------------------------------------------------------------

stimulator::stimulator(const stimulator_layout& layout) : layout_(layout) {
  check_layout(layout_);
  n_units_ = layout_.ring.n_units;
  const double dt_ms = static_cast<double>(layout_.dt_us) / 1000.0;
  const double sigma = layout_.coupling.sigma_S_per_m;
  const double ring_length = n_units_ > 0 ? layout_.ring.length_mm : 0.0;
  field_ring_.assign(kMaxElectrodes * n_units_, 0.0);
  for (std::size_t e = 0; e < layout_.electrodes.size(); ++e) {
    const electrode_params& ep = layout_.electrodes[e];
    filters_[e] = coupling_filter(layout_.coupling, dt_ms);
    monitors_[e] = charge_monitor(layout_.safety, ep, layout_.dt_us);
    // Without a ring the network patch is the only target; the ring length only sets the periodic distance.
    const double length = ring_length > 0 ? ring_length : std::numeric_limits<double>::infinity();
    const double r_net = ring_length > 0 ? electrode_distance_mm(ep, layout_.network_position_mm, length)
                                         : std::max(std::hypot(ep.position_mm - layout_.network_position_mm, ep.height_mm),
                                                    electrode_radius_mm(ep));
    field_network_[e] = field_V_per_m(1.0, r_net, sigma);
    for (std::size_t i = 0; i < n_units_; ++i) {
      const double x = engine::meanfield::ring_unit_position_mm(i, n_units_, ring_length);
      field_ring_[e * n_units_ + i] = field_V_per_m(1.0, electrode_distance_mm(ep, x, ring_length), sigma);
    }
  }
  profiles_.assign(kChannels * n_units_, 0.0f);
  ring_sum_exc_.assign(n_units_, 0.0);
  ring_sum_inh_.assign(n_units_, 0.0);
  ring_exc_.assign(n_units_, 0.0f);
  ring_inh_.assign(n_units_, 0.0f);
}

stimulator::stimulator(double dt_ms, ring_geometry ring) : stimulator(legacy_layout(dt_ms, ring)) {}

// ---- channels -------------------------------------------------------------------------------------------

void ring_site_profile(const site& s, const ring_geometry& ring, std::span<float> out) noexcept {
  engine::meanfield::ring_gaussian_profile(out, ring.length_mm, s.position_mm, s.width_mm, 1.0);
}

void stimulator::keep_tail(std::size_t channel, std::int64_t stop_step) noexcept {
  const channel_state& c = channels_[channel];
  if (!c.loaded || c.where.kind != site_kind::electrode || c.p.shape != waveform::pulse_train) return;
  const std::int64_t tau = (stop_step - c.start_step) * layout_.dt_us - c.p.delay_us;
  const std::int64_t end = pulse_train_pause_at_or_after(c.p, tau);
  if (end <= tau) return;
  // A free slot, or else the tail that ends first gives way (more pulses cut at once than kTails).
  const auto ends_us = [&](const pulse_tail& t) { return t.start_step * layout_.dt_us + t.p.delay_us + t.end_tau; };
  pulse_tail* slot = &tails_[0];
  for (pulse_tail& t : tails_) {
    if (!t.active) {
      slot = &t;
      break;
    }
    if (ends_us(t) < ends_us(*slot)) slot = &t;
  }
  slot->active = true;
  slot->p = c.p;
  slot->p.amplitude = c.p.amplitude * c.pulse_factor;  // the pulse's amplitude as the ramp had scaled it
  slot->start_step = c.start_step;
  slot->end_tau = end;
  slot->electrode = c.where.electrode;
  slot->channel = channel;
}

void stimulator::load(std::size_t channel, const site& s, const program& p, std::int64_t start_step,
                      std::span<const float> ring_profile) noexcept {
  if (channel >= kChannels) return;
  keep_tail(channel, start_step);
  channel_state& c = channels_[channel];
  flush_ring(channel);  // what the old program delivered belongs to its own site
  c.where = s;
  c.p = p;
  c.start_step = start_step;
  c.end_us = program_end_us(p);
  c.ramping = false;
  c.amplitude_pending = false;
  c.pulse_factor = 1.0;
  c.loaded = true;
  safety_stopped_[channel] = false;
  if (s.kind == site_kind::ring_position && n_units_ > 0) {
    const std::span<float> profile{profiles_.data() + channel * n_units_, n_units_};
    if (ring_profile.size() == n_units_) std::copy(ring_profile.begin(), ring_profile.end(), profile.begin());
    else ring_site_profile(s, layout_.ring, profile);  // offline callers only (see load() in stimulator.hpp)
  }
}

void stimulator::finish(std::size_t channel) noexcept {
  channel_state& c = channels_[channel];
  if (!c.loaded) return;
  flush_ring(channel);
  c.loaded = false;
  c.ramping = false;
}

void stimulator::clear(std::size_t channel) noexcept {
  if (channel >= kChannels) return;
  keep_tail(channel, next_step_);
  finish(channel);
  safety_stopped_[channel] = false;
}

void stimulator::clear_all() noexcept {
  for (std::size_t c = 0; c < kChannels; ++c) clear(c);
}

void stimulator::renumber_steps(std::int64_t shift) noexcept {
  const std::int64_t shift_us = shift * layout_.dt_us;
  for (pulse_tail& t : tails_) t.start_step += shift;
  for (channel_state& c : channels_) {
    c.start_step += shift;
    c.ramp_from_us += shift_us;  // device time: now_us = step_index * dt_us
    c.ramp_to_us += shift_us;
  }
  next_step_ += shift;
}

void stimulator::set_amplitude(std::size_t channel, double amplitude) noexcept {
  // The last guard before the current: a non-finite amplitude would pass every later comparison (NaN > bound is
  // false) into the network. Controllers never send one; if one did, the channel keeps its amplitude.
  if (channel >= kChannels || !channels_[channel].loaded || !std::isfinite(amplitude)) return;
  channel_state& c = channels_[channel];
  if (c.p.shape == waveform::pulse_train) {  // taken at the next pause between pulses (step_charge)
    c.amplitude_pending = true;
    c.pending_amplitude = amplitude;
    return;
  }
  c.p.amplitude = amplitude;
}

// The channel's charge over local [tau0, tau1), scaled by the watchdog ramp. Any program but a pulse train takes the
// ramp's factor now (factor_now: the envelope at the step's midpoint). A pulse train takes a pending amplitude and
// the ramp's factor at the first pause between pulses in the step: the pulse under way at tau0 keeps the amplitude
// and factor it started with, so its phases stay equal (the ramp scaled each step by its own factor, which
// unbalanced a pulse across steps by ~dt / ramp).
double stimulator::step_charge(channel_state& c, std::int64_t tau0, std::int64_t tau1, double factor_now,
                               step_switch& sw) noexcept {
  sw.at = tau1;
  if (c.p.shape != waveform::pulse_train) {
    sw.scaled_before = c.p.amplitude * factor_now;
    return program_charge(c.p, tau0, tau1) * factor_now;
  }
  sw.scaled_before = c.p.amplitude * c.pulse_factor;
  const bool change = c.amplitude_pending || c.pulse_factor != factor_now;
  const std::int64_t at = change ? pulse_train_pause_at_or_after(c.p, tau0) : tau1;
  if (at >= tau1) return program_charge(c.p, tau0, tau1) * c.pulse_factor;
  sw.at = at;
  const double before = program_charge(c.p, tau0, at) * c.pulse_factor;
  c.pulse_factor = factor_now;
  if (c.amplitude_pending) {
    c.p.amplitude = c.pending_amplitude;
    c.amplitude_pending = false;
  }
  return before + program_charge(c.p, at, tau1) * c.pulse_factor;
}

void stimulator::ramp_down(std::size_t channel, std::int64_t ramp_us, std::int64_t now_step) noexcept {
  if (channel >= kChannels || !channels_[channel].loaded) return;
  if (ramp_us <= 0) {  // at once, as a clear: the pulse under way completes (finish() alone cut it in half)
    keep_tail(channel, now_step);
    finish(channel);
    return;
  }
  channel_state& c = channels_[channel];
  const std::int64_t from = now_step * layout_.dt_us;
  // A second ramp never lengthens one under way.
  if (c.ramping && c.ramp_to_us <= from + ramp_us) return;
  if (c.ramping) {
    // A shorter one takes over from where the envelope is, e0 < 1, down to 0 at its own end: the envelope restarted
    // at 1, so the current rose again in a ramp-down (79.5 -> 95 pA; a review, 2026-12-06). A line through e0 at
    // `from` and 0 at the end starts at 1 ramp_us / e0 before that end.
    const double e0 = std::clamp(static_cast<double>(c.ramp_to_us - from) /
                                     static_cast<double>(c.ramp_to_us - c.ramp_from_us), 1e-9, 1.0);
    c.ramp_to_us = from + ramp_us;
    c.ramp_from_us = c.ramp_to_us - std::llround(static_cast<double>(ramp_us) / e0);
    return;
  }
  c.ramping = true;
  c.ramp_from_us = from;
  c.ramp_to_us = from + ramp_us;
}

bool stimulator::active(std::size_t channel) const noexcept { return channel < kChannels && channels_[channel].loaded; }

const site& stimulator::channel_site(std::size_t channel) const noexcept {
  return channel < kChannels ? channels_[channel].where : kNoSite;
}

const program& stimulator::channel_program(std::size_t channel) const noexcept {
  return channel < kChannels ? channels_[channel].p : kNoProgram;
}

void stimulator::push_event(const safety_event& e) noexcept {
  if (n_events_ < kMaxEvents) {
    events_[n_events_++] = e;
  } else {
    ++events_dropped_;
  }
}

namespace {
// The phases of pulse train `p` inside local [tau0, tau1) into the peak of the step starting at local tau0: those
// from switched_at on at amplitude_after, the others at amplitude_before (both as the watchdog's ramp scaled them).
void add_train_phases(step_peak& peak, const program& p, std::int64_t tau0, std::int64_t tau1, double amplitude_before,
                      double amplitude_after, std::int64_t switched_at) noexcept {
  std::array<phase_segment, 8> phases;
  const std::size_t n = train_phases(p, tau0, tau1, phases);
  for (std::size_t i = 0; i < std::min(n, phases.size()); ++i) {
    const double amplitude = phases[i].begin_us >= switched_at ? amplitude_after : amplitude_before;
    peak.add_phase(phases[i].begin_us - tau0, phases[i].end_us - tau0, phases[i].sign * amplitude);
  }
  if (n > phases.size()) peak.add_bound(std::max(std::fabs(amplitude_after), std::fabs(amplitude_before)));
}

// The charge (amplitude-units x us, scaled by the watchdog ramp's `factor`) a balanced biphasic pulse of `p` under
// way at local time tau has delivered since its start, 0 between pulses: the negative of what it still has to
// deliver, since it completes to 0 (program.hpp). For the monitor, which leaves the pulses cut by its window's edges
// out of the net charge (charge_monitor::step). A monophasic pulse is net charge: none.
double pulse_in_flight(const program& p, std::int64_t tau, double factor) noexcept {
  if (p.shape != waveform::pulse_train || !p.biphasic) return 0.0;
  const std::int64_t end = pulse_train_pause_at_or_after(p, tau);
  return end > tau ? -program_charge(p, tau, end) * factor : 0.0;
}
}  // namespace

// A channel's part of its electrode's peak within the step: a pulse train's phases where they fall (each at the
// amplitude it started with, scaled by the watchdog's ramp), any other program as its step mean.
void stimulator::add_to_peak(const channel_state& c, std::int64_t tau0, const step_switch& sw, double mean_uA) noexcept {
  step_peak& peak = peaks_[c.where.electrode];
  if (c.p.shape != waveform::pulse_train) {
    peak.add_constant(mean_uA);
    return;
  }
  add_train_phases(peak, c.p, tau0, tau0 + layout_.dt_us, sw.scaled_before, c.p.amplitude * c.pulse_factor, sw.at);
}

// ---- the step -------------------------------------------------------------------------------------------
// Order within step k: (0) the rest of pulses cut before this step (tails) add to their electrodes; (1) each
// channel's charge over [tau_k, tau_k + dt) -> its mean current; direct sites
// add to the network and to their ring sums, electrode sites to their electrode; (2) each electrode's sum
// passes its coupling filter (-> network current now, ring sums) and its charge monitor (-> stop + event);
// (3) channels whose program ended are cleared. The ring reads the sums at its own pace (ring_currents_pA).
engine::population_currents stimulator::currents_pA(std::int64_t step_index) noexcept {
  const std::int64_t dt_us = layout_.dt_us;
  const auto dt = static_cast<double>(dt_us);
  const std::int64_t now_us = step_index * dt_us;
  double net_exc = 0.0, net_inh = 0.0;
  std::array<double, 2> direct_pA{};  // the population sites' sum, exc and inh (checked below)
  std::array<double, kMaxElectrodes> electrode_uA{};
  std::array<double, kMaxElectrodes> in_flight_uA_us{};  // pulse_in_flight at the step's end, per electrode
  for (std::size_t e = 0; e < layout_.electrodes.size(); ++e) {
    peaks_[e].clear(dt_us);
    if (locked_[e] && monitors_[e].idle_verdict().ok()) locked_[e] = false;  // the window let go of the residual
  }
  std::array<bool, kMaxElectrodes> refused{};  // a program loaded on a locked electrode, stopped before delivering
  channel_now_.fill(0.0);
  // First the rest of pulses cut by a reload, a clear or the end of a ramp (a tail kept in this step's channel loop
  // below starts on the next step).
  for (pulse_tail& t : tails_) {
    if (!t.active) continue;
    const std::int64_t tau0 = (step_index - t.start_step) * dt_us - t.p.delay_us;
    const std::int64_t tau1 = std::min(tau0 + dt_us, t.end_tau);
    const double mean = program_charge(t.p, tau0, tau1) / dt;
    electrode_uA[t.electrode] += mean;
    // uA: part of the channel's reading only while the channel is still on an electrode site. Reloaded with a direct
    // program, the channel reads pA, and the tail's uA added to it mixed the units (an outside audit); the tail then
    // shows in its electrode's current alone.
    if (channels_[t.channel].where.kind == site_kind::electrode) channel_now_[t.channel] += mean;
    add_train_phases(peaks_[t.electrode], t.p, tau0, tau1, t.p.amplitude, t.p.amplitude, tau1);
    if (tau0 + dt_us >= t.end_tau) t.active = false;
    else in_flight_uA_us[t.electrode] += pulse_in_flight(t.p, tau0 + dt_us, 1.0);
  }
  for (std::size_t ch = 0; ch < kChannels; ++ch) {
    channel_state& c = channels_[ch];
    if (!c.loaded) continue;
    const std::int64_t tau0 = (step_index - c.start_step) * dt_us - c.p.delay_us;
    if (c.where.kind == site_kind::electrode && locked_[c.where.electrode] && tau0 + dt_us > 0) {
      finish(ch);  // nothing of it delivered: stopped as the electrode's monitor stops it, with its event below
      safety_stopped_[ch] = true;
      refused[c.where.electrode] = true;
      continue;
    }
    double factor_now = 1.0;
    if (c.ramping) {
      // Envelope at the step's midpoint (ramp_down is the watchdog's soft stop, not a waveform).
      const double mid = static_cast<double>(now_us) + 0.5 * dt;
      const auto span_us = static_cast<double>(c.ramp_to_us - c.ramp_from_us);
      factor_now = std::clamp((static_cast<double>(c.ramp_to_us) - mid) / span_us, 0.0, 1.0);
    }
    step_switch sw;
    const double mean = step_charge(c, tau0, tau0 + dt_us, factor_now, sw) / dt;
    if (c.where.kind == site_kind::electrode) {
      add_to_peak(c, tau0, sw, mean);
      // At the amplitude and ramp factor the pulse under way at the step's end runs at (step_charge).
      in_flight_uA_us[c.where.electrode] += pulse_in_flight(c.p, tau0 + dt_us, c.pulse_factor);
    }
    channel_now_[ch] += mean;
    switch (c.where.kind) {
      case site_kind::population:
        (c.where.population == engine::population::exc ? net_exc : net_inh) += mean;
        direct_pA[c.where.population == engine::population::exc ? 0 : 1] += mean;
        c.ring_sum += mean;
        break;
      case site_kind::ring_position:
        c.ring_sum += mean;
        break;
      case site_kind::electrode:
        electrode_uA[c.where.electrode] += mean;
        break;
    }
    const bool ended = c.end_us >= 0 && tau0 + dt_us >= c.end_us;
    const bool ramped_out = c.ramping && now_us + dt_us >= c.ramp_to_us;
    if (ended || ramped_out) {
      if (!ended) keep_tail(ch, step_index + 1);  // the ramp's last pulse is completed, as clear() completes one
      finish(ch);
    }
  }
  next_step_ = step_index + 1;
  stop_direct_sums(step_index, direct_pA, net_exc, net_inh);
  const double k_exc = layout_.coupling.exc_pA_per_V_per_m, k_inh = layout_.coupling.inh_pA_per_V_per_m;
  for (std::size_t e = 0; e < layout_.electrodes.size(); ++e) {
    electrode_now_[e] = electrode_uA[e];
    const double filtered_uA = filters_[e].step(electrode_uA[e]);
    net_exc += k_exc * field_network_[e] * filtered_uA;
    net_inh += k_inh * field_network_[e] * filtered_uA;
    filtered_sum_uA_[e] += filtered_uA;
    const step_current now = peaks_[e].measure(phase_runs_[e]);
    const safety_verdict v =
        monitors_[e].step(electrode_uA[e] * dt * kNcPerUaUs, now.peak_uA, now.phase_uA_us * kNcPerUaUs,
                          in_flight_uA_us[e] * kNcPerUaUs);
    if (v.ok()) continue;
    phase_runs_[e] = {};  // the stop ends the phase: a program loaded next starts its own
    locked_[e] = true;
    // Stop the electrode. Reported when it delivered something this step or still had channels (a program
    // that broke the limit on its last step included, or one loaded while it was locked); once stopped, the
    // window's history alone raises nothing.
    bool stopped = electrode_uA[e] != 0.0 || refused[e];
    for (pulse_tail& t : tails_)
      if (t.active && t.electrode == e) {  // a safety stop does not complete a pulse
        t.active = false;
        stopped = true;
      }
    for (std::size_t ch = 0; ch < kChannels; ++ch) {
      const channel_state& c = channels_[ch];
      if (c.loaded && c.where.kind == site_kind::electrode && c.where.electrode == e) {
        finish(ch);  // at once: no tail (clear() keeps one)
        safety_stopped_[ch] = true;
        stopped = true;
      }
    }
    monitors_[e].pulses_cut_by_stop();  // they will not complete: what they delivered is net charge (safety.hpp)
    if (stopped) push_event({step_index, -1, static_cast<std::int16_t>(e), v});
  }
  ++ring_steps_;
  if (!layout_.network) return {};
  return {static_cast<float>(net_exc), static_cast<float>(net_inh)};
}

// max_direct_pA holds each program alone (validate), and here the sum of a population's direct sites, as the
// electrodes' monitor holds their sum: eight channels of 999 pA DC on exc, each within the limit, put 7992 pA into
// every cell (an outside check, 2026-12-04; eight RingPosition channels likewise into the ring's units, a second
// one). The current of a cell is its population sites' sum (network cells and every ring unit) plus, on ring unit i,
// each RingPosition channel's current times its profile at i (peak 1). On the step's mean current of each channel
// (exact for DC; a sine's or a train's mean within the step, as the electrodes' other programs count). Over the
// bound the population's direct channels stop from this step on (their current not delivered: the sum is known
// before the network and the ring take it).
void stimulator::stop_direct_sums(std::int64_t step_index, const std::array<double, 2>& direct_pA, double& net_exc,
                                  double& net_inh) noexcept {
  const double bound = layout_.safety.max_direct_pA;
  for (std::size_t pop = 0; pop < 2; ++pop) {
    const auto population = pop == 0 ? engine::population::exc : engine::population::inh;
    // The population's RingPosition channels, and an upper bound first (profiles peak at 1): the per-unit sum only
    // when it could be over.
    std::array<std::size_t, kChannels> ring{};
    std::size_t n_ring = 0;
    double most = std::fabs(direct_pA[pop]), ring_abs = 0.0;
    for (std::size_t ch = 0; ch < kChannels; ++ch) {
      const channel_state& c = channels_[ch];
      if (c.loaded && c.where.kind == site_kind::ring_position && c.where.population == population) {
        ring[n_ring++] = ch;
        ring_abs += std::fabs(channel_now_[ch]);
      }
    }
    if (!(most + ring_abs > bound)) continue;
    if (ring_abs > 0.0)
      for (std::size_t i = 0; i < n_units_; ++i) {
        double unit = direct_pA[pop];
        for (std::size_t k = 0; k < n_ring; ++k) unit += channel_now_[ring[k]] * profiles_[ring[k] * n_units_ + i];
        most = std::max(most, std::fabs(unit));
      }
    if (!(most > bound)) continue;
    for (std::size_t ch = 0; ch < kChannels; ++ch) {
      channel_state& c = channels_[ch];
      if (c.loaded && c.where.kind != site_kind::electrode && c.where.population == population) {
        // Only this step's current is withheld: the earlier steps of the ring step reached the network, and the ring
        // takes the mean of what the network took (setting ring_sum to 0 here dropped them: an outside audit).
        c.ring_sum -= channel_now_[ch];
        channel_now_[ch] = 0.0;
        finish(ch);
        safety_stopped_[ch] = true;
      }
    }
    (pop == 0 ? net_exc : net_inh) -= direct_pA[pop];
    safety_verdict v;
    v.limit = safety_limit::direct_current;
    v.value = most;
    v.bound = bound;
    v.population = static_cast<std::int8_t>(pop);
    push_event({step_index, -1, -1, v});
  }
}

void stimulator::flush_ring(std::size_t channel) noexcept {
  channel_state& c = channels_[channel];
  if (c.ring_sum == 0.0) return;
  if (n_units_ > 0) {
    std::vector<double>& out = c.where.population == engine::population::exc ? ring_sum_exc_ : ring_sum_inh_;
    if (c.where.kind == site_kind::ring_position) {
      const float* profile = profiles_.data() + channel * n_units_;
      for (std::size_t i = 0; i < n_units_; ++i) out[i] += c.ring_sum * profile[i];
    } else if (c.where.kind == site_kind::population) {
      uniform_sum_[c.where.population == engine::population::exc ? 0 : 1] += c.ring_sum;
    }
  }
  c.ring_sum = 0.0;
}

engine::ring_currents stimulator::ring_currents_pA(double t_ms) noexcept {
  static_cast<void>(t_ms);  // the mean covers the steps since the previous call, whatever their times
  if (n_units_ == 0) return {};
  if (ring_steps_ == 0) {
    // No step since the previous call: its values still hold.
    if (!ring_nonzero_) return {};
    return {ring_exc_, ring_inh_};
  }
  for (std::size_t ch = 0; ch < kChannels; ++ch) flush_ring(ch);
  const double inv_steps = 1.0 / static_cast<double>(ring_steps_);
  const double k_exc = layout_.coupling.exc_pA_per_V_per_m, k_inh = layout_.coupling.inh_pA_per_V_per_m;
  bool nonzero = false;
  for (std::size_t i = 0; i < n_units_; ++i) {
    double exc = ring_sum_exc_[i] + uniform_sum_[0];
    double inh = ring_sum_inh_[i] + uniform_sum_[1];
    for (std::size_t e = 0; e < layout_.electrodes.size(); ++e) {
      const double field_sum = filtered_sum_uA_[e] * field_ring_[e * n_units_ + i];
      exc += k_exc * field_sum;
      inh += k_inh * field_sum;
    }
    ring_exc_[i] = static_cast<float>(exc * inv_steps);
    ring_inh_[i] = static_cast<float>(inh * inv_steps);
    nonzero = nonzero || ring_exc_[i] != 0.0f || ring_inh_[i] != 0.0f;
  }
  std::fill(ring_sum_exc_.begin(), ring_sum_exc_.end(), 0.0);
  std::fill(ring_sum_inh_.begin(), ring_sum_inh_.end(), 0.0);
  uniform_sum_ = {};
  filtered_sum_uA_ = {};
  ring_steps_ = 0;
  ring_nonzero_ = nonzero;
  if (!nonzero) return {};
  return {ring_exc_, ring_inh_};
}

}  // namespace cortexloop::firmware_sim
