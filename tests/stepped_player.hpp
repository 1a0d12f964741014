#pragma once
// Plays the I/O thread of a realtime_loop in stepped mode, without sockets: queues commands and a Step of n ticks,
// then drains every queue until those ticks' readouts have arrived, handing each readout to the caller. (Tests
// that look at what the real-time thread does between Steps: test_realtime_loop, test_alloc_realtime.)
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "io/runtime/realtime_loop.hpp"

namespace cortexloop::testing {

class stepped_player {
 public:
  explicit stepped_player(io::realtime_queues& q) : q_(q) {}
  // Queues `commands` (their tokens as given) and a Step of `ticks`, and waits up to 60 s for the ticks.
  void run(const std::vector<io::command>& commands, std::int64_t ticks,
           const std::function<void(const io::readout_record&)>& on_readout = {}) {
    for (const io::command& c : commands) REQUIRE(q_.commands.push(c));
    io::command step;
    step.kind = io::command_kind::step;
    step.ticks = ticks;
    step.token = next_token();
    REQUIRE(q_.commands.push(step));
    q_.wake_realtime();
    const std::int64_t until = ticks_seen + ticks;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (ticks_seen < until && std::chrono::steady_clock::now() < deadline) {
      while (q_.readouts.pop(*r_)) {
        ++ticks_seen;
        if (on_readout) on_readout(*r_);
      }
      q_.events.consume_all([&](const io::command_event& e) { events.push_back(e); });
      q_.statuses.consume_all([](const io::status_record&) {});
      q_.spikes.consume_all([](const io::spike_chunk&) {});
      q_.safety.consume_all([](const io::safety_record&) {});  // published from their own queue (io_thread)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    REQUIRE(ticks_seen == until);
  }
  std::uint64_t next_token() { return ++token_; }
  std::uint64_t tokens_used() const { return token_; }

  std::int64_t ticks_seen = 0;
  std::vector<io::command_event> events;  // every ack so far, in order

 private:
  io::realtime_queues& q_;
  std::unique_ptr<io::readout_record> r_ = std::make_unique<io::readout_record>();
  std::uint64_t token_ = 0;
};

}  // namespace cortexloop::testing
