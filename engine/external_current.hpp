#pragma once
// A source of stimulation current supplied from outside the config, e.g. the simulated stimulator of
// firmware_sim/ driven by commands at run time. The engine asks it once per step, before the network
// steps; its currents add to those of the config's stimulus schedule. Implementations must be noexcept,
// allocation-free and lock-free: they run on the real-time thread.
#include <cstdint>
#include <span>

namespace cortexloop::engine {

struct population_currents {
  float exc_pA = 0.0f;  // per cell of the population
  float inh_pA = 0.0f;
};

// Per-unit currents for the ring of mean-field units (empty spans: none).
struct ring_currents {
  std::span<const float> exc_pA, inh_pA;
};

class external_current_source {
 public:
  virtual population_currents currents_pA(std::int64_t step_index) noexcept = 0;
  // For the ring, which steps on its own dt: the currents at simulated time t_ms, valid until the next call.
  virtual ring_currents ring_currents_pA(double t_ms) noexcept {
    static_cast<void>(t_ms);
    return {};
  }

 protected:
  ~external_current_source() = default;
};

}  // namespace cortexloop::engine
