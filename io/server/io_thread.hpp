#pragma once
// The I/O thread: owns every ZeroMQ socket of the server. It receives commands on the ROUTER socket,
// verifies and validates them (io/protocol/codec.hpp), refuses bad ones at once with a reason, hands good ones to
// the real-time thread, turns the real-time thread's events into acks, and publishes readouts, spikes,
// status and acks on the PUB socket. It wakes on socket input or on the real-time thread's eventfd.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "engine/params.hpp"
#include "io/protocol/codec.hpp"
#include "io/runtime/latency_histogram.hpp"
#include "io/runtime/realtime_loop.hpp"
#include "io/security/security.hpp"

namespace cortexloop::io {

// The latest status, for the server's status line.
struct status_snapshot {
  status_record status;
  io_counters io;  // io.scheduling is empty here; see server::scheduling()
};

struct io_thread_options {
  decode_limits limits;
  engine::engine_params params;  // to build engines for Reset
  double dt_ms = 0.1;
  int readout_every = 1;
  int worker_cpu = -1, worker_fifo = 0;  // where the real-time thread runs: engines built for Reset place their workers
  std::string scheduling;        // reported in every status
  server_info info;              // GetInfo and topic "info" (seed and epoch kept current by the I/O thread)
  // CURVE's ZAP handler, whose counters every status carries (nullptr: no CURVE). It outlives the I/O thread.
  const zap_handler* zap = nullptr;
};

class io_thread {
 public:
  io_thread(zmq::socket_t pub, zmq::socket_t router, realtime_queues& queues, io_thread_options options);
  ~io_thread();
  // The thread body: returns once the real-time thread has finished and every queue is drained.
  void run();
  std::optional<status_snapshot> latest_status() const;
  // Before run(): the scheduling note reported in every status.
  void set_scheduling(std::string note) {
    opt_.scheduling = std::move(note);
    counters_.scheduling = opt_.scheduling;
  }

  // The queue to the real-time thread is shared by every client: one flooding pings took it whole, and another
  // client's commands were refused QueueFull 23-36 % of the time (an outside check, 2026-12-05). A client's records
  // past its first kFairRecords in flight may not take the queue's last kReservedRecords slots, which stay for
  // clients with fewer in flight: a flooder holds at most 64 - 16 = 48 records, and beside one flooder any other
  // client can have up to 16 (two SetPrograms of 8) waiting (two flooders can still take all 64 between them). Keyed
  // by ZeroMQ routing identity; an entry goes when its count reaches 0.
  static constexpr std::size_t kFairRecords = 16, kReservedRecords = 16;

