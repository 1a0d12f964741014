#include "engine/cells/adex_heun.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/cells/adex.hpp"
#include "engine/cells/adex_heun_lanes.hpp"
#include "engine/cpu/lanes16.hpp"

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
  d.exp_gain = static_cast<float>(p.delta_t_mV * p.g_l_nS / p.c_pF);
  d.dt_exp_gain = static_cast<float>(dt_ms * p.delta_t_mV * p.g_l_nS / p.c_pF);
  d.ref_steps = std::max<std::int32_t>(0, static_cast<std::int32_t>(std::lround(p.t_ref_ms / dt_ms)) - 1);
  return d;
}

namespace {

using lanes::vf;
using lanes::vi;
using heun_lanes::cells16;
using heun_lanes::gain_table;

// kSpiked, kDiverged or kNoEvent (engine/cells/adex.hpp) per lane.
[[gnu::always_inline]] inline vi event_codes(const heun_lanes::events16& e) noexcept {
  return lanes::select(e.spike, vi{} + kSpiked, lanes::select(e.diverged, vi{} + kDiverged, vi{} + kNoEvent));
}

template <bool kHeun, bool kArrivals>
void integrate(const adex_heun_derived& cell, const float i_stim_pA, const float* normal, const adex_heun_view& s,
               const fraction_arrivals* arrivals) noexcept {
  // Locals: the float stores below could alias `cell`, which would make the compiler reload every constant in every
  // iteration; these copies' addresses are never taken, so they stay in registers.
  const heun_lanes::step_consts c = heun_lanes::step_consts::from(cell, i_stim_pA);
  const gain_table gain_e(kArrivals ? arrivals->log_keep_exc : 0.0f), gain_i(kArrivals ? arrivals->log_keep_inh : 0.0f);
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
    const vi event = event_codes(heun_lanes::step16<kHeun, kArrivals>(c, gain_e, gain_i, x));
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
    v[k] = in ? v_mV[i + k] : cell.e_l;
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
  const vi event = event_codes(heun_lanes::step16<kHeun, kArrivals>(c, gain_e, gain_i, x));
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
