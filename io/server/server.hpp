#pragma once
// `cortexloop serve` without the command line: builds the engine from a config, binds the two sockets,
// and runs the real-time thread (realtime_loop) and the I/O thread (io_thread) until stopped or done.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine/params.hpp"
#include "io/server/io_thread.hpp"
#include "io/server/ipc_socket_file.hpp"
#include "io/runtime/realtime_loop.hpp"
#include "io/security/security.hpp"

namespace cortexloop::io {

// Limits of the command socket (docs/protocol.md, "Limits").
// ZMQ_MAXMSGSIZE of the command socket: larger frames drop the connection. The largest valid command is a SetPrograms
// of 8 arbitrary waveforms of 1024 samples, 33.4-34.2 kB from the Python client (optional fields at their defaults or
// all set); the limit is that and a sixth. It
// bounds what one subscriber that stopped reading holds too: every command read is republished on topic "applied",
// bytes as sent, into each subscriber's queue of 5000 messages: with 64 KiB frames padded past their FlatBuffer, an
// outside check's stalled subscriber cost the server 330 MB (2026-12-05); at 40 KiB at most 5000 x 40 KiB.
inline constexpr std::int64_t kMaxCommand_bytes = 40 * 1024;
// ZMQ_MAXMSGSIZE of the PUB socket, whose inbound frames are (un)subscriptions: a flag byte and a topic prefix (the
// longest topic is 8 bytes). libzmq stores a subscription one trie node per byte on its I/O thread: a 4 MiB one took
// the server to 418 MB and held its readouts back 2.5 s (an outside check, 2026-12-04). Not 256: the limit also
// holds the handshake's commands, and CURVE's INITIATE (its vouch and metadata) is a few hundred bytes (at 256 no
// CURVE subscriber got through).
inline constexpr std::int64_t kMaxSubscription_bytes = 4096;
// ZMQ_RCVHWM of the PUB socket: the (un)subscriptions of one connection that may wait for it. libzmq stores what waits
// on the socket's owning thread, the I/O thread, whenever it calls into the socket: with libzmq's default of 1000, one SUB
// sending subscribe + unsubscribe pairs of random 400-byte topics kept that thread in the trie, the readout queue
// overflowed (~1000 readouts dropped a second for every subscriber) and acks came seconds late (an outside audit,
// 2026-12-06). At 2, what one connection can hand the I/O thread is paced by the round trips that refill this queue
// from libzmq's own I/O thread; the rest waits in the sender's queue (TCP pushes back). A client's own few topics (7
// at most) are live within a few wakes of the I/O thread, which takes them on every wake (io_thread.cpp).
// bench/README.md, "Subscription churn".
inline constexpr int kSubscriptionQueuePerSubscriber = 2;
inline constexpr int kAckQueuePerClient = 10000;               // ZMQ_SNDHWM: unread acks queued per client
inline constexpr int kCommandQueuePerClient = 1000;            // ZMQ_RCVHWM: unread commands queued per client

struct server_options {
  engine::engine_params params;
  // The simulated device ([device] of the config); absent: the default (direct sites only).
  std::optional<firmware_sim::device_params> device;
  run_mode mode = run_mode::realtime;
  std::string pub_endpoint = "tcp://127.0.0.1:5555";      // readouts, status, spikes, acks
  std::string command_endpoint = "tcp://127.0.0.1:5556";  // commands in, acks back
  std::int64_t max_ticks = -1;      // stop after this many ticks; -1: until stopped
  std::int64_t spin_ns = 0;         // realtime: busy-wait before each deadline
  int cpu = -1;                     // pin the real-time thread to this CPU (-1: no pinning)
  bool lock_memory = false;         // mlockall(MCL_CURRENT | MCL_FUTURE)
  int fifo_priority = 0;            // SCHED_FIFO priority of the real-time thread (0: normal scheduling)
  int io_cpu = -1;                  // pin the I/O thread and libzmq's I/O thread to this CPU (-1: no pinning)
  // With io_cpu < 0 and the real-time thread pinned (cpu >= 0): keep the I/O threads on every other CPU. Under
  // SCHED_FIFO the real-time thread preempts whatever shares its CPU for its spin and compute, and an I/O
  // thread caught there receives a command too late for the next tick (bench/next_tick.py; `serve --rt`).
  bool io_off_realtime_cpu = false;
  bool stream_spikes = false;
  int readout_every = 1;
  // Messages queued per subscriber before ZeroMQ drops for it: 5 s of readouts at 1 ms ticks, ~9 MB with a
  // 100-unit ring. It bounds what a subscriber that stops reading (or is gone) can make the server hold.
  int pub_hwm = 5000;
  // The resolved config text `params` and `device` were built from (load_config's tree, base and --set
  // applied: io::resolved_config_text), published in Info.config_toml for recorders; "" when not known.
  std::string config_toml;
  // CURVE on both sockets (docs/protocol.md, "Security and threat model"): the server's key pair and the public
  // keys of the clients it admits (a ZAP handler refuses every other key). Absent: neither encryption nor
  // authentication, which the server allows on loopback (and ipc://) only, unless `insecure`.
  std::optional<curve_server_keys> curve;
  bool insecure = false;  // bind off loopback without CURVE (serve --insecure); insecure_endpoints() names them
  // Called on the real-time thread just before its loop (tests count that thread's allocations).
  std::function<void()> on_realtime_thread_start;
};

class server {
 public:
  // Builds the engine and binds the sockets; throws (zmq::error_t, config errors) on failure.
  explicit server(server_options options);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  void start();
  void request_stop() noexcept;   // async: both threads finish and drain
  bool finished() const noexcept;  // the real-time thread has exited (stopped or max_ticks reached)
  void wait();                     // joins both threads

