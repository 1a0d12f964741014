#pragma once
#include <CLI/CLI.hpp>

namespace cortexloop::tools {
// `cortexloop fit-tf`: fits the transfer function's threshold coefficients P from single-cell simulations.
void add_fit_tf_command(CLI::App& app);
}  // namespace cortexloop::tools
