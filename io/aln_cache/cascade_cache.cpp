#include "io/aln_cache/cascade_cache.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>

#include <unistd.h>

#include "engine/fnv1a.hpp"

namespace cortexloop::io {

namespace aln = engine::aln;
namespace fs = std::filesystem;

namespace {
constexpr char kMagic[8] = {'C', 'L', 'A', 'L', 'N', 'C', 'T', '2'};
constexpr char kMagicV1[8] = {'C', 'L', 'A', 'L', 'N', 'C', 'T', '1'};  // before the checksum
// The file holds the arrays' bytes as they are in memory: little-endian float64 on this host only.
static_assert(std::endian::native == std::endian::little, "the ALN cache file is little-endian");

// the four quantities in file order
template <class Table>
auto* arrays(Table& t, int i) {
  decltype(&t.r_ss_Hz) a[4] = {&t.r_ss_Hz, &t.v_mean_mV, &t.tau_mu_ms, &t.tau_sigma_ms};
  return a[i];
}
}  // namespace

fs::path default_aln_cache_dir() {
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return fs::path(x) / "cortexloop" / "aln";
  if (const char* h = std::getenv("HOME"); h && *h) return fs::path(h) / ".cache" / "cortexloop" / "aln";
  return fs::path(".cortexloop-cache") / "aln";
}

fs::path cascade_table_file(const fs::path& cache_dir, const aln::eif_neuron_params& neuron,
                            const aln::fp_numerics& numerics, const aln::cascade_grid& grid) {
  return cache_dir / (aln::cascade_table_key(neuron, numerics, grid) + ".bin");
}

std::uint64_t cascade_table_checksum(const aln::cascade_table& table) {
  std::uint64_t h = engine::kFnv1aOffset;
  for (int i = 0; i < 4; ++i) {
    const auto& a = *arrays(table, i);
    h = engine::fnv1a({reinterpret_cast<const std::uint8_t*>(a.data()), a.size() * sizeof(double)}, h);
  }
  return h;
}

std::string cascade_table_checksum_hex(const aln::cascade_table& table) {
  return engine::fnv1a_hex(cascade_table_checksum(table));
}

void save_cascade_table(const aln::cascade_table& table, const fs::path& file) {
  if (file.has_parent_path()) fs::create_directories(file.parent_path());
  // write to a temporary name and rename, so a reader never sees half a table; the name is this process's own, so
  // processes generating the same table at once (parallel tests on a fresh machine) do not write into one file
  const fs::path tmp = file.string() + "." + std::to_string(::getpid()) + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("ALN cache: cannot write " + tmp.string());
    const std::string key = aln::cascade_table_key(table.neuron, table.numerics, table.grid);
    const std::int32_t dims[2] = {table.grid.n_mu, table.grid.n_sigma};
    const std::uint64_t checksum = cascade_table_checksum(table);
    out.write(kMagic, sizeof kMagic);
    out.write(key.data(), static_cast<std::streamsize>(key.size()));
    out.write(reinterpret_cast<const char*>(dims), sizeof dims);
    out.write(reinterpret_cast<const char*>(&checksum), sizeof checksum);
    for (int i = 0; i < 4; ++i)
      out.write(reinterpret_cast<const char*>(arrays(table, i)->data()),
                static_cast<std::streamsize>(arrays(table, i)->size() * sizeof(double)));
    if (!out) throw std::runtime_error("ALN cache: write failed: " + tmp.string());
  }
  fs::rename(tmp, file);
}