  const std::string& pub_endpoint() const noexcept { return pub_endpoint_; }          // as bound (resolved '*')
  const std::string& command_endpoint() const noexcept { return command_endpoint_; }
  const std::string& scheduling() const noexcept { return scheduling_; }  // what the real-time thread got
  bool fifo_granted() const noexcept { return fifo_granted_; }  // SCHED_FIFO asked for and given
  std::optional<status_snapshot> latest_status() const { return io_->latest_status(); }
  double tick_ms() const noexcept { return tick_ms_; }
  // Passes of the real-time loop so far (how often it woke up; an idle server should barely move it).
  std::int64_t realtime_loop_passes() const noexcept { return queues_->loop_passes.load(std::memory_order_relaxed); }
  bool curve_enabled() const noexcept { return zap_ != nullptr; }
  // CURVE handshakes the ZAP handler admitted / refused (an unlisted client key); 0 without CURVE. A client
  // without keys, or with a wrong server key, fails before ZAP and is not counted.
  std::int64_t curve_accepted() const noexcept { return zap_ ? zap_->accepted() : 0; }
  std::int64_t curve_denied() const noexcept { return zap_ ? zap_->denied() : 0; }
  std::string curve_last_denied() const { return zap_ ? zap_->last_denied() : std::string(); }
  // Endpoints (as bound) open off loopback without CURVE: only with `insecure`; serve warns about each.
  const std::vector<std::string>& insecure_endpoints() const noexcept { return insecure_endpoints_; }

 private:
  std::string configure_realtime_thread();
  std::string configure_io_thread();
  bool io_off_rt() const noexcept;

  server_options opt_;
  double tick_ms_;
  zmq::context_t context_{1};
  // Before io_: removed after the I/O thread's sockets are closed.
  std::vector<ipc_socket_file> ipc_files_;
  std::unique_ptr<zap_handler> zap_;  // after context_: stopped before the context ends, after the sockets close
  std::unique_ptr<realtime_queues> queues_;
  std::unique_ptr<realtime_loop> loop_;
  std::unique_ptr<io_thread> io_;
  std::string pub_endpoint_, command_endpoint_, scheduling_, workers_note_;
  bool fifo_granted_ = false;
  std::vector<std::string> insecure_endpoints_;
  std::thread rt_thread_, io_thread_;
};

}  // namespace cortexloop::io
