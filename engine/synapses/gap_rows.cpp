#include "engine/synapses/gap_rows.hpp"

#include <utility>
#include <vector>

#include "engine/cpu/setup_threads.hpp"
#include "engine/synapses/connectivity.hpp"

namespace cortexloop::engine {

namespace {

constexpr std::uint32_t kNone = 0xFFFFFFFFu;

// One thread's share of the targets, per source: what the count pass saw, then where the write pass stands.
struct share {
  // Count pass: the share's first and last target of each source (first kNone: none). The write pass then keeps in
  // `first` the last target written + 1 (0: none yet), the first gap's origin.
  std::vector<std::uint32_t> first, last;
  // Count pass: the words of each source's gaps but the first, in 8 and 16 bits; then the write offset in the chosen.
  std::vector<std::uint64_t> words8, words16;
  std::uint64_t escapes8 = 0, escapes16 = 0, synapses = 0;
};

// Counts a gap of source s's row in both word sizes.
void count_gap(share& sh, std::size_t s, std::int64_t gap) {
  sh.words8[s] += delta_rows::words_of(gap);
  sh.words16[s] += delta_rows16::words_of(gap);
  sh.escapes8 += gap > delta_rows::kMaxGap;
  sh.escapes16 += gap > delta_rows16::kMaxGap;
}

template <class Word>
basic_delta_rows<Word> write_rows(std::uint32_t n, std::uint32_t n_local, double p, std::uint64_t seed,
                                  std::uint32_t begin, const std::vector<std::uint32_t>& cut, std::vector<share>& shares) {
  // Each row's words, share by share: share t's words of source s start after those of shares 0 .. t - 1.
  std::vector<std::uint64_t> start(2 * static_cast<std::size_t>(n) + 1);
  std::uint64_t cursor = 0;
  for (std::size_t s = 0; s < n; ++s) {
    start[2 * s] = cursor;
    for (share& sh : shares) {
      std::uint64_t& words = sizeof(Word) == 1 ? sh.words8[s] : sh.words16[s];
      cursor += std::exchange(words, cursor);
    }
    start[2 * s + 1] = cursor;  // part 1 (from first_inh = n_local) is empty
  }
  start[2 * static_cast<std::size_t>(n)] = cursor;
  basic_delta_rows<Word> rows(std::move(start), n_local);
  Word* const words = rows.words();
  run_threads(static_cast<unsigned>(shares.size()), [&](unsigned t) {
    share& sh = shares[t];
    std::uint64_t* const at = sizeof(Word) == 1 ? sh.words8.data() : sh.words16.data();
    fixed_probability_sources sources_of(n, p, seed, begin);
    for (std::uint32_t local = cut[t]; local < cut[t + 1]; ++local)
      sources_of(local, [&](std::uint32_t s) {
        const std::int64_t gap = static_cast<std::int64_t>(local) - (static_cast<std::int64_t>(sh.first[s]) - 1);
        at[s] = static_cast<std::uint64_t>(basic_delta_rows<Word>::put(words + at[s], gap, local) - words);
        sh.first[s] = local + 1;
      });
  });
  return rows;
}

}  // namespace

gap_rows fixed_probability_gap_rows(std::uint32_t n, std::uint32_t begin, std::uint32_t end, double p,
                                    std::uint64_t seed, unsigned threads) {
  const std::uint32_t n_local = end - begin;
  const std::vector<std::uint32_t> cut = target_shares(n_local, threads);
  std::vector<share> shares(cut.size() - 1);
  // Count pass: each share's words of every row, but for its first gap of each, which starts from the last target
  // of the shares before it (known only when all have counted).
  run_threads(static_cast<unsigned>(shares.size()), [&](unsigned t) {
    share& sh = shares[t];
    sh.first.assign(n, kNone);
    sh.last.assign(n, 0);
    sh.words8.assign(n, 0);
    sh.words16.assign(n, 0);
    fixed_probability_sources sources_of(n, p, seed, begin);
    for (std::uint32_t local = cut[t]; local < cut[t + 1]; ++local)
      sources_of(local, [&](std::uint32_t s) {
        ++sh.synapses;
        if (sh.first[s] == kNone) {
          sh.first[s] = local;
        } else {
          count_gap(sh, s, static_cast<std::int64_t>(local) - sh.last[s]);
        }
        sh.last[s] = local;
      });
  });
  // The first gaps: from -1 (a row's first target) or from the last target of the shares before. `first` becomes
  // the write pass's origin + 1.
  gap_rows out;
  for (std::size_t s = 0; s < n; ++s) {
    std::int64_t previous = -1;
    for (share& sh : shares) {
      if (sh.first[s] == kNone) {
        sh.first[s] = static_cast<std::uint32_t>(previous + 1);
        continue;
      }
      count_gap(sh, s, static_cast<std::int64_t>(sh.first[s]) - previous);
      sh.first[s] = static_cast<std::uint32_t>(previous + 1);
      previous = sh.last[s];
    }
  }
  std::uint64_t escapes8 = 0, escapes16 = 0;
  for (const share& sh : shares) {
    out.n_synapses += sh.synapses;
    escapes8 += sh.escapes8;
    escapes16 += sh.escapes16;
  }
  out.word_bytes = gap_word_bytes(out.n_synapses, escapes8, escapes16);
  if (out.word_bytes == 1) out.gaps8 = write_rows<std::uint8_t>(n, n_local, p, seed, begin, cut, shares);
  if (out.word_bytes == 2) out.gaps16 = write_rows<std::uint16_t>(n, n_local, p, seed, begin, cut, shares);
  return out;
}

}  // namespace cortexloop::engine
