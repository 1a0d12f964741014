#pragma once
// `simulate` of a config with an [aln] section: the ALN mean field alone (engine/aln/aln_model.hpp), written to the
// usual files (rates.npy [ms, 2] exc and inh in Hz per tick, mean_v.npy, mean_w.npy, stim.npy, summary.json).
#include <string>
#include <vector>

#include "engine/aln/cascade_table.hpp"

namespace cortexloop::tools {

// The cascade table of this neuron from the disk cache (io/aln_cache), generated with n_threads on a miss (about a
// minute for the default grid; a note on stderr unless quiet).
engine::aln::cascade_table aln_table_for(const engine::aln::eif_neuron_params& neuron, int n_threads, bool quiet);

int run_aln_simulate(const std::string& config, const std::vector<std::string>& overrides, const std::string& out_dir,
                     bool quiet);

}  // namespace cortexloop::tools
