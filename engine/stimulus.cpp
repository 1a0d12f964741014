#include "engine/stimulus.hpp"

#include <cmath>
#include <numbers>

#include "engine/units.hpp"

namespace cortexloop::engine {

float stimulus_schedule::current_pA(population target, double t_ms) const noexcept {
  double total = 0.0;
  for (const stimulus_params& s : entries_) {
    if (s.target != target || t_ms < s.start_ms || t_ms >= s.stop_ms) continue;
    switch (s.kind) {
      case stimulus_kind::dc:
        total += s.amplitude_pA;
        break;
      case stimulus_kind::sine:
        total += s.amplitude_pA * std::sin(2.0 * std::numbers::pi * s.frequency_Hz * (t_ms - s.start_ms) / kMsPerS);
        break;
    }
  }
  return static_cast<float>(total);
}

}  // namespace cortexloop::engine
