#pragma once
// Fixed in-degree connectivity of two populations (Cakan & Obermayer 2020: every cell receives exactly K_E
// excitatory and K_I inhibitory inputs; the authors' fixed_connectivity in models/brian2/utils_net.py): cells
// [0, n_exc) are E, [n_exc, n) I; a target of population P draws k_in[P][Q] distinct sources from population Q,
// never itself. The draws of a target come from its own Philox stream per source population (counter word 0 =
// target), so a target's inputs do not depend on the partitioning.
#include <cstdint>
#include <vector>

#include "engine/synapses/connectivity.hpp"

namespace cortexloop::engine {

struct fixed_indegree {
  std::uint32_t n = 0, n_exc = 0;
  std::uint32_t k_in[2][2] = {};  // [post][pre], 0 = exc, 1 = inh
};

// Appends target's sources to out, ascending (E sources, then I sources).
void draw_fixed_indegree_sources(const fixed_indegree& spec, philox_key key, std::uint32_t target,
                                 std::vector<std::uint32_t>& out, std::vector<std::uint64_t>& scratch_bits);

// The sources of the targets of a partition that starts at cell `begin`: a sources_of(local, visit) that calls
// visit(source) for each source of cell begin + local, ascending, as draw_fixed_indegree_sources lists them. Asked
// for targets in ascending order (as the row builders do), it draws 16 targets at a time, one Philox call per block
// index for all 16.
class fixed_indegree_sources {
 public:
  fixed_indegree_sources(const fixed_indegree& spec, std::uint64_t seed, std::uint32_t begin);
  template <class Visit>
  void operator()(std::uint32_t local, Visit visit) {
    const std::uint32_t t = begin_ + local;
    if (t < first_ || t >= first_ + count_) draw_from(t);
    for (std::uint64_t k = ends_[t - first_]; k < ends_[t - first_ + 1]; ++k) visit(sources_[k]);
  }

 private:
  void draw_from(std::uint32_t t);  // the group of targets [t, t + 16) (or to the last cell)
  fixed_indegree spec_;
  std::uint64_t seed_;
  std::uint32_t begin_, first_ = 0, count_ = 0;
  std::vector<std::uint32_t> sources_;
  std::vector<std::uint64_t> ends_, bits_;  // ends_[j]: where the group's target j's sources start (17 entries)
};

// The synapses arriving at targets [begin, end) as the 32-bit table, from fixed_indegree_sources (the fraction
// network builds its byte rows from the same draws without it, engine/synapses/gap_rows.hpp; the table is their
// reference in the tests).
incoming_synapses fixed_indegree_synapses(const fixed_indegree& spec, std::uint32_t begin, std::uint32_t end,
                                          std::uint64_t seed, unsigned threads = 1);

}  // namespace cortexloop::engine
