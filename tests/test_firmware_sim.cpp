// The simulated stimulator at direct (population and ring) sites: programs start and stop on the steps the
// header promises, each step carries the program's mean current over that step, sites are kept apart, bad
// programs are refused with the field named. (Adapted from the sampling stimulator: amplitudes are pA per cell
// at direct sites, times integer us, the site apart from the program.)
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "engine/meanfield/ring_geometry.hpp"
#include "firmware_sim/stimulator.hpp"

using namespace cortexloop;
using firmware_sim::program;
using firmware_sim::site;
using firmware_sim::site_kind;
using firmware_sim::stimulator;
using firmware_sim::waveform;

namespace {
constexpr double kDt = 0.1;  // ms
constexpr double kDtUs = 100.0;
program dc(double amplitude_pA) {
  program p;
  p.amplitude = amplitude_pA;
  return p;
}
site population(engine::population pop = engine::population::exc) {
  site s;
  s.population = pop;
  return s;
}
}  // namespace

TEST_CASE("a DC program adds its amplitude to its population only, from the load step on", "[firmware_sim]") {
  stimulator s(kDt, {});
  CHECK(s.currents_pA(0).exc_pA == 0.0f);
  s.load(0, population(), dc(50.0), 100);
  CHECK(s.currents_pA(99).exc_pA == 0.0f);
  CHECK(s.currents_pA(100).exc_pA == 50.0f);
  CHECK(s.currents_pA(100).inh_pA == 0.0f);
  s.load(1, population(engine::population::inh), dc(-20.0), 100);
  CHECK(s.currents_pA(5000).exc_pA == 50.0f);
  CHECK(s.currents_pA(5000).inh_pA == -20.0f);
}

TEST_CASE("delay and duration are exact: start = load + delay, stop at start + duration", "[firmware_sim]") {
  stimulator s(kDt, {});
  program p = dc(10.0);
  p.delay_us = 2000;     // 20 steps
  p.duration_us = 500;   // 5 steps
  s.load(3, population(), p, 1000);
  CHECK(s.currents_pA(1019).exc_pA == 0.0f);
  for (int k = 1020; k < 1025; ++k) CHECK(s.currents_pA(k).exc_pA == 10.0f);
  CHECK(s.currents_pA(1025).exc_pA == 0.0f);
  CHECK_FALSE(s.active(3));  // the channel clears itself after its program's end
}

TEST_CASE("a program replaces the one on its channel, clear stops one channel, clear_all every one",
          "[firmware_sim]") {
  stimulator s(kDt, {});
  s.load(0, population(), dc(10.0), 0);
  s.load(0, population(), dc(30.0), 0);
  s.load(1, population(), dc(5.0), 0);
  CHECK(s.currents_pA(1).exc_pA == 35.0f);
  s.clear(0);
  CHECK(s.currents_pA(1).exc_pA == 5.0f);
  s.clear_all();
  CHECK(s.currents_pA(1).exc_pA == 0.0f);
  CHECK_FALSE(s.active(1));
}

// A step now carries the sine's mean over the step, (A / (w dt)) (cos(w tau0) - cos(w tau1)), not a sample.
TEST_CASE("a sine program is A sin(2 pi f tau), tau counted from its start step, averaged over each step",
          "[firmware_sim]") {
  stimulator s(kDt, {});
  program p = dc(100.0);
  p.shape = waveform::sine;
  p.frequency_Hz = 10.0;
  s.load(0, population(), p, 500);
  const double w = 2 * std::numbers::pi * 10.0 / 1e6;  // rad per us
  auto step_mean = [&](double tau0_us) { return 100.0 * (std::cos(w * tau0_us) - std::cos(w * (tau0_us + kDtUs))) / (w * kDtUs); };
  CHECK(s.currents_pA(499).exc_pA == 0.0f);
  CHECK(s.currents_pA(500).exc_pA == Approx(step_mean(0.0)).epsilon(1e-6));
  CHECK(s.currents_pA(500 + 250).exc_pA == Approx(step_mean(25000.0)).epsilon(1e-6));  // a quarter period
  CHECK(s.currents_pA(500 + 250).exc_pA == Approx(100.0).epsilon(1e-4));
  CHECK(s.currents_pA(500 + 37).exc_pA == Approx(step_mean(3700.0)).epsilon(1e-6));
}

