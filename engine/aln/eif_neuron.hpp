#pragma once
// The EIF neuron of the ALN cascade tables: one source of truth for its parameters and the table's defaults.
//
// Defaults: the neuron of neurolib's precomputed table `quantities_cascade.h5` (Cakan & Obermayer 2020, seed 003;
// tests/reference/data/aln_cascade_points.md and neurolib's models/aln/loadDefaultParams.py). Adaptation is not part of
// the table: the ALN model subtracts the mean adaptation current from mu before the look-up.
//
// Units: mV, ms, pF, nS; the input mean mu in mV/ms and the noise intensity sigma in mV/sqrt(ms):
//   dV/dt = (E_L - V + Delta_T exp((V - V_T)/Delta_T))/tau_m + mu + sigma xi(t), <xi(t)xi(t')> = delta(t-t'),
// so that the Fokker-Planck diffusion term is (sigma^2/2) d^2p/dV^2 (Augustin et al. 2017, PLoS Comput Biol
// 13:e1005545, Eqs. 1-4 with the mean and standard deviation of the input written per unit time).
#include <string>

namespace cortexloop::engine::aln {

// The physical range of each field of the neuron, [lo, hi]: validate() refuses a value outside it, and the config's
// [aln.neuron] reads its keys with the same bounds (io/config/config_aln.cpp), aln-table's options are refused by them.
// Capacitance and leak from a very small cell to far beyond any; voltages within the project's +-500 mV. A value
// inside them can still make the solver's density leave double's range (a noise far too weak against the drift
// over the grid): eif_fokker_planck then says which it was, at which (mu, sigma).
struct eif_bounds {
  double lo, hi;
};
inline constexpr eif_bounds kEifCapacitance_pF{1.0, 1e6};
inline constexpr eif_bounds kEifLeak_nS{0.01, 1e6};
inline constexpr eif_bounds kEifVoltage_mV{-500.0, 500.0};
inline constexpr eif_bounds kEifSlope_mV{0.0, 100.0};
inline constexpr eif_bounds kEifRefractory_ms{0.0, 1000.0};

struct eif_neuron_params {
  double c_pF = 200.0;
  double g_l_nS = 10.0;
  double e_l_mV = -65.0;
  double delta_t_mV = 1.5;  // 0 gives the LIF neuron (no exponential term)
  double v_t_mV = -50.0;
  double v_r_mV = -70.0;    // reset, where the probability flux is reinjected after t_ref
  double v_cut_mV = -40.0;  // spike: absorbing boundary of the density
  double v_lb_mV = -200.0;  // lower end of the voltage grid (reflecting)
  double t_ref_ms = 1.5;

  double tau_m_ms() const { return c_pF / g_l_nS; }
  bool operator==(const eif_neuron_params&) const = default;
  // Throws std::invalid_argument naming the field, its value and what is wrong.
  void validate() const;
};

// Numerical settings of the Fokker-Planck solver and of the exponential fits of the cascade's filters.
struct fp_numerics {
  double d_v_mV = 0.01;  // voltage step of threshold integration (neurolib's table used 0.01 mV everywhere)
  // A coarser step below V_r - fine_below_reset_mV (-100 mV with the defaults): 16,001 -> 7,001 grid points, and
  // the 24 reference points of aln_cascade_points.md change by < 0.03% (r, tau) and < 0.002 mV (V_mean), measured
  // against the uniform 0.01 mV grid (docs/aln.md). d_v_coarse_mV = 0: uniform.
  double d_v_coarse_mV = 0.1;
  double fine_below_reset_mV = 30.0;
  // The filters are fitted in the Fourier domain over f = df, 2 df, ..., f_max (neurolib: 0.25 Hz .. 1 kHz);
  // n_fit_frequencies < that count uses a geometric subset of those frequencies, each weighted by the number of
  // grid frequencies it stands for, so the weighted sum approximates the full least-squares sum (see fit in
  // eif_fokker_planck.cpp). 0 = every frequency; at most that count (4000 with the defaults; more took 100000
  // silently as all 4000, under another cache key).
  double fit_df_Hz = 0.25;
  double fit_f_max_Hz = 1000.0;
  int n_fit_frequencies = 160;
  // The frequencies of the full fit, f = fit_df_Hz ... fit_f_max_Hz: the most n_fit_frequencies may be.
  int fit_frequency_count() const;
  // dr_ss/dsigma, which normalises the sigma filter, is the exact derivative of the discretised steady state
  // (eif_fokker_planck.cpp, solve_density), not a finite difference, so it has no step to set here.

  void validate() const;
};

}  // namespace cortexloop::engine::aln
