#pragma once
// Allocation-free signal processing of the sensing front-end, every filter sized at construction and
// advanced one sample at a time (noexcept after construction).
//   biquad       band-pass (RBJ audio-EQ cookbook, constant 0 dB peak gain), direct form II transposed
//   moving_rms   root mean square over a fixed window (ring buffer; running sum of squares, re-summed every
//                window to keep rounding from drifting)
//   envelope     |x| low-passed by a one-pole filter (time constant in samples)
//   phase_estimator  instantaneous phase of a narrow-band signal in real time: a zero-crossing predictor.
//                It timestamps upward zero crossings (linearly interpolated between samples), estimates the
//                period as the mean of the last few cycles, and reports phase = 2 pi (t - t_last_up) / T,
//                wrapped to [0, 2 pi), with 0 at the upward crossing (a cosine's phase -pi/2 convention: a
//                sine's peak is at pi/2). Chosen over an endpoint-corrected Hilbert transform because it is
//                O(1) per sample, causal, needs no FFT, and is exact for a stationary sinusoid after two
//                cycles; its error grows with period jitter, which the band-pass limits. An upward crossing
//                sooner than half the current mean period after the last one is taken for noise and ignored.
#include <cstdint>
#include <vector>

namespace cortexloop::firmware_sim {

class biquad {
 public:
  biquad() = default;
  // Band-pass with centre sqrt(low * high) and bandwidth high - low (Hz); sample rate in Hz.
  static biquad band_pass(double low_Hz, double high_Hz, double sample_rate_Hz) noexcept;
  double step(double x) noexcept;
  void reset() noexcept { z1_ = z2_ = 0.0; }
  // |H(e^{j 2 pi f / fs})| (tests, docs).
  double gain(double frequency_Hz, double sample_rate_Hz) const noexcept;

 private:
  double b0_ = 1, b1_ = 0, b2_ = 0, a1_ = 0, a2_ = 0, z1_ = 0, z2_ = 0;
};

class moving_rms {
 public:
  moving_rms() = default;
  explicit moving_rms(std::size_t window_samples);
  double step(double x) noexcept;
  void reset() noexcept;

 private:
  std::vector<double> squares_;
  std::size_t next_ = 0, filled_ = 0;
  double sum_ = 0.0;
};

class envelope {
 public:
  envelope() = default;
  explicit envelope(double tau_samples) noexcept;
  double step(double x) noexcept;
  void reset() noexcept { y_ = 0.0; }

 private:
  double alpha_ = 1.0, y_ = 0.0;
};

class phase_estimator {
 public:
  static constexpr int kCycles = 4;  // period averaged over this many cycles
  phase_estimator() = default;
  explicit phase_estimator(double sample_period_s) noexcept : dt_s_(sample_period_s) {}
  // Returns the phase (rad, [0, 2 pi)) after this sample, or a negative value until two crossings were seen.
  double step(double x) noexcept;
  double period_s() const noexcept;  // current estimate (0 until known)
  void reset() noexcept;

 private:
  double dt_s_ = 1e-3, prev_ = 0.0, last_up_s_ = -1.0;  // last_up_s_ < 0: no crossing yet
  std::int64_t n_samples_ = 0;  // the clock: t = n_samples_ * dt_s_
  double periods_[kCycles] = {};
  int n_periods_ = 0, next_period_ = 0;
  bool have_prev_ = false;
};

}  // namespace cortexloop::firmware_sim