TEST_CASE("a 100 Hz train of 0.3 ms monophasic pulses is on for 3 steps of every 100", "[firmware_sim]") {
  stimulator s(kDt, {});
  program p = dc(200.0);
  p.shape = waveform::pulse_train;
  p.frequency_Hz = 100.0;
  p.phase_width_us = 300;
  p.biphasic = false;
  p.cathodic_first = false;  // positive
  s.load(0, population(), p, 0);
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
  p.phase_width_us = 200;
  p.biphasic = true;
  p.cathodic_first = false;
  s.load(0, population(), p, 0);
  CHECK(s.currents_pA(0).exc_pA == 100.0f);
  CHECK(s.currents_pA(1).exc_pA == 100.0f);
  CHECK(s.currents_pA(2).exc_pA == -100.0f);
  CHECK(s.currents_pA(3).exc_pA == -100.0f);
  CHECK(s.currents_pA(4).exc_pA == 0.0f);
  CHECK(s.currents_pA(200).exc_pA == 100.0f);  // next period: 20 ms = 200 steps
}

TEST_CASE("a ring program is a periodic Gaussian around its position", "[firmware_sim][ring]") {
  stimulator s(kDt, {100, 36.0});  // units 0.36 mm apart, unit i at i * 0.36 mm (ring_geometry.hpp)
  site ring_site;
  ring_site.kind = site_kind::ring_position;
  ring_site.position_mm = 0.0;  // unit 0
  ring_site.width_mm = 1.0;
  s.load(0, ring_site, dc(10.0), 0);
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
  site inh = ring_site;
  inh.population = engine::population::inh;
  s.load(1, inh, dc(10.0), 1);
  s.load(2, population(), dc(2.0), 1);
  s.currents_pA(1);
  const auto both = s.ring_currents_pA(0.1);
  CHECK(both.inh_pA[0] == Approx(10.0));
  CHECK(both.exc_pA[50] == Approx(2.0).margin(1e-3));
  s.clear_all();
  s.currents_pA(2);
  CHECK(s.ring_currents_pA(0.2).exc_pA.empty());  // nothing loaded: no currents to add
}

// Issue 9, defect 10: the Gaussian of a ring site (n_units exp) is computed off the real-time thread and handed to
// load(), which must use it as given. Break tried: load() computing the profile whatever it was given -> the
// doctored profile below is not what the ring receives (ring[10] is 10 * exp(-(3.6 mm)^2 / 2), not 4.0).
TEST_CASE("a ring site's load uses the profile it is given, and ring_site_profile is the Gaussian load computes",
          "[firmware_sim][ring][profile]") {
  stimulator s(kDt, {100, 36.0});
  site ring_site;
  ring_site.kind = site_kind::ring_position;
  ring_site.position_mm = 0.0;
  ring_site.width_mm = 1.0;
  std::vector<float> computed(100);
  firmware_sim::ring_site_profile(ring_site, s.ring(), computed);
  std::vector<float> gaussian(100);
  engine::meanfield::ring_gaussian_profile(gaussian, 36.0, 0.0, 1.0, 1.0);
  CHECK(computed == gaussian);  // bit for bit: what load() computed before, so results are unchanged

  // A profile no Gaussian gives: a ramp, 0 at unit 0.
  std::vector<float> ramp(100);
  for (std::size_t i = 0; i < ramp.size(); ++i) ramp[i] = static_cast<float>(i) / 100.0f;
  s.load(0, ring_site, dc(10.0), 0, ramp);
  s.currents_pA(0);
  auto ring = s.ring_currents_pA(0.0).exc_pA;
  REQUIRE(ring.size() == 100);
  CHECK(ring[0] == 0.0f);
  CHECK(ring[10] == Approx(10.0 * 0.1));
  CHECK(ring[99] == Approx(10.0 * 0.99));

  // Given the computed profile: identical to a load that computes it (offline callers), bit for bit.
  stimulator computing(kDt, {100, 36.0});
  s.load(0, ring_site, dc(10.0), 1, computed);
  computing.load(0, ring_site, dc(10.0), 1);
  s.currents_pA(1);
  computing.currents_pA(1);
  const auto a = s.ring_currents_pA(0.1).exc_pA, b = computing.ring_currents_pA(0.1).exc_pA;
  REQUIRE(a.size() == 100);
  REQUIRE(b.size() == 100);
  CHECK(std::equal(a.begin(), a.end(), b.begin()));
  CHECK(a[0] == 10.0f);
}

