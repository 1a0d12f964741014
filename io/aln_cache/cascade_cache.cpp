#include "io/aln_cache/cascade_cache.hpp"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>

#include <unistd.h>

namespace cortexloop::io {

namespace aln = engine::aln;
namespace fs = std::filesystem;

namespace {
constexpr char kMagic[8] = {'C', 'L', 'A', 'L', 'N', 'C', 'T', '1'};

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
    out.write(kMagic, sizeof kMagic);
    out.write(key.data(), static_cast<std::streamsize>(key.size()));
    out.write(reinterpret_cast<const char*>(dims), sizeof dims);
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
  auto fail = [&](const std::string& what) { throw std::runtime_error("ALN cache: " + file.string() + ": " + what); };
  char magic[8];
  if (!in.read(magic, sizeof magic) || std::memcmp(magic, kMagic, sizeof kMagic) != 0)
    fail("not a cortexloop ALN cascade table (bad magic)");
  const std::string want = aln::cascade_table_key(neuron, numerics, grid);
  std::string key(want.size(), '\0');
  if (!in.read(key.data(), static_cast<std::streamsize>(key.size())) || key != want)
    fail("table key " + key + " differs from the parameters' key " + want);
  std::int32_t dims[2];
  if (!in.read(reinterpret_cast<char*>(dims), sizeof dims) || dims[0] != grid.n_mu || dims[1] != grid.n_sigma)
    fail("grid size differs from the parameters'");
  aln::cascade_table t{neuron, numerics, grid, {}, {}, {}, {}};
  const std::size_t n = static_cast<std::size_t>(grid.n_mu) * grid.n_sigma;
  for (int i = 0; i < 4; ++i) {
    arrays(t, i)->resize(n);
    if (!in.read(reinterpret_cast<char*>(arrays(t, i)->data()), static_cast<std::streamsize>(n * sizeof(double))))
      fail("truncated");
  }
  return t;
}

cached_table load_or_generate_cascade_table(const fs::path& cache_dir, const aln::eif_neuron_params& neuron,
                                            const aln::fp_numerics& numerics, const aln::cascade_grid& grid,
                                            int n_threads, const aln::cascade_progress& progress) {
  const fs::path file = cache_dir / (aln::cascade_table_key(neuron, numerics, grid) + ".bin");
  if (fs::exists(file)) return {load_cascade_table(file, neuron, numerics, grid), file, false};
  cached_table c{aln::generate_cascade_table(neuron, numerics, grid, n_threads, progress), file, true};
  save_cascade_table(c.table, file);
  return c;
}

}  // namespace cortexloop::io
