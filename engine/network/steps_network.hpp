#pragma once
// Whether an engine of this config steps the spiking network: not when a [ring] runs with network = "off", nor
// when the config has no network (the ALN node alone). The engine decides with it, and tools say so with it
// instead of printing the unstepped network's rates as 0 Hz.
#include "engine/params.hpp"

namespace cortexloop::engine {

inline bool steps_network(const engine_params& p) {
  return p.network.n_neurons > 0 && (!p.ring || p.ring->with_network);
}

// An [aln] node without a [network] (configs/cakan2020/aln_a1.toml): the files of simulate and record then hold the
// node's rates, mean V and I_A in rates.npy, mean_v.npy and mean_w.npy (the network's otherwise) and no lfp.npy,
// as before the engine hosted the node. One test for both tools: record wrote zeros there (an outside audit,
// 2026-12-07).
inline bool aln_node_alone(const engine_params& p) { return p.aln.has_value() && p.network.n_neurons == 0; }

// Why a config steps no spiking network, as the refusals of what needs one name it (--threads above 1, mpirun's
// ranks, --record spikes): "[ring] network = \"off\"" (an ALN ring too), "the [aln] node alone" or "no [network]".
// One wording for all (they were written three times, and differed: a review, 2026-12-06).
inline const char* no_network_reason(const engine_params& p) {
  return p.ring ? "[ring] network = \"off\"" : p.aln ? "the [aln] node alone" : "no [network]";
}

// Why a SetDriveRate (or `SetParameter network.drive.rate_Hz`) would change nothing in an engine of this config, or
// nullptr when it changes something. engine::set_drive_rate_Hz reaches two models only: the Bernoulli drive of a
// stepped conductance network (Zerlaut 2018's AdEx cells, Carlu 2020's HH cells) and the drive term of a ring of
// Zerlaut units. The Cakan 2020 network's input is network.input's mu and sigma, an [aln] node's and an ALN ring's
// is [aln]'s mu_ext and sigma_ext: a server of one of those acked a new rate that did nothing (configs/cakan2020/
// aln_a1.toml, network.toml: an outside audit, 2026-12-07), so the server refuses it naming this.
inline const char* no_drive_reason(const engine_params& p) {
  if (p.ring && p.ring->model == meanfield::ring_model::zerlaut) return nullptr;
  if (steps_network(p)) {
    if (p.network.synapses == synapse_model::fraction)
      return "the Cakan 2020 network (network.synapse_model = \"fraction\") has no drive: its input is "
             "network.input's mu and sigma";
    if (p.network.drive.k_exc <= 0) return "network.drive.k_exc = 0: the drive reaches no cell";
    return nullptr;
  }
  if (p.ring) return "an ALN ring with network = \"off\" has no drive: its units' input is [aln]'s mu_ext and sigma_ext";
  if (p.aln) return "the [aln] node alone has no drive: its input is [aln]'s mu_ext and sigma_ext";
  return "no [network]: no drive to set";
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
