// The simulated device closing loops on the engine itself (no server): an electrode's field reaches the
// network and the ring as the point-source law says, and the on-device controllers act on the network's
// sensed activity at the times their definitions promise.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "engine/engine.hpp"
#include "firmware_sim/device.hpp"
#include "io/config/config_loader.hpp"

using namespace cortexloop;
namespace fw = firmware_sim;

namespace {

engine::engine_params network_config(std::vector<std::string> overrides = {}) {
  return io::load_config(CORTEXLOOP_SOURCE_DIR "/configs/zerlaut2018_network.toml", overrides);
}

fw::device_params device_for(const engine::engine_params& p) {
  fw::device_params d;
  d.layout.dt_us = std::llround(p.simulation.dt_ms * 1000.0);
  if (p.ring) d.layout.ring = {static_cast<std::uint32_t>(p.ring->n_units), p.ring->length_mm};
  d.layout.network = !p.ring || p.ring->with_network;
  return d;
}

// The network of p with the device d delivering its current.
struct wired {
  fw::device dev;
  engine::engine eng;
  wired(const engine::engine_params& p, const fw::device_params& d) : dev(d), eng(p) { eng.set_external_current(&dev); }
};

fw::program dc(double amplitude) {
  fw::program p;
  p.shape = fw::waveform::dc;
  p.amplitude = amplitude;
  return p;
}

// One tiny pulse: a marker the controllers can load without disturbing the network.
fw::program marker_pulse() {
  fw::program p;
  p.shape = fw::waveform::pulse_train;
  p.amplitude = 1.0;
  p.frequency_Hz = 1000.0;
  p.phase_width_us = 100;
  p.pulses_per_burst = 1;
  p.burst_period_us = 1'000'000;
  p.n_bursts = 1;
  return p;
}

// The network's excitatory rate sensed at 1 kHz, 0-500 Hz range: what every controller here reads.
fw::sensing_params rate_sensing() {
  fw::sensing_params s;
  s.signal = fw::signal_kind::rate_exc;
  s.sample_rate_Hz = 1000.0;
  s.range_min = 0.0;
  s.range_max = 500.0;
  return s;
}

// A PI clamp of the sensed excitatory rate (rate_sensing, filtered) on channel 0's DC onto exc, in [0, max_pA].
fw::controller_params rate_clamp(double target_Hz, double max_pA) {
  fw::controller_params c;
  c.kind = fw::controller_kind::pi_clamp;
  c.feature = fw::feature_kind::filtered;
  c.output_channel = 0;
  c.output_program = dc(0.0);
  c.target = target_Hz;
  c.kp = 10.0;
  c.ki_per_s = 300.0;
  c.output_min = 0.0;
  c.output_max = max_pA;
  return c;
}

double wrap_deg(double d) {
  d = std::fmod(d + 180.0, 360.0);
  return d < 0 ? d + 180.0 : d - 180.0;
}

}  // namespace

