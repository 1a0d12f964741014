#include "engine/network/network.hpp"

#include <algorithm>
#include <future>
#include <stdexcept>
#include <string>

#include "engine/random/philox.hpp"
#include "engine/synapses/fixed_indegree.hpp"
#include "engine/synapses/gap_rows.hpp"
#include "engine/units.hpp"

namespace cortexloop::engine {

std::vector<std::uint32_t> split_range(std::uint32_t begin, std::uint32_t end, unsigned parts, std::uint32_t align) {
  const std::uint64_t units = (static_cast<std::uint64_t>(end - begin) + align - 1) / align;
  std::vector<std::uint32_t> bounds(parts + 1u);
  for (unsigned k = 0; k <= parts; ++k)
    bounds[k] = static_cast<std::uint32_t>(std::min<std::uint64_t>(end, begin + units * k / parts * align));
  return bounds;
}

std::vector<std::uint32_t> partition_bounds(std::uint32_t n, unsigned parts) {
  return split_range(0, n, parts, kPartitionAlign);
}

std::vector<std::uint32_t> rank_bounds(std::uint32_t n, unsigned ranks) {
  return split_range(0, n, ranks, kReadoutBlock);
}

namespace {
// This process's cells split over its `parts` partitions (all N cells without other processes).
std::vector<std::uint32_t> own_partition_bounds(std::uint32_t n, unsigned parts, const process_exchange* across) {
  if (!across) return partition_bounds(n, parts);
  const std::vector<std::uint32_t> ranks = rank_bounds(n, across->n_ranks());
  return split_range(ranks[across->rank()], ranks[across->rank() + 1], parts, kPartitionAlign);
}

std::vector<partition> make_partitions(const network_params& p, std::uint64_t seed,
                                       const std::vector<std::uint32_t>& bounds) {
  const auto n = static_cast<std::uint32_t>(p.n_neurons);
  const double p_connect = p.p_connect;
  fixed_indegree spec;
  spec.n = n;
  spec.n_exc = static_cast<std::uint32_t>(p.n_exc());
  for (int post = 0; post < 2; ++post)
    for (int pre = 0; pre < 2; ++pre) spec.k_in[post][pre] = static_cast<std::uint32_t>(p.fraction.path[post][pre].k_in);
  const bool fixed = p.synapses == synapse_model::fraction;
  // The synapse tables are most of the start-up time (10^8 synapses at 200k cells): one thread per partition, and
  // the usable CPUs (the process's affinity) beyond one per partition shared among them, so that a one-thread run
  // builds its table on every CPU it may use (the table does not depend on it).
  const auto parts = static_cast<unsigned>(bounds.size() - 1);
  const unsigned threads_each = std::max(1u, usable_cpus() / parts);
  std::vector<std::future<partition>> built;
  for (unsigned k = 0; k < parts; ++k)
    built.push_back(std::async(std::launch::async, [=] {
      // The fraction network's byte rows, each split at n_exc (its E sources' targets, then its I sources').
      if (fixed)
        return partition(bounds[k], bounds[k + 1],
                         fixed_indegree_byte_rows(spec, bounds[k], bounds[k + 1], seed, threads_each));
      // The conductance network's rows straight as gaps; where even 16-bit gaps would often escape (a mean gap
      // over ~10^4 cells), its 32-bit table instead.
      gap_rows rows = fixed_probability_gap_rows(n, bounds[k], bounds[k + 1], p_connect, seed, threads_each);
      if (rows.word_bytes != 0) return partition(bounds[k], bounds[k + 1], std::move(rows));
      return partition(incoming_synapses(n, bounds[k], bounds[k + 1], p_connect, seed, threads_each));
    }));
  std::vector<partition> out;
  out.reserve(parts);
  for (auto& f : built) out.emplace_back(f.get());
  return out;
}
}  // namespace

network::network(const network_params& p, double dt_ms, std::uint64_t seed, unsigned threads, int first_cpu,
                 process_exchange* across)
    : drive_(p.drive, p.q_exc_nS, dt_ms, random_stream::drive, seed),
      afferent_(drive_params{0.0, p.drive.k_exc, 0.0}, p.q_exc_nS, dt_ms, random_stream::afferent, seed),
      parts_(make_partitions(
          p, seed,
          own_partition_bounds(static_cast<std::uint32_t>(p.n_neurons), std::max(1u, threads), across))),
      pool_(std::max(1u, threads), first_cpu),
      across_(across) {
  const auto n = static_cast<std::uint32_t>(p.n_neurons);
  own_begin_ = parts_.front().begin();
  own_end_ = parts_.back().end();
  model_.n = n;
  model_.n_exc = static_cast<std::uint32_t>(p.n_exc());
  model_.exc = adex_derived::from(p.exc, dt_ms);
  model_.inh = adex_derived::from(p.inh, dt_ms);
  model_.syn = synapse_derived::from(p, dt_ms);
  model_.q_exc_nS = static_cast<float>(p.q_exc_nS);
  model_.q_inh_nS = static_cast<float>(p.q_inh_nS);
  model_.delay_steps[0] = delay_steps_of(p.delay_exc_ms, dt_ms);
  model_.delay_steps[1] = delay_steps_of(p.delay_inh_ms, dt_ms);
  model_.noise_pA[0] = static_cast<float>(p.sigma_exc_mV_per_sqrt_ms * p.exc.c_pF / std::sqrt(dt_ms));
  model_.noise_pA[1] = static_cast<float>(p.sigma_inh_mV_per_sqrt_ms * p.inh.c_pF / std::sqrt(dt_ms));
  model_.noise_key = philox_key::from_seed(seed);
  model_.drive = &drive_;
  model_.afferent = &afferent_;
  state_.v_mV.resize(n);
  state_.w_pA.assign(n, 0.0f);
  state_.g_exc_nS.assign(n, 0.0f);
  state_.g_inh_nS.assign(n, 0.0f);
  state_.ref_left.assign(n, 0);
  for (auto& ids : state_.spike_ids) ids.assign(n, 0);  // every neuron may spike in one step
  if (p.synapses == synapse_model::fraction) {
    fraction_ = std::make_unique<fraction_model>(fraction_model::from(p, dt_ms, seed));
    model_.fraction = fraction_.get();
    state_.s_exc.assign(n, 0.0f);
    state_.s_inh.assign(n, 0.0f);
    for (partition& part : parts_) part.host_fraction(*fraction_, n, model_.n_exc);
  } else {
    for (partition& part : parts_) part.host_conductance(model_);
  }
  const philox_key key = philox_key::from_seed(seed);
  if (p.cells == cell_model::hh) {
    hh_ = std::make_unique<hh_model>(hh_model{hh_derived::from(p.hh_exc, dt_ms), hh_derived::from(p.hh_inh, dt_ms)});
    model_.hh = hh_.get();
    for (auto* gate : {&state_.hh_m, &state_.hh_h, &state_.hh_n, &state_.hh_p}) gate->assign(n, 0.0f);
    // Carlu's initial state: V uniform in [v_init_low, v_init_high] ("rest": E_L), p = p_init, m = h = n = 0.
    for (std::uint32_t i = own_begin_; i < own_end_; ++i) {
      const hh_params& cell = i < model_.n_exc ? p.hh_exc : p.hh_inh;
      state_.v_mV[i] = static_cast<float>(
          p.v_init == v_init_mode::uniform
              ? cell.v_init_low_mV + philox_unit(key, i, random_stream::initial_state) *
                                         (cell.v_init_high_mV - cell.v_init_low_mV)
              : cell.e_l_mV);
      state_.hh_p[i] = static_cast<float>(cell.p_init);
    }
  } else {
    for (std::uint32_t i = own_begin_; i < own_end_; ++i) {
      const adex_params& cell = i < model_.n_exc ? p.exc : p.inh;
      const double u =
          p.v_init == v_init_mode::uniform ? philox_unit(key, i, random_stream::initial_state) : 0.0;
      state_.v_mV[i] = static_cast<float>(cell.e_l_mV + u * (cell.v_t_mV - cell.e_l_mV));
    }
  }
  // The readout blocks, cut exactly as sum_range cuts them: kReadoutBlock multiples, and n_exc.
  for (const auto& [begin, end] : {std::pair{0u, model_.n_exc}, std::pair{model_.n_exc, n}})
    for (std::uint32_t b = begin; b < end;) {
      const std::uint32_t e = std::min(end, (b / kReadoutBlock + 1) * kReadoutBlock);
      if (b >= own_begin_ && b < own_end_) {
        own_blocks_.first = own_blocks_.second == 0 ? block_begin_.size() : own_blocks_.first;
        own_blocks_.second = block_begin_.size() + 1;
      }
      block_begin_.push_back(b);
      block_end_.push_back(e);
      b = e;
    }
  block_sums_.assign(3 * block_begin_.size(), 0.0);
  if (!across_) return;
  send_.assign(own_end_ - own_begin_, 0);
  // Each process gathers only its own blocks' sums, then its diverged count. The blocks ascend in cell index (the
  // exc ones end at n_exc, where the inh ones begin) as the ranks do, and none straddles two ranks (rank bounds are
  // multiples of kReadoutBlock, a block never passes one): so each rank's blocks follow the previous rank's, and
  // the ranks' pieces concatenated in rank order are the blocks in block order. Checked here, as the bit-identity
  // with one process rests on it. Every process computes every count, from rank_bounds: no message.
  const unsigned ranks = across_->n_ranks();
  const std::vector<std::uint32_t> bounds = rank_bounds(n, ranks);
  rank_first_block_.assign(ranks + 1, 0);
  std::size_t j = 0;
  for (unsigned r = 0; r < ranks; ++r) {
    rank_first_block_[r] = j;
    for (; j < block_begin_.size() && block_begin_[j] < bounds[r + 1]; ++j)
      if (block_begin_[j] < bounds[r] || block_end_[j] > bounds[r + 1] ||
          (j > 0 && block_begin_[j] < block_end_[j - 1]))
        throw std::logic_error("network: readout block [" + std::to_string(block_begin_[j]) + ", " +
                               std::to_string(block_end_[j]) + ") is not inside rank " + std::to_string(r) +
                               "'s cells in block order");
  }
  rank_first_block_[ranks] = j;
  // readout_sums copies this process's own blocks (own_blocks_, found from its cells) into the slots the counts
  // give it (rank_first_block_): the two must be the same blocks.
  const unsigned me = across_->rank();
  const std::size_t mine = rank_first_block_[me + 1] - rank_first_block_[me];
  if (own_blocks_.second - own_blocks_.first != mine || (mine > 0 && own_blocks_.first != rank_first_block_[me]))
    throw std::logic_error("network: this process's readout blocks [" + std::to_string(own_blocks_.first) + ", " +
                           std::to_string(own_blocks_.second) + ") are not rank " + std::to_string(me) + "'s [" +
                           std::to_string(rank_first_block_[me]) + ", " + std::to_string(rank_first_block_[me + 1]) +
                           ")");
  std::vector<std::size_t> values_per_rank(ranks);
  for (unsigned r = 0; r < ranks; ++r) values_per_rank[r] = 3 * (rank_first_block_[r + 1] - rank_first_block_[r]) + 1;
  across_->set_gatherv_counts(values_per_rank);
  gather_local_.assign(values_per_rank[across_->rank()], 0.0);
  if (across_->rank() == 0) gather_all_.assign(3 * block_begin_.size() + ranks, 0.0);  // only rank 0 receives
}

void network::phase_task(void* self, unsigned worker) noexcept {
  // A worker's phase: first the pending step's spikes into its own cells' conductances (they act on V from the
  // next update on: Brian2's order), then that next update. Both touch only its own partition's state; what it
  // reads of the others' is their spike lists of the pending step, which no one writes in this phase (the
  // updates list into the other buffer).
  auto& net = *static_cast<network*>(self);
  const phase_plan& plan = net.plan_;
  partition& part = net.parts_[worker];
  if (plan.deliver) {
    if (net.exchange_steps_ > 1)  // recorded when its batch arrived (add_to_batch)
      part.deliver_recorded(net.model_, net.state_, plan.deliver_step);
    else if (net.across_)
      part.deliver(net.model_, net.state_, net.exchanged_, plan.deliver_step);
    else
      part.deliver(net.model_, net.state_, net.parts_, plan.deliver_buffer, plan.deliver_step);
  }
  if (plan.update) part.update(net.model_, net.state_, net.inputs_, plan.update_buffer);
}

void network::step(std::int64_t step_index, float i_stim_exc_pA, float i_stim_inh_pA,
                   network_counts& counts) noexcept {
  // One barrier per step: this phase delivers the previous step's spikes and then updates (see phase_task). The
  // update lists its spikes in the buffer the previous step did not use.
  inputs_ = {step_index, i_stim_exc_pA, i_stim_inh_pA};
  plan_ = {pending_, last_buffer_, pending_step_, true, last_buffer_ ^ 1u};
  pool_.run(&phase_task, this);
  last_buffer_ ^= 1u;
  pending_ = true;
  pending_step_ = step_index;
  if (across_) {  // after the barrier: every partition's spikes are listed
    if (exchange_steps_ == 1)
      exchange_spikes(counts);
    else
      add_to_batch(step_index, counts);
  }
  for (const partition& part : parts_) {
    if (!across_) {
      counts.spikes_exc += part.spikes_exc();
      counts.spikes_inh += part.spikes_inh();
    }
    counts.diverged += part.diverged();
  }
}

std::size_t network::copy_own_spikes(std::size_t at) noexcept {
  // This process's partitions are ascending and contiguous: their lists, one after the other, are its spikes in
  // ascending order; the exchange appends the other processes' in rank order, ascending too.
  std::size_t n = 0;
  for (const partition& part : parts_) {
    const std::span<const std::uint32_t> spikes = part.spikes(state_);
    std::copy(spikes.begin(), spikes.end(), send_.begin() + static_cast<std::ptrdiff_t>(at + n));
    n += spikes.size();
  }
  return n;
}

void network::count_exchanged(std::span<const std::uint32_t> spikes, network_counts& counts) const noexcept {
  // The whole network's counts, the same on every process: RS cells are the indices below n_exc.
  const auto exc = std::lower_bound(spikes.begin(), spikes.end(), model_.n_exc) - spikes.begin();
  counts.spikes_exc += exc;
  counts.spikes_inh += static_cast<std::int64_t>(spikes.size()) - exc;
}

void network::exchange_spikes(network_counts& counts) noexcept {
  exchanged_ = across_->all_spikes({send_.data(), copy_own_spikes(0)});
  ++spike_exchanges_;
  count_exchanged(exchanged_, counts);
}

std::uint32_t network::max_exchange_steps() const noexcept {
  if (!partition::keeps_recent_spikes(model_)) return 1;  // no delays: every step
  if (!model_.fraction) return std::min(model_.delay_steps[0], model_.delay_steps[1]) + 1;
  const auto& d = model_.fraction->delay_steps;  // [post][pre]
  return std::min({d[0][0], d[0][1], d[1][0], d[1][1]}) + 1;
}

void network::set_exchange_steps(std::uint32_t steps) {
  if (batch_filled_ != 0)
    throw std::logic_error("network::set_exchange_steps: called inside a batch (between its first and last step)");
  steps = across_ ? std::clamp(steps, 1u, max_exchange_steps()) : 1u;
  exchange_steps_ = steps;
  if (steps == 1) return;
  const std::size_t ranks = across_->n_ranks();
  send_.assign(steps + static_cast<std::size_t>(own_end_ - own_begin_) * steps, 0);
  batch_pieces_.assign(2 * ranks * steps, 0);
  across_->reserve(static_cast<std::size_t>(model_.n) * steps + ranks * steps);
}

void network::add_to_batch(std::int64_t step_index, network_counts& counts) noexcept {
  // The batch as sent: B counts, then this process's spikes step after step (each step's ascending).
  const std::uint32_t steps = exchange_steps_;
  const std::uint32_t b = batch_filled_++;
  if (b == 0) {
    batch_first_step_ = step_index;
    batch_spikes_ = 0;
  }
  batch_arrived_ = false;
  const std::size_t n = copy_own_spikes(steps + batch_spikes_);
  send_[b] = static_cast<std::uint32_t>(n);
  batch_spikes_ += n;
  if (batch_filled_ < steps) return;
  batch_filled_ = 0;
  exchanged_ = across_->all_spikes({send_.data(), steps + batch_spikes_});
  ++spike_exchanges_;
  // Rank after rank: its B counts, then its spikes of each step. A step's spikes of the whole network are the
  // pieces of ranks 0, 1, ... in turn (ascending, rank r's cells below rank r + 1's), recorded into every
  // partition's ring as one process records the step; the delays read them from there (deliver_recorded).
  const unsigned ranks = across_->n_ranks();
  std::size_t at = 0;
  for (unsigned r = 0; r < ranks; ++r) {
    const std::size_t counts_at = at;
    at += steps;
    for (std::uint32_t k = 0; k < steps; ++k) {
      const std::size_t piece = 2 * (static_cast<std::size_t>(r) * steps + k);
      batch_pieces_[piece] = at;
      batch_pieces_[piece + 1] = exchanged_[counts_at + k];
      at += exchanged_[counts_at + k];
    }
  }
  for (std::uint32_t k = 0; k < steps; ++k)
    for (unsigned r = 0; r < ranks; ++r) {
      const std::span<const std::uint32_t> piece = batch_piece(r, k);
      for (partition& part : parts_) part.record(batch_first_step_ + k, piece, r == 0);
      count_exchanged(piece, counts);
    }
  batch_arrived_ = true;
}

adex_state_sums network::sum_range(std::uint32_t begin, std::uint32_t end) const noexcept {
  // Float sums over blocks fixed in absolute index, added in double in block order. Over this process's cells.
  begin = std::max(begin, own_begin_);
  end = std::min(end, own_end_);
  adex_state_sums total;
  auto& s = const_cast<network_state&>(state_);
  for (std::uint32_t b = begin; b < end;) {
    const std::uint32_t e = std::min(end, (b / kReadoutBlock + 1) * kReadoutBlock);
    const adex_state_view v{s.v_mV.data() + b, s.w_pA.data() + b, s.g_exc_nS.data() + b, s.g_inh_nS.data() + b,
                            s.ref_left.data() + b, nullptr, static_cast<std::size_t>(e - b)};
    const adex_state_sums part = adex_sum(model_.syn, v);
    total.v_mV += part.v_mV;
    total.w_pA += part.w_pA;
    total.abs_syn_pA += part.abs_syn_pA;
    b = e;
  }
  return total;
}

adex_state_sums network::sum_exc() const noexcept { return sum_range(0, model_.n_exc); }
adex_state_sums network::sum_inh() const noexcept { return sum_range(model_.n_exc, model_.n); }

void network::sum_blocks_task(void* self, unsigned worker) noexcept {
  // Worker w sums its near-equal share of this process's blocks, each as sum_range sums it, into block_sums_.
  auto& net = *static_cast<network*>(self);
  const auto [first, last] = net.own_blocks_;
  const std::size_t workers = net.pool_.size();
  for (std::size_t j = first + (last - first) * worker / workers; j < first + (last - first) * (worker + 1) / workers;
       ++j) {
    const adex_state_sums s = net.sum_range(net.block_begin_[j], net.block_end_[j]);
    net.block_sums_[3 * j] = s.v_mV;
    net.block_sums_[3 * j + 1] = s.w_pA;
    net.block_sums_[3 * j + 2] = s.abs_syn_pA;
  }
}

void network::settle() noexcept {
  if (!pending_) return;
  plan_ = {true, last_buffer_, pending_step_, false, 0};
  pool_.run(&phase_task, this);
  pending_ = false;
}

void network::add_block_sums(network_sums& out, std::size_t block, const double* sums) const noexcept {
  adex_state_sums& total = block_begin_[block] < model_.n_exc ? out.exc : out.inh;
  total.v_mV += sums[0];
  total.w_pA += sums[1];
  total.abs_syn_pA += sums[2];
}

network_sums network::readout_sums(std::int64_t diverged) noexcept {
  // The blocks are summed by all workers; their sums are then added in block order on this thread, as sum_exc()
  // and sum_inh() add them, so the result is bit-identical for any number of workers. A block may span two
  // partitions: every partition's conductances must hold the last step's spikes first (a phase of its own).
  settle();
  pool_.run(&sum_blocks_task, this);
  network_sums out;
  if (!across_) {
    for (std::size_t j = 0; j < block_begin_.size(); ++j) add_block_sums(out, j, &block_sums_[3 * j]);
    out.diverged = diverged;
    return out;
  }
  // Each block lies in one process's range: the owner sums it as one process would and sends its blocks' sums and
  // its diverged count; process 0 receives them all in rank order, which is block order (constructor), and adds the
  // blocks in that order. A gather to rank 0, not to every rank: nothing on the others reads V, w, the LFP or the
  // diverged count (simulate's ranks > 0 write nothing, and serve, whose device acts on readouts, runs as one
  // process), while a spike's effects reach every rank through the spike exchange. The others return zeros.
  const auto [first, last] = own_blocks_;
  std::copy(block_sums_.begin() + static_cast<std::ptrdiff_t>(3 * first),
            block_sums_.begin() + static_cast<std::ptrdiff_t>(3 * last), gather_local_.begin());
  gather_local_.back() = static_cast<double>(diverged);
  across_->gatherv_to_root(gather_local_, gather_all_);
  if (across_->rank() != 0) return out;
  const double* received = gather_all_.data();
  for (std::size_t r = 0; r < across_->n_ranks(); ++r) {
    for (std::size_t j = rank_first_block_[r]; j < rank_first_block_[r + 1]; ++j, received += 3)
      add_block_sums(out, j, received);
    out.diverged += static_cast<std::int64_t>(*received++);
  }
  return out;
}

std::uint64_t network::drive_events() const noexcept {
  std::uint64_t events = 0;
  for (const partition& part : parts_) events += part.drive_events();
  return events;
}

std::uint64_t network::n_synapses() const noexcept {
  std::uint64_t synapses = 0;
  for (const partition& part : parts_) synapses += part.n_synapses();
  return synapses;
}

}  // namespace cortexloop::engine
