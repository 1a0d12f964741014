#pragma once
// The sensing front-end: a channel samples one engine signal at a site at a fixed rate, as an amplifier and
// ADC would, and runs the device's filters on it.
//
// Per sample (every sample_period = dt * steps_per_sample):
//   x     = signal at the site (see signal_kind) + artifact + noise
//   artifact = artifact_gain * sum_e phi_e, phi_e = I_e / (4 pi sigma r_e) the potential (mV) of stimulation
//            electrode e at the site (electrode.hpp), I_e its mean current over the last step
//   noise = seeded Gaussian, sd noise_sd (signal units)
//   raw   = ADC(x): clipped to [range_min, range_max], quantised to the nearest of the 2^adc_bits levels
//            range_min + k (range_max - range_min) / (2^adc_bits - 1) (both ends are levels)
//   blanking: for blanking_us after any electrode's current turns on or changes sign (a pulse edge), the
//            channel holds its last unblanked value (sample-and-hold) instead of raw; edges are watched every
//            step; an edge in step k blanks the samples of steps k .. k + ceil(blanking_us / dt) - 1.
//            A non-finite x (a diverged model) is held the same way.
//   filtered = band-pass biquad (when band_high_Hz > 0, else raw); rms = moving RMS of filtered over
//            rms_window_ms; envelope = one-pole |filtered| (tau = rms_window_ms); phase = phase_estimator
// Signals (units): lfp_proxy (nA, the network's, Mazzoni et al. 2008 proxy), rate_exc / rate_inh (Hz, the
// network population's spikes over the sample period), ring_vsdi (%), ring_rate_exc / ring_rate_inh (Hz) of
// the ring interpolated linearly between the two units around position_mm, aln_rate_exc / aln_rate_inh (Hz) of
// the [aln] node: the mean of its per-step rates (engine/aln/aln_model.hpp) over the sample period.
// Network and ALN signals are sensed at the network's position (stimulator_layout::network_position_mm).
// Samples close each sample period: at steps n - 1, 2n - 1, ... (n = steps_per_sample), so a sample covers
// the spikes of its own n steps.
// Construction allocates (filters); step() is noexcept and allocation-free.
#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "engine/random/rng.hpp"
#include "firmware_sim/filters.hpp"
#include "firmware_sim/stimulator.hpp"

namespace cortexloop::engine {
class network;
}

