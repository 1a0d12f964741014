#pragma once
// A stimulation program: what one channel of the simulated stimulator emits, as a function of time.
// Times are integer microseconds (exact on the wire and in the device; the step dt is a whole number of us).
// The device never samples a waveform: the current a model receives in a step is the program's charge over
// that step divided by the step (program_charge), so a 50 us pulse inside a 100 us step delivers exactly
// its charge, and every biphasic pulse (two phases of the same integer width) has zero net charge.
//
// Waveforms, with tau the time since the program's start (us) and env(tau) the ramp envelope
// (linear from 0 to 1 over ramp_up_us, and from 1 to 0 over the last ramp_down_us before duration_us):
//   dc           offset + amplitude * env
//   sine         offset + amplitude * env * sin(2 pi f tau + phase)
//   pulse_train  biphasic pulses: phase 1 (sign by cathodic_first), interphase gap, phase 2 (opposite sign),
//                each phase phase_width_us long with |current| = amplitude; pulse n of a burst starts at
//                llround(n * 1e6 / frequency_Hz) us after the burst's start; pulses_per_burst pulses a burst
//                (0: one endless burst), bursts every burst_period_us, n_bursts bursts (0: no limit).
//                monophasic (biphasic = false) omits the gap and phase 2 (direct sites only).
//   arbitrary    offset + amplitude * env * samples[i], zero-order hold, sample i over
//                [i * sample_period_us, (i + 1) * sample_period_us); repeats when `repeat`, else 0 after.
//   noise        offset + amplitude * env * g_i, g_i a standard Gaussian clipped to +-4, held over
//                [i * hold, (i + 1) * hold) with hold = wave.sample_period_us (white up to 1 / (2 hold));
//                g_i is a pure function of (noise_seed, i) (SplitMix64 then Box-Muller), so the charge of any
//                interval stays a pure function of time: deterministic per seed, tRNS-like.
// Units: amplitude and offset are uA at an electrode, pA per cell at a direct site (the channel's target
// decides). Everything here is noexcept and allocation-free.
#include <array>
#include <cstdint>
#include <span>

namespace cortexloop::firmware_sim {

enum class waveform : std::uint8_t { dc = 0, sine = 1, pulse_train = 2, arbitrary = 3, noise = 4 };

inline constexpr std::size_t kMaxWaveformSamples = 1024;

struct arbitrary_waveform {
  std::uint32_t n_samples = 0;          // <= kMaxWaveformSamples
  std::uint32_t sample_period_us = 100;
  bool repeat = true;
  std::array<float, kMaxWaveformSamples> samples{};  // dimensionless, scaled by amplitude
  bool operator==(const arbitrary_waveform&) const = default;
};

struct program {
  waveform shape = waveform::dc;
  double amplitude = 0.0;          // uA (electrode) or pA per cell (direct site); pulse phase magnitude
  double offset = 0.0;             // dc, sine, arbitrary
  double frequency_Hz = 0.0;       // sine; pulse_train (pulses per second within a burst)
  double phase_deg = 0.0;          // sine
  std::int64_t ramp_up_us = 0;     // dc, sine, arbitrary
  std::int64_t ramp_down_us = 0;   // dc, sine, arbitrary: needs duration_us > 0
  // pulse_train
  std::uint32_t phase_width_us = 0;
  std::uint32_t interphase_gap_us = 0;
  bool biphasic = true;
  bool cathodic_first = true;      // phase 1 negative
  std::uint32_t pulses_per_burst = 0;  // 0: continuous train
  std::int64_t burst_period_us = 0;    // start-to-start; needed when pulses_per_burst > 0
  std::uint32_t n_bursts = 0;          // 0: no limit
  // timing
  std::int64_t delay_us = 0;       // from the load step (when start is relative)
  std::int64_t duration_us = 0;    // 0: until replaced or cleared
  arbitrary_waveform wave{};       // arbitrary only (the samples travel with the program: no shared slots);
                                   // noise: wave.sample_period_us is its hold time
  std::uint64_t noise_seed = 1;    // noise
  bool operator==(const program&) const = default;
};

// Charge of `p` over [t0_us, t1_us) of its local time (tau; tau < 0 and tau >= duration give 0), in
// amplitude-units x us. Exact for dc (trapezoid over ramps), pulse_train and arbitrary (piecewise
// constant); sine integrated analytically (with the ramp envelope taken at the interval's midpoint).
// Cost: O(1) for dc, sine and pulse trains; O(samples or holds in the interval) for arbitrary and noise (a noise
// value is an independent hash of (seed, i), so n holds need n values; arbitrary_integral.hpp gives an
// arbitrary program's charge in O(1) after an O(n_samples) set-up).
double program_charge(const program& p, std::int64_t t0_us, std::int64_t t1_us) noexcept;
// One phase of a pulse train inside an interval: [begin_us, end_us) of local time, sign +1 or -1 (in units of the
// amplitude).
struct phase_segment {
  std::int64_t begin_us = 0, end_us = 0;
  int sign = 0;
};
// The phases of a pulse train that overlap [t0_us, t1_us), clipped to it, in time order: writes the first
// out.size() of them and returns how many there are (more than out.size(): the caller must bound the rest). 0 for
// any other shape. For the monitor's peak within a step (step_peak.hpp).
std::size_t train_phases(const program& p, std::int64_t t0_us, std::int64_t t1_us,
                         std::span<phase_segment> out) noexcept;
// The first local time >= t_us at which no pulse of a pulse train is under way: t_us itself, or the end of the
// pulse (both phases and the gap) that t_us falls in. A pulse that starts at t_us is not under way: it has delivered
// nothing, so a clear or reload at that instant drops it and a new amplitude applies to it. t_us for any other shape. Where a pulse train may take a new
// amplitude without unbalancing a biphasic pulse (stimulator::set_amplitude).
std::int64_t pulse_train_pause_at_or_after(const program& p, std::int64_t t_us) noexcept;

// The ramp envelope env(tau) in [0, 1] (the header's definition; 1 without ramps): linear between its knots
// ramp_up_us and duration_us - ramp_down_us.
double program_envelope(const program& p, double tau_us) noexcept;

// Largest |current| the program can reach (for safety checks and model-domain checks).
double program_peak(const program& p) noexcept;
// Charge of one phase of a pulse (amplitude x phase_width), in amplitude-units x us; 0 for non-pulse shapes.
double program_phase_charge(const program& p) noexcept;
// Pulses per second averaged over a burst period's worth of time (pulse_train), else 0. For bursts this is
// the instantaneous rate inside a burst (the limit a stimulator enforces).
double program_pulse_rate_Hz(const program& p) noexcept;
// The noise waveform's i-th value (standard Gaussian clipped to +-4), a pure function of (seed, i).
double noise_value(std::uint64_t seed, std::int64_t i) noexcept;
inline constexpr double kNoiseClipSd = 4.0;
// End of the program in local time (us), or -1 when it never ends.
std::int64_t program_end_us(const program& p) noexcept;

}  // namespace cortexloop::firmware_sim
