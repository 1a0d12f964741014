#pragma once
// `cortexloop keys`: write a CURVE key pair (NAME.key, NAME.key_secret) for serve and its clients.
#include <CLI/CLI.hpp>

namespace cortexloop::tools {
void add_keys_command(CLI::App& app);
}
