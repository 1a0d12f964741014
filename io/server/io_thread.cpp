#include "io/server/io_thread.hpp"

#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <cstring>

#include "engine/engine.hpp"
#include "io/runtime/clock.hpp"
#include "io/runtime/thread_setup.hpp"
#include "io/protocol/session.hpp"
#include "io/server/reset_memory.hpp"

namespace cortexloop::io {

namespace {
constexpr int kMaxFramesPerWake = 512;
// And at most this long on commands before the real-time queues are drained again: a SetPrograms of eight large
// arbitrary programs costs ~40 ms to check, and a client sending them back to back held the thread for seconds
// (readouts dropped, other clients' acks waiting behind the batch). The readout queue holds 0.5 s of 1 ms ticks.
constexpr std::int64_t kCommandBudget_ns = 10'000'000;
constexpr auto kPollTimeout = std::chrono::milliseconds(20);
// Shutdown: keep refusing what arrives until the command socket is this quiet, for this long at most (a client
// flooding the socket must not hold the server open).
constexpr auto kShutdownQuiet = std::chrono::milliseconds(50);
constexpr std::int64_t kShutdownDrainMax_ns = 1'000'000'000;
// How often the I/O thread returns the heap's free pages to the system (release_free_memory).
constexpr std::int64_t kTrimPeriod_ns = 10'000'000'000;
}  // namespace

io_thread::io_thread(zmq::socket_t pub, zmq::socket_t router, realtime_queues& queues, io_thread_options options)
    : pub_(std::move(pub)), router_(std::move(router)), q_(queues), opt_(std::move(options)) {
  counters_.scheduling = opt_.scheduling;
}

io_thread::~io_thread() {
  if (builder_.joinable()) builder_.join();
  if (retirer_.joinable()) retirer_.join();
}

std::optional<status_snapshot> io_thread::latest_status() const {
  std::lock_guard lock(status_mutex_);
  return latest_;
}

void io_thread::run() {
  q_.wait_for_go();  // the server sets this thread's placement and scheduling note first
  window_cpu_ns_ = thread_cpu_ns();
  window_wall_ns_ = monotonic_ns();
  zmq::pollitem_t items[] = {{router_.handle(), 0, ZMQ_POLLIN, 0}, {nullptr, q_.wake_fd, ZMQ_POLLIN, 0}};
  for (;;) {
    zmq::poll(items, 2, kPollTimeout);
    if (items[1].revents & ZMQ_POLLIN) {
      std::uint64_t count;
      [[maybe_unused]] const auto n = read(q_.wake_fd, &count, sizeof count);
    }
    // The PUB socket stores the (un)subscriptions waiting for it (at most kSubscriptionQueuePerSubscriber per
    // connection) only when this thread calls into it; a stepped server between Steps publishes only its status,
    // once a second, and a second client's topics were not live after 60 s (test python_subscription_churn).
    // Asking for its events takes the next ones on every wake (at least every kPollTimeout).
    [[maybe_unused]] const int pub_events = pub_.get(zmq::sockopt::events);
    const bool finished = q_.finished.load(std::memory_order_acquire);
    receive_commands(kMaxFramesPerWake, kCommandBudget_ns);
    check_reset_builder();
    drain_realtime_queues();
    if (const std::int64_t now = monotonic_ns(); now >= next_trim_ns_) {
      if (next_trim_ns_ != 0) release_free_memory();
      next_trim_ns_ = now + kTrimPeriod_ns;
    }
    if (finished) {
      drain_realtime_queues();  // whatever the real-time thread pushed before it set `finished`
      break;
    }
  }
  if (builder_.joinable()) builder_.join();
  if (retirer_.joinable()) retirer_.join();
  // Every frame received before the sockets close gets its ack: what is still waiting on the socket
  // (refused as ShuttingDown by handle_frames, since `finished` is set), then what the real-time thread
  // will never apply.
  // Until the socket has been quiet for kShutdownQuiet (at most kShutdownDrainMax): libzmq refills its queue
  // from the connection (at most ZMQ_RCVHWM per client at a time) while we read.
  const std::int64_t drain_end = monotonic_ns() + kShutdownDrainMax_ns;
  zmq::pollitem_t router_item{router_.handle(), 0, ZMQ_POLLIN, 0};
  do receive_commands(-1);
  while (monotonic_ns() < drain_end && zmq::poll(&router_item, 1, kShutdownQuiet) > 0);
  for (auto& [token, p] : pending_) {
    ++counters_.commands_refused;
    reply(p.envelope, {.seq = p.seq, .code = error_code::shutting_down, .reason = "server stopped before applying it",
                       .epoch = current_epoch(), .client_send_ns = p.client_send_ns, .server_recv_ns = p.recv_ns});
  }
  pending_.clear();
  records_in_flight_.clear();
  q_.commands.reset();  // plain records: nothing to free (a handed-over engine stays in engine_slot)
  {
    std::lock_guard lock(status_mutex_);  // the final counters, including these last refusals
    if (latest_) {
      latest_->io = counters_, latest_->io.scheduling = {};
      // And on the stream: the last Status published said nothing of the shutdown drain's refusals (an outside
      // check counted 20000 acks against a last commands_received of 9013).
      encode_status(fbb_, latest_->status, counters_);
      publish(kTopicStatus, fbb_.GetBufferSpan());
    }
  }
  pub_.set(zmq::sockopt::linger, 500);  // let the last readouts and status reach subscribers
  router_.set(zmq::sockopt::linger, 200);
  pub_.close();
  router_.close();
}

void io_thread::receive_commands(int max_frames, std::int64_t budget_ns) {
  // [identity, empty, command] is the longest a command can be; one frame more marks a message to refuse.
  constexpr std::size_t kMostFrames = 4;
  std::vector<zmq::message_t> frames;
  const std::int64_t start_ns = budget_ns > 0 ? monotonic_ns() : 0;
  for (int n = 0; max_frames < 0 || n < max_frames; ++n) {
    if (!discard_long_message(start_ns, budget_ns)) break;
    frames.clear();
    frames.emplace_back();
    if (!router_.recv(frames.back(), zmq::recv_flags::dontwait)) break;
    // libzmq hands over a multipart message only once all of it has arrived: its other frames are here.
    while (frames.back().more() && frames.size() < kMostFrames) {
      frames.emplace_back();
      if (!router_.recv(frames.back(), zmq::recv_flags::dontwait)) break;
    }
    if (frames.back().more()) {  // more frames than any command: dropped as they are read
      long_message_ = {.active = true, .envelope = {}, .frames_after_envelope = 0, .recv_ns = monotonic_ns()};
      long_message_.frames_after_envelope = frames.size() - read_envelope(frames, long_message_.envelope);
      ++counters_.commands_received;
      continue;
    }
    handle_frames(frames);
    if (budget_ns > 0 && monotonic_ns() - start_ns >= budget_ns) break;  // the rest after a drain (run())
  }
  // One wake-up per batch: an idle real-time loop sleeps on command_fd until something is queued.
  if (commands_pushed_) q_.wake_realtime();
  commands_pushed_ = false;
}

bool io_thread::discard_long_message(std::int64_t start_ns, std::int64_t budget_ns) {
  zmq::message_t frame;
  while (long_message_.active) {
    // libzmq hands a message over whole, so its frames are all here; should one not be, the rest waits for the
    // next call, still discarded.
    if (!router_.recv(frame, zmq::recv_flags::dontwait)) return false;
    ++long_message_.frames_after_envelope;
    if (!frame.more()) {
      long_message_.active = false;
      refuse_frames(long_message_.envelope, long_message_.frames_after_envelope, long_message_.recv_ns);
      return true;
    }
    // The clock read every 1024 frames: a frame is dropped in well under a microsecond.
    if (budget_ns > 0 && long_message_.frames_after_envelope % 1024 == 0 && monotonic_ns() - start_ns >= budget_ns)
      return false;
  }
  return true;
}

std::size_t io_thread::read_envelope(const std::vector<zmq::message_t>& frames, std::vector<std::string>& envelope) {
  // [identity, (empty delimiter from REQ,) command...]: the ack goes back with the same envelope.
  envelope.push_back(frames[0].to_string());
  if (frames.size() >= 3 && frames[1].size() == 0) {
    envelope.emplace_back();
    return 2;
  }
  return 1;
}

void io_thread::refuse_frames(const std::vector<std::string>& envelope, std::size_t frames_after_envelope,
                              std::int64_t recv_ns) {
  ++counters_.commands_refused;
  reply(envelope, {.code = error_code::malformed,
                   .reason = "a command is one frame; this message had " + std::to_string(frames_after_envelope) +
                             " frames after the envelope (not parsed)",
                   .epoch = current_epoch(), .server_recv_ns = recv_ns});
}

void io_thread::handle_frames(std::vector<zmq::message_t>& frames) {
  const std::int64_t recv_ns = monotonic_ns();
  ++counters_.commands_received;
  pending p;
  p.recv_ns = recv_ns;
  // A message is [identity, (empty delimiter from REQ,) command]. Anything else (a client sending several frames
  // as one message) is one refused command: one ack.
  const std::size_t body = read_envelope(frames, p.envelope);
  if (frames.size() != body + 1)
    return refuse_frames(p.envelope, frames.size() > body ? frames.size() - body : 0, recv_ns);
  const zmq::message_t& payload = frames.back();
  aligned_.assign(static_cast<const std::uint8_t*>(payload.data()),
                  static_cast<const std::uint8_t*>(payload.data()) + payload.size());
  decoded_command d = decode_command(aligned_, opt_.limits);
  p.seq = d.seq;
  p.client_send_ns = d.client_send_ns;
  auto refuse = [&](error_code code, std::string_view reason) {
    ++counters_.commands_refused;
    if (code == error_code::queue_full) ++counters_.commands_dropped;
    reply(p.envelope, {.seq = p.seq, .code = code, .reason = reason, .epoch = current_epoch(),
                       .client_send_ns = p.client_send_ns, .server_recv_ns = recv_ns});
  };
  if (!d.ok) return refuse(d.code, d.reason);
  if (q_.finished.load(std::memory_order_acquire) || q_.stop.load(std::memory_order_relaxed))
    return refuse(error_code::shutting_down, "server is stopping");
  d.cmd.token = next_token_++;
  if (d.cmd.kind != command_kind::get_info) p.bytes = aligned_;  // for topic "applied" (a replay re-sends it)
  if (d.cmd.kind == command_kind::get_info) {  // nothing to apply: answered here, at once
    refresh_info();
    const ack_fields ack{.seq = p.seq, .accepted = true, .code = error_code::ok, .reason = {}, .epoch = opt_.info.epoch,
                         .client_send_ns = p.client_send_ns, .server_recv_ns = recv_ns};
    return reply(p.envelope, ack, &opt_.info);
  }
  if (d.cmd.kind == command_kind::reset) {
    if (reset_in_flight_) return refuse(error_code::busy, "a Reset is already in progress");
    reset_command_ = d.cmd;
    reset_in_flight_ = true;
    reset_epoch_ = current_epoch();
    reset_seed_ = d.cmd.seed;
    pending_.emplace(d.cmd.token, std::move(p));
    engine::engine_params params = opt_.params;
    params.simulation.seed = d.cmd.seed;
    built_ = false;
    builder_ = std::thread([this, params] {
      // Off the real-time thread's CPU: this thread and its set-up threads (fewer by one) would otherwise compete
      // with it, under stock scheduling, for its CPU (thread_setup.hpp).
      keep_off_realtime_cpu(opt_.worker_cpu, q_.realtime_tid.load(std::memory_order_relaxed));
      pthread_setname_np(pthread_self(), "cl-reset-build");  // for top -H and perf, as serve names its threads
      try {
        built_engine_ = std::make_unique<engine::engine>(params);
        built_engine_->place_workers(opt_.worker_cpu, opt_.worker_fifo);
      } catch (const std::bad_alloc&) {
        built_engine_.reset();  // what was built of it goes before the reason is composed
        build_error_ = reset_out_of_memory_reason();
      } catch (const std::exception& e) {
        build_error_ = e.what();
      }
      built_.store(true, std::memory_order_release);
      q_.wake();  // poll wakes on the eventfd: hand the engine over promptly
    });
    return;
  }
  const std::size_t records = d.group.empty() ? 1 : d.group.size();
  if (!may_queue(p.envelope.front(), records))
    // In flight: handed to the real-time thread and not yet acknowledged, which counts commands applied whose acks
    // this thread has still to send (168 of them read as "waiting for the real-time thread", where its queue holds
    // 64: an outside check, 2026-12-06).
    return refuse(error_code::queue_full,
                  "this client has " + std::to_string(in_flight(p.envelope.front())) +
                      " records in flight (handed to the real-time thread, not yet acknowledged); past " +
                      std::to_string(kFairRecords) + " a client's may not take the command queue's last " +
                      std::to_string(kReservedRecords) + " slots, kept for other clients, and no other is free: retry later");
  if (!d.group.empty()) {
    // One queue write for the whole group, so the real-time thread sees all of it or none.
    for (command& c : d.group) c.token = d.cmd.token;
    if (q_.commands.write_available() < d.group.size() ||
        q_.commands.push(d.group.data(), d.group.size()) != d.group.size())
      return refuse(error_code::queue_full, "command queue to the real-time thread is full; retry later");
  } else if (!q_.commands.push(d.cmd)) {
    return refuse(error_code::queue_full, "command queue to the real-time thread is full; retry later");
  }
  commands_pushed_ = true;
  p.records = records;
  records_in_flight_[p.envelope.front()] += records;
  pending_.emplace(d.cmd.token, std::move(p));
}

std::size_t io_thread::in_flight(const std::string& identity) const {
  const auto it = records_in_flight_.find(identity);
  return it == records_in_flight_.end() ? 0 : it->second;
}

bool io_thread::may_queue(const std::string& identity, std::size_t records) const {
  if (in_flight(identity) + records <= kFairRecords) return true;
  const std::size_t room = q_.commands.write_available();
  return room >= records && room - records >= kReservedRecords;
}

void io_thread::release_records(const pending& p) {
  if (p.records == 0) return;
  const auto it = records_in_flight_.find(p.envelope.front());
  if (it == records_in_flight_.end()) return;
  it->second -= std::min(it->second, p.records);
  if (it->second == 0) records_in_flight_.erase(it);
}

void io_thread::refresh_info() {
  opt_.info.epoch = current_epoch();
  if (reset_applied_at(opt_.info.epoch)) opt_.info.seed = reset_seed_;
  opt_.info.commands_applied = applied_;
}

void io_thread::check_reset_builder() {
  if (builder_.joinable() && built_.load(std::memory_order_acquire)) builder_.join();
  // Applied: the real-time thread swapped engines and published the new epoch (release); the slot now holds
  // the retired engine, destroyed off the real-time thread.
  if (reset_applied_at(q_.epoch.load(std::memory_order_acquire))) {
    retire(std::move(q_.engine_slot));
    refresh_info();  // the seed, before reset_in_flight_ no longer says which
    reset_in_flight_ = false;
  }
  if (builder_.joinable() || !reset_command_) return;
  const command c = *reset_command_;
  // Built but not yet handed over (the queue was full at the last try): the engine waits in the slot, which is
  // no build failure (the soak found this refused as "Reset failed: " and run later under the old seed).
  if (!built_engine_ && !q_.engine_slot) {
    auto it = pending_.find(c.token);
    ++counters_.commands_refused;
    reply(it->second.envelope, {.seq = it->second.seq, .code = error_code::out_of_range,
                                .reason = "Reset failed: " + build_error_, .epoch = current_epoch(),
                                .client_send_ns = it->second.client_send_ns, .server_recv_ns = it->second.recv_ns});
    pending_.erase(it);
    reset_command_.reset();
    reset_in_flight_ = false;
    return;
  }
  // The slot is ours until the command is popped: move the engine in first, then publish the command (the
  // queue's push is a release). If the queue is full the engine waits in the slot (owned) for the next try.
  if (!q_.engine_slot) q_.engine_slot = std::move(built_engine_);
  if (!q_.commands.push(c)) return;
  reset_command_.reset();
  q_.wake_realtime();
}

void io_thread::retire(std::unique_ptr<engine::engine> old) {
  // The previous retirement is long over (a Reset's build takes longer than a destruction): the join waits for
  // nothing but a thread's exit.
  if (retirer_.joinable()) retirer_.join();
  retirer_ = std::thread([old = std::move(old), cpu = opt_.worker_cpu,
                           tid = q_.realtime_tid.load(std::memory_order_relaxed)]() mutable {
    keep_off_realtime_cpu(cpu, tid);  // as the builder
    pthread_setname_np(pthread_self(), "cl-retire");
    old.reset();  // joins its worker threads, frees its tables
    release_free_memory();  // what of the old engine's memory was heap, not mmapped (see release_free_memory)
  });
}

// Freed memory that glibc keeps in its heaps shows as resident (RSS) for good unless it is at the top of a heap
// and above the trim threshold: measured, a subscriber that stopped reading made the server queue up to
// pub_hwm messages for it (~10 MB of readouts, allocated in this thread's arena as it publishes), and after it
// left the 10 MB stayed resident, free but fragmented by the small messages allocated meanwhile
// (bench/reset_rss.py --stall-s; bench/README.md, "bench/soak.py"). malloc_trim(0) gives every whole free page
// of every arena back (madvise), wherever it is. It runs here, never on the real-time thread (which neither
// allocates nor frees): it locks each arena in turn, which only a thread that allocates can notice.
void io_thread::release_free_memory() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

void io_thread::reply(const std::vector<std::string>& envelope, const ack_fields& ack_in, const server_info* info) {
  ack_fields ack = ack_in;
  ack.server_send_ns = monotonic_ns();
  encode_ack(fbb_, ack, info);
  const auto bytes = fbb_.GetBufferSpan();
  // With ZMQ_ROUTER_MANDATORY a client that is gone (EHOSTUNREACH) or whose queue at the server is full
  // (EAGAIN, sndhwm unread acks) fails the first frame: nothing is sent and the ack is counted as dropped.
  // It is still published on topic "ack".
  bool sent = true;
  try {
    for (const std::string& frame : envelope)
      if (sent && !router_.send(zmq::buffer(frame), zmq::send_flags::sndmore | zmq::send_flags::dontwait)) sent = false;
    if (sent && !router_.send(zmq::buffer(bytes.data(), bytes.size()), zmq::send_flags::dontwait)) sent = false;
  } catch (const zmq::error_t&) {  // EHOSTUNREACH
    sent = false;
  }
  if (!sent) ++counters_.ack_drops;
  if (info == nullptr) return publish(kTopicAck, bytes);
  // The copy on topic "ack" of a GetInfo answer leaves its Info out (subscribers have it on topic "info" every
  // second): with it, two local clients flooding GetInfo (~65,000 a second, 3.8 kB each) had the server publish
  // ~250 MB/s of acks to every subscriber of "ack", and a `record --sync` beside them lost half its readouts and 5
  // of 8 applied commands while the server counted no drop (an outside audit, 2026-12-07).
  encode_ack(fbb_, ack);
  publish(kTopicAck, fbb_.GetBufferSpan());
}

void io_thread::publish(std::string_view topic, std::span<const std::uint8_t> payload) {
  if (!pub_.send(zmq::buffer(topic), zmq::send_flags::sndmore | zmq::send_flags::dontwait) ||
      !pub_.send(zmq::buffer(payload.data(), payload.size()), zmq::send_flags::dontwait))
    ++counters_.publish_drops;
}

void io_thread::drain_realtime_queues() {
  q_.events.consume_all([&](const command_event& e) {
    if (e.kind == command_kind::set_parameter && e.parameter == parameter_id::stream_readout_every)
      opt_.readout_every = static_cast<int>(e.value);
    auto it = pending_.find(e.token);
    if (it == pending_.end()) return;
    const pending& p = it->second;
    // Every command that reached the real-time thread, accepted or refused there (a refused one still fed the
    // watchdogs), with its bytes and the tick it was applied at: what a recording needs to replay the session.
    encode_applied(fbb_, {.index = applied_++, .tick = e.drain_tick, .epoch = e.drain_epoch, .accepted = e.accepted,
                          .code = e.code, .tick_applied = e.tick_applied, .epoch_applied = e.epoch, .seq = p.seq,
                          .command = p.bytes});
    publish(kTopicApplied, fbb_.GetBufferSpan());
    if (!e.accepted) ++counters_.commands_refused;
    reply(p.envelope, {.seq = p.seq, .accepted = e.accepted, .code = e.code, .reason = event_reason(e),
                       .tick_applied = e.tick_applied, .epoch = e.epoch, .client_send_ns = p.client_send_ns,
                       .server_recv_ns = p.recv_ns, .server_applied_ns = e.applied_ns});
    release_records(p);
    pending_.erase(it);
  });
  // Safety events go out on their own topic whatever the readout decimation, from their own queue (a readout dropped
  // from a full queue took its tick's events with it). The real-time thread pushes a tick's events before its
  // readout: each readout goes out after the events of its tick and of the ticks before it, as it did when they
  // travelled in it; events whose readout was dropped go out all the same.
  const auto publish_safety = [&](const readout_record* up_to) {
    pop_safety_through(q_, up_to, [&](const safety_record& s) {
      encode_safety(fbb_, s.event, s.epoch);
      publish(kTopicSafety, fbb_.GetBufferSpan());
    });
  };
  q_.readouts.consume_all([&](const readout_record& r) {
    publish_safety(&r);
    const std::int64_t now = monotonic_ns();
    readout_age_.record(now - r.tick_start_ns);
    if (readouts_seen_++ % static_cast<std::uint64_t>(opt_.readout_every) != 0) return;
    encode_readout(fbb_, r, now, opt_.info.session_id);
    publish(kTopicReadout, fbb_.GetBufferSpan());
  });
  publish_safety(nullptr);
  q_.spikes.consume_all([&](const spike_chunk& s) {
    encode_spikes(fbb_, s, opt_.dt_ms);
    publish(kTopicSpikes, fbb_.GetBufferSpan());
  });
  q_.statuses.consume_all([&](const status_record& s) {
    const std::int64_t cpu = thread_cpu_ns(), wall = monotonic_ns();
    counters_.io_cpu_percent = wall > window_wall_ns_ ? 100.0 * static_cast<double>(cpu - window_cpu_ns_) /
                                                            static_cast<double>(wall - window_wall_ns_)
                                                      : 0.0;
    window_cpu_ns_ = cpu;
    window_wall_ns_ = wall;
    if (opt_.zap) {
      counters_.curve = true;
      counters_.curve_accepted = opt_.zap->accepted();
      counters_.curve_denied = opt_.zap->denied();
    }
    counters_.readout_age_p99_us = readout_age_.percentile_us(0.99);
    counters_.readout_age_max_us = readout_age_.max_us();
    readout_age_.clear();
    counters_.readout_every = opt_.readout_every;
    encode_status(fbb_, s, counters_);
    publish(kTopicStatus, fbb_.GetBufferSpan());
    // Subscribers learn the server's shape without a command (and a late joiner within a second).
    refresh_info();
    encode_info(fbb_, opt_.info);
    publish(kTopicInfo, fbb_.GetBufferSpan());
    std::lock_guard lock(status_mutex_);
    latest_ = status_snapshot{s, counters_};
    latest_->io.scheduling = {};
  });
}

}  // namespace cortexloop::io
