#pragma once
// On-device controllers, reprogrammable at run time (like a clinician's programmer). Each reads one sensing
// channel's samples and drives one stimulator channel; outputs never exceed what the safety limits allow
// (a controller whose bounds the limits refuse is itself refused at configuration, with the reason).
//
//   open_loop     a schedule: up to kMaxSchedule (start_us, amplitude) entries relative to the controller's
//                 start, applied to its output channel's program amplitude; repeats every period_us if > 0.
//                 The program is loaded at the start step; before the first entry of a period the amplitude
//                 is 0. A change decided at step k shows in the current from step k + 1.
//   responsive    when the feature crosses threshold (rising or falling), loads `program` (e.g. a burst) on
//                 the output channel now; then ignores crossings for refractory_us
//   pi_clamp      holds the feature at `target`: u = kp e + I, I += ki e dt at each sample (the integral term
//                 accumulated itself, so a change of ki does not move u), e = target - feature (sign flipped
//                 when `invert`), u clamped to [output_min, output_max] with conditional-integration anti-windup
//                 (I stops when u saturates in the direction of e, and is never carried past a bound); u is the output
//                 channel's program amplitude, updated every sample (the program is loaded at the start step
//                 with amplitude clamp(0, output_min, output_max)); set_target() moves the set-point
//   phase_locked  when the sensed phase (phase_estimator on the filtered signal) crosses target_phase_deg,
//                 loads `program` (a pulse or short burst) now, at most once a cycle (half a period's lockout)
//                 and no more often than min_interval_us; compensates a known loop delay by aiming at
//                 target - 360 * delay / period (period: the sample's phase-estimator period)
//   external      an off-device controller drives the channel by commands; the device only watches: if no
//                 command arrives for timeout_us the output ramps to zero over ramp_down_us and a watchdog
//                 safety event is raised (controller_status::watchdog_events / last_event: the stimulator's
//                 event queue is private, so the device forwards it)
// Loaded programs (responsive, phase_locked) start at the step after the sample that decided them: the
// current of the sample's own step was already delivered.
// Everything after construction is noexcept and allocation-free.
#include <array>
#include <cstdint>
#include <span>

#include "firmware_sim/program.hpp"
#include "firmware_sim/sensing.hpp"
#include "firmware_sim/stimulator.hpp"

