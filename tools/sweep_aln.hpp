#pragma once
// The ALN mean field as a `cortexloop sweep` model (Cakan & Obermayer 2020, Fig 2): each point one run of an [aln]
// config with the authors' bistability probe onto E, classified by engine/aln/aln_states.hpp.
#include <memory>
#include <string>
#include <vector>

#include "tools/sweep_point.hpp"

namespace cortexloop::tools {

// edge: the overrides of the points on the grid's edge, loaded first so that a bad key, a swept [aln.neuron] key (each
// point would need its own cascade table) or a run too short for the probe fails before any run. Reads or
// generates the cascade table on a miss (every usable CPU).
std::unique_ptr<sweep_point_runner> make_aln_sweep_runner(const std::string& config,
                                                          const std::vector<std::vector<std::string>>& edge,
                                                          const sweep_probe_options& probe, bool quiet);

}  // namespace cortexloop::tools
