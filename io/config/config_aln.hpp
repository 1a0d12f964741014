#pragma once
// The [aln] section of a config (configs/cakan2020/aln.toml): the ALN mean field of one E-I node
// (engine/aln/aln_model.hpp) and optional [aln.neuron] (the EIF neuron of its cascade table, engine/aln/eif_neuron.hpp).
// load_config (config_loader.hpp) reads it into engine_params::aln: the engine steps the node alone (a config
// without [network]) or next to the network (configs/cakan2020/live_a1.toml). load_aln_config reads a config of the
// node alone, for `sweep`'s ALN runner (tools/sweep_aln.cpp), whose points classify the node and nothing beside it.
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "engine/aln/aln_model.hpp"
#include "engine/params.hpp"
#include "io/config/config_reader.hpp"

namespace cortexloop::io {

struct aln_config {
  engine::simulation_params simulation;
  engine::aln::aln_params aln;
  engine::aln::eif_neuron_params neuron;
  std::vector<engine::stimulus_params> stimuli;
};

// True when the resolved config (base chain and overrides included) has an [aln] section.
bool config_has_aln(const std::filesystem::path& file, std::span<const std::string> overrides = {});
// A config of the ALN node alone: refuses [network], [meanfield], [ring] and [device], then reads it as load_config
// does. Throws config_error naming file, key, value and allowed range.
aln_config load_aln_config(const std::filesystem::path& file, std::span<const std::string> overrides = {});

// The [aln] table (its [aln.neuron] included); the delays must be whole steps of dt_ms. The table of the node is
// not loaded here (io::attach_aln_table, io/aln_cache).
engine::aln_node_params read_aln_section(table_reader t, double dt_ms);

}  // namespace cortexloop::io
