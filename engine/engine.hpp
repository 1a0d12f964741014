#pragma once
// The engine: every model of a config advanced together, one tick (an integer number of dt steps) at a
// time, with readouts at the end of each tick. Construction allocates everything; tick() is noexcept,
// allocation-free and lock-free, so real-time and batch drivers (tools/) can call it alike.
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "engine/aln/aln_model.hpp"
#include "engine/aln/aln_ring.hpp"
#include "engine/inputs/external_current.hpp"
#include "engine/inputs/stimulus.hpp"
#include "engine/meanfield/ring.hpp"
#include "engine/network/network.hpp"
#include "engine/params.hpp"
#include "engine/readout.hpp"

namespace cortexloop::engine {

class engine {
 public:
  // across: the other processes when one network is split over several (engine/network/process_exchange.hpp); not
  // owned, must outlive the engine. Every process then calls tick() in step with the others; each gets the rates
  // and spikes of the whole network, and process 0 alone its mean V, w, LFP and diverged count (zeros on the
  // others: network::readout_sums).
  // With p.aln, p.aln->table must hold its cascade table (loaded at start-up: io::attach_aln_table); throws
  // std::invalid_argument naming what is missing otherwise.
  explicit engine(const engine_params& p, process_exchange* across = nullptr);

  // Advances one tick. Phases, in order: (1) per step: the stimulus schedule and the external source give each
  // population's current; the network steps; the ALN node steps with the same currents; the spikes are logged
  // for the tick; every ring.dt_ms the ring (of either model) steps (from the time of that step's start). (2) Readouts are averaged
  // over the tick.
  void tick(tick_readout& out) noexcept;

  void set_drive_rate_Hz(double rate_Hz) noexcept {
    net_.set_drive_rate_Hz(rate_Hz);
    if (ring_) ring_->set_drive_rate_Hz(rate_Hz);
  }
  // Keeps each tick's spikes in the readout (off by default: it costs a copy per spike).
  void set_record_spikes(bool on) noexcept { record_spikes_ = on; }
  // Adds a source's currents to the schedule's at every step (nullptr: none). Not owned; must outlive
  // its use. Used by `serve` for the commanded stimulator (firmware_sim/).
  // A source that observes the network every step needs each step's spikes at that step: across processes, the
  // exchange then goes back to every step (network::set_exchange_steps). Call it between ticks (as `serve` does):
  // every tick ends a batch, so no batch is open then; from another thread during a tick it would end the process.
  void set_external_current(external_current_source* source) noexcept {
    external_ = source;
    observe_ = source != nullptr && source->observes();
    if (observe_ && net_.across()) net_.set_exchange_steps(1);
  }

  // Places the network's helper threads next to worker 0 (the caller of tick()) pinned to first_cpu, under
  // SCHED_FIFO with fifo_priority > 0 (see worker_pool::place); returns 0 or an errno value. Not real-time safe.
  int place_workers(int first_cpu, int fifo_priority) noexcept { return net_.workers().place(first_cpu, fifo_priority); }
  // Where place_workers(first_cpu, ...) pins helper k (worker k + 1); -1: no CPU known.
  int helper_cpu(std::size_t k, int first_cpu) const noexcept { return net_.workers().helper_cpu(k, first_cpu); }
  unsigned n_workers() const noexcept { return net_.workers().size(); }
  // The network's workers, for their busy-time counters (read and reset between ticks).
  worker_pool& workers() noexcept { return net_.workers(); }

  std::int64_t steps_per_tick() const noexcept { return steps_per_tick_; }
  std::int64_t step_index() const noexcept { return step_; }
  double dt_ms() const noexcept { return dt_ms_; }
  const network& net() const noexcept { return net_; }
  // The ring of Zerlaut units when the config has a [ring] of them (else null); whether the network is stepped.
  const meanfield::ring* ring() const noexcept { return ring_ ? &*ring_ : nullptr; }
  // The ring of ALN units when the config has [ring] model = "aln" (else null).
  const aln::aln_ring* aln_ring() const noexcept { return aln_ring_ ? &*aln_ring_ : nullptr; }
  bool runs_network() const noexcept { return run_network_; }
  // The ALN node when the config has an [aln] (else null).
  const aln::aln_model* aln() const noexcept { return aln_ ? &*aln_ : nullptr; }
  const engine_params& params() const noexcept { return params_; }

 private:
  engine_params params_;
  double dt_ms_;
  std::int64_t steps_per_tick_;
  std::int64_t step_ = 0, tick_ = 0;
  network net_;
  std::optional<meanfield::ring> ring_;
  std::int64_t steps_per_ring_step_ = 0;  // ring.dt_ms / dt_ms
  bool run_network_ = true;               // false: [ring] network = "off", or no [network] (n_neurons = 0)
  std::shared_ptr<const aln::cascade_table> aln_table_;  // keeps the table aln_ reads alive
  std::optional<aln::aln_model> aln_;
  std::optional<aln::aln_ring> aln_ring_;  // after aln_table_, which it reads
  stimulus_schedule stimuli_;
  bool record_spikes_ = false;
  external_current_source* external_ = nullptr;
  bool observe_ = false;  // external_ && external_->observes()
  std::vector<std::int64_t> spike_steps_;      // capacity N * steps_per_tick
  std::vector<std::uint32_t> spike_neurons_;
};

// Number of dt steps in one tick; throws std::invalid_argument if tick is not a whole number of steps.
std::int64_t steps_per_tick(const simulation_params& p);

}  // namespace cortexloop::engine
