// What validating a program costs on the server's I/O thread (issue 9, hardening): firmware_sim::validate of the
// largest arbitrary programs at an electrode of configs/closed_loop.toml (1024 samples at 1 us, the net-charge
// check's window from 1 s, the default, to 60 s, the config's limit; with and without ramps), and what a noise
// program's charge costs as its interval grows (program_charge integrates it hold by hold).
// Run: build/bench/bench_validate --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "firmware_sim/stimulator.hpp"

using namespace cortexloop;
using namespace cortexloop::firmware_sim;

namespace {

// One electrode as configs/closed_loop.toml's electrode 0 (the check uses its area and impedance only).
stimulator_layout electrode_layout(double window_ms) {
  stimulator_layout l;
  l.dt_us = 100;
  l.electrodes.push_back(electrode_params{0.0, 1.0, 0.01, 10.0});
  l.safety.net_charge_window_ms = window_ms;
  return l;
}

// 1024 samples at 1 us, zero mean (a balanced waveform: the kind a user sends at an electrode), repeating.
program largest_arbitrary(std::int64_t ramp_us) {
  program p;
  p.shape = waveform::arbitrary;
  p.amplitude = 10.0;
  p.wave.n_samples = kMaxWaveformSamples;
  p.wave.sample_period_us = 1;
  p.wave.repeat = true;
  for (std::size_t i = 0; i < kMaxWaveformSamples; ++i)
    p.wave.samples[i] = static_cast<float>(std::sin(2.0 * 3.141592653589793 * static_cast<double>(i) / 1024.0));
  if (ramp_us > 0) {
    p.ramp_up_us = ramp_us;
    p.ramp_down_us = ramp_us;
    p.duration_us = 3'600'000'000;  // an hour, the longest accepted
  }
  return p;
}

// Args: ramp (us, 0: none; ramps up and down, an hour long), net-charge window (ms).
void BM_validate_arbitrary_electrode(benchmark::State& state) {
  const stimulator_layout layout = electrode_layout(static_cast<double>(state.range(1)));
  const program p = largest_arbitrary(state.range(0));
  site s;
  s.kind = site_kind::electrode;
  s.electrode = 0;
  reason_text reason;
  for (auto _ : state) {
    const std::string_view why = validate(s, p, layout, reason);
    benchmark::DoNotOptimize(why.data());
    // The cost is the point, not the verdict (at a 60 s window the check's edge term, 2 blocks x peak, refuses it).
    state.SetLabel(why.empty() ? "accepted" : "refused: " + std::string(why.substr(0, 40)));
  }
}
BENCHMARK(BM_validate_arbitrary_electrode)
    ->Args({0, 1000})
    ->Args({10'000'000, 1000})     // 10 s ramps: scanned block by block (shorter than the bounded ramps)
    ->Args({60'000'000, 1000})     // 1 min ramps: bounded analytically
    ->Args({0, 60'000})
    ->Args({100'000'000, 60'000})
    ->Args({550'000'000, 60'000})  // ~9 min ramps: the longest the 60 s window still scans block by block
    ->Unit(benchmark::kMillisecond);

// Args: hold (us), duration (us, 0: endless). The net-charge check of a noise program at an electrode is analytic
// (peak x covered time): its cost must not grow with the number of holds.
void BM_validate_noise_electrode(benchmark::State& state) {
  const stimulator_layout layout = electrode_layout(1000.0);
  program p;
  p.shape = waveform::noise;
  p.amplitude = 0.001;  // 4 sd x 1 nA x 1 s = 4 nC: within the default 10 nC net-charge limit
  p.wave.sample_period_us = static_cast<std::uint32_t>(state.range(0));
  p.duration_us = state.range(1);
  site s;
  s.kind = site_kind::electrode;
  reason_text reason;
  for (auto _ : state) {
    const std::string_view why = validate(s, p, layout, reason);
    benchmark::DoNotOptimize(why.data());
    if (!why.empty()) {
      state.SkipWithError(std::string(why).c_str());
      break;
    }
  }
}
BENCHMARK(BM_validate_noise_electrode)->Args({1, 0})->Args({1, 3'600'000'000})->Args({1'000'000, 3'600'000'000});

// Args: interval length in holds, hold (us). A noise program at a direct site (pA).
void BM_noise_charge(benchmark::State& state) {
  program p;
  p.shape = waveform::noise;
  p.amplitude = 10.0;
  p.wave.sample_period_us = static_cast<std::uint32_t>(state.range(1));
  const std::int64_t length_us = state.range(0) * state.range(1);
  std::int64_t t0 = 12345;
  for (auto _ : state) {
    benchmark::DoNotOptimize(program_charge(p, t0, t0 + length_us));
    ++t0;
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_noise_charge)->Args({1, 24})->Args({256, 24})->Args({65536, 24})->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
