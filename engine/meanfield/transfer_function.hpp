#pragma once
// The transfer function of Zerlaut et al. 2018 (J Comput Neurosci 44:45, Sec. 2.3-2.4, Eqs. 4-8): the output
// rate of a cell type as a function of its excitatory and inhibitory input rates, its adaptation current W
// and an injected current I.
//
//   Shot-noise moments of the membrane potential (Campbell's theorem, inputs fe, fi in events per ms):
//     mu_Ge = Q_e tau_e fe,  mu_Gi = Q_i tau_i fi,  mu_G = g_L + mu_Ge + mu_Gi,  tau_m = C / mu_G
//     mu_V  = (mu_Ge E_e + mu_Gi E_i + g_L E_L - W + I) / mu_G            (W, I: di Volo et al. 2019)
//     U_s   = Q_s (E_s - mu_V) / mu_G
//     sigma_V^2 = sum_s fs (U_s tau_s)^2 / (2 (tau_s + tau_m))
//     tau_V     = sum_s fs (U_s tau_s)^2 / sum_s [fs (U_s tau_s)^2 / (tau_s + tau_m)]
//   The 2018 code writes the inhibitory terms with (Q_i U_i)^2 in SI units instead of (tau_i U_i)^2, which
//   scales them by (Q_i[S] / tau_i[s])^2 ~ 1e-12 (moments_formula::zerlaut2018 reproduces that).
//   Effective threshold, normalised V = (mu_V + 60 mV)/10 mV, S = (sigma_V - 4 mV)/6 mV,
//   T = (tau_V g_L / C - 0.5)/1, and V_eff = polynomial in (V, S, T[, ln(mu_G/g_L)]) with coefficients P.
//   Rate: F = erfc((V_eff - mu_V) / (sqrt(2) sigma_V)) / (2 tau_V).
//
// The network's external drive is not Poisson: each cell's drive fires at most once per step, with
// probability p = dt f_drive (Bernoulli), so its count per step has variance p (1 - p) instead of p. The
// moments take the drive's part of fe separately and weight its fluctuations by (1 - p) (the mean is
// unchanged); with drive_step_ms = 0 every input is Poisson, as in Zerlaut 2018.
//
// The rate is finite for every input: negative or non-finite rates are taken as 0, sigma_V is floored
// (+1e-9 mV, the 2018 code's +1e-12 V), tau_V falls back to tau_e + tau_m when no input fluctuates.
//
// The fitted domain's lower edge is mu_V = E_inh. No synaptic input takes mu_V below the inhibitory reversal (with
// W = I = 0 it is a conductance-weighted mean of E_L, E_e and E_i; the fit's grid lies at mu_V >= -70 mV); only a W
// or I far beyond the fit's puts it there. Below E_inh the inhibitory driving force changes sign, sigma_V grows
// again with |mu_V|, and the polynomial (its S^2 and V S terms) sends V_eff below mu_V: erfc -> 2, and a cell held
// at -280 mV fired at 106 Hz (an outside audit, 2026-12-05). A more hyperpolarised cell cannot fire faster, so
// below the edge the rate is read at the edge: V_eff, sigma_V and tau_V are those of the same inputs at
// mu_V = E_inh, and only the mean keeps falling,
//     F = erfc((V_eff(edge) - mu_V) / (sqrt(2) sigma_V(edge))) / (2 tau_V(edge)),   mu_V < E_inh,
// continuous at the edge and strictly decreasing below it (a Gaussian tail). At and above E_inh the source computes
// the same operations as before the hold, and the library as built by default (CMAKE_BUILD_TYPE Release,
// -march=native, GCC) gave identical bits old against new on 2.5 M random inputs (docs/meanfield.md). That is a
// measurement of one compilation, not a guarantee: with -march=native the compiler may fuse a*b+c into an FMA
// differently in different call paths or after a code change (a 1-ulp difference between two paths to the same
// rate was seen in a test). Bit-identity is guaranteed only in the CORTEXLOOP_PORTABLE build (-ffp-contract=off,
// no -march=native: CMakeLists.txt; docs/protocol.md, "Bit-identity"). Scanned over fe 0.2-60 Hz x fi 0.5-80 Hz per synapse, the unheld function is
// monotone in W for every mu_V in [E_inh, v_t]; it first turned up at -80.8 mV (FS) and -81.4 mV (RS).
//
// The upper edge is mu_V = -33 mV ([meanfield.exc] / [meanfield.inh] max_mu_v_mV; +inf turns the hold off, as the
// Carlu 2020 config does to reproduce its authors' function, which they evaluate up there). Above threshold the cell
// is mean-driven, not fluctuation-driven, and the fitted V_eff rises faster than mu_V: the erfc's argument grows
// again and the rate falls back towards 0 (RS at fe 6, fi 9 Hz per synapse: 66 Hz at I = 1 nA, mu_V -33 mV; 22 Hz at
// 2 nA; 0.14 Hz at 3 nA), where an AdEx cell, which has no depolarisation block, fires faster with every pA
// (docs/meanfield.md). -33 mV lies just above the highest mu_V of fit-tf's grid (-33.95 mV: nu_e 30 Hz, nu_i 15 Hz,
// I = 0), so the function is untouched wherever it was fitted (a review caught a first edge at -40 mV cutting 17 of
// its 378 points, RS up to +10 %), and above the paper's afferent stimulus (-44.4 mV at most on the ring). Scanned
// over fe 0.2-60 Hz x fi 0.5-80 Hz per synapse with I rising, the unheld rate first fell at -36.4 mV (RS, fe 0.2,
// fi 14 Hz) and -23.3 mV (FS): below -33 mV the RS rate can dip, by at most 2.4 % of its peak (1.3 Hz of 52 Hz, fe
// 0.2, fi 14 Hz), before the edge holds it. Above the edge the rate is read there as below the lower one: V_eff,
// sigma_V and tau_V of the same inputs at mu_V = the edge, the inputs' own mean in the erfc. Continuous, never
// falling, and within a few mV a ceiling: erfc -> 2, F -> 1/tau_V(edge) (47-165 Hz over one cell's inputs; ~190 Hz
// on the ring, whose recurrent input shortens tau_V). A ceiling, not the cells' f-I curve: single AdEx cells fire
// 121-184 Hz at fe 6, fi 9 Hz for 1.5-10 nA where the held rate stays at its ceiling.
#include <cstddef>
#include <span>

