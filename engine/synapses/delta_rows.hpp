#pragma once
// A partition's outgoing rows (engine/synapses/connectivity.hpp: per source, its local targets ascending) stored as one
// gap per synapse, the distance to the previous target, in a word of 8 or 16 bits. Why: delivering a step's spikes
// reads their rows, ~500-1000 targets each, from a table far larger than the caches, and that read is the cost of the
// deliver phase (perf, 20k fraction cells: the prefetches of the next row stalled on memory); a byte instead of 4
// moves a quarter of it, a 16-bit word half.
// Each row is kept as two parts, its E targets and its I targets (local index >= first_inh), so that a pathway
// reads only its part. A gap is >= 1 (targets are distinct); a gap that does not fit the word is written as the
// escape word 0 followed by the target's index in 4 bytes (2 or 4 words). Which word suits a network is set by its
// mean gap, cells / in-degree: at 10k cells and in-degree 500 (gap 20) one byte escapes ~1 gap in 500,000, at 100k
// (gap 200) 28 % of gaps, where 16 bits escape with probability ~(1 - 1/200)^65535 ~ 1e-142 (partition.cpp chooses).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include "engine/cpu/huge_pages.hpp"
#include "engine/synapses/connectivity.hpp"

namespace cortexloop::engine {

template <class Word>
class basic_delta_rows {
  static_assert(std::is_same_v<Word, std::uint8_t> || std::is_same_v<Word, std::uint16_t>);
  static constexpr std::size_t kEscapeWords = sizeof(std::uint32_t) / sizeof(Word);

 public:
  // The longest gap a word holds; longer ones are escaped.
  static constexpr std::int64_t kMaxGap = std::numeric_limits<Word>::max();

  // The words a gap to target t takes (>= 1: targets are distinct).
  static constexpr std::size_t words_of(std::int64_t gap) noexcept { return gap <= kMaxGap ? 1 : 1 + kEscapeWords; }
  // Writes the words of target t, `gap` after the previous one, at p; returns the end of what it wrote.
  static Word* put(Word* p, std::int64_t gap, std::uint32_t t) noexcept {
    if (gap <= kMaxGap) {
      *p = static_cast<Word>(gap);
      return p + 1;
    }
    *p = 0;
    std::memcpy(p + 1, &t, sizeof t);
    return p + 1 + kEscapeWords;
  }

  basic_delta_rows() = default;
  // The rows of `rows`, each split at local index first_inh.
  basic_delta_rows(const incoming_synapses& rows, std::uint32_t first_inh) : first_inh_(first_inh) {
    const std::uint32_t n = rows.n_sources();
    start_.assign(2 * static_cast<std::size_t>(n) + 1, 0);
    // Two passes, the first counting the words: they are allocated once, exactly, on huge pages where the system
    // gives them (engine/cpu/huge_pages.hpp), before they are first written.
    std::size_t n_words = 0;
    walk(rows, [](std::size_t) {}, [&](std::uint32_t, std::int64_t gap) { n_words += words_of(gap); });
    words_.reserve(n_words);
    walk(
        rows, [&](std::size_t part) { start_[part] = words_.size(); },
        [&](std::uint32_t t, std::int64_t gap) {
          Word encoded[1 + kEscapeWords];
          words_.insert(words_.end(), encoded, put(encoded, gap, t));
        });
    start_[2 * static_cast<std::size_t>(n)] = words_.size();
  }
  // Rows whose parts start where `start` says (part k of source pre: words [start[2 pre + k], start[2 pre + k + 1]),
  // start.back() words in all), for a builder that knows each part's words before it writes them through words()
  // (engine/synapses/gap_rows.hpp).
  basic_delta_rows(std::vector<std::uint64_t> start, std::uint32_t first_inh)
      : start_(std::move(start)), first_inh_(first_inh) {
    words_.resize(start_.back());
  }
  Word* words() noexcept { return words_.data(); }
  // The same rows: the same words at the same part starts.
  bool operator==(const basic_delta_rows&) const = default;

