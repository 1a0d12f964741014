#pragma once
// The engine's real-time contract as the allocation tests check it: after the first tick (part of start-up),
// `ticks` more ticks allocate nothing. Counts the allocations and the spikes of those ticks (spikes > 0 shows the
// loop did real work). `between(k)` runs after tick k, inside the counted scope (e.g. a command the real-time
// thread would apply).
#include <cstdint>

#include "alloc_counter.hpp"
#include "engine/engine.hpp"

namespace cortexloop::testing {

struct tick_allocations {
  std::int64_t allocations = 0, spikes = 0;
};

template <class Between>
tick_allocations count_tick_allocations(engine::engine& eng, int ticks, Between between) {
  eng.set_record_spikes(true);
  engine::tick_readout r;
  eng.tick(r);  // the first tick is part of start-up
  allocation_scope scope;
  std::int64_t spikes = 0;
  for (int k = 0; k < ticks; ++k) {
    eng.tick(r);
    between(k);
    spikes += static_cast<std::int64_t>(r.spike_neurons.size());
  }
  return {static_cast<std::int64_t>(scope.allocations()), spikes};
}

inline tick_allocations count_tick_allocations(engine::engine& eng, int ticks) {
  return count_tick_allocations(eng, ticks, [](int) {});
}

}  // namespace cortexloop::testing
