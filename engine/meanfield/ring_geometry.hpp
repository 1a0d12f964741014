#pragma once
// Geometry of the periodic ring, the one convention every spatial input uses (the ring's afferent stimuli
// and electrical currents from the config, and the stimulator's ring sites in firmware_sim/): unit i sits
// at i * length / n_units, and distances wrap around the ring.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>

namespace cortexloop::engine::meanfield {

inline double ring_unit_position_mm(std::size_t unit, std::size_t n_units, double length_mm) {
  return static_cast<double>(unit) * length_mm / static_cast<double>(n_units);
}

inline double ring_distance_mm(double a_mm, double b_mm, double length_mm) {
  const double d = std::fmod(std::fabs(a_mm - b_mm), length_mm);
  return std::min(d, length_mm - d);
}

// out[i] = amplitude * exp(-d_i^2 / (2 sd^2)), d_i the periodic distance from unit i to position_mm;
// out.size() is the number of units.
inline void ring_gaussian_profile(std::span<float> out, double length_mm, double position_mm, double sd_mm,
                                  double amplitude) {
  for (std::size_t i = 0; i < out.size(); ++i) {
    const double d = ring_distance_mm(ring_unit_position_mm(i, out.size(), length_mm), position_mm, length_mm);
    // d / sd first: sd * sd underflowed to 0 for a valid (> 0) sd below ~1e-154 mm, and 0 / 0 at the centre
    // gave NaN currents (found by fuzz/fuzz_program: a ring_position site with width_mm = 1e-300).
    const double z = d / sd_mm;
    out[i] = static_cast<float>(amplitude * std::exp(-0.5 * z * z));
  }
}

}  // namespace cortexloop::engine::meanfield
