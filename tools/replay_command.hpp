#pragma once
// `cortexloop replay`: re-run a recording in stepped mode and check that the readouts are bit-identical.
#include <CLI/CLI.hpp>

namespace cortexloop::tools {
void add_replay_command(CLI::App& app);
}