TEST_CASE("an electrode's DC field gives each model the point-source current k I / (4 pi sigma r^2)",
          "[device][field]") {
  // Reference: E = I / (4 pi sigma r^2) (point source, homogeneous medium) and 5.02 pA per V/m at DC
  // (Cakan & Obermayer 2020); the coupling filter's DC gain is 1. Tolerance: float rounding of the
  // per-cell current (1e-5 relative).
  engine::engine_params p = io::load_config(CORTEXLOOP_SOURCE_DIR "/configs/default.toml",
                                            std::vector<std::string>{"network.n_neurons=400"});
  fw::device_params d = device_for(p);
  d.layout.network_position_mm = 18.0;
  d.layout.electrodes = {{.position_mm = 18.0, .height_mm = 0.5, .area_mm2 = 0.01, .impedance_kOhm = 1.0},
                         {.position_mm = 18.0, .height_mm = 1.0, .area_mm2 = 0.01, .impedance_kOhm = 1.0}};
  d.layout.safety.max_net_charge_nC = 1e9;  // DC on purpose (tDCS-like)
  wired w(p, d);
  fw::device& dev = w.dev;
  engine::engine& eng = w.eng;
  const double current_uA = 10.0, sigma = d.layout.coupling.sigma_S_per_m, k = d.layout.coupling.exc_pA_per_V_per_m;
  const auto expected_pA = [&](double r_mm) { return k * current_uA * 1e-6 / (4 * std::numbers::pi * sigma * std::pow(r_mm * 1e-3, 2)); };
  fw::site near{.kind = fw::site_kind::electrode, .electrode = 0};
  fw::site far{.kind = fw::site_kind::electrode, .electrode = 1};
  engine::tick_readout r;
  fw::device_readout out;

  // 100 ms: the coupling filter's step response (tau_pole = 3.92 ms) has settled to its DC gain.
  dev.load(0, near, dc(current_uA), 0);
  for (int i = 0; i < 100; ++i) eng.tick(r);
  dev.finish_tick(out);
  CHECK(r.exc.i_stim_pA == Approx(expected_pA(0.5)).epsilon(1e-5));
  CHECK(r.inh.i_stim_pA == 0.0);  // no field coupling of the compact interneurons by default

  // Twice the distance: a quarter of the current (1/r^2).
  dev.clear_all();
  dev.load(0, far, dc(current_uA), eng.step_index());
  for (int i = 0; i < 100; ++i) eng.tick(r);
  CHECK(r.exc.i_stim_pA == Approx(expected_pA(1.0)).epsilon(1e-5));
  CHECK(r.exc.i_stim_pA * 4 == Approx(expected_pA(0.5)).epsilon(1e-5));

  // The ring's units: at a distance d along the ring, r = sqrt(d^2 + h^2).
  const engine::ring_currents ring = dev.last_ring_currents();
  REQUIRE(ring.exc_pA.size() == static_cast<std::size_t>(p.ring->n_units));
  for (const std::size_t unit : {std::size_t{50}, std::size_t{52}, std::size_t{60}, std::size_t{0}}) {
    const double x = static_cast<double>(unit) * p.ring->length_mm / static_cast<double>(p.ring->n_units);
    const double dist = std::min(std::fabs(x - 18.0), p.ring->length_mm - std::fabs(x - 18.0));
    INFO("unit " << unit << " at " << x << " mm");
    CHECK(ring.exc_pA[unit] == Approx(expected_pA(std::hypot(dist, 1.0))).epsilon(1e-5));
  }
}