  // Calls f(local target), a std::size_t, for each target of pre in population part (0: E, below first_inh; 1: I),
  // ascending.
  template <class F>
  [[gnu::always_inline]] void for_each(std::uint32_t pre, int part, F f) const noexcept {
    const std::size_t k = 2 * static_cast<std::size_t>(pre) + static_cast<std::size_t>(part);
    const Word* p = words_.data() + start_[k];
    const Word* const end = words_.data() + start_[k + 1];
    // The gap of the first target counts from here (-1 wraps to 0 at the first gap's + 1). 64 bits: the target is an
    // index as it is, where a 32-bit one was zero-extended for every increment (GCC 12 did it through a vector
    // register: 59 instructions per 8 synapses, 45 now; the 20k fraction network's loop ~2.5 % faster).
    std::size_t target = part == 0 ? ~std::size_t{0} : std::size_t{first_inh_} - 1;
    for (;;) {
      // 8 bytes of gaps at a time while none of their words is an escape (one test per 8 bytes instead of one per
      // word; a word is 0 only as an escape: the SWAR zero-word test, exact when it says none).
      constexpr std::size_t kPer = sizeof(std::uint64_t) / sizeof(Word);
      constexpr std::uint64_t kOnes = ~std::uint64_t{0} / std::numeric_limits<Word>::max();  // 1 in every word
      constexpr std::uint64_t kHighs = kOnes << (8 * sizeof(Word) - 1);
      while (static_cast<std::size_t>(end - p) >= kPer) {
        std::uint64_t words;
        std::memcpy(&words, p, sizeof words);
        if (((words - kOnes) & ~words & kHighs) != 0) break;
        for (std::size_t k = 0; k < kPer; ++k) {
          target += static_cast<Word>(words >> (8 * sizeof(Word) * k));
          f(target);
        }
        p += kPer;
      }
      if (p == end) return;
      // One word the plain way: an escape, or the row's last words.
      const Word gap = *p++;
      if (gap != 0) [[likely]] {
        target += gap;
      } else {
        std::uint32_t escaped;
        std::memcpy(&escaped, p, sizeof escaped);
        target = escaped;
        p += kEscapeWords;
      }
      f(target);
    }
  }
  // Where pre's row starts are stored, to prefetch (a random read per spike, like the row itself).
  const void* row_index(std::uint32_t pre) const noexcept { return start_.data() + 2 * static_cast<std::size_t>(pre); }
  // The words of pre's part, to prefetch.
  const Word* part_begin(std::uint32_t pre, int part) const noexcept {
    return words_.data() + start_[2 * static_cast<std::size_t>(pre) + static_cast<std::size_t>(part)];
  }
  std::size_t part_bytes(std::uint32_t pre, int part) const noexcept {
    const std::size_t k = 2 * static_cast<std::size_t>(pre) + static_cast<std::size_t>(part);
    return (start_[k + 1] - start_[k]) * sizeof(Word);
  }
  // The memory the rows hold (words and row starts).
  std::size_t bytes() const noexcept {
    return words_.capacity() * sizeof(Word) + start_.capacity() * sizeof(std::uint64_t);
  }

 private:
  // Visits the rows in storage order: part_start(2 pre + part) where each part begins (E, then I, even if empty),
  // then target(t, gap) for each of its targets.
  template <class PartStart, class Target>
  void walk(const incoming_synapses& rows, PartStart part_start, Target target) const {
    for (std::uint32_t pre = 0; pre < rows.n_sources(); ++pre) {
      const std::size_t e_part = 2 * static_cast<std::size_t>(pre);
      std::int64_t prev = -1;  // the E part starts from local index 0, the I part from first_inh
      part_start(e_part);
      bool in_inh = false;
      for (const std::uint32_t t : rows.local_targets_of(pre)) {
        if (!in_inh && t >= first_inh_) {
          in_inh = true;
          part_start(e_part + 1);
          prev = static_cast<std::int64_t>(first_inh_) - 1;
        }
        target(t, static_cast<std::int64_t>(t) - prev);
        prev = t;
      }
      if (!in_inh) part_start(e_part + 1);
    }
  }

  std::vector<std::uint64_t> start_;  // part k of source pre: words_[start_[2 pre + k], start_[2 pre + k + 1])
  std::vector<Word, huge_page_allocator<Word>> words_;  // huge pages: a step reads rows at random
  std::uint32_t first_inh_ = 0;
};

// One byte per synapse (the fraction network's rows, and the conductance network's at short gaps).
using delta_rows = basic_delta_rows<std::uint8_t>;
// 16 bits per synapse: the conductance network's rows at longer gaps (~100k cells at in-degree 500).
using delta_rows16 = basic_delta_rows<std::uint16_t>;

}  // namespace cortexloop::engine
