#pragma once
// Three voltage-based plasticity rules of one synapse, as the seeds' plasticity notebook
// (the seeds' Brian2 notebook comparing them: its equations VDP_eq, clopath_eq, meissner_bernard_eq) writes them:
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

// One of VDP's two calcium sources: a sigmoid of V (slope k, threshold theta) drives a rise-then-fall filter, whose
// output enters dw with the factor amp (NMDA: LTP, VDCC: LTD).
struct vdp_source {
  double k_per_mV, rise_ms, fall_ms, theta_mV, amp;
};

struct vdp_params {
  double a_pre = 0.1;                 // glutamate per presynaptic spike
  double tau_glutamate_ms = 10.0;
  vdp_source ltd{0.4, 1.0, 20.0, -43.75, 0.17};  // VDCC
  vdp_source ltp{0.4, 1.0, 5.0, -40.75, 1.0};    // NMDA
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
      : p_(p), w_(w), nmda_(p.ltp), vdcc_(p.ltd), ca_exponent_(std::exp(-p.c_ca) * 20.0) {}

  // One step of dt_ms. v_start_mV: the postsynaptic V at the step's start (the notebook's sigmoids are
  // subexpressions "constant over dt", which Brian2 computes before the cells' update).
  void step(double v_start_mV, double dt_ms) noexcept {
    // dw carries the glutamate factor: without glutamate (before the first presynaptic spike) nothing changes,
    // and the two powers are not computed.
    if (glutamate_ > 0.0) {
      const double ca = std::pow(vdcc_.out, ca_exponent_) + std::pow(nmda_.out, ca_exponent_);
      const double dw = p_.eta * ca * (nmda_.out * p_.ltp.amp - vdcc_.out * p_.ltd.amp) * glutamate_ / p_.tau_w_ms * dt_ms;
      w_ += std::clamp(dw, p_.w_min - w_, p_.w_max - w_);
    }
    glutamate_ -= glutamate_ / p_.tau_glutamate_ms * dt_ms;
    nmda_.step(p_.ltp, v_start_mV, dt_ms);
    vdcc_.step(p_.ltd, v_start_mV, dt_ms);
  }
  void on_pre() noexcept { glutamate_ += p_.a_pre; }
  double w() const noexcept { return w_; }

 private:
  // A source's filter: `rise` follows the sigmoid's excess over `out`, never below 0 (the notebook's nested clips),
  // and `out` follows amp_norm rise (rise_fall_amplitude: a unit jump of rise peaks out at 1).
  struct source {
    explicit source(const vdp_source& s) noexcept : amp_norm(rise_fall_amplitude(s.rise_ms, s.fall_ms)) {}
    void step(const vdp_source& s, double v_mV, double dt_ms) noexcept {
      const double sig = 1.0 / (1.0 + std::exp(-s.k_per_mV * (v_mV - s.theta_mV)));
      const double d_rise = (-rise + std::clamp(std::clamp(sig - out, 0.0, 100.0) - rise, 0.0, 100.0)) / s.rise_ms;
      const double d_out = (amp_norm * rise - out) / s.fall_ms;
      rise += d_rise * dt_ms;
      out += d_out * dt_ms;
    }
    double amp_norm, rise = 0, out = 0;
  };
  vdp_params p_;
  double w_;
  source nmda_, vdcc_;
  double ca_exponent_;
  double glutamate_ = 0;
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
