#pragma once
// The Hodgkin-Huxley cells of Carlu et al. 2020 (J Neurophysiol 123:1042; their code, ModelDB 263259,
// single_cell_models/cell_construct.py), 16 cells in the lanes of one vector. V in mV, t in ms, rates in 1/ms;
// u = V_T - V:
//   dm/dt = a_m (1 - m) - b_m m,  a_m = 0.32 (13 + u) / (exp((13 + u)/4) - 1),  b_m = 0.28 (-u - 40) / (exp((-u - 40)/5) - 1)
//   dn/dt = a_n (1 - n) - b_n n,  a_n = 0.032 (15 + u) / (exp((15 + u)/5) - 1), b_n = 0.5 exp((10 + u)/40)
//   dh/dt = a_h (1 - h) - b_h h,  a_h = 0.128 exp((17 + u)/18),                 b_h = 4 / (1 + exp((40 + u)/5))
//   dp/dt = (p_inf - p) / tau_p,  p_inf = 1 / (1 + exp(-(V + 35)/10)),
//                                 tau_p = 400 / (3.3 exp((V + 35)/20) + exp(-(V + 35)/20))
//   C dV/dt = g_L (E_L - V) + g_Na m^3 h (E_Na - V) + (g_K n^4 + g_M p)(E_K - V) + G_e (E_e - V) + G_i (E_i - V) + I
// Integrated as Brian2's exponential Euler, which their network uses: each variable's equation is linear in it, so
// with every other variable held at its value at the start of the step it is stepped exactly,
//   x <- x_inf + (x - x_inf) exp(-dt / tau_x);
// G_e and G_i decay exactly. Spikes as their NeuronGroup(threshold='V > -40*mV', refractory='V > -40*mV'): a cell
// is re-armed by a step that starts with V at or below v_spike, and spikes when an armed cell ends a step above it.
// There is no reset. In float, with engine/cpu/fast_exp.hpp's exp (relative error < 3e-7): near a fixed point a step
// moves V by (V_inf - V)(1 - e^{-g dt/C}), which rounds away below half an ulp of V, so V settles within
// ulp(V) / (g dt/C) of it (1.4e-3 / 1.5e-3 mV at rest; tests/test_carlu2020_network.cpp bounds it).
#include <cstdint>

#include "engine/cells/adex_lanes.hpp"
#include "engine/cpu/fast_exp.hpp"
#include "engine/cpu/lanes16.hpp"
#include "engine/params.hpp"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"

