#pragma once
// Three voltage-based plasticity rules of one synapse, as the seeds' plasticity notebook
// (../shared/seeds/004_*.txt, its Brian2 equations VDP_eq, clopath_eq, meissner_bernard_eq) writes them:
//   VDP  a glutamate trace of the presynaptic spikes gates two calcium-like sources driven by the postsynaptic V
//        through sigmoids, NMDA (LTP) and VDCC (LTD), each a rise-then-fall filter;
//   CM   Clopath et al. 2010 (Nat Neurosci 13:344) as the notebook writes it: LTP while V > theta_p and the fast
//        low-pass of V > theta_m, gated by a presynaptic trace s; LTD at each presynaptic spike from the slow
//        low-pass of V above theta_m;
//   MB   Meissner-Bernard et al. 2020 (Front Synaptic Neurosci 12:585539): LTP from the fast low-pass of V above
//        theta_p minus LTD from the slow one above theta_m, both gated by s.
// Each is stepped by forward Euler at the step's start values, as Brian2's `euler` does (the notebook's method), with
// the weight clipped to [w_min, w_max] after each change, as its clip(... dt, w_min - w, w_max - w) does. Voltages in
// mV, times in ms; the rules read the postsynaptic V and do not act on the cell (the notebook's plastic synapses
// only observe: their on_pre touches their own traces).
#include <algorithm>
#include <cmath>

namespace cortexloop::engine::plasticity {

// [x]_+
inline double positive_part(double x) noexcept { return x > 0.0 ? x : 0.0; }

// The notebook's NMDA_amp and VDCC_amp: the gain that makes the fall variable peak at 1 when the rise variable jumps
// to 1 and decays (its response amp rise/(fall - rise) (exp(-t/fall) - exp(-t/rise)) peaks at 1).
inline double rise_fall_amplitude(double rise_ms, double fall_ms) noexcept {
  return std::pow(rise_ms / fall_ms, fall_ms / (rise_ms - fall_ms));
}

struct vdp_params {
  double a_pre = 0.1;                 // glutamate per presynaptic spike
  double tau_glutamate_ms = 10.0;
  double k_ltd_per_mV = 0.4, ltd_rise_ms = 1.0, ltd_fall_ms = 20.0, theta_vdcc_mV = -43.75, ltd_amp = 0.17;
  double k_ltp_per_mV = 0.4, ltp_rise_ms = 1.0, ltp_fall_ms = 5.0, theta_nmda_mV = -40.75, ltp_amp = 1.0;
  double eta = 100.0, c_ca = 3.0;
  double tau_w_ms = 1.0;  // the notebook's global tau_w
  double w_min = 0.0, w_max = 2.0;
};

// Clopath's and Meissner-Bernard's rules share their variables (the notebook's stdp_cl and stdp_mb lists).
struct lowpass_params {
  double g = 1.0 / 15.0;  // s per presynaptic spike
  double tau_s_ms = 15.0, tau_minus_ms = 10.0, tau_plus_ms = 7.0;
  double a_ltd = 1e-2, a_ltp = 8e-4;
  double theta_minus_mV = -69.0, theta_plus_mV = -58.0;
  double eta = 1.0, tau_w_ms = 1.0;
  double w_min = 0.0, w_max = 2.0;
  double v_filter_init_mV = -79.0;  // both low-passes start here
};

// The VDP rule's state.
class vdp_synapse {
 public:
  vdp_synapse(const vdp_params& p, double w) noexcept
      : p_(p), w_(w), nmda_amp_(rise_fall_amplitude(p.ltp_rise_ms, p.ltp_fall_ms)),
        vdcc_amp_(rise_fall_amplitude(p.ltd_rise_ms, p.ltd_fall_ms)), ca_exponent_(std::exp(-p.c_ca) * 20.0) {}

