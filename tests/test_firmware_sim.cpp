// The simulated stimulator: waveforms sample exactly on the step grid, programs start and stop on the
// steps the header promises, sites are kept apart, bad programs are refused with the field named, and
// nothing allocates after construction.
#include <catch2/catch.hpp>

#include <cmath>
#include <numbers>
#include <string>

#include "firmware_sim/stimulator.hpp"

using namespace cortexloop;
using firmware_sim::program;
using firmware_sim::stimulator;
using firmware_sim::waveform;

namespace {
constexpr double kDt = 0.1;
program dc(double amplitude_pA) {
  program p;
  p.amplitude_pA = amplitude_pA;
  return p;
}
}  // namespace

TEST_CASE("a DC program adds its amplitude to its population only, from the load step on", "[firmware_sim]") {
  stimulator s(kDt, {});
  CHECK(s.currents_pA(0).exc_pA == 0.0f);
  s.load(0, dc(50.0), 100);
  CHECK(s.currents_pA(99).exc_pA == 0.0f);
  CHECK(s.currents_pA(100).exc_pA == 50.0f);
  CHECK(s.currents_pA(100).inh_pA == 0.0f);
  program inh = dc(-20.0);
  inh.population = engine::population::inh;
  s.load(1, inh, 100);
  CHECK(s.currents_pA(5000).exc_pA == 50.0f);
  CHECK(s.currents_pA(5000).inh_pA == -20.0f);
}

TEST_CASE("delay and duration are whole steps: start = load + delay/dt, stop before start + duration/dt",
          "[firmware_sim]") {
  stimulator s(kDt, {});
  program p = dc(10.0);
  p.delay_ms = 2.0;      // 20 steps
  p.duration_ms = 0.5;   // 5 steps
  s.load(3, p, 1000);
  CHECK(s.currents_pA(1019).exc_pA == 0.0f);
  for (int k = 1020; k < 1025; ++k) CHECK(s.currents_pA(k).exc_pA == 10.0f);
  CHECK(s.currents_pA(1025).exc_pA == 0.0f);
}

TEST_CASE("a program replaces the one on its channel, clear stops one channel, clear_all every one",
          "[firmware_sim]") {
  stimulator s(kDt, {});
  s.load(0, dc(10.0), 0);
  s.load(0, dc(30.0), 0);
  s.load(1, dc(5.0), 0);
  CHECK(s.currents_pA(1).exc_pA == 35.0f);
  s.clear(0);
  CHECK(s.currents_pA(1).exc_pA == 5.0f);
  s.clear_all();
  CHECK(s.currents_pA(1).exc_pA == 0.0f);
  CHECK_FALSE(s.active(1));
}

TEST_CASE("a sine program is A sin(2 pi f tau) with tau counted from its start step", "[firmware_sim]") {
  stimulator s(kDt, {});
  program p = dc(100.0);
  p.shape = waveform::sine;
  p.frequency_Hz = 10.0;
  s.load(0, p, 500);
  CHECK(s.currents_pA(500).exc_pA == Approx(0.0).margin(1e-4));
  CHECK(s.currents_pA(500 + 250).exc_pA == Approx(100.0).epsilon(1e-6));  // tau = 25 ms: a quarter period
  const double tau_ms = 3.7;
  CHECK(s.currents_pA(500 + 37).exc_pA ==
        Approx(100.0 * std::sin(2 * std::numbers::pi * 10.0 * tau_ms / 1000.0)).epsilon(1e-6));
}

TEST_CASE("a 100 Hz train of 0.3 ms pulses is on for 3 steps of every 100", "[firmware_sim]") {
  stimulator s(kDt, {});
  program p = dc(200.0);
  p.shape = waveform::pulse_train;
  p.frequency_Hz = 100.0;
  p.pulse_width_ms = 0.3;
  s.load(0, p, 0);
  int on = 0;
  for (int k = 0; k < 1000; ++k) {
    const float i = s.currents_pA(k).exc_pA;
    REQUIRE((i == 0.0f || i == 200.0f));
    on += i > 0;
    if (k % 100 < 3) CHECK(i == 200.0f);
  }
  CHECK(on == 30);
}

