#pragma once
// Why a current onto one population of the spiking network reaches no cell in an engine of this config, or an empty
// string when the stepped network has cells there. The config loader refuses a [[stimulus]] with it and the server a
// stimulation command (io/protocol/codec.cpp), each only where nothing else receives that population's current (the
// [aln] node receives both; a device's Population site also drives the ring's units). Called off the real-time
// thread: it allocates. A stimulus onto the inhibitory population of a one-cell config (exc_fraction = 1) was taken
// and read back as 300 pA in the readout while no cell received it (an outside audit, 2026-12-07).
#include <cstdint>
#include <string>

#include "engine/network/steps_network.hpp"
#include "engine/params.hpp"
#include "io/protocol/format_number.hpp"

namespace cortexloop::io {

inline const char* population_name(engine::population pop) { return pop == engine::population::exc ? "exc" : "inh"; }

inline std::string empty_population_reason(const engine::engine_params& p, engine::population pop) {
  const std::string name = population_name(pop);
  if (!engine::steps_network(p))
    return "population " + name + " has no cells: this config steps no spiking network (" +
           engine::no_network_reason(p) + ")";
  const std::int64_t n_exc = p.network.n_exc(), n_inh = p.network.n_inh();
  if ((pop == engine::population::exc ? n_exc : n_inh) > 0) return {};
  return "population " + name + " has no cells (network.n_neurons = " + std::to_string(p.network.n_neurons) +
         ", network.exc_fraction = " + format_number(p.network.exc_fraction).str() + ": " +
         std::to_string(n_exc) + " excitatory, " + std::to_string(n_inh) + " inhibitory)";
}

}  // namespace cortexloop::io
