#include "firmware_sim/filters.hpp"

#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>

namespace cortexloop::firmware_sim {

// RBJ audio-EQ cookbook, band-pass with constant 0 dB peak gain:
//   H(z) = alpha (1 - z^-2) / ((1 + alpha) - 2 cos(w0) z^-1 + (1 - alpha) z^-2),  alpha = sin(w0) / (2 Q).
// It is the bilinear transform of H(s) = (s/Q) / (s^2 + s/Q + 1) with the analog frequency 1 mapped onto w0,
// i.e. Omega = tan(w / 2) / tan(w0 / 2). The analog -3 dB edges satisfy Omega_hi - Omega_lo = 1/Q, so taking
// Q = tan(w0/2) / (tan(w_hi/2) - tan(w_lo/2)) puts the digital edges on low_Hz and high_Hz up to the (tiny)
// difference between sqrt(lo hi) and the centre of the warped band; Q = f0 / (hi - lo) would instead let
// the bilinear warping shift them by O((pi f / fs)^2).
biquad biquad::band_pass(double low_Hz, double high_Hz, double sample_rate_Hz) noexcept {
  const double pi = std::numbers::pi;
  const double centre_Hz = std::sqrt(low_Hz * high_Hz);
  const double w0 = 2.0 * pi * centre_Hz / sample_rate_Hz;
  const double warped_bandwidth = std::tan(pi * high_Hz / sample_rate_Hz) - std::tan(pi * low_Hz / sample_rate_Hz);
  const double q = std::tan(w0 / 2.0) / warped_bandwidth;
  const double alpha = std::sin(w0) / (2.0 * q);
  const double a0 = 1.0 + alpha;
  biquad f;
  f.b0_ = alpha / a0;
  f.b1_ = 0.0;
  f.b2_ = -alpha / a0;
  f.a1_ = -2.0 * std::cos(w0) / a0;
  f.a2_ = (1.0 - alpha) / a0;
  return f;
}

// Direct form II transposed: y = b0 x + z1; z1 = b1 x - a1 y + z2; z2 = b2 x - a2 y (two states, good
// rounding behaviour for the narrow low-frequency bands the device uses).
double biquad::step(double x) noexcept {
  const double y = b0_ * x + z1_;
  z1_ = b1_ * x - a1_ * y + z2_;
  z2_ = b2_ * x - a2_ * y;
  return y;
}

double biquad::gain(double frequency_Hz, double sample_rate_Hz) const noexcept {
  const double w = 2.0 * std::numbers::pi * frequency_Hz / sample_rate_Hz;
  const std::complex<double> z1 = std::polar(1.0, -w), z2 = z1 * z1;  // z^-1, z^-2
  const std::complex<double> num = b0_ + b1_ * z1 + b2_ * z2;
  const std::complex<double> den = 1.0 + a1_ * z1 + a2_ * z2;
  return std::abs(num / den);
}

moving_rms::moving_rms(std::size_t window_samples) : squares_(std::max<std::size_t>(window_samples, 1), 0.0) {}

double moving_rms::step(double x) noexcept {
  if (squares_.empty()) return std::fabs(x);  // default-constructed: a window of one sample
  const double sq = x * x;
  sum_ += sq - squares_[next_];
  squares_[next_] = sq;
  if (++next_ == squares_.size()) {
    next_ = 0;
    // Adding and subtracting squares of very different sizes leaves rounding residue in the running sum;
    // re-summing once per window bounds it at one window's worth at O(1) amortised cost.
    sum_ = 0.0;
    for (const double s : squares_) sum_ += s;
  }
  filled_ = std::min(filled_ + 1, squares_.size());
  return std::sqrt(std::max(sum_, 0.0) / static_cast<double>(filled_));
}

void moving_rms::reset() noexcept {
  std::fill(squares_.begin(), squares_.end(), 0.0);
  next_ = filled_ = 0;
  sum_ = 0.0;
}

// y += alpha (|x| - y), alpha = 1 - exp(-1 / tau): the exact step response of a one-pole low-pass with time
// constant tau (in samples); tau <= 0 passes |x| through.
envelope::envelope(double tau_samples) noexcept
    : alpha_(tau_samples > 0.0 ? -std::expm1(-1.0 / tau_samples) : 1.0) {}

double envelope::step(double x) noexcept {
  y_ += alpha_ * (std::fabs(x) - y_);
  return y_;
}

double phase_estimator::period_s() const noexcept {
  if (n_periods_ == 0) return 0.0;
  double sum = 0.0;
  for (int i = 0; i < n_periods_; ++i) sum += periods_[i];
  return sum / n_periods_;
}

double phase_estimator::step(double x) noexcept {
  const double t_s = static_cast<double>(n_samples_) * dt_s_;  // sample count as the clock, never t += dt
  ++n_samples_;
  if (have_prev_ && prev_ < 0.0 && x >= 0.0) {
    // The crossing, interpolated linearly between the previous sample and this one.
    const double crossing_s = t_s - dt_s_ * x / (x - prev_);
    const double known_period_s = period_s();
    const double since_last_s = crossing_s - last_up_s_;
    // A noisy signal can wiggle across zero twice within a few samples; a crossing sooner than half the
    // known period after the last one is such a wiggle, not a new cycle (the band-pass keeps real cycles
    // well above half the mean period).
    if (last_up_s_ < 0.0 || known_period_s == 0.0 || since_last_s >= 0.5 * known_period_s) {
      if (last_up_s_ >= 0.0) {
        periods_[next_period_] = since_last_s;
        next_period_ = (next_period_ + 1) % kCycles;
        n_periods_ = std::min(n_periods_ + 1, kCycles);
      }
      last_up_s_ = crossing_s;
    }
  }
  prev_ = x;
  have_prev_ = true;
  const double period = period_s();
  if (period <= 0.0) return -1.0;
  const double two_pi = 2.0 * std::numbers::pi;
  double phase = two_pi * (t_s - last_up_s_) / period;
  phase = std::fmod(phase, two_pi);
  if (phase < 0.0) phase += two_pi;
  return phase;
}

void phase_estimator::reset() noexcept {
  prev_ = 0.0;
  n_samples_ = 0;
  last_up_s_ = -1.0;
  for (double& p : periods_) p = 0.0;
  n_periods_ = next_period_ = 0;
  have_prev_ = false;
}

}  // namespace cortexloop::firmware_sim
