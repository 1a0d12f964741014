#pragma once
// The fraction-synapse network of Cakan & Obermayer 2020 hosted by the one stepping loop (engine/network.hpp,
// engine/partition.hpp): what a partition does instead of the conductance kernel when the config says
// network.synapse_model = "fraction". The pieces are general: fixed in-degrees (engine/synapses/fixed_indegree.hpp),
// per-pathway delays (engine/synapses/spike_ring.hpp), fraction synapses (engine/synapses/fraction_synapse.hpp),
// white noise (engine/noise/philox_normal.hpp) and the Heun AdEx cell (engine/cells/adex_heun.hpp).
// Order inside step k, that of Brian2's schedule (groups, thresholds, synapses, resets):
//   update : every cell first takes the arrivals counted in the deliver phase of step k - 1 (s <- 1 - (1 - s)(1 - c)^n,
//            the counts cleared), then integrates with that s, thresholds and resets (engine/fraction_update.cpp,
//            the step of engine/cells/adex_heun_lanes.hpp);
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
#include "engine/philox.hpp"
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

// The spikes that pathway (post, pre) delivers in the deliver phase of `step`: those of population pre at
// step - delay_steps[post][pre] (the step's spikes are ascending: those of E, ids < n_exc, first).
inline std::span<const std::uint32_t> fraction_pathway_spikes(const fraction_model& m, const spike_ring& ring,
                                                              std::int64_t step, std::uint32_t n_exc, int post,
                                                              int pre) noexcept {
  const std::span<const std::uint32_t> all = ring.at(step - m.delay_steps[post][pre]);
  const auto first_inh = std::lower_bound(all.begin(), all.end(), n_exc);
  return pre == 0 ? std::span<const std::uint32_t>(all.begin(), first_inh)
                  : std::span<const std::uint32_t>(first_inh, all.end());
}

// Calls f(spikes, first_part, last_part) for each pathway group of the deliver phase of `step`: per source population,
// its spikes and the row parts (0: targets in E, 1: in I) they reach. Counts do not depend on the order of the
// arrivals, so a source's two row parts are read in one pass over its spikes when both pathways have the same delay
// (the paper's: delays by presynaptic population): the parts are adjacent, one row to fetch per spike instead of two.
template <class F>
inline void fraction_for_each_pathway(const fraction_model& m, const spike_ring& ring, std::int64_t step,
                                      std::uint32_t n_exc, F f) noexcept {
  for (int pre = 0; pre < 2; ++pre) {
    const bool together = m.delay_steps[0][pre] == m.delay_steps[1][pre];
    for (int post = 0; post < (together ? 1 : 2); ++post)
      f(pre, fraction_pathway_spikes(m, ring, step, n_exc, post, pre), post, together ? 1 : post);
  }
}

// Counts, per local cell and source population, the spikes that reach it in the deliver phase of `step`: those of
// population y at step - delay_steps[x][y] onto the cells of population x. counts[y] is indexed by local cell; rows
// holds the partition's targets of every source (engine/synapses/delta_rows.hpp). n_exc: the first inhibitory cell.
// The rows are far larger than the caches and each spike reads a random one (perf: the deliver's cost was waiting
// for them); fraction_prefetch_rows fetches them one step ahead.
inline void fraction_count_arrivals(const fraction_model& m, const spike_ring& ring, std::int64_t step,
                                    std::uint32_t n_exc, std::uint16_t* const counts[2], const delta_rows& rows) noexcept {
  fraction_for_each_pathway(m, ring, step, n_exc,
                            [&](int pre, std::span<const std::uint32_t> spikes, int first_part, int last_part) {
                              std::uint16_t* const count = counts[pre];
                              for (const std::uint32_t spike : spikes)
                                for (int part = first_part; part <= last_part; ++part)
                                  rows.for_each(spike, part, [count](std::uint32_t local) { ++count[local]; });
                            });
}

// One cache line's prefetch that the compiler keeps: GCC 12 deleted a loop of __builtin_prefetch calls and nothing
// else (fraction_prefetch_rows' row loop was gone from the binary).
[[gnu::always_inline]] inline void prefetch_line(const void* p) noexcept {
#if defined(__x86_64__)
  asm volatile("prefetcht0 %0" : : "m"(*static_cast<const char*>(p)));
#else
  __builtin_prefetch(p);
#endif
}

// Prefetches what fraction_count_arrivals(step) will read: called at the end of the deliver phase of step - 1, so the
// rows come in while the update of `step` runs (~10 us per 1000 cells here, far longer than a memory read), instead
// of at the first spike of each pathway (a step brings ~1-2 spikes per pathway at 20k cells, so "the next spike's
// row" left most rows unfetched). Every spike delivered at `step` is already in the ring (delays >= 1 step). The row
// starts of step + 1 are fetched too, so that reading them here does not wait for memory either.
inline void fraction_prefetch_rows(const fraction_model& m, const spike_ring& ring, std::int64_t step,
                                   std::uint32_t n_exc, const delta_rows& rows) noexcept {
  fraction_for_each_pathway(m, ring, step + 1, n_exc,
                            [&](int, std::span<const std::uint32_t> spikes, int, int) {
                              for (const std::uint32_t spike : spikes) prefetch_line(rows.row_index(spike));
                            });
  fraction_for_each_pathway(m, ring, step, n_exc,
                            [&](int, std::span<const std::uint32_t> spikes, int first_part, int last_part) {
                              for (const std::uint32_t spike : spikes) {
                                const auto* const row = reinterpret_cast<const char*>(rows.part_begin(spike, first_part));
                                std::size_t bytes = 0;
                                for (int part = first_part; part <= last_part; ++part)
                                  bytes += rows.part_bytes(spike, part);
                                for (std::size_t line = 0; line < bytes; line += 64) prefetch_line(row + line);
                              }
                            });
}

}  // namespace cortexloop::engine
