#pragma once
// Fitting the effective-threshold coefficients P of a cell type from direct simulations, as Zerlaut et al.
// 2018 did (Sec. 2.4; their code): (1) simulate single cells over a grid of input rates; (2) a linear
// least-squares fit of V_eff = mu_V + sqrt(2) sigma_V erfcinv(2 F tau_V) on the polynomial's terms, over the
// points whose rate is measurable; (3) a Nelder-Mead refinement of P on the rate itself.
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "engine/meanfield/params.hpp"
#include "engine/meanfield/single_neuron.hpp"
#include "engine/meanfield/transfer_function.hpp"
#include "engine/params.hpp"

namespace cortexloop::engine::meanfield {

// One simulated input condition. nu_e, nu_i: rate per input synapse (K_e = p_connect n_exc excitatory
// synapses, drive included; K_i inhibitory); fe, fi: total input events per second.
struct tf_sample {
  double nu_e_Hz = 0, nu_i_Hz = 0, fe_Hz = 0, fi_Hz = 0;
  double i_pA = 0;  // injected current
  double rate_Hz = 0;
  std::int64_t spikes = 0;
};

// The grid of the fit: nu_e values times ratios nu_i / nu_e. The band where the rate goes from saturation to
// silence lies at ratios ~0.5-3 for these cells (the network runs at ~1.3-1.5), so a ratio grid puts the points
// there; below 0.5 (almost no inhibition) the cells fire at 100-200 Hz, a regime the network never visits.
// Injected currents move mu_V independently of sigma_V and tau_V: without them the grid's moments lie on a
// surface in (mu_V, sigma_V, tau_V) and the polynomial is undetermined off it, where the mean field's
// adaptation (-W) and stimulation (+I) take it.
struct tf_point {
  double nu_e_Hz, nu_i_Hz, i_pA;
};
struct tf_grid {
  std::vector<double> nu_e_Hz;
  std::vector<double> ratio_i_over_e;
  std::vector<double> i_pA;
  std::vector<tf_point> points() const;
};
tf_grid default_fit_grid();
tf_grid default_heldout_grid();  // between the fit grid's values

// Simulates every point (threads workers; each point its own seed, so results do not depend on threads).
// progress(done, total) is called from the calling thread.
std::vector<tf_sample> simulate_grid(const adex_params& cell, const network_params& net, double dt_ms,
                                     std::span<const tf_point> points,
                                     const single_neuron_options& options, unsigned threads,
                                     const std::function<void(std::size_t, std::size_t)>& progress = {});

struct fit_summary {
  threshold_params p;
  std::size_t linear_points = 0;     // points used by the linear fit
  double linear_rms_mV = 0;          // rms residual of V_eff in the linear fit
  double refined_cost = 0;           // Nelder-Mead objective at the end
  std::int64_t evaluations = 0;
};

// The objective weights each point by 1 / (F_sim + 1 Hz): relative error at high rates, absolute at low.
// Throws std::invalid_argument when fewer samples than coefficients have a measurable rate.
fit_summary fit_threshold(const cell_synapses& cell, polynomial_form form, moments_formula formula,
                          std::span<const tf_sample> samples);

// Error of a transfer function on samples: the largest |F - F_sim| / max(abs_tol, rel_tol F_sim) (<= 1 means
// every point within tolerance), and the rms of F - F_sim.
struct tf_error {
  double worst_ratio = 0, rms_Hz = 0, max_abs_Hz = 0;
  std::size_t worst_index = 0;
};
tf_error transfer_function_error(const transfer_function& tf, std::span<const tf_sample> samples, double abs_tol_Hz,
                                 double rel_tol);

}  // namespace cortexloop::engine::meanfield
