#pragma once
// The fraction-synapse network of Cakan & Obermayer 2020 hosted by the one stepping loop (engine/network/network.hpp,
// engine/network/partition.hpp): what a partition does instead of the conductance kernel when the config says
// network.synapse_model = "fraction". The pieces are general: fixed in-degrees (engine/synapses/fixed_indegree.hpp),
// per-pathway delays (engine/synapses/spike_ring.hpp), fraction synapses (engine/synapses/fraction_synapse.hpp),
// white noise (engine/random/philox_normal.hpp) and the Heun AdEx cell (engine/cells/adex_heun.hpp).
// Order inside step k, that of Brian2's schedule (groups, thresholds, synapses, resets):
//   update : every cell first takes the arrivals counted in the deliver phase of step k - 1 (s <- 1 - (1 - s)(1 - c)^n,
//            the counts cleared), then integrates with that s, thresholds and resets
//            (engine/network/fraction_update.cpp, the step of engine/cells/adex_heun_lanes.hpp);
//   deliver: the spikes of step k are recorded in a ring of the last D steps' spikes (engine/synapses/spike_ring.hpp);
//            then, per target population x and source population y, the spikes of y at step k - d_xy (d_xy the
//            pathway's delay in steps) are counted per target cell of x, for the update of step k + 1.
// So a spike at step k moves its targets' s between steps k + d and k + d + 1, and V feels it from the update of
// step k + d + 1: Brian2 applies a spike with delay d in the synapses slot of step k + d, after that step's
// integration. (Applying the counts inside the next update saves a pass over s; nothing reads s in between.)
#include <algorithm>
#include <cstdint>
#include <span>

#include "engine/cells/adex_heun.hpp"
#include "engine/random/philox.hpp"
#include "engine/synapses/delta_rows.hpp"
#include "engine/synapses/spike_ring.hpp"
#include "engine/synapses/fraction_synapse.hpp"

namespace cortexloop::engine {

struct fraction_model {
  adex_heun_derived cell[2];         // 0 = exc, 1 = inh
  fraction_jump jump[2][2];          // [post][pre]
  std::uint32_t delay_steps[2][2];   // [post][pre]
  std::uint32_t ring_slots = 1;      // steps of spikes kept for the delays: longest delay + 1
  philox_key noise_key{};
  static fraction_model from(const network_params& p, double dt_ms, std::uint64_t seed);
};

// Counts, per local cell and source population, the spikes that reach it in the deliver phase of `step`: those of
// population y at step - delay_steps[x][y] onto the cells of population x. counts[y] is indexed by local cell; rows
// holds the partition's targets of every source (engine/synapses/delta_rows.hpp). n_exc: the first inhibitory cell.
// Counts do not depend on the order of the arrivals, so a source's two row parts (targets in E, in I) are read in one
// pass over its spikes when both pathways have the same delay (the paper's: delays by presynaptic population): the
// parts are adjacent, one row to fetch per spike instead of two. The rows are far larger than the caches and each
// spike reads a random one (perf: the deliver's cost is waiting for them): while counting spike k, the row of spike
// k + 1 is fetched, and where the row of spike k + 2 starts.
// The arrivals of one source's row part, counted: a call of its own, so that the decode loop has the registers to
// itself (inlined into the loops over spikes and parts, GCC 12 kept the decode's constants in vector registers and
// moved them back for every 8 gaps).
[[gnu::noinline]] inline void fraction_count_row(const delta_rows& rows, std::uint32_t pre, int part,
                                                 std::uint16_t* count) noexcept {
  rows.for_each(pre, part, [count](std::size_t local) { ++count[local]; });
}

inline void fraction_count_arrivals(const fraction_model& m, const spike_ring& ring, std::int64_t step,
                                    std::uint32_t n_exc, std::uint16_t* const counts[2], const delta_rows& rows) noexcept {
  for (int pre = 0; pre < 2; ++pre) {
    const bool together = m.delay_steps[0][pre] == m.delay_steps[1][pre];
    for (int post = 0; post < (together ? 1 : 2); ++post) {
      // The step's spikes are ascending: those of E (ids < n_exc) first.
      const std::span<const std::uint32_t> all = ring.at(step - m.delay_steps[post][pre]);
      const auto first_inh = std::lower_bound(all.begin(), all.end(), n_exc);
      const std::span<const std::uint32_t> spikes =
          pre == 0 ? std::span<const std::uint32_t>(all.begin(), first_inh) : std::span<const std::uint32_t>(first_inh, all.end());
      const int first_part = post, last_part = together ? 1 : post;
      std::uint16_t* const count = counts[pre];
      for (std::size_t k = 0; k < spikes.size(); ++k) {
        if (k + 2 < spikes.size()) __builtin_prefetch(rows.row_index(spikes[k + 2]));
        if (k + 1 < spikes.size()) {
          const std::uint8_t* next = rows.part_begin(spikes[k + 1], first_part);
          std::size_t bytes = 0;
          for (int part = first_part; part <= last_part; ++part) bytes += rows.part_bytes(spikes[k + 1], part);
          for (std::size_t line = 0; line < bytes; line += 64) __builtin_prefetch(next + line);
        }
        for (int part = first_part; part <= last_part; ++part)
          fraction_count_row(rows, spikes[k], part, count);
      }
    }
  }
}

}  // namespace cortexloop::engine
