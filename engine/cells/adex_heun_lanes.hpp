#pragma once
// One step of 16 cells of the Cakan & Obermayer 2020 AdEx cell (the equations: engine/cells/adex_heun.hpp) in the
// lanes of one vector: the one place those equations are stepped. adex_heun_step (engine/cells/adex_heun.cpp, any
// range, normals from an array) and the fraction network's fused update (engine/fraction_update.cpp, normals and
// spike list in registers) both call step16. Files that include this header are compiled without FP contraction
// (engine/CMakeLists.txt), so every lane rounds as the scalar expressions written here would, in every caller.
#include <cstdint>
#include <limits>

#include "engine/cells/adex_heun.hpp"
#include "engine/fast_exp.hpp"
#include "engine/lanes16.hpp"

// As in lanes16.hpp: the 64-byte vectors live in always-inlined code and local variables only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"

namespace cortexloop::engine::heun_lanes {

using lanes::vf;
using lanes::vi;

// adex_heun_derived with each constant in every lane: the block that straddles E and I takes each lane's own cell
// type's constants (the same values, hence the same rounding, as the one-type blocks).
struct lane_consts {
  vf dt, half_dt, inv_tau_m, e_l, v_t, delta_t, inv_delta_t, v_spike, v_reset, inv_c, a_nS, e_a, inv_tau_w, b,
      noise_mV, j_from_exc, j_from_inh, decay_from_exc, decay_from_inh, exp_gain, dt_exp_gain;
  vi ref_steps;
  // Lanes where `first` is true (-1) take x's constants, the others y's.
  static lane_consts select(vi first, const adex_heun_derived& x, const adex_heun_derived& y) noexcept {
    auto pick = [first](float p, float q) { return first != 0 ? vf{} + p : vf{} + q; };
    return {pick(x.dt, y.dt),           pick(x.half_dt, y.half_dt),   pick(x.inv_tau_m, y.inv_tau_m),
            pick(x.e_l, y.e_l),         pick(x.v_t, y.v_t),           pick(x.delta_t, y.delta_t),
            pick(x.inv_delta_t, y.inv_delta_t), pick(x.v_spike, y.v_spike), pick(x.v_reset, y.v_reset),
            pick(x.inv_c, y.inv_c),     pick(x.a_nS, y.a_nS),         pick(x.e_a, y.e_a),
            pick(x.inv_tau_w, y.inv_tau_w), pick(x.b, y.b),           pick(x.noise_mV, y.noise_mV),
            pick(x.j_from_exc, y.j_from_exc), pick(x.j_from_inh, y.j_from_inh),
            pick(x.decay_from_exc, y.decay_from_exc), pick(x.decay_from_inh, y.decay_from_inh),
            pick(x.exp_gain, y.exp_gain),     pick(x.dt_exp_gain, y.dt_exp_gain),
            first != 0 ? vi{} + x.ref_steps : vi{} + y.ref_steps};
  }
};

// e^x for x in [-87, 88]: fast_exp_in_range's range reduction and polynomial (engine/fast_exp.hpp), the polynomial
// evaluated by Estrin's scheme instead of Horner's: p = (1 + r) + r^2 ((1/2 + r/6) + r^2 ((1/24 + r/120) + r^2/720)),
// 7 dependent operations instead of 12. Why: the exponential is the longest dependency chain of the step, and the
// step's speed is bound by that chain's latency, not by its operation count. Checked against std::exp in
// tests/test_fraction_network.cpp (relative error < 1e-6 over [-80, 40]).
[[gnu::always_inline]] inline vf exp_in_range(vf x) noexcept {
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kLn2Hi = 0.693359375f;  // ln 2 split so that n * kLn2Hi is exact
  constexpr float kLn2Lo = -2.12194440e-4f;
  constexpr std::int32_t kOffset = 128;   // floor of a positive number, as fast_exp_in_range
  const vf n = lanes::floor_minus(x * kLog2e + (0.5f + kOffset), kOffset);
  const vf r = (x - n * kLn2Hi) - n * kLn2Lo;
  const vf r2 = r * r;
  const vf p = (1.0f + r) + r2 * ((0.5f + r * (1.0f / 6.0f)) +
                                  r2 * ((1.0f / 24.0f + r * (1.0f / 120.0f)) + r2 * (1.0f / 720.0f)));
  return lanes::times_pow2(p, n);
}

// exp((V - V_T)/D_T), the exponent clamped to [-80, 40] as in engine/adex.cpp: above 40 one step carries V far past
// V_spike, so the clamp never decides whether a spike happens; below -80 the term is < 1e-34 of the leak. C is float
// or vf. min_or_b(NaN, 40) = 40: no NaN reaches the float-to-int conversion of exp_in_range (a NaN V diverges anyway).
template <class C>
[[gnu::always_inline]] inline vf exp_of_v(vf v, C v_t, C inv_delta_t) noexcept {
  constexpr float kExpArgMin = -80.0f, kExpArgMax = 40.0f;
  const vf x = (v - v_t) * inv_delta_t;
  return exp_in_range(lanes::max_or_b(lanes::min_or_b(x, vf{} + kExpArgMax), vf{} + kExpArgMin));
}

// (1 - c)^n for n = 0 .. 31 in two registers, each entry computed by the same vector exp(n ln(1 - c)) as the kernel's
// fallback, so a lookup gives the kernel's value bit for bit. Why: a step brings a cell a few arrivals (~1.3 at A1),
// and two lookups (vpermt2ps) cost less than two exponentials per cell.
struct keep_table {
  vf lo, hi;
  float log_keep;
  explicit keep_table(float log_keep_per_arrival) noexcept : log_keep(log_keep_per_arrival) {
    const vf n = __builtin_convertvector(lanes::iota(), vf);
    lo = fast_exp(n * log_keep);
    hi = fast_exp((n + 16.0f) * log_keep);
  }
  // (1 - c)^count; count < 32 in every lane when `small`.
  [[gnu::always_inline]] vf keep(vi count, bool small) const noexcept {
    return small ? lanes::permute2(lo, hi, count) : fast_exp(__builtin_convertvector(count, vf) * log_keep);
  }
};
// Two tables, lane by lane: lanes where `first` is true take x's (1 - c)^n, the others y's (the straddling block).
struct keep_select {
  const keep_table& x;
  const keep_table& y;
  vi first;
  [[gnu::always_inline]] vf keep(vi count, bool small) const noexcept {
    const vf kx = x.keep(count, small), ky = y.keep(count, small);
    return first != 0 ? kx : ky;
  }
};

// The state of 16 cells in registers, with this step's normal draws and arrival counts.
struct cells16 {
  vf v, w, se, si, normal;
  vi ref, count_e, count_i;
};

// What the step did, per lane (-1 true, 0 false).
struct events16 {
  vi spike, finite;
};

// One step of 16 cells, the scalar equations of adex_heun.hpp lane by lane (a vectorised scalar loop let GCC pick
// 64 cells per iteration for the byte array and spill). C is adex_heun_derived (one cell type) or lane_consts;
// D (the drive mu + I_stim/C) float or vf; K keep_table or keep_select.
template <bool kHeun, bool kArrivals, class C, class D, class K>
[[gnu::always_inline]] inline events16 step16(const C& c, const D drive, const K& keep_e, const K& keep_i,
                                              cells16& x) noexcept {
  constexpr float kMax = std::numeric_limits<float>::max();
  const vf v = x.v, w = x.w;
  vf se = x.se, si = x.si;
  if constexpr (kArrivals) {
    // The previous step's arrivals: s <- 1 - (1 - s)(1 - c)^n where n > 0 (counts cleared by the caller).
    // Refractory cells take them too (Brian2's on_pre is not gated). (1 - c)^n as exp(n ln(1 - c)): arithmetic the
    // vector unit does faster than a gather from a table (and for n < 32 a register table, keep_table, faster still).
    const bool small = lanes::bits((x.count_e < 32) & (x.count_i < 32)) == 0xFFFFu;
    const vf keep_ne = keep_e.keep(x.count_e, small), keep_ni = keep_i.keep(x.count_i, small);
    se = x.count_e != 0 ? 1.0f - (1.0f - se) * keep_ne : se;
    si = x.count_i != 0 ? 1.0f - (1.0f - si) * keep_ni : si;
  }
  const vi ref = x.ref;
  const vf dw_noise = c.noise_mV * x.normal;
  const vf se1 = se * c.decay_from_exc, si1 = si * c.decay_from_inh;  // s at the end of the step
  // dV/dt = lin + (D_T/tau_m) e^x, the linear terms lin first and the exponential added last: the exponential is the
  // step's longest dependency chain, and everything else is computed while it runs (the order sets the rounding).
  const vf lin0 = (c.e_l - v) * c.inv_tau_m + drive + c.j_from_exc * se + c.j_from_inh * si - w * c.inv_c;
  const vf exp0 = exp_of_v(v, c.v_t, c.inv_delta_t);
  const vf g0 = (c.a_nS * (v - c.e_a) - w) * c.inv_tau_w;  // dw/dt
  const vf w1 = w + c.dt * g0;
  vf v_step, w_step = w1;
  if constexpr (!kHeun) {
    // Euler-Maruyama: V + dt lin + sigma sqrt(dt) n, then + dt (D_T/tau_m) e^x (dt_exp_gain), one operation after exp.
    v_step = (v + dw_noise + c.dt * lin0) + c.dt_exp_gain * exp0;
  } else {
    // Predictor (Euler), then the corrector: the mean of the slopes at the start and at the predicted end, plus the
    // same noise increment.
    const vf f0 = lin0 + c.exp_gain * exp0;
    const vf v1 = v + c.dt * f0 + dw_noise;
    const vf f1 = (c.e_l - v1) * c.inv_tau_m + drive + c.j_from_exc * se1 + c.j_from_inh * si1 - w1 * c.inv_c +
                  c.exp_gain * exp_of_v(v1, c.v_t, c.inv_delta_t);
    const vf g1 = (c.a_nS * (v1 - c.e_a) - w1) * c.inv_tau_w;
    v_step = v + c.half_dt * (f0 + f1) + dw_noise;
    w_step = w + c.half_dt * (g0 + g1);
  }
  const vi held = ref > 0;
  vf v_new = held != 0 ? v : v_step;
  vf w_new = held != 0 ? w : w_step;
  // Only Inf or NaN is a divergence: |x| <= FLT_MAX fails for those alone.
  const vi finite = (v_new <= kMax) & (v_new >= -kMax) & (w_new <= kMax) & (w_new >= -kMax);
  const vi spike = finite & (v_new > c.v_spike);
  v_new = (spike | ~finite) != 0 ? vf{} + c.v_reset : v_new;
  w_new = finite == 0 ? vf{} : (spike != 0 ? w_new + c.b : w_new);
  x.v = v_new;
  x.w = w_new;
  x.se = held != 0 ? se : se1;
  x.si = held != 0 ? si : si1;
  x.ref = spike != 0 ? vi{} + c.ref_steps : (held != 0 ? ref - 1 : vi{});
  return {spike, finite};
}

}  // namespace cortexloop::engine::heun_lanes

#pragma GCC diagnostic pop
