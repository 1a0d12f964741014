#pragma once
// The AdEx cell of Cakan & Obermayer 2020 (PLoS Comput Biol 16:e1007822, Eqs. 1-3; their Brian2 code,
// models/brian2/network_sim.py), current-based, with synaptic fractions and white-noise input:
//   dV/dt = (E_L - V + D_T exp((V - V_T)/D_T)) / tau_m + mu_ext + I_stim/C + J_e s_e + J_i s_i - w/C + sigma xi(t)
//   tau_w dw/dt = a (V - E_A) - w
//   ds_e/dt = -s_e / tau_se,  ds_i/dt = -s_i / tau_si   (jumps at arrivals: engine/synapses/fraction_synapse.hpp)
//   V > V_spike: V = V_reset, w += b; then V, w, s_e and s_i are held for t_ref (the authors' "(unless refractory)"
//   on all four equations; arrivals still move s).
// Two integrators (network.fraction.integrator, engine/params.hpp):
//   euler: Euler-Maruyama, V += dt f + sigma sqrt(dt) n, w += dt g, s *= 1 - dt/tau_s: what the authors' runs compute
//          (their Brian2 method 'heun' is Heun for the noise term only, which for additive noise is this scheme);
//   heun:  predictor-corrector Heun for V and w with the same normal draw n in both stages; s advanced exactly,
//          s exp(-dt/tau_s) (linear), in both stages.
// The state is structure-of-arrays over a population's index range.
#include <cstddef>
#include <cstdint>

#include "engine/params.hpp"

namespace cortexloop::engine {

// Constants of one population, derived once from its parameters and dt, in float for the vector unit.
struct adex_heun_derived {
  float dt, half_dt;
  float inv_tau_m;          // g_L / C, 1/ms
  float e_l, v_t, delta_t, inv_delta_t, v_spike, v_reset;
  float inv_c;              // 1/C: pA -> mV/ms
  float a_nS, e_a, inv_tau_w, b;
  float mu;                 // mV/ms
  float noise_mV;           // sigma sqrt(dt): the noise increment per unit normal draw
  float j_from_exc, j_from_inh;          // mV/ms at s = 1
  float decay_from_exc, decay_from_inh;  // heun: exp(-dt / tau_s); euler: 1 - dt / tau_s
  float exp_gain;           // D_T / tau_m, mV/ms: the exponential term of dV/dt per unit e^((V - V_T)/D_T)
  float dt_exp_gain;        // dt D_T / tau_m, mV
  bool heun;
  std::int32_t ref_steps;   // updates held after a spike (Brian2: round(t_ref/dt) - 1, as engine/cells/adex.cpp)
  static adex_heun_derived from(const adex_params& cell, const fraction_network_params& net, population post,
                                double dt_ms);
};

struct adex_heun_view {
  float* v_mV;
  float* w_pA;
  float* s_exc;  // fraction from E
  float* s_inh;  // fraction from I
  std::int32_t* ref_left;
  std::uint8_t* spiked;  // kNoEvent, kSpiked or kDiverged (engine/cells/adex.hpp)
  std::size_t n;
};

// Spike arrivals to apply before integrating (engine/synapses/): per cell the number of spikes from E and from I
// that arrived at the end of the previous step (cleared here), and the pathways' ln(1 - c) (fraction_jump).
struct fraction_arrivals {
  std::uint16_t* count_exc;
  std::uint16_t* count_inh;
  float log_keep_exc;
  float log_keep_inh;
};

// Advances every cell of the view by one step: apply the arrivals (if any: s <- 1 - (1 - s)(1 - c)^n), integrate,
// threshold, reset. normal[i] is cell i's standard normal draw of this step. A non-finite V or w is a divergence:
// the cell is reset (V_reset, w = 0) and flagged.
void adex_heun_step(const adex_heun_derived& cell, float i_stim_pA, const float* normal, const adex_heun_view& s,
                    const fraction_arrivals* arrivals = nullptr) noexcept;

}  // namespace cortexloop::engine
