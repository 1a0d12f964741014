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

// The distance between neighbouring units.
inline double ring_unit_spacing_mm(std::size_t n_units, double length_mm) {
  return length_mm / static_cast<double>(n_units);
}

// The periodic distance from position_mm to its nearest unit (fmod's rounding left in: 0.18 mm may read
// 0.1799999999999996; messages round it to the nanometre, ring_distance_shown_mm).
inline double ring_nearest_unit_mm(double position_mm, std::size_t n_units, double length_mm) {
  const double spacing = ring_unit_spacing_mm(n_units, length_mm);
  const double offset = std::fmod(std::fmod(position_mm, spacing) + spacing, spacing);
  return std::min(offset, spacing - offset);
}

inline double ring_distance_shown_mm(double mm) { return std::round(mm * 1e6) / 1e6; }

// How far a Gaussian's centre may lie from the nearest unit, in sds: that unit then takes at least exp(-2) (13.5 %)
// of its peak, and any sd from a quarter of the spacing reaches one wherever it lies. (One sd, exp(-1/2), refused
// stim's default 1.5 mm at a sixth of the positions on units 3.6 mm apart, where the two units around it take 0.97
// of the peak together against 0.98 at a position it took: an outside check, 2026-12-06.)
inline constexpr double kRingReachSds = 2.0;

// Whether a Gaussian of sd_mm around position_mm reaches a unit (kRingReachSds): the units sample it, and a narrower
// one falls between them (0.01 mm at 3 mm on units 0.36 mm apart gave the nearest unit 5e-30 of the amplitude: an
// outside audit, 2026-12-06); centred on a unit, that unit takes the amplitude. The comparison allows for rounding a
// millionth of the position (the float32 wire and fmod put 18.1 mm at 0.1000004 mm from a unit 0.1 mm away), at most
// a thousandth of the sd: a position's millionth alone let a 1e-7 mm site at 18.00001 mm through (a review).
inline bool ring_gaussian_reaches_a_unit(double position_mm, double sd_mm, std::size_t n_units, double length_mm) {
  const double rounding_mm = std::min(1e-6 * std::max(1.0, std::fabs(position_mm)), 1e-3 * sd_mm);
  return ring_nearest_unit_mm(position_mm, n_units, length_mm) <= kRingReachSds * sd_mm + rounding_mm;
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
