#pragma once
// On-disk cache of ALN cascade tables: <cache_dir>/<key>.bin, the key a hash of everything that determines the
// table (engine/aln/cascade_table.hpp: cascade_table_key), so changing the neuron gives a new file.
// File (40-byte header): magic "CLALNCT2", the 16-character key, n_mu and n_sigma (int32), the checksum (uint64,
// cascade_table_checksum), then r_ss_Hz, v_mean_mV, tau_mu_ms, tau_sigma_ms as little-endian float64 arrays,
// row-major (sigma rows of mu). "CLALNCT1" files (no checksum) had keys of version v4, so are never looked up.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "engine/aln/cascade_table.hpp"

namespace cortexloop::io {

// $XDG_CACHE_HOME/cortexloop/aln, else $HOME/.cache/cortexloop/aln, else ./.cortexloop-cache/aln
std::filesystem::path default_aln_cache_dir();

// <cache_dir>/<key>.bin
std::filesystem::path cascade_table_file(const std::filesystem::path& cache_dir,
                                         const engine::aln::eif_neuron_params& neuron,
                                         const engine::aln::fp_numerics& numerics,
                                         const engine::aln::cascade_grid& grid);

// FNV-1a 64 (engine/fnv1a.hpp) of the table's values as the file holds them: the four arrays' bytes, little-endian
// float64, in file order. The file stores it; summary.json gives it (hex) for the table a run used.
std::uint64_t cascade_table_checksum(const engine::aln::cascade_table& table);
std::string cascade_table_checksum_hex(const engine::aln::cascade_table& table);  // 16 hex digits

void save_cascade_table(const engine::aln::cascade_table& table, const std::filesystem::path& file);
// Reads a table written by save_cascade_table for exactly these parameters; throws std::runtime_error naming the
// file, what is wrong (bad magic, other key or grid, truncated or too long, values that do not match the checksum,
// values not finite) and what to do (delete the file, or make it again with `cortexloop aln-table --force`).
engine::aln::cascade_table load_cascade_table(const std::filesystem::path& file,
                                              const engine::aln::eif_neuron_params& neuron,
                                              const engine::aln::fp_numerics& numerics,
                                              const engine::aln::cascade_grid& grid);

// The cached table for these parameters, generating and saving it first if the cache has none.
struct cached_table {
  engine::aln::cascade_table table;
  std::filesystem::path file;
  bool generated = false;  // false: read from the cache
};
cached_table load_or_generate_cascade_table(const std::filesystem::path& cache_dir,
                                            const engine::aln::eif_neuron_params& neuron,
                                            const engine::aln::fp_numerics& numerics,
                                            const engine::aln::cascade_grid& grid, int n_threads,
                                            const engine::aln::cascade_progress& progress = {});

}  // namespace cortexloop::io