TEST_CASE("the phase-locked controller pulses within 30 degrees of its target phase on a sinusoidally driven "
          "network", "[device][controller][phase]") {
  // A 10 Hz current drives the excitatory cells; the device senses their rate at 1 kHz, band-passes it
  // (8-12.5 Hz, centred on 10 Hz) and marks target-phase crossings with a 1 pA pulse. Reference phase, independent of the
  // device: a least-squares sinusoid (10 Hz) fitted to the raw sensed rate over +-150 ms around each pulse
  // (non-causal). Tolerance: the issue's +-30 degrees for the circular mean and for 80% of the pulses; and the
  // measured levels, about 4-5 seed SDs out. Measured over seeds 1-10 x both targets (2026-12-03, simulation.seed
  // overridden): circular mean error +2.9..+4.2 deg (mean 3.5, SD 0.33; one 1 ms sensing sample at 10 Hz is 3.6
  // deg), R 0.9966-0.9993 (mean 0.9984, SD 0.0007), every pulse's |error| at most 8.4-14.0 deg (mean 10.5, SD
  // 1.4) -> |mean error| <= 5 deg, R >= 0.995, every pulse within 17 deg. Break tried: the aim 10 deg late
  // (lock_to_phase: target_phase_deg + 10) -> passed the bounds, fails the measured ones.
  const double f_Hz = 10.0;
  engine::engine_params p = network_config({"network.drive.rate_Hz=6"});
  fw::device_params d = device_for(p);
  fw::sensing_params s = rate_sensing();
  s.band_low_Hz = 8.0;  // centred on the drive: sqrt(8 x 12.5) = 10 Hz, where the band-pass has no phase shift
  s.band_high_Hz = 12.5;
  d.sensing = {s};
  wired w(p, d);
  fw::device& dev = w.dev;
  engine::engine& eng = w.eng;
  fw::program sine;
  sine.shape = fw::waveform::sine;
  sine.amplitude = 60.0;
  sine.frequency_Hz = f_Hz;
  dev.load(0, {}, sine, 0);
  for (const double target_deg : {90.0, 270.0}) {
    fw::controller_params c;
    c.kind = fw::controller_kind::phase_locked;
    c.sensing_channel = 0;
    c.output_channel = 1;
    c.output_program = marker_pulse();
    c.target_phase_deg = target_deg;
    c.min_interval_us = 50'000;
    dev.set_controller(0, c, eng.step_index() + 5000);  // after 0.5 s of filter and estimator warm-up
    std::vector<double> raw, t_ms;
    std::vector<std::int64_t> pulse_steps;
    std::int64_t triggers = 0;
    engine::tick_readout r;
    fw::device_readout out;
    const std::int64_t start_tick = eng.step_index() / eng.steps_per_tick();
    for (int tick = 0; tick < 4000; ++tick) {
      eng.tick(r);
      dev.finish_tick(out);
      raw.push_back(out.sensing[0].raw);
      t_ms.push_back(r.t_ms);  // the tick's sample is taken at its last step
      if (out.controllers[0].triggers > triggers) {
        triggers = out.controllers[0].triggers;
        pulse_steps.push_back(out.controllers[0].last_trigger_step);
      }
    }
    REQUIRE(pulse_steps.size() > 20);
    const double w = 2 * std::numbers::pi * f_Hz / 1000.0;
    double sum_c = 0, sum_s = 0;
    int within = 0, counted = 0;
    double max_abs_error = 0;
    for (const std::int64_t step : pulse_steps) {
      const double t = static_cast<double>(step) * p.simulation.dt_ms;
      const auto centre = static_cast<std::int64_t>(t) - start_tick;
      if (centre < 150 || centre + 150 >= static_cast<std::int64_t>(raw.size())) continue;
      // Least squares for x = a sin(w t) + b cos(w t) + c on the window.
      double m[3][4] = {};
      for (std::int64_t i = centre - 150; i <= centre + 150; ++i) {
        const double row[3] = {std::sin(w * t_ms[i]), std::cos(w * t_ms[i]), 1.0};
        for (int a = 0; a < 3; ++a) {
          for (int b = 0; b < 3; ++b) m[a][b] += row[a] * row[b];
          m[a][3] += row[a] * raw[i];
        }
      }
      for (int col = 0; col < 3; ++col)
        for (int row = 0; row < 3; ++row)
          if (row != col) {
            const double factor = m[row][col] / m[col][col];
            for (int k = 0; k < 4; ++k) m[row][k] -= factor * m[col][k];
          }
      const double a = m[0][3] / m[0][0], b = m[1][3] / m[1][1];
      const double phase_deg = std::fmod(std::atan2(b, a) + w * t, 2 * std::numbers::pi) * 180.0 / std::numbers::pi;
      const double error = wrap_deg(phase_deg - target_deg);
      sum_c += std::cos(error * std::numbers::pi / 180.0);
      sum_s += std::sin(error * std::numbers::pi / 180.0);
      within += std::fabs(error) <= 30.0;
      max_abs_error = std::max(max_abs_error, std::fabs(error));
      ++counted;
    }
    REQUIRE(counted > 20);
    const double mean_error = std::atan2(sum_s, sum_c) * 180.0 / std::numbers::pi;
    const double R = std::hypot(sum_c, sum_s) / counted;
    INFO("target " << target_deg << " deg: " << counted << " pulses, circular mean error " << mean_error
                   << " deg, R " << R << ", " << within << " within 30 deg, largest |error| " << max_abs_error);
    CHECK(std::fabs(mean_error) <= 30.0);  // the issue's
    CHECK(within >= 0.8 * counted);
    CHECK(std::fabs(mean_error) <= 5.0);  // the measured levels (above)
    CHECK(R >= 0.995);
    CHECK(max_abs_error <= 17.0);
    dev.clear_controller(0);
  }
}

