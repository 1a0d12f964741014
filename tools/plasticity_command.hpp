#pragma once
#include <CLI/CLI.hpp>

namespace cortexloop::tools {
// `cortexloop plasticity`: the seeds' comparison of three voltage-based plasticity rules (engine/plasticity).
void add_plasticity_command(CLI::App& app);
}  // namespace cortexloop::tools
