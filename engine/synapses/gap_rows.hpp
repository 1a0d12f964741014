#pragma once
// A partition's rows as 1- or 2-byte gaps (engine/synapses/delta_rows.hpp), built straight from each target's draws
// without the 32-bit table of connectivity.hpp. Why: that table, 4 bytes a synapse, was built only to be encoded
// into the gaps and freed, and beside them it was the start-up's peak memory (77,000 cells at in-degree 3,850:
// 1.43 GB for 0.3 GB of byte rows; bench/README.md, "Gap rows without the 32-bit table"). Each target's sources are
// drawn twice, as the table's build did: first to count every row's words (and the gaps that would escape, which
// choose the word), then to write them, each of up to `threads` threads a share of the targets (target_shares) and
// its own words of every row. The rows are word for word those delta_rows encodes from the table, for any thread
// count.
#include <cstdint>

#include "engine/synapses/delta_rows.hpp"
#include "engine/synapses/fixed_indegree.hpp"

namespace cortexloop::engine {

// A gap form is used when at most 1 gap in this many needs an escape (a 5-byte escape in byte rows is also a branch
// the predictor misses).
inline constexpr std::uint64_t kMaxEscapeFraction = 1000;

// The narrowest gap word whose escapes are rare: 1 or 2 bytes, or 0 where even 16-bit gaps escape too often (the rows
// then stay 32-bit targets). escapesW: the gaps longer than a W-byte word holds.
constexpr unsigned gap_word_bytes(std::uint64_t n_synapses, std::uint64_t escapes8, std::uint64_t escapes16) noexcept {
  if (escapes8 * kMaxEscapeFraction <= n_synapses) return 1;
  if (escapes16 * kMaxEscapeFraction <= n_synapses) return 2;
  return 0;
}

struct gap_rows {
  std::uint64_t n_synapses = 0;
  unsigned word_bytes = 0;  // 1 or 2; 0: no rows were built
  delta_rows gaps8;         // word_bytes == 1
  delta_rows16 gaps16;      // word_bytes == 2
};

// The conductance network's rows of targets [begin, end) of an n_neurons network under the fixed-probability law
// (connectivity.hpp), every target in part 0, in the word gap_word_bytes chooses (none if 0).
gap_rows fixed_probability_gap_rows(std::uint32_t n_neurons, std::uint32_t begin, std::uint32_t end, double p_connect,
                                    std::uint64_t seed, unsigned threads);

// Where the fraction network's rows of targets [begin, end) split: the local index of the first I cell (cells
// from n_exc on are I), 0 if all are I, end - begin if none is.
inline std::uint32_t first_inh_local(std::uint32_t n_exc, std::uint32_t begin, std::uint32_t end) {
  return n_exc > begin ? (n_exc < end ? n_exc : end) - begin : 0;
}

// The fraction network's byte rows of targets [begin, end) under fixed in-degrees (fixed_indegree.hpp), each row
// split at first_inh_local (its E targets, then its I targets); word_bytes is 1.
gap_rows fixed_indegree_byte_rows(const fixed_indegree& spec, std::uint32_t begin, std::uint32_t end,
                                  std::uint64_t seed, unsigned threads);

}  // namespace cortexloop::engine
