#pragma once
// The real-time thread: one engine tick per period, in lockstep with the wall clock (or as fast as
// possible, or on command). It talks to the rest of the server only through the SPSC queues of
// realtime_queues and an eventfd; it never calls ZeroMQ, never allocates, never locks.
//
// One iteration, top to bottom (see run()):
//   1 wait for the tick's absolute deadline (realtime) -- clock_nanosleep(TIMER_ABSTIME) + optional spin
//   2 drain commands: load stimulator programs, drive rate, pause/resume, reset, step; push their events
//   3 step the engine one tick (the stimulator supplies its current every step)
//   4 push the readout (and spikes) to the I/O thread; a full queue is a counted drop in realtime mode
//   5 account lateness, compute time and deadline misses; once a second push a status record
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>

#include <boost/lockfree/spsc_queue.hpp>

#include "engine/engine.hpp"
#include "firmware_sim/device.hpp"
#include "io/runtime/latency_histogram.hpp"
#include "io/runtime/realtime_records.hpp"

namespace cortexloop::io {

template <class T, std::size_t N>
using spsc = boost::lockfree::spsc_queue<T, boost::lockfree::capacity<N>>;

// Everything shared by the real-time and I/O threads. Allocate once (it is large, ~12 MB), before both
// start; the constructor touches every slot of every queue so that the real-time thread never takes a
// first-touch page fault on them.
struct realtime_queues {
  static constexpr std::size_t kCommands = 64, kEvents = 1024, kReadouts = 512, kSpikeChunks = 128, kStatuses = 16;
  // Safety events: at most kMaxTickEvents a tick, and rare (a stop ends its program): 256 outlast any I/O stall
  // that a readout queue of 0.5 s would.
  static constexpr std::size_t kSafety = 256;
  spsc<command, kCommands> commands;          // I/O -> real-time (records 13.1 kB: programs and ring profiles travel whole)
  spsc<command_event, kEvents> events;        // real-time -> I/O (acks)
  spsc<readout_record, kReadouts> readouts;   // real-time -> I/O (0.5 s at 1 ms ticks; records are 18.6 kB)
  spsc<spike_chunk, kSpikeChunks> spikes;
  spsc<safety_record, kSafety> safety;        // real-time -> I/O (topic safety; the readouts carry them too)
  spsc<status_record, kStatuses> statuses;
  int wake_fd = -1;                     // eventfd: written by the real-time thread after pushing
  int command_fd = -1;                  // eventfd: written by the I/O thread after pushing commands (or to stop)
  std::atomic<bool> stop{false};        // set by anyone (then wake_realtime()): the real-time thread exits
  std::atomic<bool> finished{false};    // set by the real-time thread as it exits
  std::atomic<bool> go{false};          // set once the real-time thread's scheduling is configured
  // The real-time thread's kernel id (gettid), set as it starts: a Reset's builder, when the thread is not pinned,
  // keeps off the CPU it last ran on (thread_setup.hpp, last_cpu_of). 0 until then.
  std::atomic<int> realtime_tid{0};
  // Resets applied so far, published by the real-time thread (release) after each Reset: refused acks carry
  // it, and it tells the I/O thread that engine_slot now holds the retired engine.
  std::atomic<std::uint32_t> epoch{0};
  // Passes of the real-time loop (ticks computed or not): how often it woke up. Read by tests and benches.
  std::atomic<std::int64_t> loop_passes{0};
  // Reset hand-over. Ownership rules, so that no engine is ever held by a raw pointer or lost with a record:
  // the I/O thread moves the new engine in here before pushing the Reset command, and touches the slot again
  // only once `epoch` has moved past the value it saw then; the real-time thread swaps it with its own engine
  // when it applies the Reset (no allocation, no free), leaving the retired engine here for the I/O thread to
  // destroy. Whatever is here when the queues are destroyed is destroyed with them.
  std::unique_ptr<engine::engine> engine_slot;
  realtime_queues();
  ~realtime_queues();
  realtime_queues(const realtime_queues&) = delete;
  realtime_queues& operator=(const realtime_queues&) = delete;
  void wake() noexcept;                 // called by the real-time thread: wakes the I/O thread
  void wake_realtime() noexcept;        // called by the I/O thread (and request_stop): wakes an idle real-time loop
  // The real-time thread, when it has nothing to do (paused, or stepped with no budget): sleeps until
  // wake_realtime() or the timeout. Not on the tick path.
  void wait_for_work(std::int64_t timeout_ns) noexcept;
  // Both threads start here: they wait until `go` (their placement and the scheduling note are set) or `stop`.
  void wait_for_go() const noexcept;
};

// Pops the safety records due before readout `up_to`, those of its tick and of earlier ones in (epoch, tick) order, or
// all of them (nullptr), handing each to publish(record): the I/O thread sends them on topic safety ahead of that
// readout, as when they travelled inside it, and the rest once the readouts are drained (a tick's readout dropped from
// its full queue no longer takes its events along).
template <class Publish>
void pop_safety_through(realtime_queues& q, const readout_record* up_to, Publish&& publish) {
  while (q.safety.read_available() > 0) {
    const safety_record& s = q.safety.front();
    if (up_to && std::pair{s.epoch, s.tick} > std::pair{up_to->epoch, up_to->tick}) return;
    publish(s);
    q.safety.pop();
  }
}

struct realtime_options {
  run_mode mode = run_mode::realtime;
  std::int64_t max_ticks = -1;   // stop after this many ticks (all epochs); -1: until stopped
  std::int64_t spin_ns = 0;      // realtime: busy-wait this long before each deadline
  bool stream_spikes = false;
};


class realtime_loop {
 public:
  // Takes ownership of the engine (and of engines later handed over by Reset commands). The device (the
  // simulated stimulator, its sensing and controllers) is built from `device` and outlives every Reset.
  realtime_loop(std::unique_ptr<engine::engine> eng, const firmware_sim::device_params& device,
                realtime_queues& queues, realtime_options options);
  ~realtime_loop();
  realtime_loop(const realtime_loop&) = delete;
  realtime_loop& operator=(const realtime_loop&) = delete;

