#pragma once
// The RS-FS AdEx network of Zerlaut et al. 2018: neurons [0, n_exc) are RS (excitatory), [n_exc, N) FS
// (inhibitory), split into contiguous partitions (engine/network/partition.hpp), one per worker thread
// (engine/network/workers.hpp). All memory and the threads are made by the constructor; step() neither allocates nor
// locks. A seed gives the same spikes and readouts, bit for bit, for any number of threads.
// Across processes (engine/network/process_exchange.hpp): process r steps only the cells of its rank range and builds
// only their incoming synapses; each step's spikes are exchanged between the phases, the readouts once per tick, and
// the result is still bit-identical to one process. The state arrays keep absolute indices (sized N, ~20 bytes a
// cell; only the owned range is written): the synapse tables, ~2 kB a cell, are what is split.
#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "engine/cells/adex.hpp"
#include "engine/inputs/drive.hpp"
#include "engine/network/hh_update.hpp"
#include "engine/network/partition.hpp"
#include "engine/network/process_exchange.hpp"
#include "engine/network/workers.hpp"
#include "engine/params.hpp"

namespace cortexloop::engine {

// Events of the steps since the counts were zeroed.
struct network_counts {
  std::int64_t spikes_exc = 0, spikes_inh = 0, diverged = 0;  // diverged: this process's cells only
};

// End-of-tick state sums of both populations over the whole network, and the tick's diverged cells.
struct network_sums {
  adex_state_sums exc, inh;
  std::int64_t diverged = 0;
};

class network {
 public:
  // threads >= 1 workers (the caller of step() is worker 0); helpers are pinned to the CPUs after first_cpu.
  // across: the other processes of a multi-process run (not owned; must outlive the network), or null.
  network(const network_params& p, double dt_ms, std::uint64_t seed, unsigned threads = 1, int first_cpu = -1,
          process_exchange* across = nullptr);

  // One step of dt starting at step_index * dt, in Brian2's schedule order so that the two agree:
  //   1 drive events land on G_e (applied inside the cell update);  2 integrate, threshold and reset every cell;
  //   3 spikes of this step are added to their targets' conductances, which the cells first feel in
  //     the integration of the next step (without delays a spike at step k acts on V from step k+1; with
  //     network.delay_exc_ms / delay_inh_ms of d steps, from step k+d+1).
  // 1-2 are the partitions' update, 3 their deliver. 3 is left pending: the next step's phase runs it on each
  // worker just before 1-2 (the workers meet at one barrier per step, not two: a worker that finished step k's
  // update early starts delivering its spikes instead of waiting), or settle() does. So between steps the spikes
  // and V, w of step k are final, but G_e, G_i lack step k's spikes until settle() (readout_sums() calls it).
  void step(std::int64_t step_index, float i_stim_exc_pA, float i_stim_inh_pA, network_counts& counts) noexcept;
  // Adds the last step's spikes to their targets' conductances now (a phase of the workers; nothing if none is
  // pending). The results of later steps are the same with or without it.
  void settle() noexcept;

  // Sums over the current state of each population (for readouts; O(N), call once per tick). Summed in blocks
  // fixed in absolute index, so the result does not depend on the partitioning. Over this process's cells only.
  adex_state_sums sum_exc() const noexcept;
  adex_state_sums sum_inh() const noexcept;
  // The readout sums over the whole network, with `diverged` this process's count of the tick: across processes
  // each process's own blocks' sums are gathered to process 0 (every process calls it, once per tick; the
  // concatenation in rank order is block order) and the blocks are added in block order, as one process adds them,
  // so process 0's sums are bit-identical to one process's; the other processes get zeros (nothing there reads them).
  // The blocks are shared out among the workers (a phase of its own, like a step's), added on the calling thread.
  network_sums readout_sums(std::int64_t diverged) noexcept;