TEST_CASE("the responsive controller's burst reaches the network on the step after the sample that crossed its "
          "threshold", "[device][controller][responsive]") {
  // A 150 pA step on the excitatory cells raises their rate; the device's smoothed rate (envelope, 20 ms,
  // sampled at 1 kHz) crosses the threshold at some sample. With one step per tick the test sees every step:
  // the burst's current (independently read from the stimulator's channel) must start on the next step.
  engine::engine_params p = network_config({"simulation.tick_ms=0.1"});
  fw::device_params d = device_for(p);
  fw::sensing_params s = rate_sensing();
  s.rms_window_ms = 20.0;
  d.sensing = {s};
  wired w(p, d);
  fw::device& dev = w.dev;
  engine::engine& eng = w.eng;
  fw::controller_params c;
  c.kind = fw::controller_kind::responsive;
  c.feature = fw::feature_kind::envelope;
  c.threshold = 6.0;
  c.rising = true;
  c.refractory_us = 10'000'000;
  c.output_channel = 1;
  c.output_program = marker_pulse();
  c.output_program.biphasic = false;  // one phase, so the step's mean current is not zero
  dev.set_controller(0, c, 0);
  fw::program step = dc(150.0);
  step.delay_us = 2'000'000;
  dev.load(0, {}, step, 0);
  engine::tick_readout r;
  std::int64_t crossing_step = -1, delivery_step = -1;
  double previous = 0;
  bool have_previous = false;
  for (std::int64_t k = 0; k < 30'000 && delivery_step < 0; ++k) {
    eng.tick(r);
    if (crossing_step >= 0 && dev.stim().channel_current()[1] != 0.0) delivery_step = k;
    const fw::sensed_sample& x = dev.sensing()[0].last();
    if (x.sampled) {
      if (crossing_step < 0 && have_previous && previous < c.threshold && x.envelope >= c.threshold) crossing_step = k;
      previous = x.envelope;
      have_previous = true;
    }
  }
  INFO("crossing sample at step " << crossing_step << ", burst current from step " << delivery_step);
  REQUIRE(crossing_step >= 20'000);  // not before the DC step
  REQUIRE(delivery_step >= 0);
  CHECK(delivery_step == crossing_step + 1);
}

TEST_CASE("a PI clamp reprogrammed with a new target continues from its integral instead of restarting at 0",
          "[device][controller][pi]") {
  // The tutorial's clamp (docs/closed_loop.md: the excitatory rate held at 5 Hz, then 8 Hz): reprogrammed with the
  // new target, it was rebuilt from rest, reloaded its program at amplitude 0, and the current fell from ~114 to
  // ~11 pA on the next tick (the rate to 0.7 Hz) before climbing again (an outside check, 2026-12-04). Reference:
  // the PI law, u = kp e + ki integral(e): reprogrammed on the same sensing channel, output channel, site and
  // program, the clamp keeps its integral (exactly) and its output, so a target 0.5 Hz higher adds kp x 0.5 = 5 pA
  // on its first sample and takes nothing of the ~20 pA the integral holds. The 20 ms after the change: mean
  // current at least 0.8 x the mean of the 100 ms before (measured over seeds 1-8: 0.97-1.37 x kept, 0.47-0.91 x
  // restarted; this seed 1.08 against 0.59). A clamp on another output channel starts from rest. Break tried:
  // device::set_controller without continue_from -> the integral is 0 after the change and the mean 0.59 x.
  engine::engine_params p = network_config({"network.n_neurons=2000"});
  fw::device_params d = device_for(p);
  d.sensing = {rate_sensing()};
  wired w(p, d);
  fw::device& dev = w.dev;
  engine::engine& eng = w.eng;
  fw::controller_params c = rate_clamp(5.0, 400.0);
  dev.set_controller(0, c, 0);
  engine::tick_readout r;
  fw::device_readout out;
  std::vector<double> stim_pA;
  auto run = [&](int ticks) {
    for (int i = 0; i < ticks; ++i) {
      eng.tick(r);
      stim_pA.push_back(r.exc.i_stim_pA);
    }
  };
  auto mean = [&](std::size_t from, std::size_t n) {
    double s = 0.0;
    for (std::size_t i = from; i < from + n; ++i) s += stim_pA[i];
    return s / static_cast<double>(n);
  };
  run(2000);  // 2 s at 1 ms ticks: settled at 5 Hz
  const double before_pA = mean(1900, 100);
  dev.finish_tick(out);
  const fw::controller_status held = out.controllers[0];
  REQUIRE(held.integral > 0.0);  // the clamp needs current to hold 5 Hz (the network alone fires less)
  c.target = 5.5;
  dev.set_controller(0, c, eng.step_index());
  dev.finish_tick(out);
  CHECK(out.controllers[0].integral == held.integral);
  CHECK(out.controllers[0].output == held.output);
  run(20);
  INFO("before " << before_pA << " pA, 20 ms after " << mean(2000, 20) << " pA");
  CHECK(mean(2000, 20) >= 0.8 * before_pA);
  // New gains keep the integral term, so the output does not jump with ki (ki 100 -> 20 took it from 33.9 to 6.0 pA
  // when the bare integral of e was kept: an outside check). Reference: the term ki integral(e dt) is continuous
  // across a change of ki. Break tried: continue_from not carrying the term -> 0 after the change, the check fails.
  dev.finish_tick(out);
  const fw::controller_status at_300 = out.controllers[0];
  c.ki_per_s = 100.0;
  dev.set_controller(0, c, eng.step_index());
  dev.finish_tick(out);
  CHECK(out.controllers[0].integral == at_300.integral);
  CHECK(out.controllers[0].output == at_300.output);
  // Another output channel: a new clamp, from rest, and the old channel's program goes with the old clamp (left at
  // its last amplitude, it ran on with nothing watching it: an outside check). Break tried: set_controller without
  // clear_controller of the old one -> channel 0 still active.
  REQUIRE(dev.stim().active(0));
  c.output_channel = 1;
  dev.set_controller(0, c, eng.step_index());
  dev.finish_tick(out);
  CHECK(out.controllers[0].integral == 0.0);
  CHECK_FALSE(dev.stim().active(0));
  // ClearController takes its program too.
  run(10);
  REQUIRE(dev.stim().active(1));
  dev.clear_controller(0);
  CHECK_FALSE(dev.stim().active(1));
}

TEST_CASE("clearing an External controller's channel keeps its watchdog, which fires when the loop goes silent",
          "[device][controller][watchdog]") {
  // A loop that clears its channel and loads it again: the clear deleted the External controller, and the reloaded
  // 50 pA ran on with no watchdog (an outside check, 2026-12-04). Reference: the watchdog's definition (docs/
  // device.md): silent for timeout_us (20 ms here) -> one Watchdog event and the channel ramped to zero. Break
  // tried: device::clear deactivating External controllers as the others -> no event, the channel still on.
  engine::engine_params p = network_config({"network.n_neurons=1000"});
  fw::device_params d = device_for(p);
  wired w(p, d);
  fw::controller_params c;
  c.kind = fw::controller_kind::external;
  c.output_channel = 2;
  c.timeout_us = 20'000;
  c.ramp_down_us = 1'000;
  w.dev.set_controller(0, c, 0);
  engine::tick_readout r;
  fw::device_readout out;
  w.dev.load(2, {}, dc(50.0), w.eng.step_index());
  for (int i = 0; i < 5; ++i) w.eng.tick(r);
  w.dev.clear(2);
  w.dev.load(2, {}, dc(50.0), w.eng.step_index());  // the loop's next command (feeds the watchdog in serve)
  for (int i = 0; i < 10; ++i) w.eng.tick(r);
  CHECK(w.dev.stim().active(2));
  w.dev.clear_channels();  // ClearStimulation all: the watchdog stays too
  w.dev.load(2, {}, dc(50.0), w.eng.step_index());
  for (int i = 0; i < 50; ++i) w.eng.tick(r);  // 50 ms of silence
  w.dev.finish_tick(out);
  CHECK(out.controllers[0].watchdog_events == 1);
  CHECK_FALSE(w.dev.stim().active(2));
}

TEST_CASE("a PI clamp set again over the channel a safety stop left dead starts afresh and drives it",
          "[device][controller][safety]") {
  // docs/device.md, "Controllers": a safety stop stops the program and the controller keeps its slot; set again, the
  // controller resumes. A clamp bounded to 900 pA beside a 600 pA DC on exc is stopped with it when their sum passes
  // max_direct_pA (1000 pA); the DC cleared, the same clamp set again with output_max 300 was accepted as its own
  // continuation and set the amplitude of a program no longer loaded: 0 pA reached the cells while its readout showed
  // a clamp saturated at 300 (an outside audit, 2026-12-07). Reference: the clamp's bounds: it must drive its channel
  // again, within [0, 300] pA. Break tried: the `stopped ||` of device::set_controller left out -> channel 0
  // inactive, fails.
  engine::engine_params p = network_config({"network.n_neurons=1000"});
  fw::device_params d = device_for(p);
  d.sensing = {rate_sensing()};
  wired w(p, d);
  fw::controller_params c = rate_clamp(100.0, 900.0);  // a target out of reach: the clamp climbs to its bound
  w.dev.set_controller(0, c, 0);
  w.dev.load(1, {}, dc(600.0), 0);
  engine::tick_readout r;
  fw::device_readout out;
  bool stopped = false;
  for (int i = 0; i < 500 && !stopped; ++i) {
    w.eng.tick(r);
    w.dev.finish_tick(out);
    for (std::uint32_t e = 0; e < out.n_events; ++e)
      stopped = stopped || out.events[e].verdict.limit == fw::safety_limit::direct_current;
  }
  REQUIRE(stopped);
  REQUIRE_FALSE(w.dev.stim().active(0));
  w.dev.clear(1);
  c.output_max = 300.0;
  w.dev.set_controller(0, c, w.eng.step_index());
  double delivered_pA = 0.0;
  for (int i = 0; i < 100; ++i) {
    w.eng.tick(r);
    delivered_pA = r.exc.i_stim_pA;
  }
  CHECK(w.dev.stim().active(0));
  CHECK(delivered_pA > 0.0);
  CHECK(delivered_pA <= 300.0);
}
