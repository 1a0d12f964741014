#pragma once
// The stimulus schedule of a config ([[stimulus]] entries): currents injected uniformly into every cell of
// a population, DC steps or sines between start and stop. Evaluated once per step, allocation-free. A sine gives
// each step its mean over the step (engine/inputs/sine_step.hpp), as the simulated stimulator does: a `simulate` sine
// and a `serve` sine (SetStimulation) feed the models the same currents.
#include <cstdint>
#include <span>
#include <vector>

#include "engine/params.hpp"

namespace cortexloop::engine {

class stimulus_schedule {
 public:
  // dt_ms: the step, counted in whole microseconds as the stimulator counts it.
  stimulus_schedule(std::span<const stimulus_params> entries, double dt_ms);
  // Summed current of the entries active at the start t_ms of a step on the population, in pA: a DC entry's
  // amplitude, a sine's mean over [t_ms, t_ms + dt). Active means start <= t_ms < stop.
  float current_pA(population target, double t_ms) const noexcept;

 private:
  std::vector<stimulus_params> entries_;
  std::int64_t dt_us_;
};

}  // namespace cortexloop::engine
