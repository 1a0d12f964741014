#include "engine/fraction_network.hpp"

#include <algorithm>
#include <cmath>

namespace cortexloop::engine {

fraction_model fraction_model::from(const network_params& p, double dt_ms, std::uint64_t seed) {
  fraction_model m;
  m.cell[0] = adex_heun_derived::from(p.exc, p.fraction, population::exc, dt_ms);
  m.cell[1] = adex_heun_derived::from(p.inh, p.fraction, population::inh, dt_ms);
  std::uint32_t longest = 0;
  for (int post = 0; post < 2; ++post)
    for (int pre = 0; pre < 2; ++pre) {
      const fraction_pathway& path = p.fraction.path[post][pre];
      // The authors' code rescales c by |J| (network_sim.py: cee = params['cee'] / abs(J_ee)).
      const double c = path.j_mV_per_ms != 0.0 ? path.c_mV_per_ms / std::fabs(path.j_mV_per_ms) : 0.0;
      m.jump[post][pre] = fraction_jump(c, static_cast<std::uint32_t>(path.k_in));
      m.delay_steps[post][pre] = static_cast<std::uint32_t>(std::lround(path.delay_ms / dt_ms));
      longest = std::max(longest, m.delay_steps[post][pre]);
    }
  m.ring_slots = longest + 1;
  m.noise_key = philox_key::from_seed(seed);
  return m;
}

namespace {
// s[i] <- 1 - (1 - s[i]) keep[count[i]] where count[i] > 0, every count cleared. A select rather than a branch, so
// the loop vectorises (a gather of keep); cells without arrivals keep s bit for bit (1 - (1 - s) would round it).
void apply_row(const float* __restrict keep, std::uint16_t* __restrict count, float* __restrict s,
               std::size_t n) noexcept {
#pragma omp simd
  for (std::size_t i = 0; i < n; ++i) {
    const std::int32_t k = count[i];
    const float keep_k = keep[k];  // loaded for every cell: a conditional gather keeps GCC from vectorising
    const float s_i = s[i];
    s[i] = k != 0 ? 1.0f - (1.0f - s_i) * keep_k : s_i;
    count[i] = 0;
  }
}
}  // namespace

void fraction_apply_arrivals(const fraction_model& m, delay_ring& ring, std::int64_t step, std::uint32_t ring_begin,
                             std::uint32_t begin, std::uint32_t end, std::uint32_t n_exc, float* s_exc,
                             float* s_inh) noexcept {
  // A cell's count from one pathway in one step is at most its in-degree k_in (each source spikes at most once a
  // step and all of a pathway's spikes share one delay), the last entry of the pathway's table.
  const std::uint32_t slot = ring.slot_of(step);
  const std::uint32_t exc_end = std::clamp(n_exc, begin, end);
  for (std::uint32_t channel = 0; channel < 2; ++channel) {
    std::uint16_t* count = ring.row(slot, channel) + (begin - ring_begin);
    float* s = channel == 0 ? s_exc : s_inh;
    apply_row(m.jump[0][channel].keep(), count, s + begin, exc_end - begin);
    apply_row(m.jump[1][channel].keep(), count + (exc_end - begin), s + exc_end, end - exc_end);
  }
}

}  // namespace cortexloop::engine
