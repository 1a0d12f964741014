#pragma once
// The fraction-synapse network of Cakan & Obermayer 2020 hosted by the one stepping loop (engine/network.hpp,
// engine/partition.hpp): what a partition does instead of the conductance kernel when the config says
// network.synapse_model = "fraction". The pieces are general: fixed in-degrees (engine/synapses/fixed_indegree.hpp),
// per-pathway delays (engine/synapses/delay_ring.hpp), fraction synapses (engine/synapses/fraction_synapse.hpp),
// white noise (engine/noise/philox_normal.hpp) and the Heun AdEx cell (engine/cells/adex_heun.hpp).
// Order inside step k, that of Brian2's schedule (groups, thresholds, synapses, resets):
//   update : every cell first takes the arrivals counted for step k - 1 (s <- 1 - (1 - s)(1 - c)^n, the counts
//            cleared), then integrates with that s, thresholds and resets (engine/cells/adex_heun.cpp);
//   deliver: each spike of step k is counted, per target and source population, in the slot of step k + d (d its
//            pathway's delay in steps).
// So a spike at step k moves its targets' s between steps k + d and k + d + 1, and V feels it from the update of
// step k + d + 1: Brian2 applies a spike with delay d in the synapses slot of step k + d, after that step's
// integration. (Applying the counts inside the next update saves a pass over s; nothing reads s in between.)
#include <algorithm>
#include <cstdint>
#include <span>

#include "engine/cells/adex_heun.hpp"
#include "engine/philox.hpp"
#include "engine/synapses/delay_ring.hpp"
#include "engine/synapses/fraction_synapse.hpp"

namespace cortexloop::engine {

struct fraction_model {
  adex_heun_derived cell[2];         // 0 = exc, 1 = inh
  fraction_jump jump[2][2];          // [post][pre]
  std::uint32_t delay_steps[2][2];   // [post][pre]
  std::uint32_t ring_slots = 1;      // longest delay + 1
  philox_key noise_key{};
  static fraction_model from(const network_params& p, double dt_ms, std::uint64_t seed);
};

// Counts the spikes (ascending ids) for the local cells [begin, begin + n) whose incoming rows `targets_of` gives.
// n_exc: the first inhibitory cell.
template <class Rows>
void fraction_count_arrivals(const fraction_model& m, delay_ring& ring, std::int64_t step, std::uint32_t begin,
                             std::uint32_t n_exc, std::span<const std::uint32_t> spikes, const Rows& targets_of) noexcept {
  // The local index from which targets are inhibitory; rows list local targets ascending.
  const std::uint32_t first_inh_local = n_exc > begin ? n_exc - begin : 0;
  for (std::size_t k = 0; k < spikes.size(); ++k) {
    const std::uint32_t pre = spikes[k];
    if (k + 1 < spikes.size()) {  // rows are far larger than the caches: fetch the next while counting
      const auto next = targets_of(spikes[k + 1]);
      for (std::size_t line = 0; line < next.size(); line += 16) __builtin_prefetch(next.data() + line);
    }
    const std::uint32_t channel = pre < n_exc ? 0 : 1;
    std::uint16_t* onto_exc = ring.row(ring.slot_of(step + m.delay_steps[0][channel]), channel);
    std::uint16_t* onto_inh = ring.row(ring.slot_of(step + m.delay_steps[1][channel]), channel);
    // Rows are ascending: the E targets come first, then the I targets (split once per row, not per target).
    const auto row = targets_of(pre);
    const auto split = std::lower_bound(row.begin(), row.end(), first_inh_local);
    for (auto it = row.begin(); it != split; ++it) ++onto_exc[*it];
    for (auto it = split; it != row.end(); ++it) ++onto_inh[*it];
  }
}

}  // namespace cortexloop::engine
