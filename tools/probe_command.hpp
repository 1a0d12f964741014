#pragma once
// `cortexloop probe`: latency figures of a running server.
#include <CLI/CLI.hpp>

namespace cortexloop::tools {
void add_probe_command(CLI::App& app);
}
