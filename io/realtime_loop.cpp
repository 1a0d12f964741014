#include "io/realtime_loop.hpp"

#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>

#include "io/clock.hpp"

namespace cortexloop::io {

namespace {
constexpr std::int64_t kStatusPeriod_ns = 1'000'000'000;
// Realtime: when the loop is this far behind its deadlines it stops catching up and re-anchors them.
constexpr std::int64_t kResyncAfter_ns = 100'000'000;
// Fast/stepped: how long to wait for queue space or for work before looking again.
constexpr std::int64_t kIdle_ns = 100'000;
// Commands applied per tick at most, so that a flood cannot stretch one tick.
constexpr int kMaxCommandsPerTick = 64;
}  // namespace

realtime_queues::realtime_queues() : wake_fd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (wake_fd < 0) throw std::runtime_error("eventfd failed");
}

realtime_queues::~realtime_queues() {
  if (wake_fd >= 0) close(wake_fd);
}

void realtime_queues::wake() noexcept {
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto n = write(wake_fd, &one, sizeof one);
}

void realtime_queues::wait_for_go() const noexcept {
  while (!go.load(std::memory_order_acquire) && !stop.load(std::memory_order_relaxed))
    sleep_until_ns(monotonic_ns() + kIdle_ns);
}

realtime_loop::realtime_loop(std::unique_ptr<engine::engine> eng, const firmware_sim::device_params& device,
                             realtime_queues& queues, realtime_options options)
    : eng_(eng.release()),
      q_(queues),
      opt_(options),
      device_(device),
      spikes_on_(options.stream_spikes),
      period_ns_(std::llround(static_cast<double>(eng_->steps_per_tick()) * eng_->dt_ms() * 1e6)) {
  eng_->set_external_current(&device_);
  eng_->set_record_spikes(spikes_on_);
  status_.mode = opt_.mode;
}

realtime_loop::~realtime_loop() { delete eng_; }

