#pragma once
// The stimulus schedule of a config ([[stimulus]] entries): currents injected uniformly into every cell of
// a population, DC steps or sines between start and stop. Evaluated once per step, allocation-free.
#include <span>
#include <vector>

#include "engine/params.hpp"

namespace cortexloop::engine {

class stimulus_schedule {
 public:
  explicit stimulus_schedule(std::span<const stimulus_params> entries) : entries_(entries.begin(), entries.end()) {}
  // Summed current of the entries active at t_ms on the population, in pA. Active means start <= t < stop.
  float current_pA(population target, double t_ms) const noexcept;

 private:
  std::vector<stimulus_params> entries_;
};

}  // namespace cortexloop::engine
