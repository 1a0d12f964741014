#pragma once
// `cortexloop record`: subscribe to a running server and write what it publishes as simulate does.
#include <CLI/CLI.hpp>

namespace cortexloop::tools {
void add_record_command(CLI::App& app);
}
