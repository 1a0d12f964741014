#pragma once
// A partition's outgoing rows (engine/connectivity.hpp: per source, its local targets ascending) stored as one byte
// per synapse: the gap to the previous target. Why: delivering a step's spikes reads their rows, ~1000 targets each,
// from a table far larger than the caches, and that read was the cost of the fraction network's deliver phase
// (perf, 20k cells: the prefetches of the next row stalled on memory); a byte instead of 4 moves a quarter of it.
// Each row is kept as two parts, its E targets and its I targets (local index >= first_inh), so that a pathway
// reads only its part. A gap is >= 1 (targets are distinct); a gap >= 256 is written as the escape byte 0 followed
// by the target's index in 4 bytes (at in-degree 800 of 10k cells a gap that long has probability ~1e-9).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "engine/connectivity.hpp"
#include "engine/huge_pages.hpp"

namespace cortexloop::engine {

class delta_rows {
 public:
  delta_rows() = default;
  // The rows of `rows`, each split at local index first_inh.
  delta_rows(const incoming_synapses& rows, std::uint32_t first_inh) {
    const std::uint32_t n = rows.n_sources();
    start_.resize(2 * static_cast<std::size_t>(n) + 1);
    bytes_.reserve(rows.n_synapses() + 64);
    for (std::uint32_t pre = 0; pre < n; ++pre) {
      const auto row = rows.local_targets_of(pre);
      std::int64_t prev = -1;  // the E part starts from local index 0, the I part from first_inh
      start_[2 * static_cast<std::size_t>(pre)] = bytes_.size();
      bool in_inh = false;
      for (const std::uint32_t t : row) {
        if (!in_inh && t >= first_inh) {
          in_inh = true;
          start_[2 * static_cast<std::size_t>(pre) + 1] = bytes_.size();
          prev = static_cast<std::int64_t>(first_inh) - 1;
        }
        const std::int64_t gap = static_cast<std::int64_t>(t) - prev;
        if (gap < 256) {
          bytes_.push_back(static_cast<std::uint8_t>(gap));
        } else {
          bytes_.push_back(0);
          std::uint8_t word[4];
          std::memcpy(word, &t, 4);
          bytes_.insert(bytes_.end(), word, word + 4);
        }
        prev = t;
      }
      if (!in_inh) start_[2 * static_cast<std::size_t>(pre) + 1] = bytes_.size();
    }
    start_[2 * static_cast<std::size_t>(n)] = bytes_.size();
    first_inh_ = first_inh;
  }

  // Calls f(local target) for each target of pre in population part (0: E, below first_inh; 1: I), ascending.
  template <class F>
  [[gnu::always_inline]] void for_each(std::uint32_t pre, int part, F f) const noexcept {
    const std::size_t k = 2 * static_cast<std::size_t>(pre) + static_cast<std::size_t>(part);
    const std::uint8_t* p = bytes_.data() + start_[k];
    const std::uint8_t* const end = bytes_.data() + start_[k + 1];
    std::uint32_t target = part == 0 ? ~0u : first_inh_ - 1;  // the gap of the first target counts from here
    while (p != end) {
      const std::uint8_t gap = *p++;
      if (gap != 0) [[likely]] {
        target += gap;
      } else {
        std::memcpy(&target, p, 4);
        p += 4;
      }
      f(target);
    }
  }
  // The bytes of pre's part, to prefetch.
  const std::uint8_t* part_begin(std::uint32_t pre, int part) const noexcept {
    return bytes_.data() + start_[2 * static_cast<std::size_t>(pre) + static_cast<std::size_t>(part)];
  }
  std::size_t part_bytes(std::uint32_t pre, int part) const noexcept {
    const std::size_t k = 2 * static_cast<std::size_t>(pre) + static_cast<std::size_t>(part);
    return start_[k + 1] - start_[k];
  }

 private:
  std::vector<std::uint64_t> start_;  // part k of source pre: bytes_[start_[2 pre + k], start_[2 pre + k + 1])
  std::vector<std::uint8_t, huge_page_allocator<std::uint8_t>> bytes_;  // huge pages: a step reads rows at random
  std::uint32_t first_inh_ = 0;
};

}  // namespace cortexloop::engine
