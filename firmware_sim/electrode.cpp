#include "firmware_sim/electrode.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "engine/meanfield/ring_geometry.hpp"

namespace cortexloop::firmware_sim {

double electrode_radius_mm(const electrode_params& e) noexcept {
  // Sphere of area A: A = 4 pi r^2.
  return std::sqrt(std::max(e.area_mm2, 0.0) / (4.0 * std::numbers::pi));
}

double electrode_distance_mm(const electrode_params& e, double x_mm, double ring_length_mm) noexcept {
  const double d = engine::meanfield::ring_distance_mm(e.position_mm, x_mm, ring_length_mm);
  return std::max(std::hypot(d, e.height_mm), electrode_radius_mm(e));
}

// E = I / (4 pi sigma r^2) with I = 1e-6 I_uA (A) and r = 1e-3 r_mm (m): the two powers of ten cancel, so
// the field in V/m is I_uA / (4 pi sigma r_mm^2).
double field_V_per_m(double current_uA, double r_mm, double sigma_S_per_m) noexcept {
  return current_uA / (4.0 * std::numbers::pi * sigma_S_per_m * r_mm * r_mm);
}

// phi = I / (4 pi sigma r) = 1e-6 I_uA / (4 pi sigma 1e-3 r_mm) V = I_uA / (4 pi sigma r_mm) mV.
double potential_mV(double current_uA, double r_mm, double sigma_S_per_m) noexcept {
  return current_uA / (4.0 * std::numbers::pi * sigma_S_per_m * r_mm);
}

// H(s) = (1 + s tz) / (1 + s tp) = tz/tp + (1 - tz/tp) / (1 + s tp): a direct term plus a first-order
// low-pass state x, tp dx/dt = -x + g u with g = 1 - tz/tp. For u constant over a step of h:
//   x(h) = a x0 + g u (1 - a),  a = exp(-h / tp)                                  (exact)
//   mean of x over the step = g u + (x0 - g u) (tp / h) (1 - a)                    (exact)
// so the step-mean output is (tz/tp) u + mean(x), and the integral of the output over steps equals that of
// the continuous filter driven by the same piecewise-constant input: a charge-balanced input stays balanced.
coupling_filter::coupling_filter(const coupling_params& c, double dt_ms) noexcept
    : direct_(c.tau_zero_ms / c.tau_pole_ms),
      decay_(std::exp(-dt_ms / c.tau_pole_ms)),
      state_gain_(1.0 - c.tau_zero_ms / c.tau_pole_ms),
      tau_zero_ms_(c.tau_zero_ms),
      tau_pole_ms_(c.tau_pole_ms),
      mean_factor_(c.tau_pole_ms / dt_ms * (1.0 - std::exp(-dt_ms / c.tau_pole_ms))) {}

double coupling_filter::step(double input) noexcept {
  const double target = state_gain_ * input;
  const double mean_state = target + (state_ - target) * mean_factor_;
  state_ = target + (state_ - target) * decay_;
  return direct_ * input + mean_state;
}

double coupling_filter::gain(double frequency_Hz) const noexcept {
  const double w_per_ms = 2.0 * std::numbers::pi * frequency_Hz / 1000.0;
  const double zero = w_per_ms * tau_zero_ms_, pole = w_per_ms * tau_pole_ms_;
  return std::sqrt((1.0 + zero * zero) / (1.0 + pole * pole));
}

}  // namespace cortexloop::firmware_sim
