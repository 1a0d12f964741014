// The device through the server, over real sockets: an on-device PI clamp holds the network's rate in
// realtime mode, an external loop's watchdog stops stimulation when the loop goes silent, and every
// readout carries what the device sensed, decided and delivered.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>
#include <vector>

#include "io/client/client.hpp"
#include "io/config/config_device.hpp"
#include "io/config/config_loader.hpp"
#include "io/server/server.hpp"
#include "test_support.hpp"

using namespace cortexloop;
using namespace std::chrono_literals;
namespace fw = firmware_sim;

namespace {

io::server_options device_server(io::run_mode mode) {
  io::server_options o;
  o.params = io::load_config(CORTEXLOOP_SOURCE_DIR "/configs/zerlaut2018_network.toml");
  o.mode = mode;
  o.pub_endpoint = "tcp://127.0.0.1:*";
  o.command_endpoint = "tcp://127.0.0.1:*";
  fw::device_params d = io::default_device(o.params);
  fw::sensing_params s;
  s.signal = fw::signal_kind::rate_exc;
  s.sample_rate_Hz = 1000.0;
  s.range_min = 0.0;
  s.range_max = 500.0;
  s.rms_window_ms = 50.0;
  d.sensing = {s};
  o.device = d;
  return o;
}

fw::program dc(double amplitude) {
  fw::program p;
  p.amplitude = amplitude;
  return p;
}

io::command pi_clamp(double target_Hz) {
  io::command c;
  c.kind = io::command_kind::set_controller;
  c.channel = 0;  // slot
  fw::controller_params& k = c.controller;
  k.kind = fw::controller_kind::pi_clamp;
  k.sensing_channel = 0;
  k.feature = fw::feature_kind::envelope;
  k.output_channel = 0;
  k.output_program = dc(0.0);
  k.target = target_Hz;
  k.kp = 5.0;          // pA per Hz
  k.ki_per_s = 100.0;  // pA per Hz per s
  k.output_min = 0.0;
  k.output_max = 300.0;
  return c;
}

// Mean excitatory rate of the readouts with tick in [from, to).
struct rate_window {
  std::int64_t from, to;
  double sum = 0;
  int n = 0;
  double mean() const { return n ? sum / n : 0.0; }
};

}  // namespace

TEST_CASE("the on-device PI clamp holds the network's excitatory rate within 10% of its target in realtime "
          "mode, and tracks a step of the target", "[device][e2e][pi][realtime]") {
  // Reference: the target itself; tolerance: the 10%, on the mean of 1.5 s of 1 ms readouts after
  // 2.5 s of settling (the network's own rate is 1.6 Hz without stimulation). And the measured level: over seeds
  // 1-8 (2026-12-03, simulation.seed overridden) the window means were -0.51..+0.47 % off 4 Hz and -0.39..+0.03 %
  // off 6 Hz (all 16: mean -0.1 %, SD 0.28 %), so within 1.5 % (about 5 SD). Break tried: the controller's envelope
  // feature read 3 % high (controllers.cpp, 1.03 * sample.envelope: the rate held 3 % low) -> passed the 10 %.
  io::server srv(device_server(io::run_mode::realtime));
  srv.start();
  io::client c(srv.command_endpoint(), srv.pub_endpoint(), {std::string(io::kTopicReadout), std::string(io::kTopicAck)});
  REQUIRE(c.sync_subscription(20s));
  for (const double target : {4.0, 6.0}) {
    const auto ack = c.wait_ack(c.send(pi_clamp(target)), 5s);
    REQUIRE(ack);
    INFO(ack->reason);
    REQUIRE(ack->accepted);
    rate_window w{ack->tick_applied + 2500, ack->tick_applied + 4000};
    double last_output = 0;
    bool saturated = false;
    // 4 s of ticks in realtime take 4 s; the 30 s bound is for a loaded machine (x4 under sanitizers).
    const auto end = std::chrono::steady_clock::now() + 30s * testing::kWallTimeScale;
    while (std::chrono::steady_clock::now() < end) {
      auto m = c.receive(500ms);
      if (!m || m->topic != io::kTopicReadout) continue;
      const auto* r = m->message()->payload_as_Readout();
      if (r->tick() < w.from) continue;
      if (r->tick() >= w.to) break;
      w.sum += r->exc()->rate_hz();
      ++w.n;
      REQUIRE(r->device());
      last_output = r->device()->controllers()->Get(0)->output();
      saturated = r->device()->controllers()->Get(0)->saturated();
    }
    INFO("target " << target << " Hz: mean " << w.mean() << " Hz over " << w.n << " readouts, output "
                   << last_output << " pA");
    REQUIRE(w.n > 1000);  // readouts may be dropped under load, not most of them
    CHECK(w.mean() == Approx(target).epsilon(0.10));   // the issue's
    CHECK(w.mean() == Approx(target).epsilon(0.015));  // the measured level (above)
    CHECK_FALSE(saturated);
    CHECK(last_output > 0.0);
  }
}