  // One step of dt_ms. v_start_mV: the postsynaptic V at the step's start (the notebook's sigmoids are
  // subexpressions "constant over dt", which Brian2 computes before the cells' update).
  void step(double v_start_mV, double dt_ms) noexcept {
    const double v_mV = v_start_mV;
    const double sig_ltp = 1.0 / (1.0 + std::exp(-p_.k_ltp_per_mV * (v_mV - p_.theta_nmda_mV)));
    const double sig_ltd = 1.0 / (1.0 + std::exp(-p_.k_ltd_per_mV * (v_mV - p_.theta_vdcc_mV)));
    // The rise follows the sigmoid's excess over the fall variable, never below 0 (the notebook's nested clips).
    const double d_nmda_rise =
        (-nmda_rise_ + std::clamp(std::clamp(sig_ltp - nmda_, 0.0, 100.0) - nmda_rise_, 0.0, 100.0)) / p_.ltp_rise_ms;
    const double d_nmda = (nmda_amp_ * nmda_rise_ - nmda_) / p_.ltp_fall_ms;
    const double d_vdcc_rise =
        (-vdcc_rise_ + std::clamp(std::clamp(sig_ltd - vdcc_, 0.0, 100.0) - vdcc_rise_, 0.0, 100.0)) / p_.ltd_rise_ms;
    const double d_vdcc = (vdcc_amp_ * vdcc_rise_ - vdcc_) / p_.ltd_fall_ms;
    // dw carries the glutamate factor: without glutamate (before the first presynaptic spike) nothing changes,
    // and the two powers are not computed.
    if (glutamate_ > 0.0) {
      const double ca = std::pow(vdcc_, ca_exponent_) + std::pow(nmda_, ca_exponent_);
      const double dw = p_.eta * ca * (nmda_ * p_.ltp_amp - vdcc_ * p_.ltd_amp) * glutamate_ / p_.tau_w_ms * dt_ms;
      w_ += std::clamp(dw, p_.w_min - w_, p_.w_max - w_);
    }
    glutamate_ -= glutamate_ / p_.tau_glutamate_ms * dt_ms;
    nmda_rise_ += d_nmda_rise * dt_ms;
    nmda_ += d_nmda * dt_ms;
    vdcc_rise_ += d_vdcc_rise * dt_ms;
    vdcc_ += d_vdcc * dt_ms;
  }
  void on_pre() noexcept { glutamate_ += p_.a_pre; }
  double w() const noexcept { return w_; }
  double nmda() const noexcept { return nmda_; }

 private:
  vdp_params p_;
  double w_;
  double nmda_amp_, vdcc_amp_, ca_exponent_;
  double glutamate_ = 0, nmda_rise_ = 0, nmda_ = 0, vdcc_rise_ = 0, vdcc_ = 0;
};

enum class lowpass_rule { clopath, meissner_bernard };

// Clopath's (CM) or Meissner-Bernard's (MB) rule: two low-passes of V and a presynaptic trace s.
class lowpass_synapse {
 public:
  lowpass_synapse(lowpass_rule rule, const lowpass_params& p, double w) noexcept
      : rule_(rule), p_(p), w_(w), v_plus_(p.v_filter_init_mV), v_minus_(p.v_filter_init_mV) {}

  // One step of dt_ms. v_mV: the postsynaptic V after the cells' update of this step (Brian2 runs the notebook's
  // synapses' updaters after the cells'; tests/reference/brian2_plasticity.py).
  void step(double v_mV, double dt_ms) noexcept {
    double dw;
    if (rule_ == lowpass_rule::clopath)
      dw = p_.eta * p_.a_ltp * positive_part(v_mV - p_.theta_plus_mV) * positive_part(v_plus_ - p_.theta_minus_mV) *
           s_ / p_.tau_w_ms * dt_ms;
    else
      dw = p_.eta *
           (p_.a_ltp * positive_part(v_plus_ - p_.theta_plus_mV) - p_.a_ltd * positive_part(v_minus_ - p_.theta_minus_mV)) *
           s_ / p_.tau_w_ms * dt_ms;
    w_ += std::clamp(dw, p_.w_min - w_, p_.w_max - w_);
    v_plus_ += (v_mV - v_plus_) / p_.tau_plus_ms * dt_ms;
    v_minus_ += (v_mV - v_minus_) / p_.tau_minus_ms * dt_ms;
    s_ -= s_ / p_.tau_s_ms * dt_ms;
  }
  // The trace first, then (Clopath) the depression from the slow low-pass, clipped: the notebook's on_pre_cl.
  void on_pre() noexcept {
    s_ += p_.g;
    if (rule_ == lowpass_rule::clopath)
      w_ = std::clamp(w_ - p_.eta * 0.1 * p_.a_ltd * positive_part(v_minus_ - p_.theta_minus_mV), p_.w_min, p_.w_max);
  }
  double w() const noexcept { return w_; }

 private:
  lowpass_rule rule_;
  lowpass_params p_;
  double w_;
  double v_plus_, v_minus_, s_ = 0;
};

}  // namespace cortexloop::engine::plasticity
