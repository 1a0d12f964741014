#pragma once
// Whether an engine of this config steps the spiking network: not when a [ring] runs with network = "off", nor
// when the config has no network (the ALN node alone). The engine decides with it, and tools say so with it
// instead of printing the unstepped network's rates as 0 Hz.
#include "engine/params.hpp"

namespace cortexloop::engine {

inline bool steps_network(const engine_params& p) {
  return p.network.n_neurons > 0 && (!p.ring || p.ring->with_network);
}

}  // namespace cortexloop::engine
