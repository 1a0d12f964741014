#pragma once
#include <CLI/CLI.hpp>

namespace cortexloop::tools {
// `cortexloop tf`: evaluates the mean field's transfer function for one cell type.
void add_tf_command(CLI::App& app);
}  // namespace cortexloop::tools
