#include "io/aln_cache/engine_table.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "io/aln_cache/cascade_cache.hpp"

namespace cortexloop::io {

std::shared_ptr<const engine::aln::cascade_table> cached_aln_table(const engine::aln::eif_neuron_params& neuron,
                                                                   bool quiet) {
  const std::filesystem::path dir = default_aln_cache_dir();
  const engine::aln::fp_numerics numerics;
  const engine::aln::cascade_grid grid;
  const std::filesystem::path file = cascade_table_file(dir, neuron, numerics, grid);
  const int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (!quiet && !std::filesystem::exists(file))
    std::fprintf(stderr, "aln: no cascade table for this neuron in %s; generating it (%d points on %d thread%s, about "
                 "a minute)\n", dir.c_str(), grid.n_mu * grid.n_sigma, threads, threads == 1 ? "" : "s");
  return std::make_shared<const engine::aln::cascade_table>(
      load_or_generate_cascade_table(dir, neuron, numerics, grid, threads).table);
}

void attach_aln_table(engine::engine_params& p, bool quiet) {
  if (p.aln) p.aln->table = cached_aln_table(p.aln->neuron, quiet);
}

}  // namespace cortexloop::io
