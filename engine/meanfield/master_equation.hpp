#pragma once
// The local mean field of the RS-FS network: the master equation of El Boustani & Destexhe 2009 as used by
// Zerlaut et al. 2018 (Eqs. 9-10, T = 5 ms), first or second order, with the adaptation of di Volo et al. 2019.
//
//   first order:   T dnu_a/dt = F_a - nu_a
//   second order:  T dnu_a/dt  = F_a - nu_a + 1/2 sum_bc c_bc d2F_a/dnu_b dnu_c
//                  T dc_ab/dt  = delta_ab F_a (1/T - F_a) / N_a + (F_a - nu_a)(F_b - nu_b)
//                                + sum_c [c_ac dF_b/dnu_c + c_bc dF_a/dnu_c] - 2 c_ab
//   adaptation:    dW_a/dt = -W_a / tau_w + b nu_a + a (mu_V,a - E_L) / tau_w,  W_a entering mu_V,a as -W_a
//   inputs:        F_e(K_e (nu_e + nu_aff) + K_d nu_drive, K_i nu_i, W_e, I_e),
//                  F_i(K_e nu_e + K_d nu_drive, K_i nu_i, W_i, I_i)   (the afferent reaches RS cells only)
// with K_e = p_connect N_e, K_i = p_connect N_i, K_d = drive.k_exc, a in {e, i}. Derivatives are central
// differences in nu (step 1e-3 Hz). Forward Euler. step() is noexcept and allocation-free.
// The drive's fluctuations are those of the network's Bernoulli drive (transfer_function.hpp) when the
// network's dt is given.
#include <cstdint>

#include "engine/meanfield/params.hpp"
#include "engine/meanfield/transfer_function.hpp"
#include "engine/params.hpp"

namespace cortexloop::engine::meanfield {

// Connectivity seen by one cell of the network, from its parameters.
struct input_counts {
  double k_exc, k_inh, k_drive;  // synapses per cell: recurrent exc, recurrent inh, drive
  double n_exc, n_inh;           // population sizes (finite-size term)
  static input_counts from(const network_params& net);
};

struct meanfield_state {
  double nu_e_Hz = 0, nu_i_Hz = 0;
  double c_ee_Hz2 = 0, c_ei_Hz2 = 0, c_ii_Hz2 = 0;
  double w_exc_pA = 0, w_inh_pA = 0;
};

struct meanfield_readout {
  double nu_e_Hz, nu_i_Hz, c_ee_Hz2, c_ei_Hz2, c_ii_Hz2;
  double w_exc_pA, w_inh_pA;
  double mu_v_exc_mV, mu_v_inh_mV;
  double vsdi_percent;  // 0.8 (mu_V,e - rest_e)/|rest_e| + 0.2 (mu_V,i - rest_i)/|rest_i|, in percent
};

// External inputs of one step.
struct meanfield_inputs {
  double drive_Hz = 0;     // per-synapse rate of the drive (network.drive.rate_Hz)
  double afferent_Hz = 0;  // per-synapse rate added to the RS cells' excitatory input
  double i_exc_pA = 0, i_inh_pA = 0;
};

class master_equation {
 public:
  // network_dt_ms: the step of the network's Bernoulli drive (0: a Poisson drive, as in Zerlaut 2018).
  master_equation(const meanfield_params& mf, const network_params& net, double network_dt_ms = 0.0);

  void step(double dt_ms, const meanfield_inputs& in) noexcept;
  // Integrates with constant inputs for duration_ms (to a fixed point, if the system has a stable one; the
  // first half at first order) and records the resulting mu_V as the rest for the VSDi readout.
  void settle(const meanfield_inputs& in, double duration_ms = 5000.0, double dt_ms = 0.1) noexcept;
  meanfield_readout readout(const meanfield_inputs& in) const noexcept;

  const meanfield_state& state() const noexcept { return s_; }
  void set_state(const meanfield_state& s) noexcept { s_ = s; }
  void set_rest_mV(double exc, double inh) noexcept { rest_exc_mV_ = exc, rest_inh_mV_ = inh; }
  std::int64_t diverged() const noexcept { return diverged_; }
  const transfer_function& tf_exc() const noexcept { return tf_exc_; }
  const transfer_function& tf_inh() const noexcept { return tf_inh_; }
  const input_counts& counts() const noexcept { return k_; }

  // F_e and F_i at given population rates (no derivatives), with the state's W.
  double rate_exc_Hz(double nu_e, double nu_i, const meanfield_inputs& in) const noexcept;
  double rate_inh_Hz(double nu_e, double nu_i, const meanfield_inputs& in) const noexcept;
  moments moments_exc(const meanfield_inputs& in) const noexcept;  // at the current state
  moments moments_inh(const meanfield_inputs& in) const noexcept;

 private:
  void step_order(int order, double dt_ms, const meanfield_inputs& in) noexcept;

  meanfield_params p_;
  input_counts k_;
  transfer_function tf_exc_, tf_inh_;
  adex_params cell_exc_, cell_inh_;
  meanfield_state s_;
  double rest_exc_mV_ = -65.0, rest_inh_mV_ = -65.0;
  std::int64_t diverged_ = 0;
};

}  // namespace cortexloop::engine::meanfield
