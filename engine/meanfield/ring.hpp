#pragma once
// The ring model of Zerlaut et al. 2018 (Sec. 2.6; VSDi of V1): first-order mean-field units on a periodic
// 1-D ring, coupled by Gaussian lateral kernels through axonal delays.
//
//   for unit x:  T dnu_e(x)/dt = F_e(K_e (nu_e^lat(x) + nu_aff(x, t)) + K_d nu_drive, K_i nu_i^lat(x), W(x), I_e(x)) - nu_e(x)
//                T dnu_i(x)/dt = F_i(K_e nu_e^lat(x) + K_d nu_drive, K_i nu_i^lat(x), W_i(x), I_i(x)) - nu_i(x)
//   nu_a^lat(x, t) = sum_y k_a(x - y) nu_a(y, t - |x - y| / v),   k_a Gaussian (sd l_a), cut at
//                    kernel_extent_sd sd, normalised to sum 1
//   nu_aff(x, t)   = A exp(-(x - x0)^2 / 2 w^2) g(t),  g two half-Gaussians (rise, decay) about the peak
//   VSDi(x)        = 100 [0.8 (mu_V,e(x) - rest_e) / |rest_e| + 0.2 (mu_V,i(x) - rest_i) / |rest_i|]  (percent)
// with W per unit as in master_equation.hpp when adaptation is on. Forward Euler at ring.dt_ms. The units
// start at the homogeneous fixed point (the rest of the VSDi). The lateral sums, their delays (whole ring steps,
// |x - y| / v rounded) and the rate histories are ring_coupling's (ring_coupling.hpp), shared with the ring of ALN
// units (engine/aln/aln_ring.hpp); the currents and the VSDi formula are ring_inputs.hpp's.
//
// Construction allocates everything; step() is noexcept and allocation-free.
#include <cstdint>
#include <span>
#include <vector>

#include "engine/meanfield/master_equation.hpp"
#include "engine/meanfield/params.hpp"
#include "engine/meanfield/ring_coupling.hpp"
#include "engine/meanfield/ring_inputs.hpp"
#include "engine/meanfield/transfer_function.hpp"
#include "engine/params.hpp"

namespace cortexloop::engine::meanfield {

class ring {
 public:
  // network_dt_ms: the step of the network's Bernoulli drive (see transfer_function.hpp).
  ring(const ring_params& rp, const meanfield_params& mf, const network_params& net, double network_dt_ms);

  // Advances one ring step starting at t_ms. external_exc_pA / external_inh_pA: per-unit currents added to
  // the excitatory / inhibitory population this step (e.g. the commanded stimulator's ring sites), or empty.
  void step(double t_ms, std::span<const float> external_exc_pA = {},
            std::span<const float> external_inh_pA = {}) noexcept;

  void set_drive_rate_Hz(double rate_Hz) noexcept { drive_Hz_ = rate_Hz; }

  // Averages over the steps since the last call (for a tick readout), written into the spans below.
  void finish_average() noexcept;
  std::span<const float> average_rates_exc_Hz() const noexcept { return average_.rates_exc_Hz(); }
  std::span<const float> average_rates_inh_Hz() const noexcept { return average_.rates_inh_Hz(); }
  std::span<const float> average_vsdi_percent() const noexcept { return average_.vsdi_percent(); }

  // The state after the last step.
  std::span<const float> rates_exc_Hz() const noexcept { return nu_e_; }
  std::span<const float> rates_inh_Hz() const noexcept { return nu_i_; }
  std::span<const float> mu_v_exc_mV() const noexcept { return mu_e_; }
  std::span<const float> vsdi_percent() const noexcept { return vsdi_; }
  std::span<const float> w_exc_pA() const noexcept { return w_e_; }

  std::size_t n_units() const noexcept { return n_; }
  double dt_ms() const noexcept { return dt_ms_; }
  double unit_spacing_mm() const noexcept { return dx_mm_; }
  double rest_rate_exc_Hz() const noexcept { return rest_nu_e_; }
  double rest_rate_inh_Hz() const noexcept { return rest_nu_i_; }
  std::int64_t diverged() const noexcept { return diverged_; }
  // Unit steps in which the unit's excitatory or inhibitory mu_V lay outside the transfer function's fitted domain,
  // where its rate is read at the edge passed (transfer_function.hpp): an extrapolation, not a fit. Below E_inh, above
  // the fit's upper edge (meanfield.exc/inh.max_mu_v_mV, -33 mV by default), and either (a unit step counted once). Not
  // counted: mu_V between v_t and that edge (read from the fit, as the paper's own stimulus does; the device flags it:
  // device.ring_max_mu_v_mV), nor the adaptation W a long hyperpolarisation winds negative (the AdEx network's own
  // rebound follows; docs/meanfield.md, "Outside the fitted domain").
  std::int64_t unit_steps_below_e_inh() const noexcept { return below_e_inh_; }
  std::int64_t unit_steps_above_fit_max() const noexcept { return above_max_; }
  std::int64_t unit_steps_outside_fit() const noexcept { return held_; }
  std::size_t kernel_radius_exc() const noexcept { return coupling_exc_.radius_units(); }
  std::size_t kernel_radius_inh() const noexcept { return coupling_inh_.radius_units(); }
  std::size_t kernel_terms_exc() const noexcept { return coupling_exc_.terms(); }
  std::size_t kernel_terms_inh() const noexcept { return coupling_inh_.terms(); }

 private:
  ring_params p_;
  meanfield_params mf_;
  input_counts k_;
  transfer_function tf_exc_, tf_inh_;
  adex_params cell_exc_, cell_inh_;
  std::size_t n_;
  double dx_mm_, dt_ms_, drive_Hz_;
  ring_coupling<float> coupling_exc_, coupling_inh_;  // lateral kernels, delays and rate histories
  ring_current_schedule currents_;                    // [[ring.current]]
  // State and per-step work arrays (length n).
  std::vector<float> nu_e_, nu_i_, w_e_, w_i_, mu_e_, mu_i_, vsdi_;
  std::vector<float> lat_e_, lat_i_, fe_e_, fe_i_, fi_, i_e_, i_i_, f_e_, f_i_;
  // Afferent stimuli: spatial profiles [afferent.size()][n].
  std::vector<float> aff_profiles_;
  ring_readout_average average_;
  double rest_nu_e_ = 0, rest_nu_i_ = 0, rest_w_e_ = 0, rest_w_i_ = 0;
  float rest_mu_e_ = -65.0f, rest_mu_i_ = -65.0f;
  std::int64_t diverged_ = 0, below_e_inh_ = 0, above_max_ = 0, held_ = 0;
};

}  // namespace cortexloop::engine::meanfield
