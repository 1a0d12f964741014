#pragma once
// Configs of the ALN mean field (configs/cakan2020/aln.toml): [simulation], [aln] (the model, engine/aln/aln_model.hpp),
// optional [aln.neuron] (the EIF neuron of its cascade table, engine/aln/eif_neuron.hpp) and [[stimulus]] entries.
// A config with an [aln] section is run by `simulate` and `sweep` as the ALN model; the engine's sections
// ([network], [meanfield], [ring]) are refused there, so a config is one or the other.
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "engine/aln/aln_model.hpp"
#include "engine/params.hpp"

namespace cortexloop::io {

struct aln_config {
  engine::simulation_params simulation;
  engine::aln::aln_params aln;
  engine::aln::eif_neuron_params neuron;
  std::vector<engine::stimulus_params> stimuli;
};

// True when the resolved config (base chain and overrides included) has an [aln] section.
bool config_has_aln(const std::filesystem::path& file, std::span<const std::string> overrides = {});
// Throws config_error naming file, key, value and allowed range.
aln_config load_aln_config(const std::filesystem::path& file, std::span<const std::string> overrides = {});

}  // namespace cortexloop::io