aln::cascade_table load_cascade_table(const fs::path& file, const aln::eif_neuron_params& neuron,
                                      const aln::fp_numerics& numerics, const aln::cascade_grid& grid) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("ALN cache: cannot read " + file.string());
  // Every refusal names the file, what is wrong and what to do: the table is only a cache of what its key names, so
  // deleting the file (it is made again on the next run, seconds) or remaking it is always the fix. The contents
  // were not checked: a file with every r_ss doubled, or with NaNs, ran without a word (an outside audit, 2026-12-07).
  auto fail = [&](const std::string& what) {
    throw std::runtime_error("ALN cache: " + file.string() + ": " + what + "; delete this file (the next run makes "
                             "the table again) or make it again with `cortexloop aln-table --force --cache-dir " +
                             file.parent_path().string() + "` given the neuron's and grid's values where they "
                             "differ from its defaults (its --help lists them; without them it makes the default "
                             "table)");
  };
  char magic[8];
  if (!in.read(magic, sizeof magic)) fail("truncated (" + std::to_string(in.gcount()) + " bytes)");
  if (std::memcmp(magic, kMagicV1, sizeof kMagic) == 0) fail("a table of an older format, without a checksum");
  if (std::memcmp(magic, kMagic, sizeof kMagic) != 0) fail("not a cortexloop ALN cascade table (bad magic)");
  const std::string want = aln::cascade_table_key(neuron, numerics, grid);
  std::string key(want.size(), '\0');
  if (!in.read(key.data(), static_cast<std::streamsize>(key.size()))) fail("truncated in its header");
  if (key != want) fail("table key " + key + " differs from the parameters' key " + want);
  std::int32_t dims[2];
  std::uint64_t stored = 0;
  if (!in.read(reinterpret_cast<char*>(dims), sizeof dims) || !in.read(reinterpret_cast<char*>(&stored), sizeof stored))
    fail("truncated in its header");
  if (dims[0] != grid.n_mu || dims[1] != grid.n_sigma) fail("grid size differs from the parameters'");
  aln::cascade_table t{neuron, numerics, grid, {}, {}, {}, {}};
  const std::size_t n = static_cast<std::size_t>(grid.n_mu) * grid.n_sigma;
  const std::size_t want_bytes = sizeof magic + key.size() + sizeof dims + sizeof stored + 4 * n * sizeof(double);
  for (int i = 0; i < 4; ++i) {
    arrays(t, i)->resize(n);
    if (!in.read(reinterpret_cast<char*>(arrays(t, i)->data()), static_cast<std::streamsize>(n * sizeof(double))))
      fail("truncated (a table of " + std::to_string(grid.n_sigma) + " x " + std::to_string(grid.n_mu) + " points is " +
           std::to_string(want_bytes) + " bytes)");
  }
  if (in.peek() != std::ifstream::traits_type::eof())
    fail("longer than a table of " + std::to_string(grid.n_sigma) + " x " + std::to_string(grid.n_mu) + " points (" +
         std::to_string(want_bytes) + " bytes)");
  if (const std::uint64_t got = cascade_table_checksum(t); got != stored)
    fail("its values do not match its checksum (FNV-1a 64 " + engine::fnv1a_hex(got) + ", the file says " +
         engine::fnv1a_hex(stored) + "): altered or damaged since it was written");
  // A checksum matches whatever was written: values no generator makes are refused too.
  for (int i = 0; i < 4; ++i) {
    const auto& a = *arrays(t, i);
    const auto bad = std::count_if(a.begin(), a.end(), [](double v) { return !std::isfinite(v); });
    if (bad) {
      static const char* names[4] = {"r_ss_Hz", "v_mean_mV", "tau_mu_ms", "tau_sigma_ms"};
      fail(std::to_string(bad) + " " + names[i] + " value" + (bad == 1 ? " is" : "s are") + " not finite");
    }
  }
  return t;
}

cached_table load_or_generate_cascade_table(const fs::path& cache_dir, const aln::eif_neuron_params& neuron,
                                            const aln::fp_numerics& numerics, const aln::cascade_grid& grid,
                                            int n_threads, const aln::cascade_progress& progress) {
  const fs::path file = cascade_table_file(cache_dir, neuron, numerics, grid);
  if (fs::exists(file)) return {load_cascade_table(file, neuron, numerics, grid), file, false};
  cached_table c{aln::generate_cascade_table(neuron, numerics, grid, n_threads, progress), file, true};
  save_cascade_table(c.table, file);
  return c;
}

}  // namespace cortexloop::io
