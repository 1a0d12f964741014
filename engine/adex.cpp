#include "engine/adex.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/fast_exp.hpp"

namespace cortexloop::engine {

adex_derived adex_derived::from(const adex_params& p, double dt_ms) {
  adex_derived d{};
  d.dt_over_c = static_cast<float>(dt_ms / p.c_pF);
  d.g_l = static_cast<float>(p.g_l_nS);
  d.e_l = static_cast<float>(p.e_l_mV);
  d.v_t = static_cast<float>(p.v_t_mV);
  d.inv_delta_t = static_cast<float>(1.0 / p.delta_t_mV);
  d.g_l_delta_t = static_cast<float>(p.g_l_nS * p.delta_t_mV);
  d.v_spike = static_cast<float>(p.v_spike_mV);
  d.v_reset = static_cast<float>(p.v_reset_mV);
  d.a = static_cast<float>(p.a_nS);
  d.b = static_cast<float>(p.b_pA);
  d.dt_over_tau_w = static_cast<float>(dt_ms / p.tau_w_ms);
  // Brian2's refractoriness: after a spike in step k, V is held in steps k+1 .. k+n-1 and integrates again
  // from step k+n, n = round(t_ref / dt). So n - 1 updates are frozen.
  d.ref_steps = std::max<std::int32_t>(0, static_cast<std::int32_t>(std::lround(p.t_ref_ms / dt_ms)) - 1);
  return d;
}

synapse_derived synapse_derived::from(const network_params& p, double dt_ms) {
  return {static_cast<float>(std::exp(-dt_ms / p.tau_exc_ms)), static_cast<float>(std::exp(-dt_ms / p.tau_inh_ms)),
          static_cast<float>(p.e_exc_mV), static_cast<float>(p.e_inh_mV)};
}

namespace {

// The update proper, with every array a restrict-qualified parameter: GCC honours restrict on parameters
// (not on local copies), and without it the loop is not vectorised. No reductions here, so the loop
// vectorises without reassociation flags; the sums are a second pass.
template <bool kDriven>
void integrate(const adex_derived& cell, const synapse_derived& synapse, const float i_stim_pA,
               float* __restrict v_mV, float* __restrict w_pA, float* __restrict g_exc, float* __restrict g_inh,
               std::int32_t* __restrict ref_left, std::uint8_t* __restrict spiked, const std::size_t n,
               const std::uint16_t* __restrict draw, const std::uint16_t threshold, const bool always,
               const float q_drive) noexcept {
  // Scalar copies of the constants: loads through the structs would keep GCC from vectorising.
  const float v_t = cell.v_t, inv_delta_t = cell.inv_delta_t, g_l = cell.g_l, e_l = cell.e_l,
              g_l_delta_t = cell.g_l_delta_t, dt_over_c = cell.dt_over_c, dt_over_tau_w = cell.dt_over_tau_w,
              a = cell.a, b = cell.b, v_spike = cell.v_spike, v_reset = cell.v_reset;
  const std::int32_t ref_steps = cell.ref_steps;
  const float e_exc = synapse.e_exc, e_inh = synapse.e_inh, decay_exc = synapse.decay_exc,
              decay_inh = synapse.decay_inh;
  // The exponent is clamped to [-80, 40]: below, the term is < 1e-34 of g_L D_T; above, one Euler step
  // already carries V ~1e15 mV past any cut-off, so the clamp never changes whether a spike happens, and
  // exp(40) * g_L D_T stays far from float overflow.
  constexpr float kExpArgMin = -80.0f, kExpArgMax = 40.0f;
  // A huge but finite V is an ordinary spike (the Euler step that crosses a high cut-off overshoots by
  // orders of magnitude, as in Brian2); only Inf or NaN, which fails every comparison, is a divergence.
  constexpr float kFinite = std::numeric_limits<float>::max();
  for (std::size_t i = 0; i < n; ++i) {
    const float v = v_mV[i], w = w_pA[i], gi = g_inh[i];
    float ge = g_exc[i];
    if constexpr (kDriven) ge += (always | (draw[i] < threshold)) ? q_drive : 0.0f;  // this step's drive event
    const std::int32_t ref = ref_left[i];
    const float x = (v - v_t) * inv_delta_t;
    const float arg = x < kExpArgMin ? kExpArgMin : (x > kExpArgMax ? kExpArgMax : x);
    // C dV/dt = g_L (E_L - V) + g_L D_T exp((V - V_T)/D_T) + G_e (E_e - V) + G_i (E_i - V) - w + I_stim
    const float i_total = g_l * (e_l - v) + g_l_delta_t * fast_exp(arg) + ge * (e_exc - v) +
                          gi * (e_inh - v) - w + i_stim_pA;
    float v_new = ref > 0 ? v : v + dt_over_c * i_total;  // V held during the refractory period
    // tau_w dw/dt = a (V - E_L) - w
    float w_new = w + dt_over_tau_w * (a * (v - e_l) - w);
    std::int32_t ref_new = ref > 0 ? ref - 1 : 0;
    const bool bad = !(std::fabs(v_new) <= kFinite) | !(std::fabs(w_new) <= kFinite);
    const bool spike = !bad & (v_new > v_spike);
    v_new = (spike | bad) ? v_reset : v_new;
    w_new = bad ? 0.0f : (spike ? w_new + b : w_new);
    ref_new = spike ? ref_steps : ref_new;
    v_mV[i] = v_new;
    w_pA[i] = w_new;
    g_exc[i] = ge * decay_exc;  // exact exponential decay over dt
    g_inh[i] = gi * decay_inh;
    ref_left[i] = ref_new;
    spiked[i] = spike ? kSpiked : (bad ? kDiverged : 0);
  }
}

}  // namespace

void adex_step(const adex_derived& cell, const synapse_derived& syn, float i_stim_pA, const adex_state_view& s,
               const drive_draws* drive) noexcept {
  if (drive)
    integrate<true>(cell, syn, i_stim_pA, s.v_mV, s.w_pA, s.g_exc_nS, s.g_inh_nS, s.ref_left, s.spiked, s.n, drive->draw,
                    drive->rule.threshold, drive->rule.always, drive->rule.q_nS);
  else
    integrate<false>(cell, syn, i_stim_pA, s.v_mV, s.w_pA, s.g_exc_nS, s.g_inh_nS, s.ref_left, s.spiked, s.n,
                     nullptr, 0, false, 0.0f);
}

namespace {
// Float partial sums with an explicit simd reduction (restrict parameters, see integrate()); the relative
// rounding error of a float sum over 10^4 cells is ~1e-6, far below what a readout shows.
adex_state_sums sum_state(const float e_exc, const float e_inh, const float* __restrict v_mV,
                          const float* __restrict w_pA, const float* __restrict g_exc,
                          const float* __restrict g_inh, const std::size_t n) noexcept {
  float sum_v = 0, sum_w = 0, sum_syn = 0;
#pragma omp simd reduction(+ : sum_v, sum_w, sum_syn)
  for (std::size_t i = 0; i < n; ++i) {
    const float v = v_mV[i];
    sum_v += v;
    sum_w += w_pA[i];
    sum_syn += std::fabs(g_exc[i] * (e_exc - v)) + std::fabs(g_inh[i] * (e_inh - v));
  }
  return {sum_v, sum_w, sum_syn};
}
}  // namespace

adex_state_sums adex_sum(const synapse_derived& syn, const adex_state_view& s) noexcept {
  return sum_state(syn.e_exc, syn.e_inh, s.v_mV, s.w_pA, s.g_exc_nS, s.g_inh_nS, s.n);
}

}  // namespace cortexloop::engine
