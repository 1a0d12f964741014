#pragma once
// A plasticity config (configs/plasticity/rate_effect.toml): [plasticity] with its grid and run settings and the
// tables [plasticity.neuron], [plasticity.vdp], [plasticity.clopath], [plasticity.meissner_bernard], read into the
// rate-effect experiment's parameters (engine/plasticity/rate_effect.hpp). Every key is required and checked; a
// config with other models' sections is refused (the experiment has its own cell and inputs).
#include <filesystem>
#include <span>
#include <string>

#include "engine/plasticity/rate_effect.hpp"

namespace cortexloop::io {

engine::plasticity::rate_effect_params load_plasticity_config(const std::filesystem::path& file,
                                                              std::span<const std::string> overrides = {});

}  // namespace cortexloop::io
