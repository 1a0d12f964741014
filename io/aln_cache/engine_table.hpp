#pragma once
// The cascade table an ALN node runs with, from the disk cache (cascade_cache.hpp) on the default grid and numerics,
// generated on a miss (about a minute). Start-up only: the engine itself never reads files (engine_params::aln).
#include <memory>

#include "engine/aln/cascade_table.hpp"
#include "engine/params.hpp"

namespace cortexloop::io {

// The table of this neuron; on a miss it is generated with every usable CPU, with a note on stderr unless quiet.
std::shared_ptr<const engine::aln::cascade_table> cached_aln_table(const engine::aln::eif_neuron_params& neuron,
                                                                   bool quiet);

// Gives p.aln, when the config has one, the table of its neuron (nothing to do without [aln]).
void attach_aln_table(engine::engine_params& p, bool quiet);

}  // namespace cortexloop::io
