#include "engine/cells/adex_heun.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/adex.hpp"
#include "engine/fast_exp.hpp"

namespace cortexloop::engine {

adex_heun_derived adex_heun_derived::from(const adex_params& p, const fraction_network_params& net, population post,
                                          double dt_ms) {
  const int q = post == population::exc ? 0 : 1;
  adex_heun_derived d{};
  d.dt = static_cast<float>(dt_ms);
  d.half_dt = static_cast<float>(0.5 * dt_ms);
  d.inv_tau_m = static_cast<float>(p.g_l_nS / p.c_pF);
  d.e_l = static_cast<float>(p.e_l_mV);
  d.v_t = static_cast<float>(p.v_t_mV);
  d.delta_t = static_cast<float>(p.delta_t_mV);
  d.inv_delta_t = static_cast<float>(1.0 / p.delta_t_mV);
  d.v_spike = static_cast<float>(p.v_spike_mV);
  d.v_reset = static_cast<float>(p.v_reset_mV);
  d.inv_c = static_cast<float>(1.0 / p.c_pF);
  d.a_nS = static_cast<float>(p.a_nS);
  d.e_a = static_cast<float>(p.e_a_mV);
  d.inv_tau_w = static_cast<float>(1.0 / p.tau_w_ms);
  d.b = static_cast<float>(p.b_pA);
  d.mu = static_cast<float>(q == 0 ? net.mu_exc_mV_per_ms : net.mu_inh_mV_per_ms);
  const double sigma = q == 0 ? net.sigma_exc_mV_per_sqrt_ms : net.sigma_inh_mV_per_sqrt_ms;
  d.noise_mV = static_cast<float>(sigma * std::sqrt(dt_ms));
  d.j_from_exc = static_cast<float>(net.path[q][0].j_mV_per_ms);
  d.j_from_inh = static_cast<float>(net.path[q][1].j_mV_per_ms);
  d.heun = net.integrator == fraction_integrator::heun;
  auto decay = [&](double tau_ms) { return static_cast<float>(d.heun ? std::exp(-dt_ms / tau_ms) : 1.0 - dt_ms / tau_ms); };
  d.decay_from_exc = decay(net.tau_s_exc_ms);
  d.decay_from_inh = decay(net.tau_s_inh_ms);
  d.ref_steps = std::max<std::int32_t>(0, static_cast<std::int32_t>(std::lround(p.t_ref_ms / dt_ms)) - 1);
  return d;
}

namespace {

// The exponent is clamped above at 40 as in engine/adex.cpp: beyond it one step carries V far past V_spike, so
// the clamp never decides whether a spike happens; below -80 the term is < 1e-34 of the leak.
[[gnu::always_inline]] inline float exp_term(float v, float v_t, float inv_delta_t, float delta_t) noexcept {
  constexpr float kExpArgMin = -80.0f, kExpArgMax = 40.0f;
  const float x = (v - v_t) * inv_delta_t;
  return delta_t * fast_exp(x < kExpArgMin ? kExpArgMin : (x > kExpArgMax ? kExpArgMax : x));
}

// Restrict-qualified parameters and scalar copies of the constants, as engine/adex.cpp, so GCC vectorises the loop.
template <bool kHeun, bool kArrivals>
void integrate(const adex_heun_derived& c, const float i_stim_pA, const float* __restrict normal,
               std::uint16_t* __restrict count_e, std::uint16_t* __restrict count_i, const float log_keep_e,
               const float log_keep_i,
               float* __restrict v_mV, float* __restrict w_pA, float* __restrict s_exc, float* __restrict s_inh,
               std::int32_t* __restrict ref_left, std::uint8_t* __restrict spiked, const std::size_t n) noexcept {
  const float dt = c.dt, half_dt = c.half_dt, inv_tau_m = c.inv_tau_m, e_l = c.e_l, v_t = c.v_t,
              delta_t = c.delta_t, inv_delta_t = c.inv_delta_t, v_spike = c.v_spike, v_reset = c.v_reset,
              inv_c = c.inv_c, a = c.a_nS, e_a = c.e_a, inv_tau_w = c.inv_tau_w, b = c.b,
              j_e = c.j_from_exc, j_i = c.j_from_inh, decay_e = c.decay_from_exc, decay_i = c.decay_from_inh,
              noise_mV = c.noise_mV;
  const float drive = c.mu + i_stim_pA * inv_c;  // mu_ext + I_stim / C, the same for every cell
  const std::int32_t ref_steps = c.ref_steps;
  // The exponent is clamped above at 40 as in engine/adex.cpp: beyond it one step carries V far past V_spike, so
  // the clamp never decides whether a spike happens; below -80 the term is < 1e-34 of the leak.
  constexpr float kExpArgMin = -80.0f, kExpArgMax = 40.0f;
  constexpr float kFinite = std::numeric_limits<float>::max();
#pragma omp simd
  for (std::size_t i = 0; i < n; ++i) {
    const float v = v_mV[i], w = w_pA[i];
    float se = s_exc[i], si = s_inh[i];
    if constexpr (kArrivals) {
      // The previous step's arrivals: s <- 1 - (1 - s)(1 - c)^n where n > 0 (a select, so the loop vectorises),
      // counts cleared. Refractory cells take them too (Brian2's on_pre is not gated).
      // (1 - c)^n as exp(n ln(1 - c)): arithmetic the vector unit does faster than a gather from a table.
      const float ne = static_cast<float>(count_e[i]), ni = static_cast<float>(count_i[i]);
      const float keep_ne = fast_exp(ne * log_keep_e), keep_ni = fast_exp(ni * log_keep_i);
      se = ne != 0 ? 1.0f - (1.0f - se) * keep_ne : se;
      si = ni != 0 ? 1.0f - (1.0f - si) * keep_ni : si;
      count_e[i] = 0;
      count_i[i] = 0;
    }
    const std::int32_t ref = ref_left[i];
    const float dw_noise = noise_mV * normal[i];
    const float se1 = se * decay_e, si1 = si * decay_i;  // s at the end of the step (exact)
    // Predictor (Euler): f0 = dV/dt at the start of the step.
    const float f0 = (e_l - v + exp_term(v, v_t, inv_delta_t, delta_t)) * inv_tau_m + drive + j_e * se + j_i * si - w * inv_c;
    const float g0 = (a * (v - e_a) - w) * inv_tau_w;  // dw/dt
    const float v1 = v + dt * f0 + dw_noise;
    const float w1 = w + dt * g0;
    float v_step = v1, w_step = w1;  // Euler-Maruyama
    if constexpr (kHeun) {
      // Corrector: the mean of the slopes at the start and at the predicted end, plus the same noise increment.
      const float f1 =
          (e_l - v1 + exp_term(v1, v_t, inv_delta_t, delta_t)) * inv_tau_m + drive + j_e * se1 + j_i * si1 - w1 * inv_c;
      const float g1 = (a * (v1 - e_a) - w1) * inv_tau_w;
      v_step = v + half_dt * (f0 + f1) + dw_noise;
      w_step = w + half_dt * (g0 + g1);
    }
    const bool held = ref > 0;
    float v_new = held ? v : v_step;
    float w_new = held ? w : w_step;
    const bool bad = !(std::fabs(v_new) <= kFinite) | !(std::fabs(w_new) <= kFinite);
    const bool spike = !bad & (v_new > v_spike);
    v_new = (spike | bad) ? v_reset : v_new;
    w_new = bad ? 0.0f : (spike ? w_new + b : w_new);
    v_mV[i] = v_new;
    w_pA[i] = w_new;
    s_exc[i] = held ? se : se1;
    s_inh[i] = held ? si : si1;
    ref_left[i] = spike ? ref_steps : (held ? ref - 1 : 0);
    spiked[i] = spike ? kSpiked : (bad ? kDiverged : kNoEvent);
  }
}

}  // namespace

void adex_heun_step(const adex_heun_derived& cell, float i_stim_pA, const float* normal, const adex_heun_view& s,
                    const fraction_arrivals* arrivals) noexcept {
  if (arrivals) {
    const fraction_arrivals& a = *arrivals;
    if (cell.heun)
      integrate<true, true>(cell, i_stim_pA, normal, a.count_exc, a.count_inh, a.log_keep_exc, a.log_keep_inh, s.v_mV, s.w_pA,
                            s.s_exc, s.s_inh, s.ref_left, s.spiked, s.n);
    else
      integrate<false, true>(cell, i_stim_pA, normal, a.count_exc, a.count_inh, a.log_keep_exc, a.log_keep_inh, s.v_mV, s.w_pA,
                             s.s_exc, s.s_inh, s.ref_left, s.spiked, s.n);
    return;
  }
  if (cell.heun)
    integrate<true, false>(cell, i_stim_pA, normal, nullptr, nullptr, 0.0f, 0.0f, s.v_mV, s.w_pA, s.s_exc,
                           s.s_inh, s.ref_left, s.spiked, s.n);
  else
    integrate<false, false>(cell, i_stim_pA, normal, nullptr, nullptr, 0.0f, 0.0f, s.v_mV, s.w_pA, s.s_exc,
                            s.s_inh, s.ref_left, s.spiked, s.n);
}

}  // namespace cortexloop::engine
