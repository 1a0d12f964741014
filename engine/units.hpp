#pragma once
// cortexloop's one internal unit system, used by every model in engine/:
//   time ms, voltage mV, conductance nS, capacitance pF, current pA, rate Hz (1/s).
// It is self-consistent without conversion factors: nS * mV = pA and pF * mV / ms = pA,
// so C dV/dt = I reads  dV[mV] = dt[ms] / C[pF] * I[pA].  Rates are the one exception
// (Hz, converted with kMsPerS where a per-ms probability is needed).
namespace cortexloop::engine {
inline constexpr double kMsPerS = 1000.0;
}  // namespace cortexloop::engine
