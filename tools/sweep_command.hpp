#pragma once
#include <CLI/CLI.hpp>

namespace cortexloop::tools {
void add_sweep_command(CLI::App& app);
}  // namespace cortexloop::tools
