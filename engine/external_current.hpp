#pragma once
// A source of stimulation current supplied from outside the config, e.g. the simulated stimulator of
// firmware_sim/ driven by commands at run time. The engine asks it once per step, before the network
// steps; its currents add to those of the config's stimulus schedule. Implementations must be noexcept,
// allocation-free and lock-free: they run on the real-time thread.
#include <cstdint>

namespace cortexloop::engine {

struct population_currents {
  float exc_pA = 0.0f;  // per cell of the population
  float inh_pA = 0.0f;
};

class external_current_source {
 public:
  virtual population_currents currents_pA(std::int64_t step_index) noexcept = 0;

 protected:
  ~external_current_source() = default;
};

}  // namespace cortexloop::engine