namespace cortexloop::firmware_sim {

enum class signal_kind : std::uint8_t {
  lfp_proxy = 0, rate_exc = 1, rate_inh = 2, ring_vsdi = 3, ring_rate_exc = 4, ring_rate_inh = 5,
  aln_rate_exc = 6, aln_rate_inh = 7
};

struct sensing_params {
  signal_kind signal = signal_kind::rate_exc;
  double position_mm = 0.0;      // ring signals: where on the ring
  double height_mm = 0.0;        // the sensing contact's height above the sheet (artifact distance)
  double sample_rate_Hz = 1000.0;  // must divide 1 / dt
  int adc_bits = 16;
  double range_min = -1000.0, range_max = 1000.0;  // signal units
  double noise_sd = 0.0;
  std::uint64_t seed = 1;
  double artifact_gain_per_mV = 0.0;  // signal units per mV of stimulation potential at the site
  std::int64_t blanking_us = 0;
  double band_low_Hz = 0.0, band_high_Hz = 0.0;  // band-pass; both 0: none (one edge alone is refused)
  double rms_window_ms = 100.0;                  // in rms_window_range_of(sample_rate_Hz)
};

// The RMS / envelope window's range (ms), which the config and the device both state: at least one sample period,
// at most a minute.
struct rms_window_range {
  double lo_ms, hi_ms;
};
inline rms_window_range rms_window_range_of(double sample_rate_Hz) noexcept {
  return {1e3 / sample_rate_Hz, 60'000.0};
}

// What the engine offers the device after each step.
struct signal_inputs {
  std::int64_t spikes_exc = 0, spikes_inh = 0;  // in this step
  std::uint32_t n_exc = 0, n_inh = 0;
  const engine::network* net = nullptr;         // for the LFP proxy (computed only when a channel samples it)
  std::span<const float> ring_vsdi_percent, ring_rates_exc_Hz, ring_rates_inh_Hz;  // latest ring state
  double aln_rate_exc_Hz = 0.0, aln_rate_inh_Hz = 0.0;  // the ALN node's rates of this step (0 without one)
};

struct sensed_sample {
  bool sampled = false;   // false: no sample due this step (the values are the last ones)
  bool blanked = false;
  double signal = 0.0;    // the true signal at the site, before artifact, noise and ADC
  double raw = 0.0;       // after ADC (and sample-and-hold when blanked)
  double filtered = 0.0, rms = 0.0, envelope = 0.0;
  double phase_rad = -1.0;  // < 0: unknown yet
  double period_s = 0.0;    // the phase estimator's period (0: unknown yet); phase-locked delay compensation
  std::int64_t step = -1;   // the step this sample was taken at (-1: none yet)
};

// Why the parameters cannot work on this layout (field, value, range), or empty.
std::string_view validate(const sensing_params& p, const stimulator_layout& layout, reason_text& reason) noexcept;

// The signals read along the ring, at the channel's position_mm (the others at the network's: network_position_mm).
bool is_ring_signal(signal_kind s) noexcept;

class sensing_channel {
 public:
  sensing_channel() = default;
  sensing_channel(const sensing_params& p, const stimulator_layout& layout);
  // Advances one step: accumulates rates, and on sample steps produces a sample. electrode_current_uA: the
  // stimulation electrodes' mean current of this step (stimulator::electrode_current_uA()).
  const sensed_sample& step(std::int64_t step_index, const signal_inputs& in,
                            std::span<const double> electrode_current_uA) noexcept;
  const sensed_sample& last() const noexcept { return last_; }
  // The step numbering moves by `shift` (a Reset): a blanking window under way keeps its remaining length.
  void renumber_steps(std::int64_t shift) noexcept;
  const sensing_params& params() const noexcept { return p_; }
  std::int64_t steps_per_sample() const noexcept { return steps_per_sample_; }

 private:
  double true_signal(const signal_inputs& in) const noexcept;
  double artifact(std::span<const double> electrode_current_uA) const noexcept;
  double gaussian() noexcept;
  double adc(double x) const noexcept;
  void watch_pulse_edges(std::int64_t step_index, std::span<const double> electrode_current_uA) noexcept;

  sensing_params p_{};
  std::int64_t steps_per_sample_ = 1;
  sensed_sample last_{};
  std::int64_t dt_us_ = 100;
  double sample_period_s_ = 1e-3;
  // Where the signal is sensed, and the ring it is read from.
  double site_mm_ = 0.0, ring_length_mm_ = 36.0;
  // Artifact: distance (mm) from each stimulation electrode to the sensing contact, fixed at construction.
  std::array<double, kMaxElectrodes> electrode_distance_mm_{};
  std::size_t n_electrodes_ = 0;
  double sigma_S_per_m_ = 0.3;
  // Noise: Box-Muller yields pairs; the second one is kept for the next sample.
  engine::scalar_rng rng_{1};
  double spare_normal_ = 0.0;
  bool have_spare_ = false;
  double adc_step_ = 1.0;  // (range_max - range_min) / (2^bits - 1)
  // Blanking: pulse edges are watched every step (pulses are shorter than a sample period).
  std::array<double, kMaxElectrodes> previous_current_uA_{};
  std::int64_t blanking_steps_ = 0, blank_until_step_ = -1;  // samples at steps < blank_until_step_ are held
  double held_raw_ = 0.0;
  // Spike counts since the last sample.
  std::int64_t spikes_exc_ = 0, spikes_inh_ = 0, counted_steps_ = 0;
  double aln_sum_exc_Hz_ = 0.0, aln_sum_inh_Hz_ = 0.0;  // the ALN node's per-step rates since the last sample
  biquad band_{};
  bool band_on_ = false;
  moving_rms rms_{};
  envelope envelope_{};
  phase_estimator phase_{};
};

}  // namespace cortexloop::firmware_sim
