#pragma once
// Fixed-probability random connectivity (Zerlaut et al. 2018): every ordered pair (pre, post), pre != post, is
// connected independently with probability p. The sources of a target are drawn from the (seed, target) Philox
// stream (engine/random/philox.hpp), so a target's inputs do not depend on how the network is partitioned.
// A partition stores the synapses that arrive at its own cells, indexed by source (NEST and Arbor keep synapses
// with their targets the same way): the delivery of a spike writes only the partition's memory.
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "engine/cpu/huge_pages.hpp"
#include "engine/cpu/setup_threads.hpp"
#include "engine/random/philox.hpp"

namespace cortexloop::engine {

// Appends the sources of `target` to `out`, ascending: each of the other n_neurons - 1 neurons with probability p,
// by geometric skipping over absent pairs (O(number of sources)).
void draw_sources(std::uint32_t n_neurons, double p_connect, philox_key key, std::uint32_t target,
                  std::vector<std::uint32_t>& out);

// The sources of the targets of a partition that starts at cell `begin`, under the fixed-probability law: a
// sources_of(local, visit) that calls visit(source) for each source of cell begin + local, ascending (draw_sources).
class fixed_probability_sources {
 public:
  fixed_probability_sources(std::uint32_t n_neurons, double p_connect, std::uint64_t seed, std::uint32_t begin)
      : n_(n_neurons), p_(p_connect), key_(philox_key::from_seed(seed)), begin_(begin) {}
  template <class Visit>
  void operator()(std::uint32_t local, Visit visit) {
    sources_.clear();
    draw_sources(n_, p_, key_, begin_ + local, sources_);
    for (const std::uint32_t s : sources_) visit(s);
  }

 private:
  std::uint32_t n_;
  double p_;
  philox_key key_;
  std::uint32_t begin_;
  std::vector<std::uint32_t> sources_;
};

// Contiguous shares of a partition's n_local targets for up to `threads` set-up threads (fewer where a share would
// hold under 1,024 targets): thread t takes local targets [cut[t], cut[t + 1]), cut.size() - 1 threads in all.
std::vector<std::uint32_t> target_shares(std::uint32_t n_local, unsigned threads);

// The synapses arriving at targets [begin, end) of an n_neurons network, in compressed rows by source; a row
// holds local target indices (target - begin), ascending.
class incoming_synapses {
 public:
  // An empty table (no sources, no synapses): what a partition keeps once it holds its rows in another form.
  incoming_synapses() = default;
  // threads: how many threads build the table (set-up only; the result does not depend on it).
  incoming_synapses(std::uint32_t n_neurons, std::uint32_t begin, std::uint32_t end, double p_connect,
                    std::uint64_t seed, unsigned threads = 1);
  // From any per-target sources, with `threads` threads each taking a contiguous share of the targets (target_shares):
  // make_sources_of() gives a thread its own sources_of, where sources_of(local, visit) calls visit(source) for each
  // source of cell begin + local, ascending (fixed_probability_sources, fixed_indegree_sources); it is asked for its
  // share's targets in ascending order, twice (to count each row's length, then to place).
  template <std::invocable MakeSourcesOf>
  incoming_synapses(std::uint32_t n_neurons, std::uint32_t begin, std::uint32_t end, unsigned threads,
                    MakeSourcesOf make_sources_of);
  // From per-target source lists: target t's sources are sources[first_source[t - begin], first_source[t - begin + 1]).
  incoming_synapses(std::uint32_t n_neurons, std::uint32_t begin, std::uint32_t end,
                    const std::vector<std::uint32_t>& sources, const std::vector<std::uint64_t>& first_source,
                    unsigned threads = 1);
  std::span<const std::uint32_t> local_targets_of(std::uint32_t pre) const noexcept {
    return {targets_.data() + row_start_[pre], targets_.data() + row_start_[pre + 1]};
  }
  // Where pre's row start is stored, to prefetch (a random read per spike, like the row itself).
  const void* row_index(std::uint32_t pre) const noexcept { return row_start_.data() + pre; }
  std::uint64_t n_synapses() const noexcept { return targets_.size(); }
  // The memory the rows hold (targets and row starts).
  std::size_t bytes() const noexcept {
    return targets_.capacity() * sizeof(std::uint32_t) + row_start_.capacity() * sizeof(std::uint64_t);
  }
  // The network's cells, every one a possible source.
  std::uint32_t n_sources() const noexcept { return static_cast<std::uint32_t>(row_start_.size() - 1); }
  std::uint32_t begin() const noexcept { return begin_; }
  std::uint32_t end() const noexcept { return end_; }

 private:
  std::uint32_t begin_ = 0, end_ = 0;
  std::vector<std::uint64_t> row_start_{0};  // n_neurons + 1
  std::vector<std::uint32_t, huge_page_allocator<std::uint32_t>> targets_;  // huge pages: built and read at random
};

template <std::invocable MakeSourcesOf>
incoming_synapses::incoming_synapses(std::uint32_t n, std::uint32_t begin, std::uint32_t end, unsigned threads,
                                     MakeSourcesOf make_sources_of)
    : begin_(begin), end_(end), row_start_(static_cast<std::size_t>(n) + 1, 0) {
  // A counting sort from targets to rows by source: each row then lists its local targets ascending, and the
  // delivery of one spike walks them in memory order. Thread t takes targets [cut[t], cut[t + 1]) and owns, in every
  // row, the slots after those of threads 0 .. t - 1 (its targets are larger): it counts its share of each row, then
  // writes its slots, with no write shared between threads.
  const std::vector<std::uint32_t> cut = target_shares(end_ - begin_, threads);
  threads = static_cast<unsigned>(cut.size() - 1);
  std::vector<std::vector<std::uint64_t>> slot(threads);  // per thread: its count per source, then its next slot
  run_threads(threads, [&](unsigned t) {
    slot[t].assign(n, 0);
    auto sources_of = make_sources_of();
    std::uint64_t* const count = slot[t].data();
    for (std::uint32_t local = cut[t]; local < cut[t + 1]; ++local)
      sources_of(local, [count](std::uint32_t s) { ++count[s]; });
  });
  std::uint64_t total = 0;
  for (std::size_t s = 0; s < n; ++s) {
    row_start_[s] = total;
    for (unsigned t = 0; t < threads; ++t) total += std::exchange(slot[t][s], total);
  }
  row_start_[n] = total;
  targets_.resize(total);
  run_threads(threads, [&](unsigned t) {
    auto sources_of = make_sources_of();
    std::uint64_t* const next = slot[t].data();
    std::uint32_t* const targets = targets_.data();
    for (std::uint32_t local = cut[t]; local < cut[t + 1]; ++local)
      sources_of(local, [&](std::uint32_t s) { targets[next[s]++] = local; });
  });
}

}  // namespace cortexloop::engine