#include "engine/meanfield/params.hpp"
#include "engine/params.hpp"

namespace cortexloop::engine::meanfield {

// Moments of V for one input condition.
struct moments {
  double mu_g_nS = 0;
  double mu_v_mV = 0;
  double sigma_v_mV = 0;
  double tau_v_ms = 0;
  double tau_vn = 0;  // tau_V g_L / C
};

// The constants of one cell type and its synapses, taken from the network's parameters.
struct cell_synapses {
  double c_pF, g_l_nS, e_l_mV;
  double q_exc_nS, q_inh_nS, tau_exc_ms, tau_inh_ms, e_exc_mV, e_inh_mV;
  static cell_synapses from(const adex_params& cell, const network_params& net);
};

// The polynomial's terms for given moments; returns how many it wrote (n_terms(form)).
std::size_t threshold_terms(const moments& m, const cell_synapses& c, polynomial_form form,
                            double* out /* kMaxThresholdTerms */) noexcept;

class transfer_function {
 public:
  // drive_step_ms: the step of the Bernoulli drive (the network's dt), or 0 for a Poisson drive.
  transfer_function(const cell_synapses& cell, const threshold_params& threshold, moments_formula formula,
                    double drive_step_ms = 0.0);

  // fe_Hz, fi_Hz: total excitatory / inhibitory input events per second onto one cell (K * nu summed over
  // sources); fe_drive_Hz: the part of fe_Hz that the Bernoulli drive delivers. All functions are noexcept
  // and allocation-free.
  moments compute_moments(double fe_Hz, double fi_Hz, double w_pA = 0.0, double i_pA = 0.0,
                          double fe_drive_Hz = 0.0) const noexcept;
  double threshold_mV(const moments& m) const noexcept;
  // The edges of the fitted domain: E_inh below, threshold_params::max_mu_v_mV above (-33 mV unless the config says
  // otherwise; see above).
  double fitted_domain_min_mu_v_mV() const noexcept { return cell_.e_inh_mV; }
  double fitted_domain_max_mu_v_mV() const noexcept { return threshold_.max_mu_v_mV; }
  bool below_fitted_domain(const moments& m) const noexcept { return m.mu_v_mV < fitted_domain_min_mu_v_mV(); }
  bool above_fitted_domain(const moments& m) const noexcept { return m.mu_v_mV > fitted_domain_max_mu_v_mV(); }
  // The moments the fit is read at: compute_moments's inside the fitted domain (edges included); outside it, those
  // of the same inputs at the edge passed (sigma_V, tau_V, tau_VN; mu_V = the edge). The rate's mean is the inputs'
  // own.
  moments fit_moments(double fe_Hz, double fi_Hz, double w_pA = 0.0, double i_pA = 0.0,
                      double fe_drive_Hz = 0.0) const noexcept {
    return fit_moments(compute_moments(fe_Hz, fi_Hz, w_pA, i_pA, fe_drive_Hz), fe_Hz, fi_Hz, fe_drive_Hz);
  }
  // The same from the inputs' own moments (compute_moments's of the same fe, fi and drive), when the caller has them.
  moments fit_moments(const moments& own, double fe_Hz, double fi_Hz, double fe_drive_Hz = 0.0) const noexcept;
  double rate_Hz(double fe_Hz, double fi_Hz, double w_pA = 0.0, double i_pA = 0.0,
                 double fe_drive_Hz = 0.0) const noexcept;
  // The erfc at given moments and threshold, with no hold: only the moments' own rate inside the fitted domain
  // (rate_Hz above applies the hold).
  static double rate_from_threshold_Hz(const moments& m, double v_eff_mV) noexcept;