TEST_CASE("the watchdog of an external loop ramps its channel to zero and publishes a safety event when the loop "
          "goes silent", "[device][e2e][watchdog]") {
  io::server_options o = device_server(io::run_mode::realtime);
  o.params = io::load_config(CORTEXLOOP_SOURCE_DIR "/configs/zerlaut2018_network.toml",
                             std::vector<std::string>{"network.n_neurons=1000"});
  o.device = [&] {
    fw::device_params d = io::default_device(o.params);
    d.sensing = device_server(io::run_mode::realtime).device->sensing;
    return d;
  }();
  io::server srv(o);
  srv.start();
  io::client c(srv.command_endpoint(), srv.pub_endpoint(),
               {std::string(io::kTopicReadout), std::string(io::kTopicAck), std::string(io::kTopicSafety)});
  REQUIRE(c.sync_subscription(20s));
  io::command ext;
  ext.kind = io::command_kind::set_controller;
  ext.channel = 1;
  ext.controller.kind = fw::controller_kind::external;
  ext.controller.output_channel = 2;
  ext.controller.output_program = dc(30.0);
  ext.controller.timeout_us = 300'000;  // long against a loaded machine's scheduling stalls of the test thread
  ext.controller.ramp_down_us = 10'000;
  const auto ack = c.wait_ack(c.send(ext), 5s);
  REQUIRE(ack);
  INFO(ack->reason);
  REQUIRE(ack->accepted);
  // The loop: it sets its channel's program every 10 ms for half a second (each command feeds the watchdog),
  // then falls silent on its channel while a monitoring client goes on pinging the server and programming another
  // channel every 10 ms: neither feeds the loop's watchdog (they fed every watchdog until 2026-12-04, and the dead
  // loop's channel stayed on: an outside check). Break tried: device::feed feeding every external controller
  // whatever the channel -> no watchdog event, and the test fails.
  io::command ping;
  ping.kind = io::command_kind::set_stimulation;
  ping.channel = 2;
  ping.program = dc(30.0);
  io::command monitor_ping;
  monitor_ping.kind = io::command_kind::ping;
  io::command other_channel;
  other_channel.kind = io::command_kind::set_stimulation;
  other_channel.channel = 3;
  other_channel.program = dc(1.0);
  bool delivered_while_fed = false, event = false, stopped_after = false;
  std::int64_t event_step = -1;
  const auto silence_at = std::chrono::steady_clock::now() + 500ms;
  auto next_ping = std::chrono::steady_clock::now();
  const auto end = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < end && !(event && stopped_after)) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= next_ping) {
      if (now < silence_at) {
        c.send(ping);
      } else {
        c.send(monitor_ping);
        c.send(other_channel);
      }
      next_ping = now + 10ms;
    }
    auto m = c.receive(5ms);
    while (c.next_ack(0ms)) {
    }
    if (!m) continue;
    if (m->topic == io::kTopicSafety) {
      const auto* e = m->message()->payload_as_SafetyEvent();
      REQUIRE(e);
      CHECK(e->limit() == io::proto::SafetyLimit::Watchdog);
      CHECK(std::chrono::steady_clock::now() > silence_at);
      REQUIRE(e->reason());
      CHECK_THAT(e->reason()->str(), Catch::Contains("watchdog"));
      event = true;
      event_step = e->step();
    } else if (m->topic == io::kTopicReadout) {
      const auto* d = m->message()->payload_as_Readout()->device();
      REQUIRE(d);
      const auto* ch = d->channels()->Get(2);
      if (std::chrono::steady_clock::now() < silence_at - 100ms && ch->mean_current() == Approx(30.0))
        delivered_while_fed = true;
      // 10 ms (10 ticks) after the event the ramp is over: nothing is delivered any more.
      if (event && m->message()->payload_as_Readout()->tick() * 10 > event_step + 200)
        stopped_after = !ch->active() && ch->mean_current() == 0.0;
    }
  }
  CHECK(delivered_while_fed);
  CHECK(event);
  CHECK(stopped_after);
}
