#include "engine/cells/adex.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numbers>

#include "engine/cells/adex_lanes.hpp"
#include "engine/cpu/lanes16.hpp"

namespace cortexloop::engine {

adex_derived adex_derived::from(const adex_params& p, double dt_ms) {
  adex_derived d{};
  d.dt_over_c = static_cast<float>(dt_ms / p.c_pF);
  d.g_l = static_cast<float>(p.g_l_nS);
  d.e_l = static_cast<float>(p.e_l_mV);
  d.v_t = static_cast<float>(p.v_t_mV);
  d.g_l_delta_t = static_cast<float>(p.g_l_nS * p.delta_t_mV);
  d.log2e_over_delta_t = static_cast<float>(std::numbers::log2e / p.delta_t_mV);
  d.v_spike = static_cast<float>(p.v_spike_mV);
  d.v_reset = static_cast<float>(p.v_reset_mV);
  d.b = static_cast<float>(p.b_pA);
  const double dt_over_tau_w = dt_ms / p.tau_w_ms;
  d.w_keep = static_cast<float>(1.0 - dt_over_tau_w);
  d.a_dt_over_tau_w = static_cast<float>(p.a_nS * dt_over_tau_w);
  d.w_rest_pA = static_cast<float>(-p.a_nS * p.e_l_mV * dt_over_tau_w);
  // Brian2's refractoriness: after a spike in step k, V is held in steps k+1 .. k+n-1 and integrates again
  // from step k+n, n = round(t_ref / dt). So n - 1 updates are frozen.
  d.ref_steps = std::max<std::int32_t>(0, static_cast<std::int32_t>(std::lround(p.t_ref_ms / dt_ms)) - 1);
  return d;
}

synapse_derived synapse_derived::from(const network_params& p, double dt_ms) {
  return {static_cast<float>(std::exp(-dt_ms / p.tau_exc_ms)), static_cast<float>(std::exp(-dt_ms / p.tau_inh_ms)),
          static_cast<float>(p.e_exc_mV), static_cast<float>(p.e_inh_mV)};
}

void adex_step(const adex_derived& cell, const synapse_derived& synapses, float i_stim_pA,
               const adex_state_view& view, const drive_draws* drive) noexcept {
  // Local copies: the byte stores to `spiked` may alias anything reached through a reference or pointer, and would
  // make the compiler reload these after every block.
  const adex_state_view s = view;
  const synapse_lane_consts syn = synapse_lane_consts::broadcast(synapses);
  const drive_draws no_drive{nullptr, {0, false, 0.0f}};
  const drive_draws d = drive ? *drive : no_drive;
  const adex_lane_consts c = adex_lane_consts::broadcast(cell);
  const lanes::vf i_rest = c.rest_current(lanes::vf{} + i_stim_pA);
  for (std::size_t i = 0; i < s.n; i += lanes::kLanes) {
    const std::size_t count = std::min<std::size_t>(lanes::kLanes, s.n - i);
    lane_block io(s, i, count);
    adex_lanes x = io.load(cell.e_l);
    if (d.draw) {  // this step's drive events, as if they had arrived just before the step
      std::uint16_t tail[lanes::kLanes] = {};
      const std::uint16_t* draw = d.draw + i;
      if (count < lanes::kLanes) draw = std::copy(draw, draw + count, tail) - count;
      const lanes::vi below = __builtin_convertvector(lanes::load<lanes::vu16>(draw), lanes::vi) <
                              static_cast<std::int32_t>(d.rule.threshold);
      const lanes::vi event = d.rule.always ? lanes::vi{} - 1 : below;
      x.g_exc_nS += event != 0 ? d.rule.q_nS : 0.0f;
    }
    const adex_lane_events e = adex_lanes_step(c, syn, i_rest, x);
    io.store(x);
    const std::uint32_t spiked = lanes::bits(e.spiked), diverged = lanes::bits(e.diverged);
    if ((spiked | diverged) == 0 && count == lanes::kLanes) {
      constexpr std::uint8_t kNone[lanes::kLanes] = {};  // one 16-byte store
      std::memcpy(s.spiked + i, kNone, sizeof kNone);
      continue;
    }
    for (std::size_t k = 0; k < count; ++k)
      s.spiked[i + k] = (spiked >> k & 1u) ? kSpiked : ((diverged >> k & 1u) ? kDiverged : kNoEvent);
  }
}

namespace {
// Float partial sums with an explicit simd reduction (restrict parameters, see integrate()); the relative
// rounding error of a float sum over 10^4 cells is ~1e-6, far below what a readout shows. The pragma is what lets
// GCC and clang reorder the float sums into vector lanes (without it GCC 12 adds them in order). UBSan's null,
// alignment and pointer-overflow checks on each element's load stopped clang 14 from vectorizing the loop in the
// sanitized build (-Wpass-failed); the loads are v_mV[i] .. g_inh[i] for i < n, inside the state vectors (which ASan
// still checks), so those three checks are left out here and the sanitized build sums as Release does.
__attribute__((no_sanitize("null", "alignment", "pointer-overflow"))) adex_state_sums sum_state(const float e_exc, const float e_inh, const float* __restrict v_mV,
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
