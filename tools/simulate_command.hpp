#pragma once
// `cortexloop simulate`: runs the engine as fast as it can for a duration and writes the contract files.
#include <CLI/CLI.hpp>

namespace cortexloop::tools {
void add_simulate_command(CLI::App& app);
}