void realtime_loop::run() noexcept {
  q_.wait_for_go();
  // The default 50 us timer slack of normal threads would be added to every wake-up (SCHED_FIFO threads
  // ignore it; this makes SCHED_OTHER wake as close to the deadline as the system allows).
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  start_ns_ = window_start_ns_ = monotonic_ns();
  window_cpu_ns_ = thread_cpu_ns();
  std::int64_t deadline = start_ns_;  // realtime: the scheduled start of the next tick
  while (!q_.stop.load(std::memory_order_relaxed)) {
    // 1 wait for this tick's deadline
    if (opt_.mode == run_mode::realtime) sleep_until_ns(deadline, opt_.spin_ns);
    const std::int64_t tick_start = monotonic_ns();
    // 2 commands
    drain_commands(tick_start);
    const bool advance = !paused_ && (opt_.mode != run_mode::stepped || steps_left_ > 0);
    if (advance) {
      // Fast and stepped runs keep every readout: wait for queue space instead of dropping.
      while (opt_.mode != run_mode::realtime && q_.readouts.write_available() == 0 &&
             !q_.stop.load(std::memory_order_relaxed))
        sleep_until_ns(monotonic_ns() + kIdle_ns);
      // 3 step
      eng_->tick(readout_);
      if (opt_.mode == run_mode::stepped) --steps_left_;
      // 4 hand the readout to I/O
      publish_tick(readout_, tick_start);
      ++server_ticks_;
      ++window_ticks_;
      window_rate_exc_ += readout_.exc.rate_Hz;
      window_rate_inh_ += readout_.inh.rate_Hz;
      window_sim_ms_ += static_cast<double>(eng_->steps_per_tick()) * eng_->dt_ms();
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
    q_.wake();
    const std::int64_t now = monotonic_ns();
    maybe_push_status(now);
    if (opt_.max_ticks >= 0 && server_ticks_ >= opt_.max_ticks) break;
    if (opt_.mode == run_mode::realtime) {
      deadline += period_ns_;
      if (now - deadline > kResyncAfter_ns) {
        deadline = now;
        ++resyncs_;
      }
    } else if (!advance) {
      sleep_until_ns(now + kIdle_ns);
    }
  }
  maybe_push_status(monotonic_ns() + kStatusPeriod_ns);  // a last status with the final counts
  q_.finished.store(true, std::memory_order_release);
  q_.wake();
}

void realtime_loop::drain_commands(std::int64_t now_ns) noexcept {
  command c;
  int n = 0;
  for (; n < kMaxCommandsPerTick && q_.commands.pop(c); ++n) {
    if (c.kind == command_kind::set_stimulation && c.group_size > 1) apply_group(c, now_ns);
    else apply(c, now_ns);
  }
  if (n > 0) q_.wake();  // acks go out now, not after the tick's compute
}

std::int64_t realtime_loop::start_step(std::int64_t start_tick) const noexcept {
  if (start_tick < 0) return eng_->step_index();
  if (start_tick < next_tick()) return -1;
  return start_tick * eng_->steps_per_tick();
}

void realtime_loop::apply_group(const command& first, std::int64_t now_ns) noexcept {
  // The I/O thread pushed the group with one queue write, so its other records are already visible.
  std::array<command, firmware_sim::stimulator::kChannels> group;
  group[0] = first;
  std::size_t n = 1;
  while (n < first.group_size && n < group.size() && q_.commands.pop(group[n])) ++n;
  command_event e;
  e.token = first.token;
  e.kind = first.kind;
  e.applied_ns = now_ns;
  e.epoch = epoch_;
  e.tick_applied = next_tick();
  const std::int64_t start = start_step(first.start_tick);
  if (n != first.group_size) {
    e.code = error_code::malformed;
    e.reason = "SetPrograms group arrived incomplete";
  } else if (start < 0) {
    e.code = error_code::out_of_range;
    e.reason = "start_tick is already past when the command was applied";
  } else {
    for (std::size_t i = 0; i < n; ++i) device_.load(group[i].channel, group[i].site, group[i].program, start);
    device_.feed(eng_->step_index());
    e.accepted = true;
    e.tick_applied = start / eng_->steps_per_tick();
  }
  push_event(e);
}

void realtime_loop::apply(const command& c, std::int64_t now_ns) noexcept {
  command_event e;
  e.token = c.token;
  e.kind = c.kind;
  e.accepted = true;
  e.applied_ns = now_ns;
  // Anything from outside feeds the watchdog of an external controller.
  device_.feed(eng_->step_index());
  std::int64_t applied_step = -1;  // a program's start step; else the engine's next step (after a Reset: the new one's)
  switch (c.kind) {
    case command_kind::set_stimulation:
    case command_kind::set_controller: {
      const std::int64_t start = start_step(c.start_tick);
      if (start < 0) {
        e.accepted = false;
        e.code = error_code::out_of_range;
        e.reason = "start_tick is already past when the command was applied";
        break;
      }
      applied_step = start;
      if (c.kind == command_kind::set_stimulation) device_.load(c.channel, c.site, c.program, start);
      else device_.set_controller(c.channel, c.controller, start);
      break;
    }
    case command_kind::clear_controller:
      if (c.all_channels) device_.clear_controllers();
      else device_.clear_controller(c.channel);
      break;
    case command_kind::clear_stimulation:
      if (c.all_channels) device_.clear_all();
      else device_.clear(c.channel);
      break;
    case command_kind::set_drive_rate:
      eng_->set_drive_rate_Hz(c.value);
      break;
    case command_kind::pause:
      paused_ = true;
      break;
    case command_kind::resume:
      paused_ = false;
      break;
    case command_kind::reset:
      e.retired_engine = eng_;
      eng_ = c.new_engine;
      eng_->set_external_current(&device_);
      eng_->set_record_spikes(spikes_on_);
      device_.clear_all();
      ++epoch_;
      break;
    case command_kind::step:
      steps_left_ += c.ticks;
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
      break;
  }
  e.tick_applied = (applied_step >= 0 ? applied_step : eng_->step_index()) / eng_->steps_per_tick();
  e.epoch = epoch_;
  push_event(e);
}

void realtime_loop::push_event(const command_event& e) noexcept {
  // A dropped event would leak a retired engine and leave a client without its ack: the queue is four
  // times the command queue, so this only happens if the I/O thread has stopped reading.
  if (!q_.events.push(e)) ++event_drops_;
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
  if (!q_.readouts.push(record_)) ++readout_drops_;
  if (!spikes_on_ || r.spike_steps.empty()) return;
  chunk_.tick = r.tick;
  chunk_.epoch = epoch_;
  for (std::size_t begin = 0; begin < r.spike_steps.size(); begin += kSpikeChunk) {
    const std::size_t n = std::min(kSpikeChunk, r.spike_steps.size() - begin);
    std::copy_n(r.spike_steps.begin() + static_cast<std::ptrdiff_t>(begin), n, chunk_.step.begin());
    std::copy_n(r.spike_neurons.begin() + static_cast<std::ptrdiff_t>(begin), n, chunk_.neuron.begin());
    chunk_.n = static_cast<std::uint32_t>(n);
    if (!q_.spikes.push(chunk_)) ++spike_drops_;
  }
}

void realtime_loop::maybe_push_status(std::int64_t now_ns) noexcept {
  if (now_ns - window_start_ns_ < kStatusPeriod_ns) return;
  const std::int64_t real_now = std::min(now_ns, monotonic_ns());
  const std::int64_t cpu = thread_cpu_ns();
  const double window_s = static_cast<double>(real_now - window_start_ns_) / 1e9;
  status_record& s = status_;
  s.paused = paused_;
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
  s.event_drops = event_drops_;
  s.rt_cpu_percent = window_s > 0 ? 100.0 * static_cast<double>(cpu - window_cpu_ns_) / 1e9 / window_s : 0.0;
  s.rate_exc_Hz = window_ticks_ ? window_rate_exc_ / static_cast<double>(window_ticks_) : 0.0;
  s.rate_inh_Hz = window_ticks_ ? window_rate_inh_ / static_cast<double>(window_ticks_) : 0.0;
  [[maybe_unused]] const bool pushed = q_.statuses.push(s);  // a lost status is superseded by the next
  lateness_.clear();
  compute_.clear();
  window_start_ns_ = real_now;
  window_cpu_ns_ = cpu;
  window_ticks_ = window_misses_ = 0;
  window_rate_exc_ = window_rate_inh_ = window_sim_ms_ = 0;
}

}  // namespace cortexloop::io