 private:
  struct pending {
    std::vector<std::string> envelope;  // routing frames (identity, and an empty delimiter for REQ)
    std::uint64_t seq = 0;
    std::int64_t client_send_ns = 0, recv_ns = 0;
    std::vector<std::uint8_t> bytes;  // the command as received: published on topic "applied" once applied
    std::size_t records = 0;          // records it holds in the queue to the real-time thread
  };
  std::size_t in_flight(const std::string& identity) const;  // records of this client in the queue
  bool may_queue(const std::string& identity, std::size_t records) const;
  void release_records(const pending& p);
  std::unordered_map<std::string, std::size_t> records_in_flight_;
  // Up to max_frames messages (< 0: all waiting), stopping once budget_ns (> 0) of time has gone on them.
  void receive_commands(int max_frames, std::int64_t budget_ns = 0);
  void handle_frames(std::vector<zmq::message_t>& frames);
  // The routing frames of a message into `envelope`; returns how many there are (1, or 2 with a REQ's delimiter).
  static std::size_t read_envelope(const std::vector<zmq::message_t>& frames, std::vector<std::string>& envelope);
  // One Malformed ack for a message that is not one command frame.
  void refuse_frames(const std::vector<std::string>& envelope, std::size_t frames_after_envelope, std::int64_t recv_ns);
  // A message with more frames than a command has ([identity, (empty,) command]): its frames are read one at a time
  // and dropped, at most until budget_ns from start_ns, and the rest on the next call, so that one message of
  // millions of frames neither piles up here nor holds the readouts back; its one Malformed ack goes when its last
  // frame has been read. Returns false while frames of it remain.
  bool discard_long_message(std::int64_t start_ns, std::int64_t budget_ns);
  struct long_message {
    bool active = false;
    std::vector<std::string> envelope;
    std::size_t frames_after_envelope = 0;
    std::int64_t recv_ns = 0;
  };
  long_message long_message_;
  void reply(const std::vector<std::string>& envelope, const ack_fields& ack, const server_info* info = nullptr);
  std::uint32_t current_epoch() const noexcept { return q_.epoch.load(std::memory_order_relaxed); }
  void drain_realtime_queues();
  void check_reset_builder();
  // opt_.info brought up to date: the epoch now, the seed that goes with it, the commands applied. The epoch moves
  // on the real-time thread when it applies a Reset, before this thread has seen the Reset's event or retired the
  // old engine; the seed is read from the same epoch, so an Info never pairs a new epoch with the old seed (or the
  // Reset's ack with an Info still naming the old seed).
  void refresh_info();
  // The Reset in flight has been applied at `epoch`: only a Reset moves the epoch, and one is in flight at a time.
  bool reset_applied_at(std::uint32_t epoch) const noexcept {
    return reset_in_flight_ && !reset_command_ && epoch != reset_epoch_;
  }
  void publish(std::string_view topic, std::span<const std::uint8_t> payload);

  zmq::socket_t pub_, router_;
  realtime_queues& q_;
  io_thread_options opt_;
  flatbuffers::FlatBufferBuilder fbb_{4096};
  std::vector<std::uint8_t> aligned_;  // incoming payload copied to aligned memory before verifying
  std::unordered_map<std::uint64_t, pending> pending_;
  std::uint64_t next_token_ = 1;
  std::uint64_t readouts_seen_ = 0;
  // Each readout's age when this thread takes it (from its tick's start: the tick's compute, its wait in the queue
  // and this thread's own delay), per status window: nothing measured the hand-off, which reached 112 ms while
  // the status showed nothing (an outside check, 2026-12-04).
  latency_histogram readout_age_;
  std::int64_t applied_ = 0;  // events from the real-time thread so far: Applied.index of the next
  io_counters counters_;
  std::int64_t window_cpu_ns_ = 0, window_wall_ns_ = 0;
  std::int64_t next_trim_ns_ = 0;  // when release_free_memory() is next due
  // Hands the heap's free pages back to the system (glibc malloc_trim), every kTrimPeriod and after a Reset.
  static void release_free_memory();

  // Reset: the new engine is built on a helper thread, then handed over through realtime_queues::engine_slot.
  // One Reset at a time, from its arrival until the real-time thread has applied it (epoch moved past
  // reset_epoch_); meanwhile other Resets are refused as Busy and nobody but the real-time thread touches the slot.
  std::thread builder_;
  std::atomic<bool> built_{false};
  // The engine a Reset replaced, destroyed (and the heap trimmed) on this thread of its own: done on the I/O
  // thread it held up the publication of the new epoch's first readouts (bench/README.md, "Reset: the old engine
  // destroyed off the I/O thread").
  std::thread retirer_;
  void retire(std::unique_ptr<engine::engine> old);
  std::unique_ptr<engine::engine> built_engine_;
  std::string build_error_;
  std::optional<command> reset_command_;  // built or building, not yet in the command queue
  bool commands_pushed_ = false;          // since the last wake_realtime()
  bool reset_in_flight_ = false;          // from arrival until applied (or refused)
  std::uint32_t reset_epoch_ = 0;         // the epoch when it arrived
  std::uint64_t reset_seed_ = 0;

  mutable std::mutex status_mutex_;
  std::optional<status_snapshot> latest_;
};

}  // namespace cortexloop::io
