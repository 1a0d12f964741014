#pragma once
// The AdEx update of 16 cells in the lanes of one vector: the one place the equations of engine/cells/adex.hpp are
// stepped (adex_step over any range, and the network's fused update in engine/network/partition.cpp both call it).
// Brette & Gerstner 2005 with conductance synapses as in Zerlaut et al. 2018 (Sec. 2.1); forward Euler for V and w
// (right-hand sides at the start of the step), exact exponential decay for G:
//   C dV/dt   = g_L (E_L - V) + g_L D_T exp((V - V_T)/D_T) + G_e (E_e - V) + G_i (E_i - V) - w + I_stim
//   tau_w dw/dt = a (V - E_L) - w
//   V > v_spike:  V = V_reset, w += b, V held at V_reset for t_ref (ref_left counts the frozen updates).
#include <cstddef>
#include <cstdint>

#include "engine/cells/adex.hpp"
#include "engine/cpu/fast_exp.hpp"
#include "engine/cpu/lanes16.hpp"

namespace cortexloop::engine {

// adex_derived with each constant in every lane; a block straddling two cell types takes each lane's own.
struct adex_lane_consts {
  lanes::vf dt_over_c, g_l, e_l, v_t, g_l_delta_t, log2e_over_delta_t, v_spike, v_reset, b, w_keep, a_dt_over_tau_w,
      w_rest_pA;
  lanes::vi ref_steps;

