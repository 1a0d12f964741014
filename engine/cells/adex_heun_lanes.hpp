#pragma once
// One step of 16 cells of the Cakan & Obermayer 2020 AdEx cell (the equations: engine/cells/adex_heun.hpp) in the
// lanes of one vector: the one place those equations are stepped. adex_heun_step (engine/cells/adex_heun.cpp, any
// range, normals from an array) and the fraction network's fused update (engine/network/fraction_update.cpp, normals
// and spike list in registers) both call step16. Files that include this header are compiled without FP contraction
// (engine/CMakeLists.txt) and the fused multiply-adds are written out (lanes::mul_add), so every caller's copy rounds
// every operation alike.
#include <cstdint>

#include "engine/cells/adex_heun.hpp"
#include "engine/cpu/fast_exp.hpp"
#include "engine/cpu/lanes16.hpp"

// As in lanes16.hpp: the 64-byte vectors live in always-inlined code and local variables only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"

namespace cortexloop::engine::heun_lanes {

using lanes::vf;
using lanes::vi;

// The constants of one step of one cell type in every lane, folded once per call (per update, since the drive
// mu + I_stim/C changes with the stimulus): the step then reads no constant it has to combine with another first.
// The exponential is taken in base 2 with log2 e folded into its argument (fast_exp2_in_range, as
// engine/cells/adex_lanes.hpp does): y = V y_per_mV + y_offset = (V - V_T) log2(e) / D_T.
struct step_consts {
  vf dt, half_dt;
  vf y_per_mV, y_offset;          // log2(e) / D_T, -V_T log2(e) / D_T
  vf rest_mV_per_ms;              // E_L / tau_m + mu + I_stim / C: dV/dt's terms that do not depend on the state
  vf neg_inv_tau_m, neg_inv_c;    // -1/tau_m, -1/C
  vf j_from_exc, j_from_inh;      // mV/ms at s = 1
  vf noise_per_dt;                // sigma sqrt(dt) / dt: the noise increment as a slope over the step, per unit draw
  vf exp_gain;                    // D_T / tau_m
  vf a_per_tau_w, w_rest_per_ms, neg_inv_tau_w;  // dw/dt = V a/tau_w - a E_A/tau_w - w/tau_w
  vf v_spike, v_reset, b;
  vf decay_from_exc, decay_from_inh;
  vi ref_steps;
  // With this update's stimulus current; products folded in double, each constant rounded once.
  static step_consts from(const adex_heun_derived& d, float i_stim_pA) noexcept {
    const double drive_mV_per_ms = static_cast<double>(d.mu) + static_cast<double>(i_stim_pA) * d.inv_c;
    constexpr double kLog2e = 1.44269504088896341;
    const double y_per_mV = kLog2e / static_cast<double>(d.delta_t);
    const double tau_w_rate = static_cast<double>(d.inv_tau_w);
    auto all = [](double x) { return vf{} + static_cast<float>(x); };
    return {all(d.dt), all(d.half_dt), all(y_per_mV), all(-static_cast<double>(d.v_t) * y_per_mV),
            all(static_cast<double>(d.e_l) * d.inv_tau_m + drive_mV_per_ms), all(-d.inv_tau_m), all(-d.inv_c),
            all(d.j_from_exc), all(d.j_from_inh), all(static_cast<double>(d.noise_mV) / d.dt), all(d.exp_gain),
            all(static_cast<double>(d.a_nS) * tau_w_rate), all(-static_cast<double>(d.a_nS) * d.e_a * tau_w_rate),
            all(-tau_w_rate), all(d.v_spike), all(d.v_reset), all(d.b), all(d.decay_from_exc),
            all(d.decay_from_inh), vi{} + d.ref_steps};
  }
  // Lanes where `first` is set take x's constants, the others y's (the block that straddles E and I: every lane gets
  // the same values, hence the same rounding, as in a one-type block).
  static step_consts select(lanes::mask first, const step_consts& x, const step_consts& y) noexcept {
    auto pick = [first](auto p, auto q) { return lanes::select(first, p, q); };
    return {pick(x.dt, y.dt), pick(x.half_dt, y.half_dt), pick(x.y_per_mV, y.y_per_mV), pick(x.y_offset, y.y_offset),
            pick(x.rest_mV_per_ms, y.rest_mV_per_ms), pick(x.neg_inv_tau_m, y.neg_inv_tau_m),
            pick(x.neg_inv_c, y.neg_inv_c), pick(x.j_from_exc, y.j_from_exc), pick(x.j_from_inh, y.j_from_inh),
            pick(x.noise_per_dt, y.noise_per_dt), pick(x.exp_gain, y.exp_gain), pick(x.a_per_tau_w, y.a_per_tau_w),
            pick(x.w_rest_per_ms, y.w_rest_per_ms), pick(x.neg_inv_tau_w, y.neg_inv_tau_w),
            pick(x.v_spike, y.v_spike), pick(x.v_reset, y.v_reset), pick(x.b, y.b),
            pick(x.decay_from_exc, y.decay_from_exc), pick(x.decay_from_inh, y.decay_from_inh),
            pick(x.ref_steps, y.ref_steps)};
  }
};

// 1 - (1 - c)^n, the fraction of the gap to 1 that n arrivals close, for n = 0 .. 31 in two registers, each entry
// computed by the same vector exponential (1 - exp(n ln(1 - c))) as the fallback for larger n, so a lookup gives the
// fallback's value bit for bit. Why a table: a step brings a cell a few arrivals (~1.3 at A1), and two lookups
// (vpermt2ps) cost less than two exponentials per cell. Why the gain and not (1 - c)^n: s + (1 - s) gain(0) is s
// exactly, so cells without arrivals need no select (1 - (1 - s) (1 - c)^0 rounds a small s).
struct gain_table {
  vf lo, hi;
  float log_keep;
  explicit gain_table(float log_keep_per_arrival) noexcept : log_keep(log_keep_per_arrival) {
    const vf n = __builtin_convertvector(lanes::iota(), vf);
    lo = 1.0f - fast_exp(n * log_keep);
    hi = 1.0f - fast_exp((n + 16.0f) * log_keep);
  }
  // 1 - (1 - c)^count; count < 32 in every lane when `small`.
  [[gnu::always_inline]] vf gain(vi count, bool small) const noexcept {
    return small ? lanes::permute2(lo, hi, count) : 1.0f - fast_exp(__builtin_convertvector(count, vf) * log_keep);
  }
};
// Two tables, lane by lane: lanes where `first` is set take x's gains, the others y's (the straddling block).
struct gain_select {
  const gain_table& x;
  const gain_table& y;
  lanes::mask first;
  [[gnu::always_inline]] vf gain(vi count, bool small) const noexcept {
    return lanes::select(first, x.gain(count, small), y.gain(count, small));
  }
};

// The state of 16 cells in registers, with this step's normal draws and arrival counts.
struct cells16 {
  vf v, w, se, si, normal;
  vi ref, count_e, count_i;
};

// What the step did, per lane (lanes::bits gives them as bits).
struct events16 {
  lanes::mask spike, diverged;
};

// dV/dt without its exponential term and without the noise: rest + (-V/tau_m) + J_e s_e + J_i s_i - w/C, as fused
// multiply-adds in a chain that does not wait for the exponential (the step's longest chain, added last). Without
// adaptation (kAdapt false, w = +0) the last term is left out: it would add -0, which changes nothing.
template <bool kAdapt>
[[gnu::always_inline]] inline vf linear_slope(const step_consts& c, vf v, vf w, vf se, vf si) noexcept {
  using lanes::mul_add;
  const vf without_w =
      mul_add(si, c.j_from_inh, mul_add(se, c.j_from_exc, mul_add(v, c.neg_inv_tau_m, c.rest_mV_per_ms)));
  if constexpr (kAdapt)
    return mul_add(w, c.neg_inv_c, without_w);
  else
    return without_w;
}

// 2^y with y = (V - V_T) log2(e) / D_T clamped to [-115, 57], i.e. the exponent (V - V_T)/D_T to [-80, 40] as in
// engine/cells/adex_lanes.hpp: above, one step carries V far past V_spike, so the clamp never decides whether a spike
// happens; below, the term is < 1e-34 of the leak. A NaN V gives y = -115 (max_or_b(NaN, b) = b): no NaN reaches
// the float-to-int work of the exponential (a NaN V is reported as a divergence anyway).
[[gnu::always_inline]] inline vf exp_term(const step_consts& c, vf v) noexcept {
  constexpr float kExp2ArgMin = -115.0f, kExp2ArgMax = 57.0f;
  const vf y = lanes::mul_add(v, c.y_per_mV, c.y_offset);
  return fast_exp2_in_range(lanes::min_or_b(lanes::max_or_b(y, vf{} + kExp2ArgMin), vf{} + kExp2ArgMax));
}

// One step of 16 cells, the equations of adex_heun.hpp lane by lane. Written for few vector operations per cell
// (as engine/cells/adex_lanes.hpp, bench/README.md "One thread, fifth pass"): constants folded once per call
// (step_consts), fused multiply-adds, every condition a mask (lanes::mask) that selects or masks directly, the
// refractory hold folded into the last multiply-add of V and w (lanes::mul_add_unless). G is gain_table or
// gain_select.
template <bool kHeun, bool kArrivals, class G, bool kAdapt = true>
[[gnu::always_inline]] inline events16 step16(const step_consts& c, const G& gain_e, const G& gain_i,
                                              cells16& x) noexcept {
  using lanes::mul_add;
  const vf v = x.v, w = x.w;
  vf se = x.se, si = x.si;
  if constexpr (kArrivals) {
    // The previous step's arrivals: s <- s + (1 - s)(1 - (1 - c)^n), i.e. 1 - (1 - s)(1 - c)^n (counts cleared by
    // the caller); n = 0 leaves s as it is. Refractory cells take them too (Brian2's on_pre is not gated).
    const auto any = reinterpret_cast<lanes::vu>(x.count_e | x.count_i);
    const bool small = lanes::bits(lanes::below(any, lanes::vu{} + 32u)) == 0xFFFFu;
    se = mul_add(1.0f - se, gain_e.gain(x.count_e, small), se);
    si = mul_add(1.0f - si, gain_i.gain(x.count_i, small), si);
  }
  const lanes::mask held = lanes::positive(x.ref);  // V, w and s held during the refractory period
  const vf se1 = se * c.decay_from_exc, si1 = si * c.decay_from_inh;  // s at the end of the step
  const vf noise = x.normal * c.noise_per_dt;
  // Without adaptation (kAdapt false: a = b = 0 and w = +0, which then stays +0 exactly) w's arithmetic is left out;
  // V comes out the same bit for bit (linear_slope).
  const vf g0 = kAdapt ? mul_add(v, c.a_per_tau_w, mul_add(w, c.neg_inv_tau_w, c.w_rest_per_ms)) : vf{};  // dw/dt
  vf v_new, w_new = w;
  if constexpr (!kHeun) {
    // Euler-Maruyama: V + dt (f + sigma n / sqrt(dt)), the exponential term added last.
    const vf f = mul_add(exp_term(c, v), c.exp_gain, linear_slope<kAdapt>(c, v, w, se, si) + noise);
    v_new = lanes::mul_add_unless(held, c.dt, f, v);
    if constexpr (kAdapt) w_new = lanes::mul_add_unless(held, c.dt, g0, w);
  } else {
    // Predictor (Euler), then the corrector: the mean of the slopes at the start and at the predicted end, plus the
    // same noise increment: V + dt/2 (f0 + f1 + 2 sigma n / sqrt(dt)).
    const vf f0 = mul_add(exp_term(c, v), c.exp_gain, linear_slope<kAdapt>(c, v, w, se, si));
    const vf v1 = mul_add(c.dt, f0 + noise, v);
    const vf w1 = kAdapt ? mul_add(c.dt, g0, w) : w;
    const vf f1 = mul_add(exp_term(c, v1), c.exp_gain, linear_slope<kAdapt>(c, v1, w1, se1, si1));
    v_new = lanes::mul_add_unless(held, c.half_dt, (f0 + f1) + (noise + noise), v);
    if constexpr (kAdapt) {
      const vf g1 = mul_add(v1, c.a_per_tau_w, mul_add(w1, c.neg_inv_tau_w, c.w_rest_per_ms));
      w_new = lanes::mul_add_unless(held, c.half_dt, g0 + g1, w);
    }
  }
  // Only Inf or NaN is a divergence (a huge finite V is a spike).
  const lanes::mask diverged = kAdapt ? lanes::either(lanes::nonfinite(v_new), lanes::nonfinite(w_new))
                                      : lanes::nonfinite(v_new);
  const lanes::mask spike = lanes::but_not(lanes::greater(v_new, c.v_spike), diverged);
  x.v = lanes::select(lanes::either(spike, diverged), c.v_reset, v_new);
  if constexpr (kAdapt) x.w = lanes::select(diverged, vf{}, lanes::select(spike, w_new + c.b, w_new));
  x.se = lanes::select(held, se, se1);
  x.si = lanes::select(held, si, si1);
  x.ref = lanes::select(spike, c.ref_steps, lanes::select(held, x.ref - 1, vi{}));
  return {spike, diverged};
}

}  // namespace cortexloop::engine::heun_lanes

#pragma GCC diagnostic pop
