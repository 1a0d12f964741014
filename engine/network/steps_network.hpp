#pragma once
// Whether an engine of this config steps the spiking network: not when a [ring] runs with network = "off", nor
// when the config has no network (the ALN node alone). The engine decides with it, and tools say so with it
// instead of printing the unstepped network's rates as 0 Hz.
#include "engine/params.hpp"

namespace cortexloop::engine {

inline bool steps_network(const engine_params& p) {
  return p.network.n_neurons > 0 && (!p.ring || p.ring->with_network);
}

// Why a config steps no spiking network, as the refusals of what needs one name it (--threads above 1, mpirun's
// ranks, --record spikes): "[ring] network = \"off\"" (an ALN ring too), "the [aln] node alone" or "no [network]".
// One wording for all (they were written three times, and differed: a review, 2026-12-06).
inline const char* no_network_reason(const engine_params& p) {
  return p.ring ? "[ring] network = \"off\"" : p.aln ? "the [aln] node alone" : "no [network]";
}

// Which cells and synapses the stepped network has, as simulate's summary.json and the server's Info name it:
// "adex-conductance" (Zerlaut 2018), "adex-fraction" (Cakan & Obermayer 2020), "hh-conductance" (Carlu et al. 2020),
// or "none" when no network is stepped.
inline const char* network_model_name(const engine_params& p) {
  if (!steps_network(p)) return "none";
  if (p.network.synapses == synapse_model::fraction) return "adex-fraction";
  return p.network.cells == cell_model::hh ? "hh-conductance" : "adex-conductance";
}

}  // namespace cortexloop::engine
