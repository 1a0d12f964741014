#pragma once
// `cortexloop stim`: send one command to a running server and print its ack.
#include <CLI/CLI.hpp>

namespace cortexloop::tools {
void add_stim_command(CLI::App& app);
}