TEST_CASE("a biphasic pulse is followed by one of opposite sign and equal width", "[firmware_sim]") {
  stimulator s(kDt, {});
  program p = dc(100.0);
  p.shape = waveform::pulse_train;
  p.frequency_Hz = 50.0;
  p.pulse_width_ms = 0.2;
  p.biphasic = true;
  s.load(0, p, 0);
  CHECK(s.currents_pA(0).exc_pA == 100.0f);
  CHECK(s.currents_pA(1).exc_pA == 100.0f);
  CHECK(s.currents_pA(2).exc_pA == -100.0f);
  CHECK(s.currents_pA(3).exc_pA == -100.0f);
  CHECK(s.currents_pA(4).exc_pA == 0.0f);
  CHECK(s.currents_pA(200).exc_pA == 100.0f);  // next period: 20 ms = 200 steps
}

TEST_CASE("a ring program is a periodic Gaussian around its position", "[firmware_sim][ring]") {
  stimulator s(kDt, {100, 36.0});  // units 0.36 mm apart, unit i at i * 0.36 mm (ring_geometry.hpp)
  program p = dc(10.0);
  p.site = firmware_sim::site_kind::ring_position;
  p.position_mm = 0.0;  // unit 0
  p.width_mm = 1.0;
  s.load(0, p, 0);
  CHECK(s.currents_pA(0).exc_pA == 0.0f);  // ring sites do not touch the network
  const auto currents = s.ring_currents_pA(0.0);
  const auto ring = currents.exc_pA;
  REQUIRE(ring.size() == 100);
  REQUIRE(currents.inh_pA.size() == 100);
  CHECK(currents.inh_pA[0] == 0.0f);
  CHECK(ring[0] == Approx(10.0));
  CHECK(ring[1] == Approx(10.0 * std::exp(-0.36 * 0.36 / 2)));
  CHECK(ring[99] == Approx(ring[1]));  // wraps around: unit 99 is one spacing away
  CHECK(ring[50] < 1e-3f);

  // An inhibitory ring site feeds the inhibitory units; a population site feeds every unit of its population.
  program inh = p;
  inh.population = engine::population::inh;
  s.load(1, inh, 0);
  program everywhere = dc(2.0);
  s.load(2, everywhere, 0);
  const auto both = s.ring_currents_pA(0.05);  // inside step 0
  CHECK(both.inh_pA[0] == Approx(10.0));
  CHECK(both.exc_pA[50] == Approx(2.0).margin(1e-3));
  s.clear_all();
  CHECK(s.ring_currents_pA(0.0).exc_pA.empty());  // nothing loaded: no currents to add
}

TEST_CASE("invalid programs are refused with the field, its value and the allowed range", "[firmware_sim][validation]") {
  const firmware_sim::ring_geometry no_ring{};
  firmware_sim::reason_buffer reason;
  auto why = [&](const program& p) { return std::string(firmware_sim::validate(p, no_ring, kDt, reason)); };
  CHECK(why(dc(100.0)).empty());
  CHECK_THAT(why(dc(6000.0)), Catch::Contains("amplitude_pa = 6000"));
  CHECK_THAT(why(dc(std::nan(""))), Catch::Contains("amplitude_pa"));
  program p = dc(1.0);
  p.delay_ms = -1;
  CHECK_THAT(why(p), Catch::Contains("delay_ms"));
  p = dc(1.0);
  p.duration_ms = 0.01;
  CHECK_THAT(why(p), Catch::Contains("shorter than one step"));
  p = dc(1.0);
  p.shape = waveform::sine;
  CHECK_THAT(why(p), Catch::Contains("frequency_hz = 0"));
  p.frequency_Hz = 2000;
  CHECK_THAT(why(p), Catch::Contains("frequency_hz = 2000"));
  p.shape = waveform::pulse_train;
  p.frequency_Hz = 100;
  p.pulse_width_ms = 20;
  CHECK_THAT(why(p), Catch::Contains("pulse_width_ms = 20"));
  p.pulse_width_ms = 6;
  p.biphasic = true;
  CHECK_THAT(why(p), Catch::Contains("period / 2"));
  p = dc(1.0);
  p.site = firmware_sim::site_kind::ring_position;
  CHECK_THAT(why(p), Catch::Contains("no ring"));
  const firmware_sim::ring_geometry ring{100, 36.0};
  p.position_mm = 40;
  CHECK_THAT(std::string(firmware_sim::validate(p, ring, kDt, reason)), Catch::Contains("site.position_mm = 40"));
}
