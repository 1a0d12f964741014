#include "io/runtime/realtime_loop.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>

#include "io/runtime/clock.hpp"

namespace cortexloop::io {

namespace {
constexpr std::int64_t kStatusPeriod_ns = 1'000'000'000;
// Realtime: when the loop is this far behind its deadlines it stops catching up and re-anchors them.
constexpr std::int64_t kResyncAfter_ns = 100'000'000;
// Fast/stepped: how long to wait for queue space before looking again (the I/O thread is draining).
constexpr std::int64_t kIdle_ns = 100'000;
// Paused or stepped without budget: the longest sleep between looks at the stop flag when nobody wakes the
// loop (commands and request_stop do, through command_fd); the status is due once a second anyway.
constexpr std::int64_t kMaxIdleWait_ns = 1'000'000'000;
// Commands applied per tick at most, so that a flood cannot stretch one tick.
constexpr int kMaxCommandsPerTick = 64;
// A ring_position record must carry its weights (command::ring_profile): this thread never computes them.
constexpr const char* kNoRingProfile =
    "ring_position site without its ring profile (n_ring_profile must be the ring's units; the I/O thread computes it)";
}  // namespace

namespace {
// Fills every slot of a queue once and empties it again: every page of its storage is then resident, so
// the real-time thread's first pass over the ring (0.5 s of readouts) takes no page fault. Before both threads
// start, so the single-producer/single-consumer rule holds (this thread is both).
template <class Queue, class Record>
void prefault(Queue& q, const Record& r) {
  while (q.push(r)) {
  }
  q.reset();
}
}  // namespace

realtime_queues::realtime_queues()
    : wake_fd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)), command_fd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (wake_fd < 0 || command_fd < 0) {
    if (wake_fd >= 0) close(wake_fd);
    if (command_fd >= 0) close(command_fd);
    throw std::runtime_error("eventfd failed");
  }
  prefault(commands, command{});
  prefault(events, command_event{});
  auto readout = std::make_unique<readout_record>();  // 18.6 kB: not on the stack
  prefault(readouts, *readout);
  auto chunk = std::make_unique<spike_chunk>();
  prefault(spikes, *chunk);
  prefault(statuses, status_record{});
  prefault(safety, safety_record{});
}

realtime_queues::~realtime_queues() {
  close(wake_fd);
  close(command_fd);
}

void realtime_queues::wake() noexcept {
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto n = write(wake_fd, &one, sizeof one);
}

void realtime_queues::wake_realtime() noexcept {
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto n = write(command_fd, &one, sizeof one);
}