  static adex_lane_consts broadcast(const adex_derived& d) noexcept {
    const lanes::vf zero{};
    return {zero + d.dt_over_c, zero + d.g_l,     zero + d.e_l,     zero + d.v_t,
            zero + d.g_l_delta_t, zero + d.log2e_over_delta_t, zero + d.v_spike, zero + d.v_reset,
            zero + d.b,         zero + d.w_keep,  zero + d.a_dt_over_tau_w, zero + d.w_rest_pA,
            lanes::vi{} + d.ref_steps};
  }
  // g_L E_L + I_stim, the constant part of the AdEx current, which adex_lanes_step takes: computed once per call of
  // the caller, since inside the block loop GCC recomputed it in every block (three instructions where its load
  // is one; bench/README.md, "Eighth pass").
  lanes::vf rest_current(lanes::vf i_stim_pA) const noexcept { return g_l * e_l + i_stim_pA; }
  // Lanes where first is true (-1) take `a`, the others `b`.
  static adex_lane_consts select(lanes::vi first, const adex_lane_consts& x, const adex_lane_consts& y) noexcept {
    auto pick = [first](auto p, auto q) { return first != 0 ? p : q; };
    return {pick(x.dt_over_c, y.dt_over_c),     pick(x.g_l, y.g_l),
            pick(x.e_l, y.e_l),                 pick(x.v_t, y.v_t),
            pick(x.g_l_delta_t, y.g_l_delta_t), pick(x.log2e_over_delta_t, y.log2e_over_delta_t),
            pick(x.v_spike, y.v_spike),         pick(x.v_reset, y.v_reset),
            pick(x.b, y.b),                     pick(x.w_keep, y.w_keep),
            pick(x.a_dt_over_tau_w, y.a_dt_over_tau_w), pick(x.w_rest_pA, y.w_rest_pA),
            pick(x.ref_steps, y.ref_steps)};
  }
};

// synapse_derived with each constant in every lane. As vectors, not floats: where GCC runs out of registers it
// then reads them as memory operands of the arithmetic, where from a float it re-broadcast each one per block (an
// extra instruction each, 4 of a block's ~57 vector instructions; bench/README.md, "One thread, sixth pass").
struct synapse_lane_consts {
  lanes::vf decay_exc, decay_inh, e_exc, e_inh;
  static synapse_lane_consts broadcast(const synapse_derived& d) noexcept {
    const lanes::vf zero{};
    return {zero + d.decay_exc, zero + d.decay_inh, zero + d.e_exc, zero + d.e_inh};
  }
};

// The state of 16 cells, in registers.
struct adex_lanes {
  lanes::vf v_mV, w_pA, g_exc_nS, g_inh_nS;
  lanes::vi ref_left;
};

// What happened in the step, per lane (lanes::bits gives them as bits).
struct adex_lane_events {
  lanes::mask spiked, diverged;
};

// One step of 16 cells. A diverged cell (non-finite V or w) is reset to V_reset, w = 0, and reported.
// Written for few vector operations per cell (bench/README.md, "One thread, fifth pass"): the exponential in base 2
// with log2 e folded into its argument's constant (fast_exp2_in_range), the linear current summed from the
// per-step constant g_L E_L + I_stim, w's Euler step as two multiply-adds, and every condition a mask
// (lanes::mask) that selects directly.
// i_rest_pA: c.rest_current(I_stim).
[[gnu::always_inline]] inline adex_lane_events adex_lanes_step(const adex_lane_consts& c, const synapse_lane_consts& syn,
                                                               lanes::vf i_rest_pA, adex_lanes& s) noexcept {
  using lanes::vf;
  using lanes::vi;
  // The exponent (V - V_T)/D_T is clamped to [-80, 40] (here in base 2: [-115, 57]): below, the term is < 1e-34 of
  // g_L D_T; above, one Euler step already carries V ~1e15 mV past any cut-off, so the clamp never changes whether a
  // spike happens, and 2^57 g_L D_T stays far from float overflow.
  constexpr float kExp2ArgMin = -115.0f, kExp2ArgMax = 57.0f;
  const vf v = s.v_mV, w = s.w_pA, ge = s.g_exc_nS, gi = s.g_inh_nS;
  const vi ref = s.ref_left;
  const vf y = (v - c.v_t) * c.log2e_over_delta_t;  // (V - V_T)/D_T log2 e
  // y clamped to [min, max], NaN (from a NaN V, which the finiteness check below reports) to min: the argument is
  // then always in fast_exp2_in_range's range.
  const vf arg = lanes::min_or_b(lanes::max_or_b(y, vf{} + kExp2ArgMin), vf{} + kExp2ArgMax);
  // C dV/dt = (g_L E_L + I_stim) - g_L V - w + G_e (E_e - V) + G_i (E_i - V) + g_L D_T exp((V - V_T)/D_T), the
  // exponential term added last: the linear terms are summed while the exponential (the longest chain: clamp,
  // rounding, polynomial, scale) is still being computed, so the two chains overlap instead of one waiting for
  // the other (bench/README.md, "One thread, third pass").
  const vf i_linear = (i_rest_pA - c.g_l * v - w) + ge * (syn.e_exc - v) + gi * (syn.e_inh - v);
  const vf i_total = i_linear + c.g_l_delta_t * fast_exp2_in_range(arg);
  const lanes::mask frozen = lanes::positive(ref);  // V held during the refractory period
  const vf v_new = lanes::mul_add_unless(frozen, c.dt_over_c, i_total, v);  // v + dt/C i_total
  // tau_w dw/dt = a (V - E_L) - w, one Euler step: w (1 - dt/tau_w) + a dt/tau_w V - a E_L dt/tau_w
  const vf w_new = w * c.w_keep + (v * c.a_dt_over_tau_w + c.w_rest_pA);
  const vi ref_new = lanes::select(frozen, ref - 1, vi{});
  // A huge but finite V is an ordinary spike (the Euler step that crosses a high cut-off overshoots by
  // orders of magnitude, as in Brian2); only Inf or NaN is a divergence.
  const lanes::mask diverged = lanes::either(lanes::nonfinite(v_new), lanes::nonfinite(w_new));
  const lanes::mask spike = lanes::but_not(lanes::greater(v_new, c.v_spike), diverged);
  s.v_mV = lanes::select(lanes::either(spike, diverged), c.v_reset, v_new);
  s.w_pA = lanes::zero_where(diverged, lanes::select(spike, w_new + c.b, w_new));
  s.g_exc_nS = ge * syn.decay_exc;  // exact exponential decay over dt
  s.g_inh_nS = gi * syn.decay_inh;
  s.ref_left = lanes::select(spike, c.ref_steps, ref_new);
  return {spike, diverged};
}

// Cells [i, i + 16) of the view, or fewer at the end of the range: a short block goes through 16-lane buffers
// (lanes::load_part, store_part) whose spare lanes hold a resting cell, so every cell is stepped by the same vector
// code wherever it lies. Whole: the caller knows at compile time that the block holds 16 cells (the network's whole
// groups, engine/network/partition.cpp), so the state is read and written in place with no test on count.
template <bool Whole = false>
class lane_block {
 public:
  // s's pointers are copied: stores through them then cannot change them (no reloads in the loop).
  lane_block(const adex_state_view& s, std::size_t i, std::size_t count) noexcept
      : s(s), i(i), count(Whole ? lanes::kLanes : count) {}
  adex_lanes load(float rest_mV) noexcept {
    using lanes::vf;
    using lanes::vi;
    if (whole())
      return {lanes::load<vf>(s.v_mV + i), lanes::load<vf>(s.w_pA + i), lanes::load<vf>(s.g_exc_nS + i),
              lanes::load<vf>(s.g_inh_nS + i), lanes::load<vi>(s.ref_left + i)};
    return {lanes::load_part<vf>(s.v_mV + i, count, rest_mV), lanes::load_part<vf>(s.w_pA + i, count, 0.0f),
            lanes::load_part<vf>(s.g_exc_nS + i, count, 0.0f), lanes::load_part<vf>(s.g_inh_nS + i, count, 0.0f),
            lanes::load_part<vi>(s.ref_left + i, count, std::int32_t{0})};
  }
  void store(const adex_lanes& x) noexcept {
    if (whole()) {
      lanes::store(s.v_mV + i, x.v_mV);
      lanes::store(s.w_pA + i, x.w_pA);
      lanes::store(s.g_exc_nS + i, x.g_exc_nS);
      lanes::store(s.g_inh_nS + i, x.g_inh_nS);
      lanes::store(s.ref_left + i, x.ref_left);
      return;
    }
    lanes::store_part(s.v_mV + i, count, x.v_mV);
    lanes::store_part(s.w_pA + i, count, x.w_pA);
    lanes::store_part(s.g_exc_nS + i, count, x.g_exc_nS);
    lanes::store_part(s.g_inh_nS + i, count, x.g_inh_nS);
    lanes::store_part(s.ref_left + i, count, x.ref_left);
  }
  // The lanes that hold cells of the range, as bits.
  std::uint32_t valid() const noexcept { return whole() ? 0xFFFFu : (1u << count) - 1u; }
 private:
  bool whole() const noexcept { return Whole || count == lanes::kLanes; }
  const adex_state_view s;
  std::size_t i, count;
};

}  // namespace cortexloop::engine