  // Spikes of the last step, partition by partition (ascending within and across partitions); this process's.
  std::size_t n_partitions() const noexcept { return parts_.size(); }
  std::span<const std::uint32_t> last_spikes(std::size_t partition) const noexcept {
    return parts_[partition].spikes(state_);
  }
  // f(step, cell) for every spike that the last step() made known here, step by step, ascending within a step: the
  // last step's spikes (across processes: of all of them, as exchanged), or, exchanging once per several steps
  // (set_exchange_steps), none until the step that ends a batch and then the whole batch's.
  template <class F>
  void for_each_new_spike(F f) const noexcept {
    if (!across_) {
      for (const partition& part : parts_)
        for (const std::uint32_t i : part.spikes(state_)) f(pending_step_, i);
      return;
    }
    if (exchange_steps_ == 1) {
      for (const std::uint32_t i : exchanged_) f(pending_step_, i);
      return;
    }
    if (!batch_arrived_) return;
    for (std::uint32_t b = 0; b < exchange_steps_; ++b)
      for (unsigned r = 0; r < across_->n_ranks(); ++r)
        for (const std::uint32_t i : batch_piece(r, b)) f(batch_first_step_ + b, i);
  }

  // Across processes, the spikes of `steps` consecutive steps go in one exchange instead of one each (as NEST
  // communicates once per minimum delay): a spike of step k with a delay of d steps acts from step k + d + 1, so the
  // batch of steps k .. k + B - 1, exchanged after step k + B - 1, is in time for every delivery when B <= the
  // shortest delay + 1 (max_exchange_steps). Clamped to that; 1 (every step) without delays or without other
  // processes. At start-up or between batches only: it allocates. Steps must then come in order, and readouts
  // (counts, for_each_new_spike) of a batch's steps arrive at its last step, so the caller aligns batches with
  // its ticks (engine::engine picks a divisor of the tick's steps).
  void set_exchange_steps(std::uint32_t steps);
  std::uint32_t max_exchange_steps() const noexcept;
  std::uint32_t exchange_steps() const noexcept { return exchange_steps_; }
  std::uint64_t spike_exchanges() const noexcept { return spike_exchanges_; }  // all_spikes calls so far

  void set_drive_rate_Hz(double rate_Hz) noexcept { drive_.set_rate_Hz(rate_Hz); }
  // Afferent (sensory-like) input onto the excitatory cells only: a second private Bernoulli source per RS
  // cell with the drive's k_exc synapses and no ramp, independent of the drive (Zerlaut 2018, Sec. 2.4:
  // the time-varying stimulus reaches the excitatory population). 0 Hz by default, when it costs nothing.
  void set_afferent_rate_Hz(double rate_Hz) noexcept { afferent_.set_rate_Hz(rate_Hz); }
  const poisson_drive& drive() const noexcept { return drive_; }
  std::uint64_t drive_events() const noexcept;  // this process's cells
  std::uint64_t n_synapses() const noexcept;    // arriving at this process's cells
  // The cells this process steps: [0, N) for one process.
  std::uint32_t own_begin() const noexcept { return own_begin_; }
  std::uint32_t own_end() const noexcept { return own_end_; }
  process_exchange* across() const noexcept { return across_; }
  std::uint32_t n_neurons() const noexcept { return model_.n; }
  std::uint32_t n_exc() const noexcept { return model_.n_exc; }
  std::uint32_t n_inh() const noexcept { return model_.n - model_.n_exc; }
  // Indexed by absolute cell; across processes only [own_begin, own_end) is this process's to read.
  std::span<const float> v_mV() const noexcept { return state_.v_mV; }
  std::span<const float> w_pA() const noexcept { return state_.w_pA; }
  // Fraction network only (else empty): each cell's synaptic fractions from E and from I.
  std::span<const float> s_exc() const noexcept { return state_.s_exc; }
  std::span<const float> s_inh() const noexcept { return state_.s_inh; }
  const fraction_model* fraction() const noexcept { return fraction_.get(); }
  // Both without the last step's spikes unless settle() was called after it (see step()).
  std::span<const float> g_exc_nS() const noexcept { return state_.g_exc_nS; }
  std::span<const float> g_inh_nS() const noexcept { return state_.g_inh_nS; }
  const std::vector<partition>& partitions() const noexcept { return parts_; }
  worker_pool& workers() noexcept { return pool_; }
  const worker_pool& workers() const noexcept { return pool_; }

