#pragma once
// cortexloop's one internal unit system, used by every model in engine/:
//   time ms, voltage mV, conductance nS, capacitance pF, current pA, rate Hz (1/s).
// It is self-consistent without conversion factors: nS * mV = pA and pF * mV / ms = pA,
// so C dV/dt = I reads  dV[mV] = dt[ms] / C[pF] * I[pA].  Rates are the one exception
// (Hz, converted with kMsPerS where a per-ms probability is needed).
#include <cmath>
#include <cstdint>

namespace cortexloop::engine {
inline constexpr double kMsPerS = 1000.0;

// A delay in whole steps of dt, the one rounding of every model's delays (the config loader, and aln_model for its
// own parameters, refuse delays that are not whole steps).
inline std::uint32_t delay_steps_of(double delay_ms, double dt_ms) noexcept {
  return static_cast<std::uint32_t>(std::lround(delay_ms / dt_ms));
}
}  // namespace cortexloop::engine
