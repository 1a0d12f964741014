// The real-time loop and its queues without sockets: this test file plays the I/O thread, so it can be as
// slow a consumer as it likes and look at every record.
#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "engine/engine.hpp"
#include "io/config/config_device.hpp"
#include "io/config/config_loader.hpp"
#include "io/runtime/realtime_loop.hpp"

using namespace cortexloop;
using namespace std::chrono_literals;

namespace {
long minor_faults_of_this_thread() {
  rusage u{};
  getrusage(RUSAGE_THREAD, &u);
  return u.ru_minflt;
}
}  // namespace

TEST_CASE("in fast mode no spike batch is dropped, however slowly the I/O side reads", "[realtime][spikes]") {
  const std::vector<std::string> overrides = {"network.n_neurons=1000", "network.drive.ramp_ms=0"};
  const auto params = io::load_config(CORTEXLOOP_SOURCE_DIR "/configs/zerlaut2018_network.toml", overrides);
  auto eng = std::make_unique<engine::engine>(params);
  auto q = std::make_unique<io::realtime_queues>();
  constexpr std::int64_t kTicks = 400;  // > 128 batches (the spike queue) at >= 1 batch per tick with spikes
  io::realtime_loop loop(std::move(eng), io::default_device(params), *q,
                         {.mode = io::run_mode::fast, .max_ticks = kTicks, .stream_spikes = true});
  q->go = true;
  std::thread rt([&] { loop.run(); });
  std::int64_t readout_spikes = 0, batch_spikes = 0, readouts = 0;
  io::status_record last_status{};
  // A slow consumer of spikes (one batch per ms), a prompt one of everything else.
  while (!q->finished.load() || q->readouts.read_available() || q->spikes.read_available() ||
         q->statuses.read_available()) {
    q->readouts.consume_all([&](const io::readout_record& r) {
      readout_spikes += r.exc.spikes + r.inh.spikes;
      ++readouts;
    });
    q->statuses.consume_all([&](const io::status_record& s) { last_status = s; });
    q->events.consume_all([](const io::command_event&) {});
    io::spike_chunk chunk;
    if (q->spikes.pop(chunk)) batch_spikes += chunk.n;
    std::this_thread::sleep_for(1ms);
  }
  rt.join();
  CHECK(readouts == kTicks);
  REQUIRE(readout_spikes > 128);
  CHECK(last_status.spike_drops == 0);
  CHECK(batch_spikes == readout_spikes);
}

TEST_CASE("the queues are pre-faulted at construction: filling them takes no page fault", "[realtime][queues]") {
  auto q = std::make_unique<io::realtime_queues>();
  auto record = std::make_unique<io::readout_record>();
  auto chunk = std::make_unique<io::spike_chunk>();
  const long before = minor_faults_of_this_thread();
  int pushed = 0;
  while (q->readouts.push(*record)) ++pushed;
  while (q->spikes.push(*chunk)) ++pushed;
  const long faults = minor_faults_of_this_thread() - before;
  INFO(pushed << " records pushed (" << (pushed * sizeof(io::readout_record)) / 1000000 << "+ MB)");
  // Without pre-faulting, ~8 MB of fresh pages: ~2000 faults.
  CHECK(faults < 50);
}

TEST_CASE("an engine handed over for a Reset is owned at every moment: left in the slot, it is freed with the "
          "queues", "[realtime][reset]") {
  // Nothing to observe but ownership: the slot is a unique_ptr, and records carry no pointer at all.
  static_assert(std::is_same_v<decltype(io::realtime_queues::engine_slot), std::unique_ptr<engine::engine>>);
  auto q = std::make_unique<io::realtime_queues>();
  const std::vector<std::string> overrides = {"network.n_neurons=100"};
  q->engine_slot = std::make_unique<engine::engine>(
      io::load_config(CORTEXLOOP_SOURCE_DIR "/configs/zerlaut2018_network.toml", overrides));
  q.reset();  // under ASan (CORTEXLOOP_SANITIZE=address) a leak here fails the run
  SUCCEED();
}
