#include "engine/aln/cascade_table.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "engine/fnv1a.hpp"

namespace cortexloop::engine::aln {

void cascade_grid::validate() const {
  auto fail = [](const char* what) { throw std::invalid_argument(std::string("ALN cascade grid: ") + what); };
  // The axes' physical range, kCascadeMu / kCascadeSigma: --sigma-max 1e300 reached the solver, which failed with a
  // density out of double's range (an outside audit, 2026-12-06).
  auto within = [](const char* field, double v, double lo, double hi, const char* unit, bool lo_open = false) {
    if ((lo_open ? v > lo : v >= lo) && v <= hi) return;
    std::ostringstream s;
    s << "ALN cascade grid: " << field << " = " << v << ": must be in " << (lo_open ? "(" : "[") << lo << ", " << hi
      << "] " << unit;
    throw std::invalid_argument(s.str());
  };
  if (n_mu < 2) fail("n_mu must be >= 2");
  if (n_sigma < 2) fail("n_sigma must be >= 2");
  within("mu_min_mV_per_ms", mu_min_mV_per_ms, -kCascadeMu_mV_per_ms, kCascadeMu_mV_per_ms, "mV/ms");
  within("mu_max_mV_per_ms", mu_max_mV_per_ms, -kCascadeMu_mV_per_ms, kCascadeMu_mV_per_ms, "mV/ms");
  within("sigma_min_mV_per_sqrt_ms", sigma_min_mV_per_sqrt_ms, 0.0, kCascadeSigma_mV_per_sqrt_ms, "mV/sqrt(ms)", true);
  within("sigma_max_mV_per_sqrt_ms", sigma_max_mV_per_sqrt_ms, 0.0, kCascadeSigma_mV_per_sqrt_ms, "mV/sqrt(ms)", true);
  if (!(mu_max_mV_per_ms > mu_min_mV_per_ms)) fail("mu_max_mV_per_ms must be > mu_min_mV_per_ms");
  if (!(sigma_max_mV_per_sqrt_ms > sigma_min_mV_per_sqrt_ms))
    fail("sigma_max_mV_per_sqrt_ms must be > sigma_min_mV_per_sqrt_ms");
}

namespace {
// position of x on an equally spaced axis: cell index (0..n-2) and fraction in [0, 1], clamped at the ends
void locate(double x, double lo, double hi, int n, int& cell, double& frac) noexcept {
  double u = (x - lo) / (hi - lo) * (n - 1);
  if (!(u > 0)) u = 0;  // also catches NaN
  if (u > n - 1) u = n - 1;
  cell = std::min(static_cast<int>(u), n - 2);
  frac = u - cell;
}
}  // namespace

bool cascade_table::in_range(double mu, double sigma) const noexcept {
  return mu >= grid.mu_min_mV_per_ms && mu <= grid.mu_max_mV_per_ms && sigma >= grid.sigma_min_mV_per_sqrt_ms &&
         sigma <= grid.sigma_max_mV_per_sqrt_ms;
}

cascade_quantities cascade_table::lookup(double mu, double sigma) const noexcept {
  int i, j;
  double fx, fy;
  locate(mu, grid.mu_min_mV_per_ms, grid.mu_max_mV_per_ms, grid.n_mu, i, fx);
  locate(sigma, grid.sigma_min_mV_per_sqrt_ms, grid.sigma_max_mV_per_sqrt_ms, grid.n_sigma, j, fy);
  const std::size_t k00 = index(i, j), k10 = k00 + 1, k01 = k00 + grid.n_mu, k11 = k01 + 1;
  auto bl = [&](const std::vector<double>& q) {
    return (1 - fy) * ((1 - fx) * q[k00] + fx * q[k10]) + fy * ((1 - fx) * q[k01] + fx * q[k11]);
  };
  return {bl(r_ss_Hz), bl(v_mean_mV), bl(tau_mu_ms), bl(tau_sigma_ms)};
}

cascade_table generate_cascade_table(const eif_neuron_params& neuron, const fp_numerics& numerics,
                                     const cascade_grid& grid, int n_threads, const cascade_progress& progress) {
  grid.validate();
  const eif_fokker_planck fp(neuron, numerics);  // validates neuron and numerics; const, shared by the threads
  cascade_table t{neuron, numerics, grid, {}, {}, {}, {}};
  const std::size_t n = static_cast<std::size_t>(grid.n_mu) * grid.n_sigma;
  t.r_ss_Hz.resize(n);
  t.v_mean_mV.resize(n);
  t.tau_mu_ms.resize(n);
  t.tau_sigma_ms.resize(n);
  std::atomic<int> next_row{0};
  std::atomic<int> done{0};
  std::mutex progress_mutex;
  std::exception_ptr error;
  auto work = [&] {
    try {
      eif_fokker_planck::workspace ws;  // this thread's scratch arrays, reused for every point
      for (int j; (j = next_row.fetch_add(1)) < grid.n_sigma;) {
        for (int i = 0; i < grid.n_mu; ++i) {
          const cascade_quantities c = fp.cascade(grid.mu(i), grid.sigma(j), ws);
          const std::size_t k = t.index(i, j);
          t.r_ss_Hz[k] = c.r_ss_Hz;
          t.v_mean_mV[k] = c.v_mean_mV;
          t.tau_mu_ms[k] = c.tau_mu_ms;
          t.tau_sigma_ms[k] = c.tau_sigma_ms;
        }
        const int d = done.fetch_add(grid.n_mu) + grid.n_mu;
        if (progress) {
          std::lock_guard<std::mutex> lock(progress_mutex);
          progress(d, static_cast<int>(n));
        }
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(progress_mutex);
      if (!error) error = std::current_exception();
      next_row = grid.n_sigma;  // stop the others
    }
  };
  const int threads = std::max(1, std::min(n_threads, grid.n_sigma));
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back(work);
  work();
  for (auto& th : pool) th.join();
  if (error) std::rethrow_exception(error);
  return t;
}

std::string cascade_table_key(const eif_neuron_params& neuron, const fp_numerics& numerics, const cascade_grid& grid) {
  // FNV-1a 64 over the decimal text of every field (text, not raw bytes: no padding, stable across compilers).
  // v5: the file carries a checksum of its values (io/aln_cache/cascade_cache.hpp), so a v4 file is never read:
  // another name, the table is made again (v4 also hashed with an offset basis one digit short; now engine/fnv1a.hpp)
  std::ostringstream s;
  s.precision(17);
  s << "aln-cascade-v5;" << neuron.c_pF << ';' << neuron.g_l_nS << ';' << neuron.e_l_mV << ';' << neuron.delta_t_mV
    << ';' << neuron.v_t_mV << ';' << neuron.v_r_mV << ';' << neuron.v_cut_mV << ';' << neuron.v_lb_mV << ';'
    << neuron.t_ref_ms << ';' << numerics.d_v_mV << ';' << numerics.d_v_coarse_mV << ';' << numerics.fine_below_reset_mV << ';' << numerics.fit_df_Hz << ';' << numerics.fit_f_max_Hz << ';'
    << numerics.n_fit_frequencies << ';' << grid.mu_min_mV_per_ms << ';'
    << grid.mu_max_mV_per_ms << ';' << grid.n_mu << ';' << grid.sigma_min_mV_per_sqrt_ms << ';'
    << grid.sigma_max_mV_per_sqrt_ms << ';' << grid.n_sigma;
  return fnv1a_hex(fnv1a(s.str()));
}

}  // namespace cortexloop::engine::aln
