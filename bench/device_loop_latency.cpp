// Sense -> stimulate latency of the on-device loop: a responsive controller on the network's sensed
// excitatory rate loads a pulse when the rate crosses a threshold. With a tick of one step, the program
// sees every step: the latency is counted from the step whose sample crossed the threshold to the first step
// that carries the pulse's current (simulated steps and us), and timed on the wall clock (the engine steps between
// the two, in fast mode: whole steps, the network's included, not the device's compute alone). The external loop's figure comes from bench/closed_loop_latency.py; the two are
// printed side by side by bench/closed_loop_latency.py (unless --no-device).
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "bench/parse_args.hpp"
#include "engine/engine.hpp"
#include "firmware_sim/device.hpp"
#include "io/config/config_device.hpp"
#include "io/config/config_loader.hpp"
#include "tools/number_checks.hpp"

using namespace cortexloop;
namespace fw = firmware_sim;

namespace {
// The controller is armed at this step: 0.5 s at the config's 0.1 ms step, past the drive's 0.1 s ramp and the
// network's start.
constexpr std::int64_t kArmStep = 5000;

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5)];
}
}  // namespace

int main(int argc, char** argv) {
  CLI::App app("On-device sense -> stimulate latency (responsive controller on the network's sensed rate)");
  double seconds = 20.0, sample_rate_Hz = 10000.0, threshold_Hz = 2.0;
  int n_neurons = 10000;
  std::string json_out;
  // Ranges checked here: 0 neurons aborted on the config's uncaught error, 0 seconds gave "0 triggers" and exit 2
  // with no word, and a 0 Hz sensing rate was taken (an outside check, 2026-12-05).
  // --seconds must go past the controller's arming (0.5 s): 0.1-0.5 s was taken, a run that could never trigger (an
  // outside audit). The bound is checked against the config's step below.
  app.add_option("--seconds", seconds,
                 "Simulated seconds, more than 0.5 (the controller is armed at 0.5 s, after the drive's ramp)")
      ->check(cortexloop::tools::number_in(0.0, 3600.0, true))
      ->capture_default_str();
  app.add_option("--sample-rate", sample_rate_Hz, "Sensing rate (Hz; 10 kHz = every step)")
      ->check(cortexloop::tools::number_in(1.0, 10000.0))
      ->capture_default_str();
  app.add_option("--threshold", threshold_Hz, "Threshold of the sensed envelope (Hz)")->capture_default_str();
  app.add_option("--neurons", n_neurons, "Network size")->check(cortexloop::tools::number_in(100, 1000000))->capture_default_str();
  app.add_option("--json", json_out, "Also write the figures to this JSON file");
  cortexloop::tools::refuse_bad_numbers(app);
  CORTEXLOOP_BENCH_PARSE(app, argc, argv);
  // One step per tick, so that the device can be inspected after every step.
  const std::vector<std::string> overrides = {"simulation.tick_ms=0.1", "network.n_neurons=" + std::to_string(n_neurons)};
  const auto params = io::load_config(CORTEXLOOP_SOURCE_DIR "/configs/zerlaut2018_network.toml", overrides);
  const double arm_s = static_cast<double>(kArmStep) * params.simulation.dt_ms / 1000.0;
  if (!(seconds > arm_s)) {
    std::fprintf(stderr,
                 "device_loop_latency: --seconds %g: must be more than %g: the controller is armed at %g s simulated "
                 "(after the drive's ramp), so a run that short cannot trigger\n",
                 seconds, arm_s, arm_s);
    return 2;
  }
  // The output before the run: an unwritable --json was exit 1 with no word, after the whole run (an outside check,
  // 2026-12-05).
  if (!json_out.empty()) {
    std::FILE* f = std::fopen(json_out.c_str(), "a");
    if (!f) {
      std::fprintf(stderr, "device_loop_latency: cannot write --json %s: %s\n", json_out.c_str(), std::strerror(errno));
      return 2;
    }
    std::fclose(f);
  }

  fw::device_params d = io::default_device(params);
  fw::sensing_params s;
  s.signal = fw::signal_kind::rate_exc;
  s.sample_rate_Hz = sample_rate_Hz;
  s.range_min = 0.0;
  s.range_max = 1000.0;
  s.rms_window_ms = 5.0;
  d.sensing = {s};
  fw::device dev(d);
  engine::engine eng(params);
  eng.set_external_current(&dev);
  fw::controller_params c;
  c.kind = fw::controller_kind::responsive;
  c.feature = fw::feature_kind::envelope;
  c.threshold = threshold_Hz;
  c.refractory_us = 20'000;
  c.output_channel = 1;
  c.output_program.shape = fw::waveform::pulse_train;
  c.output_program.amplitude = 1.0;  // pA: a marker that does not disturb the network
  c.output_program.frequency_Hz = 1000.0;
  c.output_program.phase_width_us = 50;
  c.output_program.pulses_per_burst = 1;
  c.output_program.burst_period_us = 1'000'000;
  c.output_program.n_bursts = 1;
  c.output_program.biphasic = false;      // one phase: its charge is not cancelled within the step
  c.output_program.duration_us = 1'000;   // the channel is free again 1 ms later
  dev.set_controller(0, c, kArmStep);  // after the drive's ramp

  engine::tick_readout r;
  std::vector<double> steps, compute_us;
  double previous = 0;
  bool have_previous = false;
  std::int64_t crossing_step = -1, quiet_until = 0;
  const std::int64_t refractory_steps = c.refractory_us / d.layout.dt_us;
  auto crossing_wall = std::chrono::steady_clock::now();
  const auto n_steps = static_cast<std::int64_t>(seconds * 1000.0 / params.simulation.dt_ms);
  for (std::int64_t k = 0; k < n_steps; ++k) {
    eng.tick(r);
    const auto now = std::chrono::steady_clock::now();
    const fw::sensed_sample& x = dev.sensing()[0].last();
    if (crossing_step >= 0 && dev.stim().channel_current()[1] != 0.0) {
      steps.push_back(static_cast<double>(k - crossing_step));
      compute_us.push_back(std::chrono::duration<double, std::micro>(now - crossing_wall).count());
      crossing_step = -1;
    }
    // The crossing as the controller defines it (previous sample below, this one at or above the threshold),
    // outside the refractory period that follows each trigger.
    if (x.sampled && k >= kArmStep) {
      const bool crossed = have_previous && previous < threshold_Hz && x.envelope >= threshold_Hz;
      if (crossed && k >= quiet_until) {
        crossing_step = k;
        crossing_wall = now;
        quiet_until = k + refractory_steps;
      }
      previous = x.envelope;
      have_previous = true;
    }
  }
  const double dt_us = params.simulation.dt_ms * 1000.0;
  if (steps.empty()) {
    // With no trigger there is no latency: the percentiles of nothing printed "p50 0 ... = 0 us", which read as zero
    // latency (an outside check, 2026-12-05).
    std::fprintf(stderr,
                 "device_loop_latency: no triggers: the sensed envelope (%.0f Hz sensing, %d neurons) did not cross "
                 "--threshold %g Hz upwards after the controller was armed (at %g s) in %g s simulated; no latency measured\n",
                 sample_rate_Hz, n_neurons, threshold_Hz, arm_s, seconds);
    if (!json_out.empty())
      if (std::FILE* f = std::fopen(json_out.c_str(), "w")) {
        std::fprintf(f, "{\"triggers\": 0}\n");
        std::fclose(f);
      }
    return 2;
  }
  std::printf("on-device loop (responsive controller, sensing at %.0f Hz, %d neurons, %.0f s simulated): %zu triggers\n",
              sample_rate_Hz, n_neurons, seconds, steps.size());
  std::printf("  sense -> stimulate, simulated: p50 %.0f / p99 %.0f / p99.9 %.0f / max %.0f steps = %.0f / %.0f / %.0f / %.0f us\n",
              percentile(steps, 0.5), percentile(steps, 0.99), percentile(steps, 0.999), percentile(steps, 1.0),
              percentile(steps, 0.5) * dt_us, percentile(steps, 0.99) * dt_us, percentile(steps, 0.999) * dt_us,
              percentile(steps, 1.0) * dt_us);
  std::printf("  wall time of the engine steps between them (whole steps, network included; fast mode): p50 %.2f / "
              "p99 %.2f / p99.9 %.2f us\n",
              percentile(compute_us, 0.5), percentile(compute_us, 0.99), percentile(compute_us, 0.999));
  if (!json_out.empty()) {
    std::FILE* f = std::fopen(json_out.c_str(), "w");
    if (!f) {
      std::fprintf(stderr, "device_loop_latency: cannot write --json %s: %s\n", json_out.c_str(), std::strerror(errno));
      return 1;
    }
    std::fprintf(f,
                 "{\"triggers\": %zu, \"steps_p50\": %g, \"steps_p99\": %g, \"steps_p999\": %g, \"dt_us\": %g, "
                 "\"compute_us_p50\": %g, \"compute_us_p99\": %g, \"compute_us_p999\": %g}\n",
                 steps.size(), percentile(steps, 0.5), percentile(steps, 0.99), percentile(steps, 0.999), dt_us,
                 percentile(compute_us, 0.5), percentile(compute_us, 0.99), percentile(compute_us, 0.999));
    std::fclose(f);
  }
  return 0;
}
