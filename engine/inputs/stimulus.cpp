#include "engine/inputs/stimulus.hpp"

#include <cmath>

#include "engine/inputs/sine_step.hpp"

namespace cortexloop::engine {

namespace {
constexpr double kUsPerMs = 1000.0;
}  // namespace

stimulus_schedule::stimulus_schedule(std::span<const stimulus_params> entries, double dt_ms)
    : entries_(entries.begin(), entries.end()), dt_us_(std::llround(dt_ms * kUsPerMs)) {}

float stimulus_schedule::current_pA(population target, double t_ms) const noexcept {
  double total = 0.0;
  for (const stimulus_params& s : entries_) {
    if (s.target != target || t_ms < s.start_ms || t_ms >= s.stop_ms) continue;
    switch (s.kind) {
      case stimulus_kind::dc:
        total += s.amplitude_pA;
        break;
      case stimulus_kind::sine: {
        // The step in whole microseconds from the sine's start, as the stimulator counts a program's time, and
        // the same arithmetic after the integral: charge, then / dt (firmware_sim stimulator::currents_pA).
        const auto t0_us = static_cast<double>(std::llround(t_ms * kUsPerMs) - std::llround(s.start_ms * kUsPerMs));
        const auto dt_us = static_cast<double>(dt_us_);
        total += s.amplitude_pA * sine_integral_us(s.frequency_Hz, 0.0, t0_us, t0_us + dt_us) / dt_us;
        break;
      }
    }
  }
  return static_cast<float>(total);
}

}  // namespace cortexloop::engine
