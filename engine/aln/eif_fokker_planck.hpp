#pragma once
// Fokker-Planck solver of the EIF neuron under Gaussian white noise, and the linear-nonlinear cascade's quantities
// (steady-state rate, mean voltage, time constants of the exponential mu and sigma filters) that the ALN mean field
// of Cakan & Obermayer 2020 looks up.
//
// Method: Richardson's threshold integration (Richardson 2007, Phys Rev E 76:021919; 2008, Biol Cybern 99:381)
// on a voltage grid V_lb..V_cut (fine from below the reset up) with reinjection at V_r after t_ref, for the steady state and for the
// first-order rate response to a modulation of mu or sigma at frequency f; the filters are the exponentials whose
// Fourier transforms 1/(1 + 2 pi i f tau) fit the normalised responses best in least squares (Augustin, Ladenbauer,
// Baumann & Obermayer 2017, PLoS Comput Biol 13:e1005545, "LNexp" model, Eqs. 85-89 and the text around them).
// Offline code (allocates): the ALN model only reads the table this produces.
#include <complex>
#include <vector>

#include "engine/aln/eif_neuron.hpp"

namespace cortexloop::engine::aln {

struct fp_steady_state {
  double rate_Hz = 0;    // with the refractory period: r0 / (1 + r0 t_ref)
  double v_mean_mV = 0;  // mean of the density of non-refractory neurons, normalised to 1 (as neurolib's table)
  double dr_dsigma_Hz_per_sigma = 0;  // d rate_Hz / d sigma (per mV/sqrt(ms)): normalises the sigma filter
};

struct cascade_quantities {
  double r_ss_Hz = 0;
  double v_mean_mV = 0;
  double tau_mu_ms = 0;
  double tau_sigma_ms = 0;  // 0 where dr_ss/dsigma <= 0 (Augustin 2017, around Eq. 88: no positive filter)
};

class eif_fokker_planck {
 public:
  eif_fokker_planck(const eif_neuron_params& neuron, const fp_numerics& numerics);

  // Grid-sized scratch arrays of one point's solution, sized on first use and reused: a generating thread keeps
  // one (per-point vectors of 7,001 doubles cost 7.5 of 45 CPU-seconds of a table in the kernel, docs/aln.md).
  struct workspace {
    std::vector<double> a, b, da_dsigma, db_dsigma, p, source_mu, source_sigma;  // source_*: -b_k h(V_k)
    std::vector<std::complex<double>> r1_mu, r1_sigma, r_hat;
  };

  fp_steady_state steady_state(double mu_mV_per_ms, double sigma_mV_per_sqrt_ms) const;
  cascade_quantities cascade(double mu_mV_per_ms, double sigma_mV_per_sqrt_ms) const;
  cascade_quantities cascade(double mu_mV_per_ms, double sigma_mV_per_sqrt_ms, workspace& ws) const;

  // First-order rate response (Hz per unit modulation) to mu(t) = mu + mu1 e^{2 pi i f t} and to sigma modulated
  // likewise, at the fit frequencies; for tests and plots.
  struct linear_response {
    std::vector<double> f_Hz;
    std::vector<std::complex<double>> r1_mu, r1_sigma;  // Hz per (mV/ms), Hz per (mV/sqrt(ms))
  };
  linear_response response(double mu_mV_per_ms, double sigma_mV_per_sqrt_ms) const;

  const std::vector<double>& fit_frequencies_Hz() const { return fit_f_Hz_; }

 private:
  struct density {         // unit-flux density (in workspace::p) and its rate
    double r0_per_ms = 0;  // rate without refractory period: 1 / integral(p)
    double dr0_dsigma = 0; // its derivative in sigma, per ms per (mV/sqrt(ms)); only if asked for
  };
  density solve_density(double mu, double sigma, workspace& ws, bool with_sigma_derivative) const;
  void coefficients(double mu, double sigma, workspace& ws, bool with_sigma_derivative) const;
  fp_steady_state moments(const density& d, const workspace& ws) const;
  void solve_response(double mu, double sigma, const density& d, workspace& ws) const;

  eif_neuron_params neuron_;
  fp_numerics numerics_;
  std::vector<double> v_mV_;       // grid V_k, coarse far below the reset, fine above (fp_numerics)
  std::vector<double> leak_drift_; // (E_L - V + Delta_T exp((V - V_T)/Delta_T)) / tau_m, mV/ms
  int k_reset_ = 0;
  std::vector<double> h_;         // h_k = V_k - V_{k-1} (h_0 unused)
  std::vector<double> fit_f_Hz_, fit_weight_;
};

// Least-squares time constant (ms) of an exponential filter whose normalised Fourier transform is r_hat(f):
// minimises sum_j w_j |1/(1 + 2 pi i f_j tau) - r_hat_j|^2 over tau in [0.001, 100] ms (Augustin 2017 LNexp; the
// bounds are those of the authors' table). A coarse scan brackets the minimum, golden section refines it.
double fit_exponential_tau_ms(const std::vector<double>& f_Hz, const std::vector<double>& weight,
                              const std::vector<std::complex<double>>& r_hat);

}  // namespace cortexloop::engine::aln