namespace cortexloop::firmware_sim {

enum class controller_kind : std::uint8_t { none = 0, open_loop = 1, responsive = 2, pi_clamp = 3, phase_locked = 4, external = 5 };
enum class feature_kind : std::uint8_t { raw = 0, filtered = 1, rms = 2, envelope = 3 };

inline constexpr std::size_t kMaxSchedule = 16;

struct schedule_entry {
  std::int64_t start_us = 0;
  double amplitude = 0.0;
};

// The largest |target| of a PI clamp: far beyond any feature (rates in Hz, mV, nA).
inline constexpr double kMaxTarget = 1e12;

struct controller_params {
  controller_kind kind = controller_kind::none;
  std::uint8_t sensing_channel = 0;
  std::uint8_t output_channel = 0;
  site output_site{};
  program output_program{};   // what the controller loads (responsive, phase_locked) or modulates (pi, open_loop)
  feature_kind feature = feature_kind::filtered;
  // responsive
  double threshold = 0.0;
  bool rising = true;
  std::int64_t refractory_us = 100'000;
  // pi_clamp (|target| <= kMaxTarget, in the feature's unit)
  double target = 0.0, kp = 0.0, ki_per_s = 0.0, output_min = 0.0, output_max = 0.0;
  bool invert = false;
  // phase_locked
  double target_phase_deg = 0.0;
  std::int64_t min_interval_us = 0;
  std::int64_t loop_delay_us = 0;
  // external
  std::int64_t timeout_us = 100'000;
  std::int64_t ramp_down_us = 10'000;
  // open_loop
  std::array<schedule_entry, kMaxSchedule> schedule{};
  std::uint32_t n_schedule = 0;
  std::int64_t period_us = 0;
};

// What a controller did, for the readout.
struct controller_status {
  controller_kind kind = controller_kind::none;
  double feature = 0.0;      // last feature value it read
  double output = 0.0;       // current output (amplitude) it commands
  double error = 0.0;        // pi: target - feature
  bool saturated = false;    // pi: output at a bound
  std::int64_t triggers = 0; // responsive, phase_locked: programs loaded so far
  std::int64_t last_trigger_step = -1;
  double integral = 0.0;     // pi: the integral term, the sum of ki e dt (e sign-flipped when invert), output units
  // external: watchdog expiries so far and the last one's event (limit watchdog, value = silence in ms,
  // bound = timeout in ms, channel = the output channel). The device publishes an event whenever
  // watchdog_events grows (the controller cannot reach the stimulator's private event queue).
  std::int64_t watchdog_events = 0;
  safety_event last_event{};
};

// The values a feature of a channel can take, [lo, hi]: raw is the ADC's [range_min, range_max]; without a
// band-pass, filtered is raw and rms and envelope (means of |filtered|) lie in [0, max |raw|]; a band-pass can
// overshoot the ADC's range, so its filtered value is unbounded and its rms and envelope only >= 0.
struct feature_range {
  double lo, hi;
};
feature_range range_of(const sensing_params& s, feature_kind f) noexcept;

// Range checks (field, value, range) and safety: the output program at output_max (pi) / at its amplitude
// (others) must pass validate() of stimulator.hpp; a PI target or a responsive threshold the channel's feature
// can never reach (range_of) is refused. sensing: the config's channels. Empty when the controller can run.
std::string_view validate(const controller_params& p, const stimulator_layout& layout,
                          std::span<const sensing_params> sensing, reason_text& reason) noexcept;

class controller {
 public:
  controller() = default;
  // Takes effect at start_step; sample_period_us: of its sensing channel. output_profile: the ring_position
  // output site's per-unit weights (ring_site_profile, computed off the real-time thread), passed to every load
  // of the output program; it must outlive the controller (the device keeps one per slot). Empty: the
  // stimulator computes it at each load (offline use only).
  controller(const controller_params& p, std::int64_t start_step, std::int64_t dt_us, std::int64_t sample_period_us,
             std::span<const float> output_profile = {}) noexcept;
  // Once per step, after the sensing channels stepped (sample: its channel's latest).
  void step(std::int64_t step_index, const sensed_sample& sample, stimulator& stim) noexcept;
  // external: a command from the loop arrived (feeds the watchdog).
  void feed(std::int64_t step_index) noexcept;
  // pi_clamp: a new set-point from the next sample on, keeping the integral (a bumpless target step).
  void set_target(double target) noexcept { p_.target = target; }
  // A PI clamp reprogrammed over a running one on the same sensing channel, output channel, site and program (its
  // target, gains, bounds or feature changed) takes over its integral and output instead of starting from rest:
  // rebuilt, it reloaded its program at amplitude 0 and the clamped rate fell from 5 to 0.7 Hz before it climbed
  // to a new target of 8 Hz (an outside check of the tutorial, 2026-12-04). Anything else starts afresh.
  // Returns whether it did. The integral term is kept as it is (clamped into the new output bounds): the clamp
  // accumulates the term itself (clamp() in controllers.cpp), so a new ki changes only how it grows. A clamp whose
  // invert flag changes (another control law) starts afresh.
  bool continue_from(const controller& running) noexcept;
  bool started() const noexcept { return started_; }
  const controller_status& status() const noexcept { return status_; }
  const controller_params& params() const noexcept { return p_; }

 private:
  void start(std::int64_t step_index, stimulator& stim) noexcept;
  void run_schedule(std::int64_t step_index, stimulator& stim) noexcept;
  void respond(std::int64_t step_index, double feature, stimulator& stim) noexcept;
  void clamp(double feature, stimulator& stim) noexcept;
  void lock_to_phase(std::int64_t step_index, const sensed_sample& sample, stimulator& stim) noexcept;
  void watch(std::int64_t step_index, stimulator& stim) noexcept;
  void trigger(std::int64_t step_index, stimulator& stim) noexcept;
  double scheduled_amplitude(std::int64_t step_index) const noexcept;

  controller_params p_{};
  std::span<const float> output_profile_{};
  controller_status status_{};
  std::int64_t start_step_ = 0, dt_us_ = 100, sample_period_us_ = 1000;
  bool started_ = false;
  // responsive
  double previous_feature_ = 0.0;
  bool have_previous_feature_ = false;
  std::int64_t refractory_steps_ = 0, quiet_until_step_ = -1;  // crossings before quiet_until_step_ are ignored
  // phase_locked
  double previous_phase_rad_ = -1.0;
  // open_loop
  int schedule_entry_ = -2;  // entry in force (-1: before the first entry of the period; -2: none applied yet)
  // external
  watchdog watchdog_{};
};

}  // namespace cortexloop::firmware_sim
