#include "engine/network/partition.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <utility>

#include "engine/cells/adex_lanes.hpp"
#include "engine/cpu/lanes16.hpp"
#include "engine/network/fraction_update.hpp"
#include "engine/network/hh_update.hpp"
#include "engine/random/philox_lanes.hpp"
#include "engine/random/philox_normal.hpp"

namespace cortexloop::engine {

namespace {
// Cells per pass of the afferent input's generator: its draws (2 KB) stay in L1 until they are added.
constexpr std::uint32_t kChunk = 1024;
static_assert(kHhChunk <= kChunk, "the HH update fills draws_ a chunk at a time");
// deliver_conductance fetches the row of the spike this many places on (1: the next spike's, as before).
constexpr std::size_t kRowsAhead = 1;

}  // namespace

partition::partition(incoming_synapses synapses)
    : begin_(synapses.begin()),
      end_(synapses.end()),
      synapses_(std::move(synapses)),
      n_synapses_(synapses_.n_synapses()),
      draws_(kChunk) {}

partition::partition(std::uint32_t begin, std::uint32_t end, gap_rows rows)
    : begin_(begin), end_(end), built_(std::move(rows)), n_synapses_(built_.n_synapses), draws_(kChunk) {}

void partition::host_fraction(const fraction_model& m, std::uint32_t n, std::uint32_t n_exc) {
  if (built_.word_bytes == 1)
    fraction_rows_ = std::move(built_.gaps8);  // split at n_exc when built (gap_rows.hpp)
  else
    fraction_rows_ = delta_rows(synapses_, first_inh_local(n_exc, begin_, end_));
  // A slot holds a step's spikes of the whole network: at most every one of its cells.
  recent_spikes_ = spike_ring(m.ring_slots, n);
  arrivals_.assign(2 * static_cast<std::size_t>(end_ - begin_), 0);
  // deliver_recorded reads the byte rows only: the 32-bit table (4 times their size, 80 MB at 20k cells) is
  // freed, as host_conductance does.
  synapses_ = incoming_synapses();
}

void partition::update(const network_model& m, network_state& s, const step_inputs& in, unsigned buffer) noexcept {
  last_ = buffer;
  if (m.fraction) {
    // The arrivals counted in the previous step's deliver phase are applied by the update, before integrating.
    const std::size_t n_local = end_ - begin_;
    const fraction_cells cells{s.v_mV.data(), s.w_pA.data(), s.s_exc.data(), s.s_inh.data(), s.ref_left.data(),
                               arrivals_.data() - begin_, arrivals_.data() + n_local - begin_};  // by absolute cell
    update_out out{s.spike_ids[buffer].data() + begin_};
    fraction_update_cells(*m.fraction, m.n_exc, in.i_stim_exc_pA, in.i_stim_inh_pA, in.step_index, begin_, end_, cells,
                          out);
    out_[buffer].n_spikes = out.n_spikes;
    out_[buffer].spikes_exc = out.spikes_exc;
    out_[buffer].diverged = out.diverged;
    return;
  }
  // The afferent input lands on G_e before the drive and the update, as its own pass (rarely on), a chunk of whole
  // Philox groups at a time (partition boundaries and chunks are multiples of 128).
  if (m.afferent && m.afferent->rate_Hz() > 0.0)
    for (std::uint32_t c = begin_; c < std::min(end_, m.n_exc); c += kChunk)
      m.afferent->add_events(in.step_index, c, std::min({end_, m.n_exc, c + kChunk}), s.g_exc_nS.data(), draws_.data());
  if (m.hh) {
    const hh_cells cells{s.v_mV.data(), s.w_pA.data(), s.hh_m.data(), s.hh_h.data(), s.hh_n.data(), s.hh_p.data(),
                         s.g_exc_nS.data(), s.g_inh_nS.data(), s.ref_left.data()};
    update_out out{s.spike_ids[buffer].data() + begin_};
    own_.drive_events += hh_update_cells(*m.hh, m.syn, m.n_exc, *m.drive, in.i_stim_exc_pA, in.i_stim_inh_pA,
                                         in.step_index, begin_, end_, cells, draws_.data(), out);
    out_[buffer].n_spikes = out.n_spikes;
    out_[buffer].spikes_exc = out.spikes_exc;
    out_[buffer].diverged = out.diverged;
    return;
  }
  step_cells(m, s, in, buffer);
}

void partition::step_cells(const network_model& m, network_state& s, const step_inputs& in,
                           unsigned buffer) noexcept {
  // Per group of 128 cells: the drive's 16 Philox blocks (four registers), then 8 blocks of 16 cells, each taking
  // its draws from those registers (engine/random/philox_lanes.hpp), adding its drive events to G_e, stepping
  // (engine/cells/adex_lanes.hpp) and appending its spikes, ascending, to this partition's slot of the exchange. The
  // draws never go to memory and no per-cell event array is written and scanned again.
  using lanes::vf;
  using lanes::vi;
  const drive_rule rule = m.drive->rule(in.step_index);
  const philox_round_keys keys(m.drive->key());
  const auto step = static_cast<std::uint64_t>(in.step_index);
  const auto step_lo = static_cast<std::uint32_t>(step), step_hi = static_cast<std::uint32_t>(step >> 32);
  const auto stream = static_cast<std::uint32_t>(m.drive->stream());
  const adex_lane_consts exc = adex_lane_consts::broadcast(m.exc), inh = adex_lane_consts::broadcast(m.inh);
  // A local copy: through m, the reversal potentials and decays were loaded again after every block's float stores.
  const synapse_lane_consts syn = synapse_lane_consts::broadcast(m.syn);
  const vf i_rest_exc = exc.rest_current(vf{} + in.i_stim_exc_pA), i_rest_inh = inh.rest_current(vf{} + in.i_stim_inh_pA);
  const lanes::mask always = lanes::all_if(rule.always);
  // White noise (network.input.sigma_*): the current per unit draw of each type; the draws, like the drive's, per
  // group of 128 cells from their own Philox stream (engine/random/philox_normal.hpp).
  const vf noise_exc = vf{} + m.noise_pA[0], noise_inh = vf{} + m.noise_pA[1];
  const philox_round_keys noise_keys(m.noise_key);
  const vf q_drive = vf{} + rule.q_nS;
  // Locals, not members: the spike list is written through a uint32_t pointer, which could alias end_ and n_exc,
  // and GCC reloaded them after every block.
  const std::uint32_t end = end_, n_exc = m.n_exc;
  std::uint32_t* const ids = s.spike_ids[buffer].data() + begin_;
  std::size_t n_spikes = 0;
  std::int64_t diverged = 0;
  std::uint64_t events = 0;
  const adex_state_view all{s.v_mV.data(), s.w_pA.data(), s.g_exc_nS.data(), s.g_inh_nS.data(), s.ref_left.data(),
                            nullptr, s.v_mV.size()};
  // Groups of one cell type are stepped by loops that see only that type's constants: with both sets live (24
  // registers of the 32) GCC spilled constants to the stack. Only the group across n_exc (if n_exc is not a
  // multiple of 128) takes the per-block choice. The compiler may contract a*b+c into FMAs differently in each
  // loop, so which loop steps a cell must not depend on the partitioning: it depends only on the cell's group
  // (partition boundaries are multiples of kPartitionAlign = 128, so no group is split) and n_exc.
  enum class kind { exc, inh, mixed };
  // One block of 16 cells from `first` (count of them in the range; Whole: all 16, known at compile time, so the
  // block reads and writes the state arrays in place, with no short-block test or lane mask: lane_block<true>);
  // `below`: the lanes whose drive draw is under the threshold.
  // kNoise: `normal` holds the block's white-noise draws, added to the constant current (without noise the rest
  // current is passed as it is: the same code as before noise existed).
  auto step_block = [&]<kind K, bool Whole, bool kNoise>(std::uint32_t first, std::uint32_t count, lanes::mask below,
                                                         vf normal) {
    lane_block<Whole> io(all, first, count);
    adex_lanes x = io.load(m.exc.e_l);
    const lanes::mask event = lanes::either(below, always);
    x.g_exc_nS = lanes::select(event, x.g_exc_nS + q_drive, x.g_exc_nS);
    auto rest = [&](vf i_rest, vf noise) { return kNoise ? i_rest + normal * noise : i_rest; };
    adex_lane_events e;
    if constexpr (K == kind::exc) {
      e = adex_lanes_step(exc, syn, rest(i_rest_exc, noise_exc), x);
    } else if constexpr (K == kind::inh) {
      e = adex_lanes_step(inh, syn, rest(i_rest_inh, noise_inh), x);
    } else if (first + lanes::kLanes <= n_exc) {
      e = adex_lanes_step(exc, syn, rest(i_rest_exc, noise_exc), x);
    } else if (first >= n_exc) {
      e = adex_lanes_step(inh, syn, rest(i_rest_inh, noise_inh), x);
    } else {  // the block that straddles the populations: each lane takes its own cell type's constants
      const vi exc_lane = (lanes::iota() + static_cast<std::int32_t>(first)) < static_cast<std::int32_t>(n_exc);
      e = adex_lanes_step(adex_lane_consts::select(exc_lane, exc, inh), syn,
                          rest(exc_lane != 0 ? i_rest_exc : i_rest_inh, exc_lane != 0 ? noise_exc : noise_inh), x);
    }
    io.store(x);
    const std::uint32_t valid = io.valid();
    events += static_cast<std::uint64_t>(std::popcount(lanes::bits(event) & valid));
    // Divergences and spikes are rare (~0.1 % of cells spike in a step): a test each, the counting only if any.
    if (const std::uint32_t d = lanes::bits(e.diverged) & valid; d != 0) [[unlikely]]
      diverged += std::popcount(d);
    for (std::uint32_t spiked = lanes::bits(e.spiked) & valid; spiked != 0; spiked &= spiked - 1)
      ids[n_spikes++] = first + static_cast<std::uint32_t>(std::countr_zero(spiked));
  };
  auto step_groups = [&]<kind K, bool kNoise>(std::uint32_t groups_begin, std::uint32_t groups_end) {
    if (groups_begin >= groups_end) return;
    auto draws = [&](std::uint32_t group) {
      return philox16(keys, group / static_cast<std::uint32_t>(kPhiloxGroup) * 16u, step_lo, step_hi, stream);
    };
    // The draws of the next group are computed before this group's blocks: the 10 rounds are one long chain of
    // multiplies, and computed just before their use its latency was in front of every group's first block.
    philox_lanes next = draws(groups_begin);
    for (std::uint32_t group = groups_begin; group < groups_end; group += kPhiloxGroup) {
      const philox_lanes r = next;
      if (group + kPhiloxGroup < groups_end) next = draws(group + kPhiloxGroup);
      vf normal[kPhiloxGroup / lanes::kLanes] = {};  // block j's white-noise draws
      if constexpr (kNoise) {
        const auto noise_stream = static_cast<std::uint32_t>(kWhiteNoiseStream);
        philox_normals64(noise_keys, group / 4, step_lo, step_hi, noise_stream, normal);
        philox_normals64(noise_keys, group / 4 + 16, step_lo, step_hi, noise_stream, normal + 4);
      }
      if (group + kPhiloxGroup <= end) {
        // A whole group, in pairs of blocks: 2i and 2i + 1 take the low and the high halves of word i, so that
        // which half is known at compile time (one shift fewer, no branch on j % 2).
        for (unsigned i = 0; i < 4; ++i) {
          const std::uint32_t first = group + 2 * lanes::kLanes * i;
          step_block.template operator()<K, true, kNoise>(
              first, lanes::kLanes, philox_below16(r, 2 * i, rule.threshold), normal[2 * i]);
          step_block.template operator()<K, true, kNoise>(
              first + lanes::kLanes, lanes::kLanes, philox_below16(r, 2 * i + 1, rule.threshold), normal[2 * i + 1]);
        }
        continue;
      }
      for (unsigned j = 0; j < kPhiloxGroup / lanes::kLanes; ++j) {  // the range's last group, cut short
        const std::uint32_t first = group + lanes::kLanes * j;
        if (first >= end) break;
        step_block.template operator()<K, false, kNoise>(first, std::min(lanes::kLanes, end - first),
                                                         philox_below16(r, j, rule.threshold), normal[j]);
      }
    }
  };
  // Group starts are begin_ + 128 k, multiples of 128 (partition boundaries are): groups below exc_only_end hold
  // RS cells only, groups from inh_only_begin FS cells only, and the one group between (if any) both.
  const auto group_size = static_cast<std::uint32_t>(kPhiloxGroup);
  const std::uint32_t exc_only_end = std::clamp(n_exc / group_size * group_size, begin_, end);
  const std::uint32_t inh_only_begin = std::clamp((n_exc + group_size - 1) / group_size * group_size, begin_, end);
  if (m.noise_pA[0] != 0.0f || m.noise_pA[1] != 0.0f) {
    step_groups.template operator()<kind::exc, true>(begin_, exc_only_end);
    step_groups.template operator()<kind::mixed, true>(exc_only_end, inh_only_begin);
    step_groups.template operator()<kind::inh, true>(inh_only_begin, end);
  } else {
    step_groups.template operator()<kind::exc, false>(begin_, exc_only_end);
    step_groups.template operator()<kind::mixed, false>(exc_only_end, inh_only_begin);
    step_groups.template operator()<kind::inh, false>(inh_only_begin, end);
  }
  out_[buffer].n_spikes = n_spikes;
  // The list is ascending: its RS cells (below n_exc) come first.
  out_[buffer].spikes_exc = std::lower_bound(ids, ids + n_spikes, n_exc) - ids;
  out_[buffer].diverged = diverged;
  own_.drive_events += events;
}

void partition::deliver(const network_model& m, network_state& s, std::span<const partition> all, unsigned buffer,
                        std::int64_t step_index) noexcept {
  if (!keeps_recent_spikes(m)) {
    for (const partition& from : all) deliver_conductance(m, s, from.spikes(s, buffer));
    return;
  }
  for (std::size_t p = 0; p < all.size(); ++p) record(step_index, all[p].spikes(s, buffer), p == 0);
  deliver_recorded(m, s, step_index);
}

void partition::deliver(const network_model& m, network_state& s, std::span<const std::uint32_t> spikes,
                        std::int64_t step_index) noexcept {
  if (!keeps_recent_spikes(m)) {
    deliver_conductance(m, s, spikes);
    return;
  }
  record(step_index, spikes, true);
  deliver_recorded(m, s, step_index);
}

void partition::record(std::int64_t step_index, std::span<const std::uint32_t> spikes, bool first) noexcept {
  if (first) recent_spikes_.start(step_index);
  recent_spikes_.append(step_index, spikes);
}

void partition::deliver_recorded(const network_model& m, network_state& s, std::int64_t step_index) noexcept {
  if (m.fraction) {
    // Counts do not depend on the order of the spikes; the next update applies them to s.
    std::uint16_t* const counts[2] = {arrivals_.data(), arrivals_.data() + (end_ - begin_)};
    fraction_count_arrivals(*m.fraction, recent_spikes_, step_index, m.n_exc, counts, fraction_rows_);
    return;
  }
  // With delays: the spikes of E from step k - delay_steps[0] and those of I from step k - delay_steps[1]. A step's
  // list is ascending, its E cells (below n_exc) first. Each target's G_e then takes E spikes of one step in
  // ascending order, and G_i I spikes, as without delays: the sums stay bit-identical for any partitioning.
  const std::span<const std::uint32_t> from_exc = recent_spikes_.at(step_index - m.delay_steps[0]);
  deliver_conductance(m, s, from_exc.first(static_cast<std::size_t>(
                                std::lower_bound(from_exc.begin(), from_exc.end(), m.n_exc) - from_exc.begin())));
  const std::span<const std::uint32_t> from_inh = recent_spikes_.at(step_index - m.delay_steps[1]);
  deliver_conductance(m, s, from_inh.subspan(static_cast<std::size_t>(
                                std::lower_bound(from_inh.begin(), from_inh.end(), m.n_exc) - from_inh.begin())));
}

void partition::host_conductance(const network_model& m) {
  // A slot holds a step's spikes of the whole network: at most every one of its cells.
  if (m.delay_steps[0] != 0 || m.delay_steps[1] != 0)
    recent_spikes_ = spike_ring(std::max(m.delay_steps[0], m.delay_steps[1]) + 1, m.n);
  if (built_.word_bytes == 1) {  // built as gaps (engine/synapses/gap_rows.hpp)
    gaps8_ = std::move(built_.gaps8);
    row_form_ = row_form::gaps8;
    return;
  }
  if (built_.word_bytes == 2) {
    gaps16_ = std::move(built_.gaps16);
    row_form_ = row_form::gaps16;
    return;
  }
  // The narrowest gap word whose escapes are rare (gap_word_bytes): one byte at a mean gap of n / in-degree = 20
  // cells (10k cells, in-degree 500; about 1 gap in 500,000 is 256 or more), 16 bits at 100k (mean gap 200: 28 % of
  // the gaps would need a byte row's escape, and those rows measured slower than the 32-bit ones, bench/README.md
  // "One thread, fourth pass"; a 16-bit escape, a gap of 65,536 or more, has probability ~1e-142 there).
  std::uint64_t escapes8 = 0, escapes16 = 0;
  for (std::uint32_t pre = 0; pre < synapses_.n_sources(); ++pre) {
    std::int64_t prev = -1;
    for (const std::uint32_t t : synapses_.local_targets_of(pre)) {
      escapes8 += static_cast<std::int64_t>(t) - prev > delta_rows::kMaxGap;
      escapes16 += static_cast<std::int64_t>(t) - prev > delta_rows16::kMaxGap;
      prev = t;
    }
  }
  // first_inh = the partition's size: every target in part 0, whatever its cell type.
  const unsigned word_bytes = gap_word_bytes(synapses_.n_synapses(), escapes8, escapes16);
  if (word_bytes == 1) {
    gaps8_ = delta_rows(synapses_, end_ - begin_);
    row_form_ = row_form::gaps8;
  } else if (word_bytes == 2) {
    gaps16_ = delta_rows16(synapses_, end_ - begin_);
    row_form_ = row_form::gaps16;
  }
  // Deliver reads only the gaps now: the 32-bit table (twice the 16-bit rows, 4 times the byte rows) is freed.
  if (row_form_ != row_form::targets32) synapses_ = incoming_synapses();
}

std::size_t partition::conductance_row_bytes() const noexcept {
  switch (row_form_) {
    case row_form::gaps8: return gaps8_.bytes();
    case row_form::gaps16: return gaps16_.bytes();
    case row_form::targets32: break;
  }
  return synapses_.bytes();
}

void partition::deliver_conductance(const network_model& m, network_state& s,
                                    std::span<const std::uint32_t> spikes) noexcept {
  float* g_exc = s.g_exc_nS.data() + begin_;
  float* g_inh = s.g_inh_nS.data() + begin_;
  // The rows are far larger than the caches and each spike visits a random one: pass k fetches the row of spike k
  // and adds the row of spike k - kRowsAhead, fetched that many passes before. (One loop with the prefetch
  // written in it: GCC 12 deleted the prefetch loop when it sat in a lambda or a function of its own, as a call
  // without effects.)
  constexpr std::size_t lag = kRowsAhead;
  for (std::size_t k = 0; k < spikes.size() + lag; ++k) {
    if (k + 1 < spikes.size()) {
      // Where the next spike's row starts: without this, reading it was a cache miss per spike (perf annotate at
      // 100k: ~19 % of deliver_conductance's samples on that load), found only when its row is to be fetched.
      const std::uint32_t next = spikes[k + 1];
      __builtin_prefetch(row_form_ == row_form::gaps8    ? gaps8_.row_index(next)
                         : row_form_ == row_form::gaps16 ? gaps16_.row_index(next)
                                                         : synapses_.row_index(next));
    }
    if (k < spikes.size()) {
      const void* row = nullptr;
      std::size_t bytes = 0;
      switch (row_form_) {
        case row_form::gaps8:
          row = gaps8_.part_begin(spikes[k], 0);
          bytes = gaps8_.part_bytes(spikes[k], 0);
          break;
        case row_form::gaps16:
          row = gaps16_.part_begin(spikes[k], 0);
          bytes = gaps16_.part_bytes(spikes[k], 0);
          break;
        case row_form::targets32: {
          const auto targets = synapses_.local_targets_of(spikes[k]);
          row = targets.data();
          bytes = targets.size_bytes();
          break;
        }
      }
      for (std::size_t line = 0; line < bytes; line += 64) __builtin_prefetch(static_cast<const char*>(row) + line);
    }
    if (k < lag) continue;
    const std::uint32_t pre = spikes[k - lag];
    const bool excitatory = pre < m.n_exc;
    float* g = excitatory ? g_exc : g_inh;
    const float q = excitatory ? m.q_exc_nS : m.q_inh_nS;
    // Either form of the rows gives each target the same additions in the same order (ascending source): the sums
    // are bit-identical whichever is used.
    const auto add = [g, q](std::size_t local) { g[local] += q; };
    switch (row_form_) {
      case row_form::gaps8: gaps8_.for_each(pre, 0, add); break;
      case row_form::gaps16: gaps16_.for_each(pre, 0, add); break;
      case row_form::targets32:
        for (const std::uint32_t local : synapses_.local_targets_of(pre)) add(local);
        break;
    }
  }
}

}  // namespace cortexloop::engine