  // The same function in float for n cells at once (the ring), written so that the compiler vectorises it:
  // erfc, log and exp are polynomial approximations (relative error of the rate below 1e-3 where F > 1e-3 Hz,
  // absolute below 1e-5 Hz elsewhere; tests/test_transfer_function.cpp), with the same holds at both edges.
  // mu_v_mV (the inputs' own mean) may be null.
  void rate_Hz_batch(const float* fe_Hz, const float* fi_Hz, const float* w_pA, const float* i_pA, float* rate_Hz,
                     float* mu_v_mV, std::size_t n, float fe_drive_Hz = 0.0f) const noexcept;

  const cell_synapses& cell() const noexcept { return cell_; }
  const threshold_params& threshold() const noexcept { return threshold_; }
  moments_formula formula() const noexcept { return formula_; }

 private:
  cell_synapses cell_;
  threshold_params threshold_;
  moments_formula formula_;
  double inh_factor_;  // 1, or (Q_i[S] / tau_i[s])^2 for the 2018 formula
  double drive_step_ms_;
  // The moments with mu_V set to mu_v_mV (the hold: mu_v_mV = an edge); mu_G, tau_m are the inputs'.
  moments moments_at_mean(double fe_Hz, double fi_Hz, double fe_drive_Hz, const moments& own,
                          double mu_v_mV) const noexcept;
  // Variance weight of the drive's events: 1 - p with p = step * f_drive.
  double drive_variance_loss(double fe_drive_Hz) const noexcept;
};

}  // namespace cortexloop::engine::meanfield
