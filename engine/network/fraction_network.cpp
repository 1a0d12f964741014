#include "engine/network/fraction_network.hpp"

#include <algorithm>
#include <cmath>

#include "engine/units.hpp"

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
      m.delay_steps[post][pre] = delay_steps_of(path.delay_ms, dt_ms);
      longest = std::max(longest, m.delay_steps[post][pre]);
    }
  m.ring_slots = longest + 1;
  m.noise_key = philox_key::from_seed(seed);
  return m;
}

}  // namespace cortexloop::engine
