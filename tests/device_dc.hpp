#pragma once
// A DC program onto every E cell / unit (a Population site), as a stimulation command would load it: the domain
// tests drive models out of their validity range with it.
#include <cstddef>
#include <cstdint>

#include "firmware_sim/device.hpp"

namespace cortexloop::testing {

// amplitude_pA onto E from start_ms for duration_ms, on `channel`; dt_ms: the engine's step.
inline void load_population_dc(firmware_sim::device& dev, std::size_t channel, double amplitude_pA, int start_ms,
                               int duration_ms, double dt_ms = 0.1) {
  firmware_sim::site s;
  s.kind = firmware_sim::site_kind::population;
  s.population = engine::population::exc;
  firmware_sim::program prog;
  prog.shape = firmware_sim::waveform::dc;
  prog.amplitude = amplitude_pA;
  prog.duration_us = static_cast<std::int64_t>(duration_ms) * 1000;
  dev.load(channel, s, prog, static_cast<std::int64_t>(start_ms / dt_ms + 0.5));
}

}  // namespace cortexloop::testing
