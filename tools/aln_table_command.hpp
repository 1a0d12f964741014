#pragma once
#include <CLI/CLI.hpp>

namespace cortexloop::tools {
// `cortexloop aln-table`: the ALN cascade table of an EIF neuron (Fokker-Planck), from the disk cache or generated.
void add_aln_table_command(CLI::App& app);
}  // namespace cortexloop::tools