 private:
  static void phase_task(void* self, unsigned worker) noexcept;
  static void sum_blocks_task(void* self, unsigned worker) noexcept;
  adex_state_sums sum_range(std::uint32_t begin, std::uint32_t end) const noexcept;
  // Copies this process's spikes of the last step into send_ from index `at`; returns how many.
  std::size_t copy_own_spikes(std::size_t at) noexcept;
  // Adds an ascending list of exchanged spikes to the E and I counts.
  void count_exchanged(std::span<const std::uint32_t> spikes, network_counts& counts) const noexcept;
  void exchange_spikes(network_counts& counts) noexcept;
  void add_to_batch(std::int64_t step_index, network_counts& counts) noexcept;
  std::span<const std::uint32_t> batch_piece(unsigned rank, std::uint32_t b) const noexcept {
    const std::size_t at = 2 * (static_cast<std::size_t>(rank) * exchange_steps_ + b);
    return exchanged_.subspan(batch_pieces_[at], batch_pieces_[at + 1]);
  }

  poisson_drive drive_, afferent_;
  std::unique_ptr<fraction_model> fraction_;  // network.synapse_model = "fraction" only
  std::unique_ptr<hh_model> hh_;              // network.cell_model = "hh" only
  network_model model_;
  network_state state_;
  std::vector<partition> parts_;  // parts_[w] is stepped by worker w
  step_inputs inputs_{};          // this step's, written by worker 0 before the release
  // What the workers' next phase does (written by worker 0 before the release): deliver the spikes listed in
  // deliver_buffer in step deliver_step, then update into update_buffer.
  struct phase_plan {
    bool deliver;
    unsigned deliver_buffer;
    std::int64_t deliver_step;
    bool update;
    unsigned update_buffer;
  } plan_{};
  bool pending_ = false;           // the last step's spikes are not yet delivered
  std::int64_t pending_step_ = 0;  // that step
  unsigned last_buffer_ = 1;       // the spike buffer of the last update (the first step uses 0)
  worker_pool pool_;
  process_exchange* across_ = nullptr;
  std::uint32_t own_begin_ = 0, own_end_ = 0;
  // This process's spikes of a step, contiguous (capacity: its cells); exchanging once per B > 1 steps, the batch:
  // B counts, then the B steps' spikes one step after the other.
  std::vector<std::uint32_t> send_;
  std::span<const std::uint32_t> exchanged_;  // all processes' spikes of the step (or batch), from across_
  std::uint32_t exchange_steps_ = 1;          // B
  std::uint32_t batch_filled_ = 0;            // steps of the current batch stepped
  std::size_t batch_spikes_ = 0;              // this process's spikes in it
  std::int64_t batch_first_step_ = 0;
  bool batch_arrived_ = false;                // the last step() ended a batch
  std::vector<std::size_t> batch_pieces_;     // rank r's spikes of batch step b: offset and size in exchanged_
  std::uint64_t spike_exchanges_ = 0;
  // Readout blocks (sum_range's pieces over [0, n_exc) then [n_exc, N)), each owned by one process: their
  // bounds, this process's [first, last) of them, their sums (3 per block, written by the workers), process r's
  // blocks [rank_first_block_[r], rank_first_block_[r + 1]), and the gather buffers: this process's 3 sums per own
  // block and its diverged count, and (on process 0) every process's, in rank order.
  std::vector<std::uint32_t> block_begin_, block_end_;
  std::pair<std::size_t, std::size_t> own_blocks_{0, 0};
  std::vector<std::size_t> rank_first_block_;
  std::vector<double> block_sums_, gather_local_, gather_all_;
  void add_block_sums(network_sums& out, std::size_t block, const double* sums) const noexcept;
};

// Cells are summed for the readouts in blocks of this many, fixed in absolute index (network::sum_range).
inline constexpr std::uint32_t kReadoutBlock = 1024;

// Splits [begin, end) (begin a multiple of align) into `parts` ranges whose boundaries are multiples of align,
// sizes within one alignment unit of each other; parts + 1 values from begin to end.
std::vector<std::uint32_t> split_range(std::uint32_t begin, std::uint32_t end, unsigned parts, std::uint32_t align);
// Partition boundaries for n cells over `parts` partitions: multiples of kPartitionAlign, sizes within one
// alignment unit of each other; parts + 1 values from 0 to n.
std::vector<std::uint32_t> partition_bounds(std::uint32_t n, unsigned parts);
// The cells of each process of a multi-process run: multiples of kReadoutBlock (so a readout block, and a
// partition, never straddles two processes); ranks + 1 values from 0 to n.
std::vector<std::uint32_t> rank_bounds(std::uint32_t n, unsigned ranks);

}  // namespace cortexloop::engine