TEST_CASE("invalid programs are refused with the field, its value and the allowed range", "[firmware_sim][validation]") {
  firmware_sim::stimulator_layout no_ring;
  firmware_sim::reason_text reason;
  auto why = [&](const program& p, const site& where = population()) {
    return std::string(firmware_sim::validate(where, p, no_ring, reason));
  };
  CHECK(why(dc(100.0)).empty());
  CHECK_THAT(why(dc(6000.0)), Catch::Contains("6000 pA > 1000 pA"));  // now a safety limit: max_direct_pA
  CHECK_THAT(why(dc(std::nan(""))), Catch::Contains("program.amplitude"));
  program p = dc(1.0);
  p.delay_us = -1;
  CHECK_THAT(why(p), Catch::Contains("program.delay_us = -1"));
  // Formerly refused as "shorter than one step": a program shorter than a step now delivers its exact
  // charge (program_charge), so it is valid; a negative duration is what is refused.
  p = dc(1.0);
  p.duration_us = 10;
  CHECK(why(p).empty());
  p.duration_us = -10;
  CHECK_THAT(why(p), Catch::Contains("program.duration_us = -10"));
  p = dc(1.0);
  p.shape = waveform::sine;
  CHECK_THAT(why(p), Catch::Contains("program.frequency_hz = 0"));
  p.frequency_Hz = 2000;
  CHECK_THAT(why(p), Catch::Contains("program.frequency_hz = 2000"));
  p.shape = waveform::pulse_train;
  p.frequency_Hz = 100;
  p.biphasic = false;
  p.phase_width_us = 20000;
  CHECK_THAT(why(p), Catch::Contains("program.phase_width_us = 20000"));
  p.phase_width_us = 6000;
  p.biphasic = true;
  CHECK_THAT(why(p), Catch::Contains("2 phases + gap = 12000 us) must fit in its period (10000 us"));
  site ring_site;
  ring_site.kind = site_kind::ring_position;
  CHECK_THAT(why(dc(1.0), ring_site), Catch::Contains("no ring"));
  firmware_sim::stimulator_layout with_ring;
  with_ring.ring = {100, 36.0};
  ring_site.position_mm = 40;
  CHECK_THAT(std::string(firmware_sim::validate(ring_site, dc(1.0), with_ring, reason)),
             Catch::Contains("site.position_mm = 40: must be in [0, 36) mm"));
}

// Found by the libFuzzer targets (fuzz/README.md, inputs in fuzz/regressions/): programs validate() accepted whose
// charge was NaN, overflowed int64 or never returned.
TEST_CASE("fuzzer regressions: extreme sine phases and frequencies stay finite, sub-hourly pulse trains are refused",
          "[firmware_sim][validation][fuzz]") {
  program sine;
  sine.shape = waveform::sine;
  sine.amplitude = 55.0;
  sine.frequency_Hz = 314.0;
  sine.phase_deg = -1.7976931348623157e308;  // phase_deg * pi overflowed to -inf: sin(-inf) = NaN
  CHECK(std::isfinite(firmware_sim::program_charge(sine, 0, 100)));
  sine.phase_deg = 90.0 + 360.0 * 1e12;  // reduced exactly: the same as 90 degrees
  CHECK(firmware_sim::program_charge(sine, 0, 1) == Approx(55.0).epsilon(1e-6));
  sine.phase_deg = 90.0;
  sine.frequency_Hz = 1.9268560187808615e-321;  // subnormal: 2 / w overflowed, inf * 0 = NaN
  CHECK(firmware_sim::program_charge(sine, 0, 100) == Approx(55.0 * 100.0));

  program train;
  train.shape = waveform::pulse_train;
  train.amplitude = 2.0;
  train.phase_width_us = 2;
  const site direct{};
  firmware_sim::stimulator_layout layout;
  firmware_sim::reason_text reason;
  train.frequency_Hz = 4.9406564584124654e-324;  // llround(n * 1e6 / f) left int64: an endless loop
  CHECK(std::string(firmware_sim::validate(direct, train, layout, reason)).rfind("program.frequency_hz", 0) == 0);
  train.frequency_Hz = 1.0 / 3599.0;  // a pulse period just under an hour: accepted
  CHECK(firmware_sim::validate(direct, train, layout, reason).empty());

  // A biphasic train whose duration ends inside a pulse leaves charge behind: refused; between pulses: accepted.
  program cut;
  cut.shape = waveform::pulse_train;
  cut.amplitude = 50.0;
  cut.frequency_Hz = 50.0;
  cut.phase_width_us = 1370;
  cut.duration_us = 831;
  CHECK(std::string(firmware_sim::validate(direct, cut, layout, reason)).rfind("program.duration_us = 831", 0) == 0);
  cut.duration_us = 20'000;  // pulse 0 over [0, 2740), pulse 1 from 20000
  CHECK(firmware_sim::validate(direct, cut, layout, reason).empty());
  // A ring site's Gaussian of a valid but tiny width: sd * sd underflowed, 0 / 0 = NaN at the centre.
  std::array<float, 8> profile{};
  engine::meanfield::ring_gaussian_profile(profile, 36.0, 0.0, 1e-300, 1.0);
  CHECK(profile[0] == 1.0f);
  CHECK(profile[1] == 0.0f);
}
