#pragma once
// Reading of the [meanfield] and [ring] sections of a config (see configs/zerlaut2018_meanfield.toml and
// configs/zerlaut2018_ring.toml), with the strict table_reader of config_reader.hpp. The mean field has no
// cell or synapse keys of its own: it uses the [network] section's.
#include <string>
#include <vector>

#include "engine/meanfield/params.hpp"
#include "engine/params.hpp"
#include "io/config/config_reader.hpp"

namespace cortexloop::io {

// net: the cells whose v_t_mV bounds each fit's upper edge (max_mu_v_mV) from below.
engine::meanfield::meanfield_params read_meanfield(table_reader t, const engine::network_params& net);
// pop: "exc" or "inh"; cell: network.<pop>, whose v_t_mV is the least max_mu_v_mV may be and whose keys are
// compared with the optional fitted_cell table.
engine::meanfield::threshold_params read_threshold(table_reader t, const char* pop, const engine::adex_params& cell);
// What to say when P was fitted for another cell than the config's network.<pop> (threshold_params::fitted_cell_differs);
// empty when it was not.
std::string meanfield_fit_note(const char* pop, const engine::meanfield::threshold_params& t);
// What simulate and serve say of [meanfield]: that it is not stepped when there is no [ring]; else meanfield_fit_note
// of each cell type of a Zerlaut ring (none for an ALN ring).
std::vector<std::string> meanfield_notes(const engine::engine_params& p);
// sim: the ring's dt must be a whole number of simulation steps and divide the tick.
engine::meanfield::ring_params read_ring(table_reader t, const engine::simulation_params& sim);

}  // namespace cortexloop::io
