#pragma once
// Reading of the [meanfield] and [ring] sections of a config (see configs/zerlaut2018_meanfield.toml and
// configs/zerlaut2018_ring.toml), with the strict table_reader of config_reader.hpp. The mean field has no
// cell or synapse keys of its own: it uses the [network] section's.
#include "engine/meanfield/params.hpp"
#include "engine/params.hpp"
#include "io/config/config_reader.hpp"

namespace cortexloop::io {

// net: the cells whose v_t_mV bounds each fit's upper edge (max_mu_v_mV) from below.
engine::meanfield::meanfield_params read_meanfield(table_reader t, const engine::network_params& net);
// v_t_name, v_t_mV: the cell's threshold key and value, the least max_mu_v_mV may be.
engine::meanfield::threshold_params read_threshold(table_reader t, const char* v_t_name, double v_t_mV);
// sim: the ring's dt must be a whole number of simulation steps and divide the tick.
engine::meanfield::ring_params read_ring(table_reader t, const engine::simulation_params& sim);

}  // namespace cortexloop::io
