#include "firmware_sim/controllers.hpp"
#include "firmware_sim/text_builder.hpp"
#include "firmware_sim/time_limits.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numbers>

namespace cortexloop::firmware_sim {

namespace {

// The reasons below quote kMaxTimeUs as text (no allocation to format it).
static_assert(kMaxTimeUs == 3'600'000'000, "update the \"3600000000\" in the reasons below");

constexpr double kTwoPi = 2.0 * std::numbers::pi;

// "field = value: allowed", the value in its shortest round-trip form; no allocation.
template <class T>
std::string_view refuse(reason_text& reason, const char* field, T value, const char* allowed) noexcept {
  return detail::field_reason(reason, field, value, allowed);
}

std::int64_t ceil_steps(std::int64_t us, std::int64_t dt_us) noexcept {
  return dt_us > 0 ? (us + dt_us - 1) / dt_us : 0;
}

double wrap_rad(double x) noexcept {
  x = std::fmod(x, kTwoPi);
  return x < 0.0 ? x + kTwoPi : x;
}

bool reads_sensing(controller_kind k) noexcept {
  return k == controller_kind::responsive || k == controller_kind::pi_clamp || k == controller_kind::phase_locked;
}

// The output program at `amplitude` must pass the stimulator's own check (safety limits included); the
// reason says which controller amplitude was checked, then the stimulator's reason.
std::string_view check_output_at(const controller_params& p, double amplitude, const char* which,
                                 const stimulator_layout& layout, reason_text& reason) noexcept {
  // A controller's output program comes from a wire Program, whose PulseTrain amplitude is a magnitude (polarity:
  // anodic_first; io/protocol/codec.cpp refuses a negative one): a clamp or a schedule that could set one below 0
  // reversed the phases at run time without a word (an outside audit's leftover, 2026-12-07).
  if (p.output_program.shape == waveform::pulse_train && amplitude < 0.0) {
    detail::text_builder t(reason);
    t << "controller." << which << " = " << amplitude
      << ": the output is a PulseTrain, whose amplitude is the magnitude of its phases and must be >= 0 "
         "(output.program.anodic_first sets which phase comes first)";
    return t.view();
  }
  program at = p.output_program;
  at.amplitude = amplitude;
  reason_text inner{};
  const std::string_view why = validate(p.output_site, at, layout, inner);
  if (why.empty()) return {};
  detail::text_builder t(reason);  // the amplitude exactly (%g printed 1000.0001 as 1000)
  t << "controller." << which << " = " << amplitude << " refused: " << why;
  return t.view();
}

// The output site and the output program's own fields, once, at amplitude 0 (which every limit allows), named as
// the wire names them: checked only at each amplitude the controller may set, a bad site was reported under the
// first one ("controller.output_max = 100 refused: site.electrode = 5": an outside check, 2026-12-04).
std::string_view check_output_fields(const controller_params& p, const stimulator_layout& layout,
                                     reason_text& reason) noexcept {
  // Finite for every kind, as every float of a SetStimulation, though an open-loop or PI controller sets the
  // amplitude itself (its schedule's, its clamp's output): NaN, inf there were accepted where a plain program
  // refuses them (an outside check, 2026-12-06). Its limits are checked at each amplitude the controller may set.
  if (!std::isfinite(p.output_program.amplitude))
    return refuse(reason, "controller.output.program.amplitude", p.output_program.amplitude, "must be finite");
  program at = p.output_program;
  at.amplitude = 0.0;
  reason_text inner{};
  const std::string_view why = validate(p.output_site, at, layout, inner);
  if (why.empty()) return {};
  detail::text_builder t(reason);
  if (why.starts_with("site.") || why.starts_with("program.")) t << "controller.output." << why;
  else t << "controller.output.program: " << why;
  return t.view();
}

// A responsive or phase-locked controller fires its output program: at amplitude 0 it was accepted and did nothing
// (the CLI refused it; a client of the protocol was not told: an outside check, 2026-12-04).
std::string_view check_fired_amplitude(const controller_params& p, const stimulator_layout& layout,
                                       reason_text& reason) noexcept {
  if (p.output_program.amplitude == 0.0)
    return refuse(reason, "controller.output.program.amplitude", 0.0, "must not be 0: it is the amplitude fired");
  return check_output_at(p, p.output_program.amplitude, "output.program.amplitude", layout, reason);
}

std::string_view validate_schedule(const controller_params& p, const stimulator_layout& layout,
                                   reason_text& reason) noexcept {
  if (p.n_schedule < 1 || p.n_schedule > kMaxSchedule)
    return refuse(reason, "controller.schedule (count)", p.n_schedule, "must be in [1, 16]");
  if (!in_time_range(p.period_us)) return refuse(reason, "controller.period_us", p.period_us, "must be in [0, 3600000000] us");
  for (std::uint32_t i = 0; i < p.n_schedule; ++i) {
    const schedule_entry& e = p.schedule[i];
    // Each named with its entry: "controller.schedule[2].start_us = ..." (the index was not said).
    if (!in_time_range(e.start_us) || (i > 0 && e.start_us <= p.schedule[i - 1].start_us) ||
        (p.period_us > 0 && e.start_us >= p.period_us)) {
      detail::text_builder t(reason);
      t << "controller.schedule[" << i << "].start_us = " << e.start_us
        << ": must increase from entry to entry, >= 0 and < period_us when it repeats";
      return t.view();
    }
    if (!std::isfinite(e.amplitude)) {
      detail::text_builder t(reason);
      t << "controller.schedule[" << i << "].amplitude = " << e.amplitude << ": must be finite";
      return t.view();
    }
    char which[40];
    std::snprintf(which, sizeof which, "schedule[%u].amplitude", i);
    if (auto why = check_output_at(p, e.amplitude, which, layout, reason); !why.empty()) return why;
  }
  return {};
}

// A PI clamp or an open loop sets the amplitude of its one program for as long as it runs: a program that ended by
// itself (a duration_us, a finite number of bursts) left the channel dead after it, the controller still in its slot
// holding the channel (Busy) and reporting an output that wound up, with no event (an outside audit, 2026-12-07).
std::string_view check_runs_until_cleared(const controller_params& p, reason_text& reason) noexcept {
  if (program_end_us(p.output_program) < 0) return {};
  detail::text_builder t(reason);
  t << "controller.output.program: ends by itself (duration_us = " << p.output_program.duration_us
    << ", n_bursts = " << p.output_program.n_bursts
    << "): a PI clamp or an open loop drives it until cleared, so both must be 0";
  return t.view();
}

std::string_view validate_kind_fields(const controller_params& p, const stimulator_layout& layout,
                                      reason_text& reason) noexcept {
  switch (p.kind) {
    case controller_kind::none: return {};
    case controller_kind::open_loop:
      if (auto why = check_runs_until_cleared(p, reason); !why.empty()) return why;
      return validate_schedule(p, layout, reason);
    case controller_kind::responsive:
      if (!std::isfinite(p.threshold)) return refuse(reason, "controller.threshold", p.threshold, "must be finite");
      if (!in_time_range(p.refractory_us))
        return refuse(reason, "controller.refractory_us", p.refractory_us, "must be in [0, 3600000000] us");
      return check_fired_amplitude(p, layout, reason);
    case controller_kind::pi_clamp:
      // Bounded to the range of any feature: a target of -1.7e308 passed as finite, the integral of the error the
      // clamp then stored reached -inf and 0 x -inf put NaN current into the network (its integral term is bounded
      // now: clamp()).
      if (!std::isfinite(p.target) || std::fabs(p.target) > kMaxTarget)
        return refuse(reason, "controller.target", p.target, "must be finite, in [-1e12, 1e12]");
      if (!std::isfinite(p.kp) || p.kp < 0.0) return refuse(reason, "controller.kp", p.kp, "must be finite and >= 0 (invert flips the sign)");
      if (!std::isfinite(p.ki_per_s) || p.ki_per_s < 0.0)
        return refuse(reason, "controller.ki_per_s", p.ki_per_s, "must be finite and >= 0 (invert flips the sign)");
      // Both 0 (the CLI's defaults) leave u = 0 clamped into the bounds forever: accepted, it did nothing (an
      // outside audit, 2026-12-07), as equal bounds did.
      if (p.kp == 0.0 && p.ki_per_s == 0.0)
        return refuse(reason, "controller.kp", p.kp, "and ki_per_s are both 0: the clamp would never move its output");
      if (auto why = check_runs_until_cleared(p, reason); !why.empty()) return why;
      if (!std::isfinite(p.output_min)) return refuse(reason, "controller.output_min", p.output_min, "must be finite");
      // Equal bounds leave the clamp nothing to set (both 0 by default: accepted, it did nothing).
      if (!std::isfinite(p.output_max) || p.output_max <= p.output_min)
        return refuse(reason, "controller.output_max", p.output_max, "must be finite and > output_min");
      if (auto why = check_output_at(p, p.output_max, "output_max", layout, reason); !why.empty()) return why;
      return check_output_at(p, p.output_min, "output_min", layout, reason);
    case controller_kind::phase_locked:
      if (!std::isfinite(p.target_phase_deg) || p.target_phase_deg < 0.0 || p.target_phase_deg >= 360.0)
        return refuse(reason, "controller.target_phase_deg", p.target_phase_deg, "must be in [0, 360) degrees");
      if (!in_time_range(p.min_interval_us))
        return refuse(reason, "controller.min_interval_us", p.min_interval_us, "must be in [0, 3600000000] us");
      if (p.loop_delay_us < 0 || p.loop_delay_us > 10'000'000)
        return refuse(reason, "controller.loop_delay_us", p.loop_delay_us, "must be in [0, 10000000] us");
      return check_fired_amplitude(p, layout, reason);
    case controller_kind::external:
      if (p.timeout_us <= 0 || p.timeout_us > kMaxTimeUs)
        return refuse(reason, "controller.timeout_us", p.timeout_us, "must be in (0, 3600000000] us");
      if (!in_time_range(p.ramp_down_us))
        return refuse(reason, "controller.ramp_down_us", p.ramp_down_us, "must be in [0, 3600000000] us");
      // Its outputs arrive as commands, each validated on arrival; the output program it is given is checked as
      // every other kind's is (an External one took a NaN amplitude and electrode 255: an outside check).
      return check_output_at(p, p.output_program.amplitude, "output.program.amplitude", layout, reason);
  }
  return {};
}

// A PI target or a responsive threshold its channel's feature can never reach: the clamp wound to its output bound
// and the controller never fired, with nothing to say why (an outside check, 2026-12-05). A rising crossing needs
// the feature below the threshold and then at or above it, so its threshold lies in (lo, hi]; a falling one in
// [lo, hi); a target in [lo, hi].
std::string_view check_reachable(const controller_params& p, const sensing_params& s, reason_text& reason) noexcept {
  if (p.kind == controller_kind::phase_locked) {
    // Its phase comes from the filtered signal's upward zero crossings (phase_estimator): a channel whose filtered
    // values cannot cross 0 (no band-pass on a rate, whose ADC range starts at 0) never has a phase, and the
    // controller never fired, with nothing to say why (an outside check, 2026-12-05).
    const feature_range r = range_of(s, feature_kind::filtered);
    if (r.lo < 0.0 && r.hi > 0.0) return {};
    detail::text_builder t(reason);
    t << "controller.kind = phase_locked: sensing channel " << p.sensing_channel << " has no band-pass and its "
      << "values, in [" << r.lo << ", " << r.hi << "], never cross 0, where the phase is measured: give it "
      << "band_low_Hz and band_high_Hz";
    return t.view();
  }
  if (p.kind != controller_kind::pi_clamp && p.kind != controller_kind::responsive) return {};
  static constexpr const char* kFeature[] = {"raw", "filtered", "rms", "envelope"};
  const feature_range r = range_of(s, p.feature);
  const bool pi = p.kind == controller_kind::pi_clamp;
  const double v = pi ? p.target : p.threshold;
  const bool reachable = pi ? v >= r.lo && v <= r.hi : p.rising ? v > r.lo && v <= r.hi : v >= r.lo && v < r.hi;
  if (reachable) return {};
  detail::text_builder t(reason);
  t << (pi ? "controller.target = " : "controller.threshold = ") << v << ": the "
    << kFeature[static_cast<unsigned>(p.feature)] << " feature of sensing channel " << p.sensing_channel
    << " takes values in [" << r.lo << ", " << r.hi << "]";
  if (!pi)
    t << (p.rising ? ", so a rising crossing needs one in (lo, hi]" : ", so a falling crossing needs one in [lo, hi)");
  // Where the range comes from, which differs by feature (it said "its ADC range" of an rms's [0, 50] on an ADC of
  // [-50, 50]: an outside check).
  const bool band = s.band_high_Hz > 0.0;
  if (p.feature == feature_kind::raw || (p.feature == feature_kind::filtered && !band))
    t << " (the channel's ADC range, [[device.sensing]] range_min/range_max)";
  else if (!band)
    t << " (0 to the largest |ADC value|, from [[device.sensing]] range_min/range_max)";
  else
    t << " (a mean of |band-passed value|: not below 0)";
  return t.view();
}

}  // namespace

feature_range range_of(const sensing_params& s, feature_kind f) noexcept {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const bool band = s.band_high_Hz > 0.0;
  const double most_abs = std::max(std::fabs(s.range_min), std::fabs(s.range_max));
  switch (f) {
    case feature_kind::raw: return {s.range_min, s.range_max};
    case feature_kind::filtered: return band ? feature_range{-kInf, kInf} : feature_range{s.range_min, s.range_max};
    case feature_kind::rms:
    case feature_kind::envelope: return {0.0, band ? kInf : most_abs};
  }
  return {-kInf, kInf};
}

std::string_view validate(const controller_params& p, const stimulator_layout& layout,
                          std::span<const sensing_params> sensing, reason_text& reason) noexcept {
  const std::size_t n_sensing = sensing.size();
  const auto kind = static_cast<unsigned>(p.kind);
  if (kind > static_cast<unsigned>(controller_kind::external))
    return refuse(reason, "controller.kind", kind, "must be 0..5 (none, open_loop, responsive, pi_clamp, phase_locked, external)");
  if (p.kind == controller_kind::none) return {};
  if (reads_sensing(p.kind) && p.sensing_channel >= n_sensing) {
    // How many there are, so that a client sees its mistake (an outside check got only "must name a configured
    // sensing channel" from a config with none).
    if (n_sensing == 0)
      return refuse(reason, "controller.sensing_channel", p.sensing_channel,
                    "this config has no sensing channel ([[device.sensing]])");
    detail::text_builder t(reason);
    t << "controller.sensing_channel = " << p.sensing_channel << ": must be below " << n_sensing
      << ", the number of the config's [[device.sensing]] channels";
    return t.view();
  }
  if (p.output_channel >= stimulator::kChannels)
    return refuse(reason, "controller.output.channel", p.output_channel, "must be in [0, 8)");
  if (static_cast<unsigned>(p.feature) > static_cast<unsigned>(feature_kind::envelope))
    return refuse(reason, "controller.feature", static_cast<unsigned>(p.feature), "must be 0..3 (raw, filtered, rms, envelope)");
  if (auto why = check_output_fields(p, layout, reason); !why.empty()) return why;
  if (auto why = validate_kind_fields(p, layout, reason); !why.empty()) return why;
  return reads_sensing(p.kind) ? check_reachable(p, sensing[p.sensing_channel], reason) : std::string_view{};
}

controller::controller(const controller_params& p, std::int64_t start_step, std::int64_t dt_us,
                       std::int64_t sample_period_us, std::span<const float> output_profile) noexcept
    : p_(p),
      output_profile_(output_profile),
      start_step_(start_step),
      dt_us_(std::max<std::int64_t>(dt_us, 1)),
      sample_period_us_(std::max<std::int64_t>(sample_period_us, 1)),
      refractory_steps_(ceil_steps(p.refractory_us, dt_us_)),
      watchdog_(ceil_steps(p.timeout_us, dt_us_)) {
  status_.kind = p.kind;
}

bool controller::continue_from(const controller& running) noexcept {
  const controller_params& r = running.p_;
  if (p_.kind != controller_kind::pi_clamp || r.kind != controller_kind::pi_clamp || !running.started_) return false;
  program mine = p_.output_program, theirs = r.output_program;
  mine.amplitude = theirs.amplitude = 0.0;  // the clamp sets the amplitude: only the rest must match
  if (p_.sensing_channel != r.sensing_channel || p_.output_channel != r.output_channel ||
      !(p_.output_site == r.output_site) || !(mine == theirs) || p_.invert != r.invert)
    return false;
  started_ = true;  // its program stays loaded, at the running clamp's output until this one's first sample
  // The integral term as it was (the new ki only sets how it grows from the next sample on), inside the new bounds:
  // beyond one it could not move the clamped output and would only hold it there (wind-up).
  status_.integral = std::clamp(running.status_.integral, p_.output_min, p_.output_max);
  status_.output = running.status_.output;
  return true;
}

void controller::step(std::int64_t step_index, const sensed_sample& sample, stimulator& stim) noexcept {
  if (p_.kind == controller_kind::none || step_index < start_step_) return;
  if (!started_) start(step_index, stim);
  switch (p_.kind) {
    case controller_kind::open_loop: run_schedule(step_index, stim); return;
    case controller_kind::external: watch(step_index, stim); return;
    default: break;
  }
  // The closed loops act once per new sample of their channel.
  if (!sample.sampled) return;
  double feature = sample.filtered;
  switch (p_.feature) {
    case feature_kind::raw: feature = sample.raw; break;
    case feature_kind::filtered: feature = sample.filtered; break;
    case feature_kind::rms: feature = sample.rms; break;
    case feature_kind::envelope: feature = sample.envelope; break;
  }
  status_.feature = feature;
  switch (p_.kind) {
    case controller_kind::responsive: respond(step_index, feature, stim); break;
    case controller_kind::pi_clamp: clamp(feature, stim); break;
    case controller_kind::phase_locked: lock_to_phase(step_index, sample, stim); break;
    default: break;
  }
}

void controller::feed(std::int64_t step_index) noexcept {
  if (p_.kind == controller_kind::external) watchdog_.feed(step_index);
}

// The modulating controllers own their channel's program from their first step on; the triggered ones
// load theirs on each trigger; the watchdog starts counting. As in trigger(), the program starts on the next
// step: this step's current was delivered before the controller ran, and a program started "now" lost the part of
// its first step, the first phase of a biphasic pulse (+50 nC net from an open-loop train at 500 uA / 100 us).
void controller::start(std::int64_t step_index, stimulator& stim) noexcept {
  started_ = true;
  program p = p_.output_program;
  switch (p_.kind) {
    case controller_kind::open_loop:
      p.amplitude = scheduled_amplitude(step_index);
      stim.load(p_.output_channel, p_.output_site, p, step_index + 1, output_profile_);
      status_.output = p.amplitude;
      break;
    case controller_kind::pi_clamp:
      p.amplitude = std::clamp(0.0, p_.output_min, p_.output_max);
      stim.load(p_.output_channel, p_.output_site, p, step_index + 1, output_profile_);
      status_.output = p.amplitude;
      break;
    case controller_kind::external: watchdog_.arm(step_index); break;
    default: break;
  }
}

// The amplitude of the schedule entry in force (0 before the first entry of a period).
double controller::scheduled_amplitude(std::int64_t step_index) const noexcept {
  const std::int64_t elapsed_us = (step_index - start_step_) * dt_us_;
  const std::int64_t t_us = p_.period_us > 0 ? elapsed_us % p_.period_us : elapsed_us;
  double amplitude = 0.0;
  for (std::uint32_t i = 0; i < std::min<std::uint32_t>(p_.n_schedule, kMaxSchedule) && p_.schedule[i].start_us <= t_us; ++i)
    amplitude = p_.schedule[i].amplitude;
  return amplitude;
}

void controller::run_schedule(std::int64_t step_index, stimulator& stim) noexcept {
  const std::int64_t elapsed_us = (step_index - start_step_) * dt_us_;
  const std::int64_t t_us = p_.period_us > 0 ? elapsed_us % p_.period_us : elapsed_us;
  int entry = -1;
  for (std::uint32_t i = 0; i < std::min<std::uint32_t>(p_.n_schedule, kMaxSchedule) && p_.schedule[i].start_us <= t_us; ++i)
    entry = static_cast<int>(i);
  if (entry == schedule_entry_) return;  // amplitude changes only at entry boundaries
  schedule_entry_ = entry;
  status_.output = entry < 0 ? 0.0 : p_.schedule[static_cast<std::size_t>(entry)].amplitude;
  stim.set_amplitude(p_.output_channel, status_.output);
}

void controller::trigger(std::int64_t step_index, stimulator& stim) noexcept {
  // Nothing restarts a program the safety monitor stopped: a responsive or phase-locked controller fired again at
  // its next crossing, and each burst added its first phase to an electrode locked for net charge (-3150 nC in 5 s
  // from two of them: an outside audit, 2026-12-07). Clearing the controller, or setting it again, frees it.
  if (stim.stopped_by_safety(p_.output_channel)) return;
  // Loaded for the next step: this step's current was already delivered when the sample was taken.
  stim.load(p_.output_channel, p_.output_site, p_.output_program, step_index + 1, output_profile_);
  ++status_.triggers;
  status_.last_trigger_step = step_index;
  status_.output = p_.output_program.amplitude;
}

void controller::respond(std::int64_t step_index, double feature, stimulator& stim) noexcept {
  const bool crossed = have_previous_feature_ && (p_.rising ? previous_feature_ < p_.threshold && feature >= p_.threshold
                                                            : previous_feature_ > p_.threshold && feature <= p_.threshold);
  previous_feature_ = feature;
  have_previous_feature_ = true;
  if (!crossed || step_index < quiet_until_step_) return;
  trigger(step_index, stim);
  quiet_until_step_ = step_index + refractory_steps_;
}

// u = kp e + I (e sign-flipped when invert), clamped to [output_min, output_max], with the integral term I
// accumulated itself, I += ki e dt at each sample: ki multiplying a stored integral of e made a change of ki a jump
// of the output (a re-programmed clamp, ki 20 -> 0: 162.9 -> 7.5 pA in one tick: an outside audit), where now it
// changes only how I grows from then on (bumpless). Conditional integration: while u is pinned at a bound and e
// pushes further into it, I holds, so it never winds up and the loop leaves saturation as soon as e changes sign;
// and no increment carries I past a bound it was inside (it could not move u there, and a huge ki e dt is inf).
// A feature that is not a finite number (a diverged model) leaves the output where it was: std::clamp passes NaN on.
void controller::clamp(double feature, stimulator& stim) noexcept {
  if (!std::isfinite(feature)) return;
  const double dt_s = static_cast<double>(sample_period_us_) * 1e-6;
  status_.error = p_.target - feature;
  const double e = p_.invert ? -status_.error : status_.error;
  double& term = status_.integral;
  const double u_before = p_.kp * e + term;
  const bool pushing_up = u_before >= p_.output_max && e > 0.0;
  const bool pushing_down = u_before <= p_.output_min && e < 0.0;
  if (!pushing_up && !pushing_down)
    term = std::clamp(term + p_.ki_per_s * e * dt_s, std::min(term, p_.output_min), std::max(term, p_.output_max));
  const double u = p_.kp * e + term;  // +-inf at worst (huge kp e): clamped below
  status_.output = std::isnan(u) ? status_.output : std::clamp(u, p_.output_min, p_.output_max);
  status_.saturated = u >= p_.output_max || u <= p_.output_min;
  stim.set_amplitude(p_.output_channel, status_.output);
}

// Fires when the phase passes the aim, target - 360 delay / period (so the pulse lands on the target after
// the known loop delay), at most once a cycle (half a period's lockout) and never within min_interval_us.
void controller::lock_to_phase(std::int64_t step_index, const sensed_sample& sample, stimulator& stim) noexcept {
  const double phase = sample.phase_rad;
  const double previous = previous_phase_rad_;
  previous_phase_rad_ = phase;
  if (phase < 0.0 || previous < 0.0 || sample.period_s <= 0.0) return;
  const double period_us = sample.period_s * 1e6;
  const double aim = wrap_rad((p_.target_phase_deg - 360.0 * static_cast<double>(p_.loop_delay_us) / period_us) *
                              std::numbers::pi / 180.0);
  const double advance = wrap_rad(phase - previous);
  // A sample advances the phase by 2 pi sample_period / period, far below pi; a larger "advance" is the
  // estimate jumping back (a new period estimate), not the signal moving on: no crossing.
  if (advance > std::numbers::pi) return;
  const double to_aim = wrap_rad(aim - previous);
  if (!(to_aim > 0.0 && to_aim <= advance)) return;
  if (status_.last_trigger_step >= 0) {
    const double since_us = static_cast<double>((step_index - status_.last_trigger_step) * dt_us_);
    if (since_us < static_cast<double>(p_.min_interval_us) || since_us < 0.5 * period_us) return;
  }
  trigger(step_index, stim);
}

void controller::watch(std::int64_t step_index, stimulator& stim) noexcept {
  status_.output = stim.active(p_.output_channel) ? stim.channel_program(p_.output_channel).amplitude : 0.0;
  if (!watchdog_.expired(step_index)) return;
  stim.ramp_down(p_.output_channel, p_.ramp_down_us, step_index);
  ++status_.watchdog_events;
  const double timeout_ms = static_cast<double>(p_.timeout_us) / 1000.0;
  const double silence_ms = static_cast<double>(ceil_steps(p_.timeout_us, dt_us_) + 1) * static_cast<double>(dt_us_) / 1000.0;
  status_.last_event = {step_index, static_cast<std::int16_t>(p_.output_channel), -1,
                        safety_verdict{safety_limit::watchdog, silence_ms, timeout_ms}};
}

}  // namespace cortexloop::firmware_sim
