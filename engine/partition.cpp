#include "engine/partition.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

#include "engine/noise/philox_normal.hpp"

namespace cortexloop::engine {

namespace {
// Cells updated per pass of the drive's generator: its draws (2 KB) stay in L1 until the update reads them.
constexpr std::uint32_t kChunk = 1024;
// The update loop's scalar remainder and its vector body are separate code; for the result of a cell not to
// depend on where a range starts or ends (it changes with the partitioning), ranges are cut at absolute multiples
// of kLaneBlock, so a cell is handled by the same code whichever partition and chunk it lies in.
constexpr std::uint32_t kLaneBlock = 16;

template <class F>
void for_each_lane_piece(std::uint32_t begin, std::uint32_t end, F f) {
  while (begin < end) {
    const std::uint32_t next_block = (begin / kLaneBlock + 1) * kLaneBlock;
    const std::uint32_t piece_end = begin % kLaneBlock != 0 || end < next_block
                                        ? std::min(end, next_block)
                                        : end / kLaneBlock * kLaneBlock;  // whole blocks in one go
    f(begin, piece_end);
    begin = piece_end;
  }
}

adex_state_view view(network_state& s, std::uint32_t begin, std::uint32_t end) noexcept {
  return {s.v_mV.data() + begin, s.w_pA.data() + begin, s.g_exc_nS.data() + begin, s.g_inh_nS.data() + begin,
          s.ref_left.data() + begin, s.spiked.data() + begin, static_cast<std::size_t>(end - begin)};
}

std::uint64_t count_events(const std::uint16_t* __restrict draw, std::size_t n, drive_rule rule) noexcept {
  if (rule.always) return n;
  std::uint64_t fired = 0;
  for (std::size_t i = 0; i < n; ++i) fired += draw[i] < rule.threshold ? 1u : 0u;
  return fired;
}
}  // namespace

partition::partition(incoming_synapses synapses)
    : begin_(synapses.begin()), end_(synapses.end()), synapses_(std::move(synapses)), drive_draws_(kChunk),
      afferent_draws_(kChunk) {}

void partition::host_fraction(const fraction_model& m) {
  arrivals_ = delay_ring(m.ring_slots, 2, end_ - begin_);
  normals_.assign(kChunk, 0.0f);
  normal_words_.assign(kChunk, 0u);
}

void partition::update(const network_model& m, network_state& s, const step_inputs& in) noexcept {
  if (m.fraction) {
    for (std::uint32_t c = begin_; c < end_; c += kChunk)
      update_fraction_chunk(m, s, in, c, std::min(end_, c + kChunk));
    collect_spikes(m, s);
    return;
  }
  for (std::uint32_t c = begin_; c < end_; c += kChunk) update_chunk(m, s, in, c, std::min(end_, c + kChunk));
  collect_spikes(m, s);
}

void partition::update_chunk(const network_model& m, network_state& s, const step_inputs& in, std::uint32_t begin,
                             std::uint32_t end) noexcept {
  // begin is a multiple of 128 (partition boundaries and chunks are): the chunk is whole Philox groups.
  const std::uint32_t first_group = begin / static_cast<std::uint32_t>(kPhiloxGroup);
  const std::size_t n_groups = (end - begin + kPhiloxGroup - 1) / kPhiloxGroup;
  const std::uint32_t exc_end = std::min(end, m.n_exc);
  if (m.afferent && m.afferent->rate_Hz() > 0.0 && begin < exc_end) {
    // The afferent input lands on G_e before the drive and the update, as its own pass (rarely on).
    const drive_rule rule = m.afferent->rule(in.step_index);
    m.afferent->fill(in.step_index, first_group, n_groups, afferent_draws_.data());
    float* g = s.g_exc_nS.data() + begin;
    for (std::uint32_t i = 0; i < exc_end - begin; ++i)
      g[i] += (rule.always || afferent_draws_[i] < rule.threshold) ? rule.q_nS : 0.0f;
  }
  const drive_rule rule = m.drive->rule(in.step_index);
  m.drive->fill(in.step_index, first_group, n_groups, drive_draws_.data());
  out_.drive_events += count_events(drive_draws_.data(), end - begin, rule);
  auto integrate = [&](const adex_derived& cell, float i_stim_pA, std::uint32_t b, std::uint32_t e) {
    for_each_lane_piece(b, e, [&](std::uint32_t pb, std::uint32_t pe) {
      const drive_draws d{drive_draws_.data() + (pb - begin), rule};
      adex_step(cell, m.syn, i_stim_pA, view(s, pb, pe), &d);
    });
  };
  integrate(m.exc, in.i_stim_exc_pA, begin, exc_end);
  integrate(m.inh, in.i_stim_inh_pA, std::max(begin, m.n_exc), end);
}

void partition::update_fraction_chunk(const network_model& m, network_state& s, const step_inputs& in,
                                      std::uint32_t begin, std::uint32_t end) noexcept {
  const fraction_model& f = *m.fraction;
  // begin is a multiple of 128: the chunk is whole groups of normal draws (the last one may run past end).
  philox_fill_normals(f.noise_key, begin / static_cast<std::uint32_t>(kPhiloxGroup),
                      (end - begin + kPhiloxGroup - 1) / kPhiloxGroup, static_cast<std::uint64_t>(in.step_index),
                      kWhiteNoiseStream, normal_words_.data(), normals_.data());
  // The arrivals counted at the end of the previous step (its slot) are applied by the update, before integrating.
  const std::uint32_t slot = arrivals_.slot_of(in.step_index + arrivals_.slots() - 1);
  std::uint16_t* from_exc = arrivals_.row(slot, 0) - begin_;  // indexed by absolute cell
  std::uint16_t* from_inh = arrivals_.row(slot, 1) - begin_;
  auto integrate = [&](int pop, float i_stim_pA, std::uint32_t b, std::uint32_t e) {
    if (b >= e) return;
    for_each_lane_piece(b, e, [&](std::uint32_t pb, std::uint32_t pe) {
      const adex_heun_view v{s.v_mV.data() + pb, s.w_pA.data() + pb, s.s_exc.data() + pb, s.s_inh.data() + pb,
                             s.ref_left.data() + pb, s.spiked.data() + pb, static_cast<std::size_t>(pe - pb)};
      const fraction_arrivals a{from_exc + pb, from_inh + pb, f.jump[pop][0].log_keep(), f.jump[pop][1].log_keep()};
      adex_heun_step(f.cell[pop], i_stim_pA, normals_.data() + (pb - begin), v, &a);
    });
  };
  const std::uint32_t exc_end = std::min(end, m.n_exc);
  integrate(0, in.i_stim_exc_pA, begin, exc_end);
  integrate(1, in.i_stim_inh_pA, std::max(begin, m.n_exc), end);
}

void partition::collect_spikes(const network_model& m, network_state& s) noexcept {
  // Events are rare (~0.1% of cells per step): skip eight quiet cells per 64-bit load.
  std::uint32_t* ids = s.spike_ids.data() + begin_;
  const std::uint8_t* spiked = s.spiked.data();
  std::size_t count = 0;
  std::int64_t diverged = 0, exc = 0;
  auto visit = [&](std::uint32_t i) {
    if (spiked[i] == kSpiked) {
      ids[count++] = i;
      exc += i < m.n_exc;
    }
    diverged += spiked[i] == kDiverged;
  };
  std::uint32_t i = begin_;
  for (; i + 8 <= end_; i += 8) {
    std::uint64_t word;
    std::memcpy(&word, spiked + i, sizeof word);
    if (word == 0) continue;
    for (std::uint32_t k = 0; k < 8; ++k) visit(i + k);
  }
  for (; i < end_; ++i) visit(i);
  out_.n_spikes = count;
  out_.spikes_exc = exc;
  out_.diverged = diverged;
}

void partition::deliver(const network_model& m, network_state& s, std::span<const partition> all,
                        std::int64_t step_index) noexcept {
  if (m.fraction) {
    // Counts do not depend on the order of the spikes; the update of s happens once, after all are counted.
    auto rows = [this](std::uint32_t pre) { return synapses_.local_targets_of(pre); };
    for (const partition& from : all)
      fraction_count_arrivals(*m.fraction, arrivals_, step_index, begin_, m.n_exc, from.spikes(s), rows);
    return;  // the counts of this step's slot move s in the next update
  }
  for (const partition& from : all) deliver_conductance(m, s, from.spikes(s));
}

void partition::deliver(const network_model& m, network_state& s, std::span<const std::uint32_t> spikes,
                        std::int64_t step_index) noexcept {
  if (m.fraction) {
    auto rows = [this](std::uint32_t pre) { return synapses_.local_targets_of(pre); };
    fraction_count_arrivals(*m.fraction, arrivals_, step_index, begin_, m.n_exc, spikes, rows);
    return;
  }
  deliver_conductance(m, s, spikes);
}

void partition::deliver_conductance(const network_model& m, network_state& s,
                                    std::span<const std::uint32_t> spikes) noexcept {
  float* g_exc = s.g_exc_nS.data() + begin_;
  float* g_inh = s.g_inh_nS.data() + begin_;
  for (std::size_t k = 0; k < spikes.size(); ++k) {
    const std::uint32_t pre = spikes[k];
    // The rows are far larger than the caches and each spike visits a random one: fetch the next while adding.
    if (k + 1 < spikes.size()) {
      const auto next = synapses_.local_targets_of(spikes[k + 1]);
      for (std::size_t line = 0; line < next.size(); line += 16) __builtin_prefetch(next.data() + line);
    }
    const bool excitatory = pre < m.n_exc;
    float* g = excitatory ? g_exc : g_inh;
    const float q = excitatory ? m.q_exc_nS : m.q_inh_nS;
    for (const std::uint32_t local : synapses_.local_targets_of(pre)) g[local] += q;
  }
}

}  // namespace cortexloop::engine
