#pragma once
// `cortexloop serve`: the engine in lockstep with the wall clock behind the ZeroMQ protocol.
#include <CLI/CLI.hpp>

namespace cortexloop::tools {
void add_serve_command(CLI::App& app);
}
