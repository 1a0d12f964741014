#include "engine/aln/aln_model.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>

#include "engine/units.hpp"

namespace cortexloop::engine::aln {

namespace {

void require(bool ok, const char* field, double value, const char* allowed) {
  if (ok) return;
  std::ostringstream msg;
  msg << "ALN model: " << field << " = " << value << ": " << allowed;
  throw std::invalid_argument(msg.str());
}

// Index of the slot `back` steps before `cursor` in a ring of `n` slots.
inline std::size_t ring_back(std::size_t cursor, int back, std::size_t n) noexcept {
  return (cursor + n - static_cast<std::size_t>(back)) % n;
}

}  // namespace

void aln_params::validate() const {
  require(std::isfinite(mu_ext_e_mV_per_ms), "mu_ext_e_mV_per_ms", mu_ext_e_mV_per_ms, "must be finite");
  require(std::isfinite(mu_ext_i_mV_per_ms), "mu_ext_i_mV_per_ms", mu_ext_i_mV_per_ms, "must be finite");
  require(sigma_ext_e_mV_per_sqrt_ms >= 0, "sigma_ext_e_mV_per_sqrt_ms", sigma_ext_e_mV_per_sqrt_ms, "must be >= 0");
  require(sigma_ext_i_mV_per_sqrt_ms >= 0, "sigma_ext_i_mV_per_sqrt_ms", sigma_ext_i_mV_per_sqrt_ms, "must be >= 0");
  require(k_e >= 0, "k_e", k_e, "must be >= 0");
  require(k_i >= 0, "k_i", k_i, "must be >= 0");
  require(delay_e_ms >= 0, "delay_e_ms", delay_e_ms, "must be >= 0");
  require(delay_i_ms >= 0, "delay_i_ms", delay_i_ms, "must be >= 0");
  require(tau_se_ms > 0, "tau_se_ms", tau_se_ms, "must be > 0");
  require(tau_si_ms > 0, "tau_si_ms", tau_si_ms, "must be > 0");
  require(tau_a_ms > 0, "tau_a_ms", tau_a_ms, "must be > 0");
  // c is rescaled by 1/|J| (see aln_model's constructor), so no J may be 0; the signs are the synapses' types.
  require(j_ee_mV_per_ms > 0, "j_ee_mV_per_ms", j_ee_mV_per_ms, "must be > 0 (excitatory)");
  require(j_ie_mV_per_ms > 0, "j_ie_mV_per_ms", j_ie_mV_per_ms, "must be > 0 (excitatory)");
  require(j_ei_mV_per_ms < 0, "j_ei_mV_per_ms", j_ei_mV_per_ms, "must be < 0 (inhibitory)");
  require(j_ii_mV_per_ms < 0, "j_ii_mV_per_ms", j_ii_mV_per_ms, "must be < 0 (inhibitory)");
  for (const auto& [name, c] : {std::pair{"c_ee_mV_per_ms", c_ee_mV_per_ms}, std::pair{"c_ie_mV_per_ms", c_ie_mV_per_ms},
                                std::pair{"c_ei_mV_per_ms", c_ei_mV_per_ms}, std::pair{"c_ii_mV_per_ms", c_ii_mV_per_ms}})
    require(c >= 0 && std::isfinite(c), name, c, "must be finite and >= 0");
  require(std::isfinite(a_nS), "a_nS", a_nS, "must be finite");
  require(std::isfinite(b_pA), "b_pA", b_pA, "must be finite");
  require(std::isfinite(e_a_mV), "e_a_mV", e_a_mV, "must be finite");
}

aln_initial quiet_initial(const aln_params& p) {
  aln_initial init;
  init.state.mu_f_e_mV_per_ms = p.mu_ext_e_mV_per_ms;
  init.state.mu_f_i_mV_per_ms = p.mu_ext_i_mV_per_ms;
  return init;
}

aln_model::aln_model(const aln_params& p, const cascade_table& table, double dt_ms, const aln_initial& init)
    : p_(p), table_(table), dt_ms_(dt_ms), init_(init) {
  p_.validate();
  require(dt_ms > 0 && dt_ms <= 1.0, "dt_ms", dt_ms, "must be in (0, 1] ms");
  auto whole_steps = [dt_ms](const char* field, double d_ms) {
    const double n = d_ms / dt_ms;
    require(std::fabs(n - std::round(n)) <= 1e-9 * std::max(1.0, n), field, d_ms,
            "must be a whole number of dt_ms steps");
    return static_cast<int>(delay_steps_of(d_ms, dt_ms));
  };
  delay_e_steps_ = whole_steps("delay_e_ms", p_.delay_e_ms);
  delay_i_steps_ = whole_steps("delay_i_ms", p_.delay_i_ms);
  c_ee_ms_ = p_.c_ee_mV_per_ms * p_.tau_se_ms / p_.j_ee_mV_per_ms;
  c_ie_ms_ = p_.c_ie_mV_per_ms * p_.tau_se_ms / p_.j_ie_mV_per_ms;
  c_ei_ms_ = p_.c_ei_mV_per_ms * p_.tau_si_ms / std::fabs(p_.j_ei_mV_per_ms);
  c_ii_ms_ = p_.c_ii_mV_per_ms * p_.tau_si_ms / std::fabs(p_.j_ii_mV_per_ms);
  tau_m_ms_ = table.neuron.tau_m_ms();
  c_pF_ = table.neuron.c_pF;
  inv_c_pF_ = 1.0 / c_pF_;
  inv_tau_se_ = 1.0 / p_.tau_se_ms;
  inv_tau_si_ = 1.0 / p_.tau_si_ms;
  inv_tau_se2_ = inv_tau_se_ * inv_tau_se_;
  inv_tau_si2_ = inv_tau_si_ * inv_tau_si_;
  inv_tau_a_ = 1.0 / p_.tau_a_ms;
  sigma_ext_e2_ = p_.sigma_ext_e_mV_per_sqrt_ms * p_.sigma_ext_e_mV_per_sqrt_ms;
  sigma_ext_i2_ = p_.sigma_ext_i_mV_per_sqrt_ms * p_.sigma_ext_i_mV_per_sqrt_ms;
  // The step reads the rate of `delay + 1` steps ago (see step()), so the ring needs delay + 2 slots.
  const std::size_t slots = static_cast<std::size_t>(std::max(delay_e_steps_, delay_i_steps_)) + 2;
  hist_e_Hz_.assign(slots, 0.0);
  hist_i_Hz_.assign(slots, 0.0);
  reset(init);
}

void aln_model::reset(const aln_initial& init) noexcept {
  s_ = init.state;
  std::fill(hist_e_Hz_.begin(), hist_e_Hz_.end(), init.rate_e_Hz);
  std::fill(hist_i_Hz_.begin(), hist_i_Hz_.end(), init.rate_i_Hz);
  cursor_ = 0;
  rate_e_Hz_ = init.rate_e_Hz;
  rate_i_Hz_ = init.rate_i_Hz;
}

// One step of the ALN equations (Cakan & Obermayer 2020, Methods; neurolib timeIntegration, in its order):
//   mu_a    = J_aE s_aE + J_aI s_aI + mu_ext,a + I_stim,a / C                          (total mean input, a = E, I)
//   z1_ab   = c_ab K_b r_b(t - d_b),  z2_ab = c_ab^2 K_b r_b(t - d_b)                   (r in kHz)
//   sigma_a = sqrt( sum_b 2 J_ab^2 s_ab,var tau_sb tau_m / ((1 + z1_ab) tau_m + tau_sb) + sigma_ext,a^2 )
//   r_E     = r_ss(mu_f,E - I_A/C, sigma_E),  r_I = r_ss(mu_f,I, sigma_I)               (cascade table)
//   d mu_f,a/dt = (mu_a - mu_f,a) / tau_mu(same point)
//   d I_A/dt    = (a (V_mean,E - E_A) - I_A + tau_A b r_E) / tau_A                       (r_E of this step)
//   d s_ab/dt   = ((1 - s_ab) z1_ab - s_ab) / tau_sb
//   d s_ab,var/dt = ((1 - s_ab)^2 z2_ab + (z2_ab - 2 tau_sb (z1_ab + 1)) s_ab,var) / tau_sb^2,  clipped at 0
// "r(t - d)" is, as in the authors' code, the rate of d/dt + 1 steps before the one computed now.
bool aln_model::step(double stim_e_pA, double stim_i_pA) noexcept {
  const std::size_t n = hist_e_Hz_.size();
  return step_with_rates(stim_e_pA, stim_i_pA, hist_e_Hz_[ring_back(cursor_, delay_e_steps_ + 1, n)],
                         hist_i_Hz_[ring_back(cursor_, delay_i_steps_ + 1, n)]);
}

// Never inlined: step() and a ring's units then run the very same instructions (an inlined copy could be contracted
// differently, and a unit without neighbours must be bit for bit the node: tests/test_aln_ring.cpp).
[[gnu::noinline]] bool aln_model::step_with_rates(double stim_e_pA, double stim_i_pA, double r_e_in_Hz, double r_i_in_Hz) noexcept {
  const std::size_t n = hist_e_Hz_.size();
  const double r_e_del = 1e-3 * r_e_in_Hz;  // kHz
  const double r_i_del = 1e-3 * r_i_in_Hz;

  const double mu_e = p_.j_ee_mV_per_ms * s_.s_ee + p_.j_ei_mV_per_ms * s_.s_ei + p_.mu_ext_e_mV_per_ms +
                      stim_e_pA * inv_c_pF_;
  const double mu_i = p_.j_ie_mV_per_ms * s_.s_ie + p_.j_ii_mV_per_ms * s_.s_ii + p_.mu_ext_i_mV_per_ms +
                      stim_i_pA * inv_c_pF_;

  const double z1_ee = c_ee_ms_ * p_.k_e * r_e_del, z2_ee = c_ee_ms_ * z1_ee;
  const double z1_ie = c_ie_ms_ * p_.k_e * r_e_del, z2_ie = c_ie_ms_ * z1_ie;
  const double z1_ei = c_ei_ms_ * p_.k_i * r_i_del, z2_ei = c_ei_ms_ * z1_ei;
  const double z1_ii = c_ii_ms_ * p_.k_i * r_i_del, z2_ii = c_ii_ms_ * z1_ii;

  const double tm = tau_m_ms_, tse = p_.tau_se_ms, tsi = p_.tau_si_ms;
  // 2 J^2 s_var tau_s tau_m / ((1 + z1) tau_m + tau_s), the two terms of one population over a common denominator
  // (one division instead of two)
  auto var_pair = [tm](double j1, double v1, double t1, double z1a, double j2, double v2, double t2, double z1b) {
    const double d1 = (1.0 + z1a) * tm + t1, d2 = (1.0 + z1b) * tm + t2;
    return 2.0 * tm * (j1 * j1 * v1 * t1 * d2 + j2 * j2 * v2 * t2 * d1) / (d1 * d2);
  };
  sigma_e_ = std::sqrt(var_pair(p_.j_ee_mV_per_ms, s_.s_ee_var, tse, z1_ee, p_.j_ei_mV_per_ms, s_.s_ei_var, tsi, z1_ei) +
                       sigma_ext_e2_);
  sigma_i_ = std::sqrt(var_pair(p_.j_ie_mV_per_ms, s_.s_ie_var, tse, z1_ie, p_.j_ii_mV_per_ms, s_.s_ii_var, tsi, z1_ii) +
                       sigma_ext_i2_);

  const double mu_eff_e = s_.mu_f_e_mV_per_ms - s_.i_a_pA * inv_c_pF_;
  input_e_ = {mu_eff_e, sigma_e_};
  input_i_ = {s_.mu_f_i_mV_per_ms, sigma_i_};
  const cascade_quantities qe = table_.lookup(mu_eff_e, sigma_e_);
  const cascade_quantities qi = table_.lookup(s_.mu_f_i_mV_per_ms, sigma_i_);
  if (!last_step_in_table()) ++out_of_table_;
  rate_e_Hz_ = qe.r_ss_Hz;
  rate_i_Hz_ = qi.r_ss_Hz;
  v_mean_e_mV_ = qe.v_mean_mV;
  v_mean_i_mV_ = qi.v_mean_mV;
  hist_e_Hz_[cursor_] = rate_e_Hz_;
  hist_i_Hz_[cursor_] = rate_i_Hz_;
  cursor_ = (cursor_ + 1) % n;

  const double dt = dt_ms_;
  aln_state& s = s_;
  s.mu_f_e_mV_per_ms += dt * (mu_e - s.mu_f_e_mV_per_ms) / qe.tau_mu_ms;
  s.mu_f_i_mV_per_ms += dt * (mu_i - s.mu_f_i_mV_per_ms) / qi.tau_mu_ms;
  // I_A takes the rate just looked up, as V_mean: the IA_rhs of the code the paper ran reads rates_exc[no, i], the
  // rate its step i has just computed (an outside check found r_E of the step before here). neurolib has since moved
  // to i - 1 (docs/aln.md): at most 0.02 Hz apart at B2 and B3.
  s.i_a_pA += dt * (p_.a_nS * (qe.v_mean_mV - p_.e_a_mV) - s.i_a_pA + p_.tau_a_ms * p_.b_pA * 1e-3 * qe.r_ss_Hz) *
              inv_tau_a_;

  // Means and variances read the old means: compute every variance first.
  //   ((1 - s)^2 z2 + (z2 - 2 tau_s (z1 + 1)) s_var) / tau_s^2
  auto var_rhs = [](double s_mean, double s_var, double z1, double z2, double tau_s, double inv_tau_s2) {
    return ((1.0 - s_mean) * (1.0 - s_mean) * z2 + (z2 - 2.0 * tau_s * (z1 + 1.0)) * s_var) * inv_tau_s2;
  };
  s.s_ee_var = std::max(0.0, s.s_ee_var + dt * var_rhs(s.s_ee, s.s_ee_var, z1_ee, z2_ee, tse, inv_tau_se2_));
  s.s_ei_var = std::max(0.0, s.s_ei_var + dt * var_rhs(s.s_ei, s.s_ei_var, z1_ei, z2_ei, tsi, inv_tau_si2_));
  s.s_ie_var = std::max(0.0, s.s_ie_var + dt * var_rhs(s.s_ie, s.s_ie_var, z1_ie, z2_ie, tse, inv_tau_se2_));
  s.s_ii_var = std::max(0.0, s.s_ii_var + dt * var_rhs(s.s_ii, s.s_ii_var, z1_ii, z2_ii, tsi, inv_tau_si2_));
  //   ((1 - s) z1 - s) / tau_s
  s.s_ee += dt * ((1.0 - s.s_ee) * z1_ee - s.s_ee) * inv_tau_se_;
  s.s_ei += dt * ((1.0 - s.s_ei) * z1_ei - s.s_ei) * inv_tau_si_;
  s.s_ie += dt * ((1.0 - s.s_ie) * z1_ie - s.s_ie) * inv_tau_se_;
  s.s_ii += dt * ((1.0 - s.s_ii) * z1_ii - s.s_ii) * inv_tau_si_;
  ++step_;

  const bool finite = std::isfinite(s.mu_f_e_mV_per_ms) && std::isfinite(s.mu_f_i_mV_per_ms) &&
                      std::isfinite(s.i_a_pA) && std::isfinite(s.s_ee_var + s.s_ei_var + s.s_ie_var + s.s_ii_var) &&
                      std::isfinite(s.s_ee + s.s_ei + s.s_ie + s.s_ii);
  if (!finite) {
    ++diverged_;
    reset(init_);
  }
  return finite;
}

}  // namespace cortexloop::engine::aln