namespace cortexloop::engine {

// Constants of one HH cell type, in float.
struct hh_derived {
  float dt_over_c;  // ms / pF
  float dt_ms;
  float g_l, g_l_e_l;  // g_L, g_L E_L
  float g_na, e_na, g_k, g_m, e_k, v_t, v_spike;
  static hh_derived from(const hh_params& p, double dt_ms) noexcept {
    return {static_cast<float>(dt_ms / p.c_pF), static_cast<float>(dt_ms), static_cast<float>(p.g_l_nS),
            static_cast<float>(p.g_l_nS * p.e_l_mV), static_cast<float>(p.g_na_nS), static_cast<float>(p.e_na_mV),
            static_cast<float>(p.g_k_nS), static_cast<float>(p.g_m_nS), static_cast<float>(p.e_k_mV),
            static_cast<float>(p.v_t_mV), static_cast<float>(p.v_spike_mV)};
  }
};

// hh_derived in every lane (or, for a block straddling the two cell types, each lane's own).
struct hh_lane_consts {
  lanes::vf dt_over_c, dt_ms, g_l, g_l_e_l, g_na, e_na, g_k, g_m, e_k, v_t, v_spike;
  static hh_lane_consts broadcast(const hh_derived& d) noexcept {
    const lanes::vf z{};
    return {z + d.dt_over_c, z + d.dt_ms, z + d.g_l, z + d.g_l_e_l, z + d.g_na, z + d.e_na,
            z + d.g_k,       z + d.g_m,   z + d.e_k, z + d.v_t,     z + d.v_spike};
  }
  // Lanes where first is true take x's, the others y's.
  static hh_lane_consts select(lanes::vi first, const hh_lane_consts& x, const hh_lane_consts& y) noexcept {
    auto pick = [first](lanes::vf p, lanes::vf q) { return first != 0 ? p : q; };
    return {pick(x.dt_over_c, y.dt_over_c), pick(x.dt_ms, y.dt_ms), pick(x.g_l, y.g_l),
            pick(x.g_l_e_l, y.g_l_e_l),     pick(x.g_na, y.g_na),   pick(x.e_na, y.e_na),
            pick(x.g_k, y.g_k),             pick(x.g_m, y.g_m),     pick(x.e_k, y.e_k),
            pick(x.v_t, y.v_t),             pick(x.v_spike, y.v_spike)};
  }
};

// The state of 16 HH cells. refractory: 1 from a spike until a step starts with V <= v_spike, else 0.
struct hh_lanes {
  lanes::vf v_mV, m, h, n, p, g_exc_nS, g_inh_nS;
  lanes::vi refractory;
};

namespace hh_detail {
using lanes::vf;
// e^x with x clamped to fast_exp's range (NaN to its low end: a NaN V is reported through V itself).
[[gnu::always_inline]] inline vf exp_clamped(vf x) noexcept {
  return fast_exp_in_range(lanes::min_or_b(lanes::max_or_b(x, vf{} - 87.0f), vf{} + 88.0f));
}
// x / (exp(x/s) - 1), the Traub-Miles rate form: s z / (e^z - 1), z = x/s. Near z = 0 (0/0 at 0, and e^z - 1 loses
// digits to cancellation: ~3e-7 / |z| relative in float), its series s (1 - z/2 + z^2/12 - z^4/720) instead, for
// |z| < 0.1, where the first term left out, z^6/30240, is < 4e-11; from |z| = 0.1 on, the direct form is within ~3e-6.
[[gnu::always_inline]] inline vf x_over_expm1(vf x, float s) noexcept {
  const vf z = x * (1.0f / s);
  const vf direct = x / (exp_clamped(z) - 1.0f);
  const vf z2 = z * z;
  const vf near_zero = s * (1.0f - 0.5f * z + z2 * (1.0f / 12.0f - z2 * (1.0f / 720.0f)));
  return lanes::select(lanes::greater(vf{} + 0.01f, z2), near_zero, direct);
}
// One gate dx/dt = a (1 - x) - b x over dt, exactly with a and b held: x_inf + (x - x_inf) e^{-(a + b) dt}.
[[gnu::always_inline]] inline vf gate_step(vf x, vf a, vf b, vf dt) noexcept {
  const vf sum = a + b;
  const vf x_inf = a / sum;
  return x_inf + (x - x_inf) * exp_clamped(-(sum * dt));
}
}  // namespace hh_detail

// One step of 16 cells; returns the lanes that spiked and those whose V or a gate became non-finite (diverged: V is
// set to E_L and the gates to 0, and the caller counts it).
[[gnu::always_inline]] inline adex_lane_events hh_lanes_step(const hh_lane_consts& c, const synapse_lane_consts& syn,
                                                             lanes::vf i_stim_pA, hh_lanes& s) noexcept {
  using lanes::vf;
  using lanes::vi;
  using hh_detail::exp_clamped;
  using hh_detail::gate_step;
  using hh_detail::x_over_expm1;
  const vf v = s.v_mV, m = s.m, h = s.h, n = s.n, p = s.p, ge = s.g_exc_nS, gi = s.g_inh_nS;
  const vf u = c.v_t - v;
  const vf a_m = 0.32f * x_over_expm1(13.0f + u, 4.0f);
  const vf b_m = 0.28f * x_over_expm1(-u - 40.0f, 5.0f);
  const vf a_n = 0.032f * x_over_expm1(15.0f + u, 5.0f);
  const vf b_n = 0.5f * exp_clamped((10.0f + u) * (1.0f / 40.0f));
  const vf a_h = 0.128f * exp_clamped((17.0f + u) * (1.0f / 18.0f));
  const vf b_h = 4.0f / (1.0f + exp_clamped((40.0f + u) * (1.0f / 5.0f)));
  const vf vp = v + 35.0f;
  const vf p_inf = 1.0f / (1.0f + exp_clamped(vp * (-1.0f / 10.0f)));
  const vf rate_p = (3.3f * exp_clamped(vp * (1.0f / 20.0f)) + exp_clamped(vp * (-1.0f / 20.0f))) * (1.0f / 400.0f);
  // V: C dV/dt = I_src - g_tot V with every conductance at its start-of-step value.
  const vf g_na = c.g_na * (m * m * m * h);
  const vf g_k = c.g_k * ((n * n) * (n * n)) + c.g_m * p;
  const vf g_tot = c.g_l + g_na + g_k + ge + gi;
  const vf i_src = c.g_l_e_l + g_na * c.e_na + g_k * c.e_k + ge * syn.e_exc + gi * syn.e_inh + i_stim_pA;
  const vf v_inf = i_src / g_tot;
  const vf v_new = v_inf + (v - v_inf) * exp_clamped(-(g_tot * c.dt_over_c));
  const vf m_new = gate_step(m, a_m, b_m, c.dt_ms);
  const vf n_new = gate_step(n, a_n, b_n, c.dt_ms);
  const vf h_new = gate_step(h, a_h, b_h, c.dt_ms);
  const vf p_new = p_inf + (p - p_inf) * exp_clamped(-(rate_p * c.dt_ms));
  const lanes::mask diverged =
      lanes::either(lanes::either(lanes::nonfinite(v_new), lanes::nonfinite(m_new)),
                    lanes::either(lanes::nonfinite(n_new), lanes::either(lanes::nonfinite(h_new), lanes::nonfinite(p_new))));
  // Still refractory: spiked and not yet back at or below the threshold at a step's start (Brian2 evaluates the
  // refractory condition before integrating). The others spike when above it after the step.
  const lanes::mask held = lanes::both(lanes::positive(s.refractory), lanes::greater(v, c.v_spike));
  const lanes::mask spike = lanes::but_not(lanes::but_not(lanes::greater(v_new, c.v_spike), diverged), held);
  const vf rest = c.g_l_e_l / c.g_l;
  s.v_mV = lanes::select(diverged, rest, v_new);
  s.m = lanes::zero_where(diverged, m_new);
  s.n = lanes::zero_where(diverged, n_new);
  s.h = lanes::zero_where(diverged, h_new);
  s.p = lanes::zero_where(diverged, p_new);
  s.g_exc_nS = ge * syn.decay_exc;
  s.g_inh_nS = gi * syn.decay_inh;
  s.refractory = lanes::select(lanes::either(spike, held), vi{} + 1, vi{});
  return {spike, diverged};
}

}  // namespace cortexloop::engine

#pragma GCC diagnostic pop