void realtime_queues::wait_for_work(std::int64_t timeout_ns) noexcept {
  pollfd fd{command_fd, POLLIN, 0};
  const int timeout_ms = static_cast<int>(std::clamp<std::int64_t>((timeout_ns + 999'999) / 1'000'000, 1, 60'000));
  if (poll(&fd, 1, timeout_ms) > 0) {
    std::uint64_t count;
    [[maybe_unused]] const auto n = read(command_fd, &count, sizeof count);
  }
}

void realtime_queues::wait_for_go() const noexcept {
  while (!go.load(std::memory_order_acquire) && !stop.load(std::memory_order_relaxed))
    sleep_until_ns(monotonic_ns() + kIdle_ns);
}

realtime_loop::realtime_loop(std::unique_ptr<engine::engine> eng, const firmware_sim::device_params& device,
                             realtime_queues& queues, realtime_options options)
    : eng_(std::move(eng)),
      q_(queues),
      opt_(options),
      device_(device),
      spikes_on_(options.stream_spikes),
      period_ns_(std::llround(static_cast<double>(eng_->steps_per_tick()) * eng_->dt_ms() * 1e6)) {
  eng_->set_external_current(&device_);
  eng_->set_record_spikes(spikes_on_);
  status_.mode = opt_.mode;
}

realtime_loop::~realtime_loop() = default;

void realtime_loop::run() noexcept {
  q_.wait_for_go();
  // The default 50 us timer slack of normal threads would be added to every wake-up (SCHED_FIFO threads
  // ignore it; this makes SCHED_OTHER wake as close to the deadline as the system allows).
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  start_ns_ = window_start_ns_ = monotonic_ns();
  window_cpu_ns_ = thread_cpu_ns();
  std::int64_t deadline = start_ns_;  // realtime: the scheduled start of the next tick
  while (!q_.stop.load(std::memory_order_relaxed)) {
    q_.loop_passes.store(q_.loop_passes.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    // 1 wait for this tick's deadline (the network's helper workers blocked meanwhile, woken for a tick that steps)
    if (opt_.mode == run_mode::realtime) {
      eng_->workers().park();
      sleep_until_ns(deadline, opt_.spin_ns);
    }
    const std::int64_t tick_start = monotonic_ns();
    // 2 commands
    drain_commands(tick_start);
    const bool advance = !paused_ && (opt_.mode != run_mode::stepped || steps_left_ > 0);
    // The helpers woken for a tick that steps: a paused server woke them at each of its passes, ~10 a second, for
    // nothing (~1 % of a core: an outside audit, 2026-12-07). The futex call and their wake-up still come before the
    // tick's first step.
    if (opt_.mode == run_mode::realtime && advance) eng_->workers().unpark();
    if (advance) {
      // Fast and stepped runs keep every readout: wait for queue space instead of dropping.
      if (opt_.mode != run_mode::realtime && !wait_for_room(q_.readouts)) break;
      // 3 step
      eng_->tick(readout_);
      if (opt_.mode == run_mode::stepped) --steps_left_;
      // 4 hand the readout to I/O
      publish_tick(readout_, tick_start);
      ++server_ticks_;
      ++window_ticks_;
      window_rate_exc_ += readout_.exc.rate_Hz;
      window_rate_inh_ += readout_.inh.rate_Hz;
      ring_out_of_table_unit_steps_ += readout_.ring_out_of_table;
      window_sim_ms_ += static_cast<double>(eng_->steps_per_tick()) * eng_->dt_ms();
      ++window_worker_ticks_;
      // 5 account
      const std::int64_t done = monotonic_ns();
      compute_.record(done - tick_start);
      if (opt_.mode == run_mode::realtime) {
        lateness_.record(tick_start - deadline);
        lateness_total_.record(tick_start - deadline);
        if (done > deadline + period_ns_) {
          ++misses_;
          ++window_misses_;
        }
      }
    }
    const std::int64_t now = monotonic_ns();
    // More commands than one pass drains (kMaxCommandsPerTick) are not a reason to sleep: their wake-up is spent.
    const bool idle = !advance && q_.commands.read_available() == 0;
    if (opt_.mode == run_mode::realtime && !idle) {
      deadline += period_ns_;
      if (now - deadline > kResyncAfter_ns) {
        // The periods between the missed deadline and now are never computed: counted, since the one late tick
        // counts once in misses_ however long the stall (300 ms of SIGSTOP: 1 miss, 299 ticks not computed).
        // Before the status below, so that the status of the stall's window counts them.
        ticks_skipped_ += (now - deadline) / period_ns_;
        deadline = now;
        ++resyncs_;
      }
    }
    maybe_push_status(now);
    // Wake the I/O thread only when there is something for it: an idle (paused) loop must not keep it busy.
    if (pushed_) {
      q_.wake();
      pushed_ = false;
    }
    if (opt_.max_ticks >= 0 && server_ticks_ >= opt_.max_ticks) break;
    if (opt_.mode == run_mode::realtime && idle) {
      // Paused: sleep until a command or the next status, then rejoin the tick grid at its next point (the
      // clock keeps running: ticks stay aligned to the start, no resync is counted).
      q_.wait_for_work(std::min(kMaxIdleWait_ns, window_start_ns_ + kStatusPeriod_ns - now));
      const std::int64_t woke = monotonic_ns();
      deadline += period_ns_;
      if (woke > deadline) deadline += (woke - deadline + period_ns_ - 1) / period_ns_ * period_ns_;
    } else if (opt_.mode != run_mode::realtime && idle) {
      // Nothing to do until a command arrives: sleep on command_fd (the I/O thread writes it after pushing a
      // command, request_stop too), waking at the latest when the next status is due.
      q_.wait_for_work(std::min(kMaxIdleWait_ns, window_start_ns_ + kStatusPeriod_ns - now));
    }
  }
  maybe_push_status(monotonic_ns() + kStatusPeriod_ns);  // a last status with the final counts
  q_.finished.store(true, std::memory_order_release);
  q_.wake();
}

void realtime_loop::drain_commands(std::int64_t now_ns) noexcept {
  command& c = popped_;
  int n = 0;
  for (; n < kMaxCommandsPerTick && q_.commands.pop(c); ++n) {
    if (c.kind == command_kind::set_stimulation && c.group_size > 1) apply_group(c, now_ns);
    else apply(c, now_ns);
  }
  if (n > 0) {
    q_.wake();  // acks go out now, not after the tick's compute
    pushed_ = false;
  }
}

bool realtime_loop::has_ring_profile(const command& c, const firmware_sim::site& s) const noexcept {
  return s.kind != firmware_sim::site_kind::ring_position || c.n_ring_profile == device_.stim().ring().n_units;
}

std::span<const float> realtime_loop::ring_profile_of(const command& c) noexcept {
  return {c.ring_profile.data(), std::min<std::size_t>(c.n_ring_profile, kMaxRingUnits)};
}

std::int64_t realtime_loop::start_step(std::int64_t start_tick) const noexcept {
  if (start_tick < 0) return eng_->step_index();
  if (start_tick < next_tick()) return -1;
  return start_tick * eng_->steps_per_tick();
}

void realtime_loop::apply_group(const command& first, std::int64_t now_ns) noexcept {
  // The I/O thread pushed the group with one queue write, so its other records are already visible.
  std::array<command, firmware_sim::stimulator::kChannels>& group = group_;
  group[0] = first;
  std::size_t n = 1;
  while (n < first.group_size && n < group.size() && q_.commands.pop(group[n])) ++n;
  command_event e = event_for(first, now_ns);
  e.epoch = epoch_;
  e.tick_applied = -1;  // refused
  const std::int64_t start = start_step(first.start_tick);
  bool profiles_ok = true;
  std::int32_t driven = -1;  // the first of the group's channels that a controller drives
  std::uint32_t channels = 0;
  for (std::size_t i = 0; i < n; ++i) {
    profiles_ok = profiles_ok && has_ring_profile(group[i], group[i].site);
    if (driven < 0 && device_.channel_driven(group[i].channel)) driven = static_cast<std::int32_t>(group[i].channel);
    channels |= 1u << (group[i].channel & 31u);
  }
  // The group reached the device: it feeds the watchdogs of its channels, applied or refused here (as a
  // SetStimulation does in apply(); a refused group of two or more programs fed none: a mutation audit, 2026-12-05).
  device_.feed(eng_->step_index(), channels);
  if (n != first.group_size) {
    e.code = error_code::malformed;
    e.reason = "SetPrograms group arrived incomplete";
  } else if (!profiles_ok) {
    e.code = error_code::malformed;
    e.reason = kNoRingProfile;
  } else if (driven >= 0) {
    e.code = error_code::busy;
    e.reason = kChannelDriven.data();
    e.busy_channel = driven;
  } else if (start < 0) {
    e.code = error_code::out_of_range;
    e.reason = kStartTickPast.data();
    e.start_tick = first.start_tick;
  } else {
    for (std::size_t i = 0; i < n; ++i)
      device_.load(group[i].channel, group[i].site, group[i].program, start, ring_profile_of(group[i]));
    e.accepted = true;
    e.tick_applied = start / eng_->steps_per_tick();
  }
  push_event(e);
}

command_event realtime_loop::event_for(const command& c, std::int64_t now_ns) const noexcept {
  command_event e;
  e.token = c.token;
  e.kind = c.kind;
  e.applied_ns = now_ns;
  e.drain_tick = next_tick();
  e.drain_epoch = epoch_;
  return e;
}

void realtime_loop::apply(const command& c, std::int64_t now_ns) noexcept {
  command_event e = event_for(c, now_ns);
  e.accepted = true;
  // A command on a channel feeds the watchdog of the external controller of that channel, applied or refused (the
  // loop is alive); nothing else does (firmware_sim::device::feed).
  if (c.kind == command_kind::set_stimulation || c.kind == command_kind::clear_stimulation)
    device_.feed(eng_->step_index(), c.all_channels ? ~0u : 1u << (c.channel & 31u));
  std::int64_t applied_step = -1;  // a program's start step; else the engine's next step (after a Reset: the new one's)
  switch (c.kind) {
    case command_kind::set_stimulation:
    case command_kind::set_controller: {
      const std::int64_t start = start_step(c.start_tick);
      if (start < 0) {
        e.accepted = false;
        e.code = error_code::out_of_range;
        e.reason = kStartTickPast.data();
        e.start_tick = c.start_tick;
        break;
      }
      if (!has_ring_profile(c, c.kind == command_kind::set_stimulation ? c.site : c.controller.output_site)) {
        e.accepted = false;
        e.code = error_code::malformed;
        e.reason = kNoRingProfile;
        break;
      }
      const bool stim = c.kind == command_kind::set_stimulation;
      if (stim ? device_.channel_driven(c.channel) : device_.channel_controlled(c.controller.output_channel, c.channel)) {
        e.accepted = false;
        e.code = error_code::busy;
        e.reason = stim ? kChannelDriven.data() : kOutputDriven.data();
        e.busy_channel = static_cast<std::int32_t>(stim ? c.channel : c.controller.output_channel);
        break;
      }
      applied_step = start;
      if (c.kind == command_kind::set_stimulation) device_.load(c.channel, c.site, c.program, start, ring_profile_of(c));
      else device_.set_controller(c.channel, c.controller, start, ring_profile_of(c));
      break;
    }
    case command_kind::clear_controller:
      if (c.all_channels) device_.clear_controllers();
      else device_.clear_controller(c.channel);
      break;
    case command_kind::clear_stimulation:
      if (c.all_channels) device_.clear_channels();
      else device_.clear(c.channel);
      break;
    case command_kind::set_drive_rate:
      eng_->set_drive_rate_Hz(c.value);
      break;
    case command_kind::pause:
      paused_ = true;
      window_paused_ = true;
      break;
    case command_kind::resume:
      paused_ = false;
      break;
    case command_kind::reset: {
      // The I/O thread put the new engine in the slot before pushing this command (see realtime_queues);
      // a swap hands it over and leaves the old one there for the I/O thread to destroy.
      if (!q_.engine_slot) {  // cannot happen by construction; refuse rather than run without an engine
        e.accepted = false;
        e.code = error_code::busy;
        e.reason = "Reset: no engine was handed over";
        break;
      }
      const std::int64_t old_next_step = eng_->step_index();
      std::swap(eng_, q_.engine_slot);
      eng_->set_external_current(&device_);
      eng_->set_record_spikes(spikes_on_);
      // A reset returns the model to the state after start-up, minus the stream settings: no stimulation, no
      // pending Step budget, not paused (the drive rate is the new engine's, from the config). The device is
      // hardware beside the model: its sensing filters, safety windows and event counters go on (protocol.md).
      device_.clear_all();
      device_.renumber_steps(eng_->step_index() - old_next_step);
      steps_left_ = 0;
      paused_ = false;
      ++epoch_;
      q_.epoch.store(epoch_, std::memory_order_release);
      break;
    }
    case command_kind::step:
      if (c.ticks == 0) steps_left_ = 0;  // cancels what is left of earlier Steps
      else steps_left_ += c.ticks;
      break;
    case command_kind::set_parameter:
      e.parameter = c.parameter;
      e.value = c.value;
      if (c.parameter == parameter_id::drive_rate_Hz) eng_->set_drive_rate_Hz(c.value);
      if (c.parameter == parameter_id::stream_spikes) {
        spikes_on_ = c.value != 0;
        eng_->set_record_spikes(spikes_on_);
      }
      break;  // stream.readout_every is applied by the I/O thread when it sees this event
    case command_kind::ping:
    case command_kind::get_info:  // the I/O thread answers it; listed so that the switch stays exhaustive
      break;
  }
  e.tick_applied = e.accepted ? (applied_step >= 0 ? applied_step : eng_->step_index()) / eng_->steps_per_tick() : -1;
  e.epoch = epoch_;
  push_event(e);
}

void realtime_loop::push_event(const command_event& e) noexcept {
  // A dropped event leaves a client without its ack (counted; no engine can leak, see engine_slot): the
  // queue is four times the command queue, so this only happens if the I/O thread has stopped reading.
  if (!q_.events.push(e)) ++event_drops_;
  pushed_ = true;
}

template <class Queue>
bool realtime_loop::wait_for_room(Queue& queue) noexcept {
  while (queue.write_available() == 0) {
    if (q_.stop.load(std::memory_order_relaxed)) return false;
    q_.wake();  // the I/O thread may be asleep in poll(): it is what makes room
    sleep_until_ns(monotonic_ns() + kIdle_ns);
  }
  return true;
}

void realtime_loop::publish_tick(const engine::tick_readout& r, std::int64_t tick_start_ns) noexcept {
  record_.tick = r.tick;
  record_.epoch = epoch_;
  record_.t_ms = r.t_ms;
  record_.tick_start_ns = tick_start_ns;
  record_.exc = r.exc;
  record_.inh = r.inh;
  record_.lfp_proxy_nA = r.lfp_proxy_nA;
  record_.diverged = r.diverged;
  record_.aln = r.aln;
  record_.ring_out_of_table = r.ring_out_of_table;
  const std::size_t n_ring = std::min(r.vsdi_percent.size(), kMaxRingUnits);
  record_.n_ring_units = static_cast<std::uint32_t>(n_ring);
  if (n_ring > 0) {
    std::copy_n(r.ring_rates_exc_Hz.begin(), n_ring, record_.ring_rates_exc_Hz.begin());
    std::copy_n(r.ring_rates_inh_Hz.begin(), n_ring, record_.ring_rates_inh_Hz.begin());
    std::copy_n(r.vsdi_percent.begin(), n_ring, record_.vsdi_percent.begin());
    // The stimulator's current into the excitatory units over the tick's last ring step.
    const engine::ring_currents stim = device_.last_ring_currents();
    if (stim.exc_pA.size() >= n_ring) std::copy_n(stim.exc_pA.begin(), n_ring, record_.ring_stim_pA.begin());
    else std::fill_n(record_.ring_stim_pA.begin(), n_ring, 0.0f);
  }
  device_.finish_tick(record_.device);
  // Before the readout: the I/O thread publishes them ahead of it (io_thread::drain_realtime_queues). Fast and
  // stepped modes wait for room, as for readouts; realtime mode counts the drop.
  for (std::uint32_t i = 0; i < record_.device.n_events; ++i) {
    if (opt_.mode != run_mode::realtime && !wait_for_room(q_.safety)) return;
    if (!q_.safety.push(safety_record{record_.device.events[i], record_.tick, epoch_})) ++safety_drops_;
  }
  if (!q_.readouts.push(record_)) ++readout_drops_;
  pushed_ = true;
  if (!spikes_on_ || r.spike_steps.empty()) return;
  chunk_.tick = r.tick;
  chunk_.epoch = epoch_;
  for (std::size_t begin = 0; begin < r.spike_steps.size(); begin += kSpikeChunk) {
    const std::size_t n = std::min(kSpikeChunk, r.spike_steps.size() - begin);
    std::copy_n(r.spike_steps.begin() + static_cast<std::ptrdiff_t>(begin), n, chunk_.step.begin());
    std::copy_n(r.spike_neurons.begin() + static_cast<std::ptrdiff_t>(begin), n, chunk_.neuron.begin());
    chunk_.n = static_cast<std::uint32_t>(n);
    // Fast and stepped modes wait for room, as for readouts (docs/protocol.md: they never drop); realtime
    // mode never waits and counts the drop.
    if (opt_.mode != run_mode::realtime && !wait_for_room(q_.spikes)) return;
    if (!q_.spikes.push(chunk_)) ++spike_drops_;
  }
}

void realtime_loop::worker_pool_status(status_record& s) noexcept {
  // The engine's workers add their busy time at every phase; read and zeroed here, once a second. A Reset's new
  // engine starts at zero, so the window then covers its ticks only: the mean per tick is then a slight
  // underestimate for that one window.
  engine::worker_pool& workers = eng_->workers();
  s.n_workers = workers.size();
  const double ticks = static_cast<double>(std::max<std::int64_t>(1, window_worker_ticks_));
  double total = 0, largest = 0;
  for (unsigned w = 0; w < workers.size(); ++w) {
    const double us = static_cast<double>(workers.busy_ns(w)) / 1000.0;
    if (w < kMaxStatusWorkers) s.worker_compute_us[w] = us / ticks;
    total += us;
    largest = std::max(largest, us);
  }
  s.worker_imbalance = total > 0 ? largest / (total / workers.size()) - 1.0 : 0.0;
  workers.reset_busy();
  window_worker_ticks_ = 0;
}

void realtime_loop::maybe_push_status(std::int64_t now_ns) noexcept {
  if (now_ns - window_start_ns_ < kStatusPeriod_ns) return;
  const std::int64_t real_now = std::min(now_ns, monotonic_ns());
  // CLOCK_THREAD_CPUTIME_ID is a real system call (no vDSO path), ~1 us: acceptable once a second, which is
  // the only place the real-time thread makes it.
  const std::int64_t cpu = thread_cpu_ns();
  const double window_s = static_cast<double>(real_now - window_start_ns_) / 1e9;
  status_record& s = status_;
  s.paused = paused_;
  s.paused_in_window = window_paused_ || paused_;
  s.server_ticks = server_ticks_;
  s.engine_tick = next_tick();
  s.epoch = epoch_;
  s.uptime_s = static_cast<double>(real_now - start_ns_) / 1e9;
  s.window_s = window_s;
  s.window_ticks = window_ticks_;
  s.realtime_factor = window_s > 0 ? window_sim_ms_ / 1000.0 / window_s : 0.0;
  s.deadline_misses = misses_;
  s.window_deadline_misses = window_misses_;
  s.resyncs = resyncs_;
  s.ticks_skipped = ticks_skipped_;
  s.lateness_p50_us = lateness_.percentile_us(0.5);
  s.lateness_p99_us = lateness_.percentile_us(0.99);
  s.lateness_p999_us = lateness_.percentile_us(0.999);
  s.lateness_max_us = lateness_.max_us();
  s.lateness_total_p99_us = lateness_total_.percentile_us(0.99);
  s.lateness_total_p999_us = lateness_total_.percentile_us(0.999);
  s.lateness_total_max_us = lateness_total_.max_us();
  s.compute_p50_us = compute_.percentile_us(0.5);
  s.compute_p99_us = compute_.percentile_us(0.99);
  s.compute_max_us = compute_.max_us();
  s.readout_drops = readout_drops_;
  s.spike_drops = spike_drops_;
  s.safety_drops = safety_drops_;
  s.event_drops = event_drops_;
  s.rt_cpu_percent = window_s > 0 ? 100.0 * static_cast<double>(cpu - window_cpu_ns_) / 1e9 / window_s : 0.0;
  s.rate_exc_Hz = window_ticks_ ? window_rate_exc_ / static_cast<double>(window_ticks_) : 0.0;
  s.rate_inh_Hz = window_ticks_ ? window_rate_inh_ / static_cast<double>(window_ticks_) : 0.0;
  s.ring_out_of_table_unit_steps = ring_out_of_table_unit_steps_;
  worker_pool_status(s);
  s.status_drops = status_drops_;
  if (!q_.statuses.push(s)) ++status_drops_;  // counted in the next: it carries the totals on
  pushed_ = true;
  lateness_.clear();
  compute_.clear();
  window_start_ns_ = real_now;
  window_cpu_ns_ = cpu;
  window_ticks_ = window_misses_ = 0;
  window_paused_ = paused_;
  window_rate_exc_ = window_rate_inh_ = window_sim_ms_ = 0;
}

}  // namespace cortexloop::io
