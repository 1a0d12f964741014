#include "engine/inputs/sine_step.hpp"

#include <cmath>
#include <numbers>

namespace cortexloop::engine {

double sine_integral_us(double frequency_Hz, double phase_rad, double t0_us, double t1_us) noexcept {
  constexpr double kUsPerS = 1e6;
  const double w = 2.0 * std::numbers::pi * frequency_Hz / kUsPerS;  // rad per us
  const double length = t1_us - t0_us;
  const double mid = 0.5 * (t0_us + t1_us);
  const double x = 0.5 * w * length;
  const double sinc = std::fabs(x) < 1e-4 ? 1.0 - x * x / 6.0 : std::sin(x) / x;
  return length * sinc * std::sin(w * mid + phase_rad);
}

}  // namespace cortexloop::engine
