#include "engine/synapses/gap_rows.hpp"

#include <utility>
#include <vector>

#include "engine/cpu/setup_threads.hpp"
#include "engine/synapses/connectivity.hpp"

namespace cortexloop::engine {

namespace {

constexpr std::uint32_t kNone = 0xFFFFFFFFu;

// One thread's share of the targets, per row part (k = 2 source + part): what the count pass saw, then where the
// write pass stands.
struct share {
  // Count pass: the share's first and last target in each part (first kNone: none). The write pass then keeps in
  // `first` the last target written + 1 (0: a part's start at local -1), its next gap's origin.
  std::vector<std::uint32_t> first, last;
  // Count pass: the words of each part's gaps but the first, in 8 and 16 bits; then the write offset in the chosen.
  std::vector<std::uint64_t> words8, words16;
  std::uint64_t escapes8 = 0, escapes16 = 0, synapses = 0;
};

// Counts a gap of part k in both word sizes.
void count_gap(share& sh, std::size_t k, std::int64_t gap) {
  sh.words8[k] += delta_rows::words_of(gap);
  sh.words16[k] += delta_rows16::words_of(gap);
  sh.escapes8 += gap > delta_rows::kMaxGap;
  sh.escapes16 += gap > delta_rows16::kMaxGap;
}

// What every builder shares: the shares of the targets, each row's parts split at first_inh, and make_sources_of()
// giving each thread its own sources_of(local, visit) (visit(source) per source, ascending).
template <class MakeSourcesOf>
class row_builder {
 public:
  row_builder(std::uint32_t n, std::uint32_t n_local, std::uint32_t first_inh, unsigned threads,
              MakeSourcesOf make_sources_of)
      : n_(n), first_inh_(first_inh), cut_(target_shares(n_local, threads)), shares_(cut_.size() - 1),
        make_sources_of_(std::move(make_sources_of)) {}

  // Count pass, then the first gap of each part in each share, which starts from the last target of the shares
  // before it (or from the part's origin, first_inh - 1 for part 1): known only when all have counted.
  gap_rows count() {
    const std::size_t parts = 2 * static_cast<std::size_t>(n_);
    run_threads(static_cast<unsigned>(shares_.size()), [&](unsigned t) {
      share& sh = shares_[t];
      sh.first.assign(parts, kNone);
      sh.last.assign(parts, 0);
      sh.words8.assign(parts, 0);
      sh.words16.assign(parts, 0);
      auto sources_of = make_sources_of_();
      for (std::uint32_t local = cut_[t]; local < cut_[t + 1]; ++local) {
        const std::size_t part = local >= first_inh_;
        sources_of(local, [&](std::uint32_t s) {
          const std::size_t k = 2 * static_cast<std::size_t>(s) + part;
          ++sh.synapses;
          if (sh.first[k] == kNone)
            sh.first[k] = local;
          else
            count_gap(sh, k, static_cast<std::int64_t>(local) - sh.last[k]);
          sh.last[k] = local;
        });
      }
    });
    for (std::size_t k = 0; k < parts; ++k) {
      std::int64_t previous = k % 2 == 0 ? -1 : static_cast<std::int64_t>(first_inh_) - 1;
      for (share& sh : shares_) {
        const std::uint32_t first = sh.first[k];
        sh.first[k] = static_cast<std::uint32_t>(previous + 1);
        if (first == kNone) continue;
        count_gap(sh, k, static_cast<std::int64_t>(first) - previous);
        previous = sh.last[k];
      }
    }
    gap_rows out;
    std::uint64_t escapes8 = 0, escapes16 = 0;
    for (const share& sh : shares_) {
      out.n_synapses += sh.synapses;
      escapes8 += sh.escapes8;
      escapes16 += sh.escapes16;
    }
    out.word_bytes = gap_word_bytes(out.n_synapses, escapes8, escapes16);
    return out;
  }

  // Write pass: each part's words, share by share (share t's after those of shares 0 .. t - 1).
  template <class Word>
  basic_delta_rows<Word> write() {
    const std::size_t parts = 2 * static_cast<std::size_t>(n_);
    std::vector<std::uint64_t> start(parts + 1);
    std::uint64_t cursor = 0;
    for (std::size_t k = 0; k < parts; ++k) {
      start[k] = cursor;
      for (share& sh : shares_) cursor += std::exchange(words_of<Word>(sh)[k], cursor);
    }
    start[parts] = cursor;
    basic_delta_rows<Word> rows(std::move(start), first_inh_);
    Word* const words = rows.words();
    run_threads(static_cast<unsigned>(shares_.size()), [&](unsigned t) {
      share& sh = shares_[t];
      std::uint64_t* const at = words_of<Word>(sh).data();
      auto sources_of = make_sources_of_();
      for (std::uint32_t local = cut_[t]; local < cut_[t + 1]; ++local) {
        const std::size_t part = local >= first_inh_;
        sources_of(local, [&](std::uint32_t s) {
          const std::size_t k = 2 * static_cast<std::size_t>(s) + part;
          const std::int64_t gap = static_cast<std::int64_t>(local) - (static_cast<std::int64_t>(sh.first[k]) - 1);
          at[k] = static_cast<std::uint64_t>(basic_delta_rows<Word>::put(words + at[k], gap, local) - words);
          sh.first[k] = local + 1;
        });
      }
    });
    return rows;
  }

 private:
  template <class Word>
  static std::vector<std::uint64_t>& words_of(share& sh) {
    return sizeof(Word) == 1 ? sh.words8 : sh.words16;
  }
  std::uint32_t n_, first_inh_;
  std::vector<std::uint32_t> cut_;
  std::vector<share> shares_;
  MakeSourcesOf make_sources_of_;
};

}  // namespace

gap_rows fixed_probability_gap_rows(std::uint32_t n, std::uint32_t begin, std::uint32_t end, double p,
                                    std::uint64_t seed, unsigned threads) {
  // first_inh = the partition's size: every target in part 0, whatever its cell type.
  row_builder builder(n, end - begin, end - begin, threads, [&] { return fixed_probability_sources(n, p, seed, begin); });
  gap_rows out = builder.count();
  if (out.word_bytes == 1) out.gaps8 = builder.template write<std::uint8_t>();
  if (out.word_bytes == 2) out.gaps16 = builder.template write<std::uint16_t>();
  return out;
}

gap_rows fixed_indegree_byte_rows(const fixed_indegree& spec, std::uint32_t begin, std::uint32_t end,
                                  std::uint64_t seed, unsigned threads) {
  row_builder builder(spec.n, end - begin, first_inh_local(spec.n_exc, begin, end), threads, [&] { return fixed_indegree_sources(spec, seed, begin); });
  gap_rows out = builder.count();
  out.word_bytes = 1;  // the fraction network reads byte rows, escapes or not
  out.gaps8 = builder.template write<std::uint8_t>();
  return out;
}

}  // namespace cortexloop::engine
