#include "engine/cells/adex_heun.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "engine/adex.hpp"
#include "engine/fast_exp.hpp"
#include "engine/lanes16.hpp"

// As in lanes16.hpp: the 64-byte vectors live in always-inlined code and local variables only.
#pragma GCC diagnostic ignored "-Wpsabi"

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

using lanes::vf;
using lanes::vi;

// The exponent is clamped above at 40 as in engine/adex.cpp: beyond it one step carries V far past V_spike, so
// the clamp never decides whether a spike happens; below -80 the term is < 1e-34 of the leak.
[[gnu::always_inline]] inline vf exp_term(vf v, float v_t, float inv_delta_t, float delta_t) noexcept {
  constexpr float kExpArgMin = -80.0f, kExpArgMax = 40.0f;
  const vf x = (v - v_t) * inv_delta_t;
  return delta_t * fast_exp(x < kExpArgMin ? vf{} + kExpArgMin : (x > kExpArgMax ? vf{} + kExpArgMax : x));
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

// The state of 16 cells in registers.
struct cells16 {
  vf v, w, se, si, normal;
  vi ref, count_e, count_i;
};

// One step of 16 cells, the scalar equations of adex_heun.hpp lane by lane (16-lane vectors of engine/lanes16.hpp,
// as engine/adex_lanes.hpp; a vectorised scalar loop let GCC pick 64 cells per iteration for the byte array and
// spill). Every cell, wherever its block starts, goes through this code: the file is compiled without FP
// contraction, so each lane rounds as the scalar expressions written here would. Returns the event per lane.
template <bool kHeun, bool kArrivals>
[[gnu::always_inline]] inline vi step16(const adex_heun_derived& c, const float drive, const keep_table& keep_e,
                                        const keep_table& keep_i, cells16& x) noexcept {
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
  // Predictor (Euler): f0 = dV/dt at the start of the step.
  const vf f0 = (c.e_l - v + exp_term(v, c.v_t, c.inv_delta_t, c.delta_t)) * c.inv_tau_m + drive +
                c.j_from_exc * se + c.j_from_inh * si - w * c.inv_c;
  const vf g0 = (c.a_nS * (v - c.e_a) - w) * c.inv_tau_w;  // dw/dt
  const vf v1 = v + c.dt * f0 + dw_noise;
  const vf w1 = w + c.dt * g0;
  vf v_step = v1, w_step = w1;  // Euler-Maruyama
  if constexpr (kHeun) {
    // Corrector: the mean of the slopes at the start and at the predicted end, plus the same noise increment.
    const vf f1 = (c.e_l - v1 + exp_term(v1, c.v_t, c.inv_delta_t, c.delta_t)) * c.inv_tau_m + drive +
                  c.j_from_exc * se1 + c.j_from_inh * si1 - w1 * c.inv_c;
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
  v_new = (spike | ~finite) != 0 ? c.v_reset : v_new;
  w_new = finite == 0 ? vf{} : (spike != 0 ? w_new + c.b : w_new);
  x.v = v_new;
  x.w = w_new;
  x.se = held != 0 ? se : se1;
  x.si = held != 0 ? si : si1;
  x.ref = spike != 0 ? vi{} + c.ref_steps : (held != 0 ? ref - 1 : vi{});
  return spike != 0 ? vi{} + kSpiked : (finite == 0 ? vi{} + kDiverged : vi{} + kNoEvent);
}

template <bool kHeun, bool kArrivals>
void integrate(const adex_heun_derived& cell, const float i_stim_pA, const float* normal, const adex_heun_view& s,
               const fraction_arrivals* arrivals) noexcept {
  // A local copy of the constants: the float stores below could alias `cell`, which would make the compiler reload
  // (and re-broadcast) every constant in every iteration; the copy's address is never taken, so it stays in registers.
  const adex_heun_derived c = cell;
  const float drive = c.mu + i_stim_pA * c.inv_c;  // mu_ext + I_stim / C, the same for every cell
  const keep_table keep_e(kArrivals ? arrivals->log_keep_exc : 0.0f), keep_i(kArrivals ? arrivals->log_keep_inh : 0.0f);
  // Local copies of the pointers: stores through them cannot change them (no reloads in the loop).
  float* const v_mV = s.v_mV;
  float* const w_pA = s.w_pA;
  float* const s_exc = s.s_exc;
  float* const s_inh = s.s_inh;
  std::int32_t* const ref_left = s.ref_left;
  std::uint8_t* const spiked = s.spiked;
  std::uint16_t* const count_e = kArrivals ? arrivals->count_exc : nullptr;
  std::uint16_t* const count_i = kArrivals ? arrivals->count_inh : nullptr;
  using u8x16 = std::uint8_t __attribute__((vector_size(16)));
  const std::size_t n = s.n;
  std::size_t i = 0;
  for (; i + lanes::kLanes <= n; i += lanes::kLanes) {
    cells16 x{lanes::load<vf>(v_mV + i), lanes::load<vf>(w_pA + i), lanes::load<vf>(s_exc + i),
              lanes::load<vf>(s_inh + i), lanes::load<vf>(normal + i), lanes::load<vi>(ref_left + i), vi{}, vi{}};
    if constexpr (kArrivals) {
      x.count_e = __builtin_convertvector(lanes::load<lanes::vu16>(count_e + i), vi);
      x.count_i = __builtin_convertvector(lanes::load<lanes::vu16>(count_i + i), vi);
      lanes::store(count_e + i, lanes::vu16{});
      lanes::store(count_i + i, lanes::vu16{});
    }
    const vi event = step16<kHeun, kArrivals>(c, drive, keep_e, keep_i, x);
    lanes::store(v_mV + i, x.v);
    lanes::store(w_pA + i, x.w);
    lanes::store(s_exc + i, x.se);
    lanes::store(s_inh + i, x.si);
    lanes::store(ref_left + i, x.ref);
    const u8x16 bytes = __builtin_convertvector(event, u8x16);
    std::memcpy(spiked + i, &bytes, sizeof bytes);
  }
  if (i == n) return;
  // The last cells (fewer than 16) through a 16-cell buffer whose spare lanes hold a resting cell, discarded: the
  // same vector code as every other cell.
  const std::size_t rest = n - i;
  float v[lanes::kLanes], w[lanes::kLanes], se[lanes::kLanes], si[lanes::kLanes], nr[lanes::kLanes];
  std::int32_t ref[lanes::kLanes], ce[lanes::kLanes], ci[lanes::kLanes];
  for (std::size_t k = 0; k < lanes::kLanes; ++k) {
    const bool in = k < rest;
    v[k] = in ? v_mV[i + k] : c.e_l;
    w[k] = in ? w_pA[i + k] : 0.0f;
    se[k] = in ? s_exc[i + k] : 0.0f;
    si[k] = in ? s_inh[i + k] : 0.0f;
    nr[k] = in ? normal[i + k] : 0.0f;
    ref[k] = in ? ref_left[i + k] : 0;
    ce[k] = in && kArrivals ? count_e[i + k] : 0;
    ci[k] = in && kArrivals ? count_i[i + k] : 0;
  }
  cells16 x{lanes::load<vf>(v), lanes::load<vf>(w), lanes::load<vf>(se), lanes::load<vf>(si), lanes::load<vf>(nr),
            lanes::load<vi>(ref), lanes::load<vi>(ce), lanes::load<vi>(ci)};
  const vi event = step16<kHeun, kArrivals>(c, drive, keep_e, keep_i, x);
  for (std::size_t k = 0; k < rest; ++k) {
    v_mV[i + k] = x.v[k];
    w_pA[i + k] = x.w[k];
    s_exc[i + k] = x.se[k];
    s_inh[i + k] = x.si[k];
    ref_left[i + k] = x.ref[k];
    spiked[i + k] = static_cast<std::uint8_t>(event[k]);
    if constexpr (kArrivals) count_e[i + k] = count_i[i + k] = 0;
  }
}

}  // namespace

void adex_heun_step(const adex_heun_derived& cell, float i_stim_pA, const float* normal, const adex_heun_view& s,
                    const fraction_arrivals* arrivals) noexcept {
  if (arrivals) {
    if (cell.heun)
      integrate<true, true>(cell, i_stim_pA, normal, s, arrivals);
    else
      integrate<false, true>(cell, i_stim_pA, normal, s, arrivals);
    return;
  }
  if (cell.heun)
    integrate<true, false>(cell, i_stim_pA, normal, s, nullptr);
  else
    integrate<false, false>(cell, i_stim_pA, normal, s, nullptr);
}

}  // namespace cortexloop::engine