  // The thread body. Returns when queues.stop is set or after max_ticks; sets queues.finished.
  void run() noexcept;

 private:
  void drain_commands(std::int64_t now_ns) noexcept;
  void apply(const command& c, std::int64_t now_ns) noexcept;
  // A SetPrograms group: every record is already in the queue (pushed in one write); load them together.
  void apply_group(const command& first, std::int64_t now_ns) noexcept;
  // A ring_position site (s, of c) comes with its per-unit weights, computed by the I/O thread (no exp here).
  bool has_ring_profile(const command& c, const firmware_sim::site& s) const noexcept;
  static std::span<const float> ring_profile_of(const command& c) noexcept;
  // The first step of a command's start tick, or -1 when that tick is already past.
  std::int64_t start_step(std::int64_t start_tick) const noexcept;
  void push_event(const command_event& e) noexcept;
  // The event of a command applied now: who it answers and when it was drained; the caller fills the outcome.
  command_event event_for(const command& c, std::int64_t now_ns) const noexcept;
  // Fast and stepped modes keep every record: wait (sleeping) until the queue has room or the server stops.
  template <class Queue>
  bool wait_for_room(Queue& queue) noexcept;
  void publish_tick(const engine::tick_readout& r, std::int64_t tick_start_ns) noexcept;
  void maybe_push_status(std::int64_t now_ns) noexcept;
  void worker_pool_status(status_record& s) noexcept;
  std::int64_t next_tick() const noexcept { return eng_->step_index() / eng_->steps_per_tick(); }

  std::unique_ptr<engine::engine> eng_;
  realtime_queues& q_;
  realtime_options opt_;
  firmware_sim::device device_;
  engine::tick_readout readout_;
  // A SetPrograms group being applied: 8 records of 13 kB, here rather than on the real-time thread's stack.
  std::array<command, firmware_sim::stimulator::kChannels> group_{};
  // The record drain_commands pops into: a member, as group_, where a local zero-filled its 13 kB on every pass of
  // the loop, with or without a command (an outside audit, 2026-12-07).
  command popped_{};
  readout_record record_{};
  spike_chunk chunk_{};
  status_record status_{};

  bool paused_ = false, spikes_on_ = false;
  bool window_paused_ = false;  // paused at some time in the status window
  bool pushed_ = false;  // something went to the I/O thread since the last wake()
  std::uint32_t epoch_ = 0;
  std::int64_t steps_left_ = 0;  // stepped mode
  std::int64_t period_ns_;
  std::int64_t server_ticks_ = 0;
  std::int64_t misses_ = 0, resyncs_ = 0, ticks_skipped_ = 0, readout_drops_ = 0, spike_drops_ = 0, event_drops_ = 0,
               safety_drops_ = 0,
               status_drops_ = 0;
  std::int64_t ring_out_of_table_unit_steps_ = 0;  // sum of the readouts' ring_out_of_table, since start

  // Window statistics, reset with every status record.
  latency_histogram lateness_, compute_, lateness_total_;
  std::int64_t start_ns_ = 0, window_start_ns_ = 0, window_cpu_ns_ = 0, window_ticks_ = 0, window_misses_ = 0;
  double window_rate_exc_ = 0, window_rate_inh_ = 0, window_sim_ms_ = 0;
  std::int64_t window_worker_ticks_ = 0;  // ticks whose worker times are in the engine's busy counters
};

}  // namespace cortexloop::io
