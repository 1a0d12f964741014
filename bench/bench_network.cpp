// What does the Zerlaut 2018 network cost per step and per simulated second, and which phase dominates?
// Peer in the same run: the AdEx update alone (the vectorised integrate/threshold/reset over all cells),
// so the step cost is read as a ratio against the part that scales with N only.
#include <benchmark/benchmark.h>

#include "engine/denormals.hpp"
#include "engine/engine.hpp"
#include "io/config/config_loader.hpp"

using namespace cortexloop;

namespace {
engine::engine_params network_params(std::int64_t n) {
  // Fixed in-degree: p scales as 1/N so each cell keeps ~400 exc and ~100 inh inputs.
  const double p = 0.05 * 10000.0 / static_cast<double>(n);
  return io::load_config(std::string(CORTEXLOOP_SOURCE_DIR) + "/configs/zerlaut2018_network.toml",
                         std::vector<std::string>{"network.n_neurons=" + std::to_string(n),
                                                  "network.p_connect=" + std::to_string(p)});
}

// Runs `warm_ms` of simulated time so that rates and adaptation are at steady state before timing.
void warm_up(engine::engine& eng, int warm_ms) {
  engine::tick_readout r;
  for (int k = 0; k < warm_ms; ++k) eng.tick(r);
}
}  // namespace

static void BM_network_step(benchmark::State& state) {
  const auto p = network_params(state.range(0));
  engine::network net(p.network, p.simulation.dt_ms, p.simulation.seed);
  engine::network_counts counts;
  std::int64_t step = 0;
  for (; step < 10000; ++step) net.step(step, 0.0f, 0.0f, counts);  // 1 s to steady state
  counts = {};
  for (auto _ : state) net.step(step++, 0.0f, 0.0f, counts);
  state.counters["spikes/step"] =
      benchmark::Counter(static_cast<double>(counts.spikes_exc + counts.spikes_inh), benchmark::Counter::kAvgIterations);
  state.SetItemsProcessed(state.iterations() * state.range(0));  // neuron updates
}
BENCHMARK(BM_network_step)->Arg(10000)->Arg(20000)->Arg(40000)->Unit(benchmark::kMicrosecond);

static void BM_adex_update_only(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const engine::adex_params cell;
  const auto derived = engine::adex_derived::from(cell, 0.1);
  const auto syn = engine::synapse_derived::from(engine::network_params{}, 0.1);
  std::vector<float> v(n, -60.0f), w(n, 0.0f), ge(n, 10.0f), gi(n, 20.0f);
  std::vector<std::int32_t> ref(n, 0);
  std::vector<std::uint8_t> spiked(n, 0);
  const engine::adex_state_view view{v.data(), w.data(), ge.data(), gi.data(), ref.data(), spiked.data(), n};
  for (auto _ : state) {
    engine::adex_step(derived, syn, 0.0f, view);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_adex_update_only)->Arg(10000)->Unit(benchmark::kMicrosecond);

static void BM_simulated_second(benchmark::State& state) {
  const auto p = network_params(state.range(0));
  engine::engine eng(p);
  warm_up(eng, 1000);
  engine::tick_readout r;
  for (auto _ : state)
    for (int k = 0; k < 1000; ++k) eng.tick(r);
  state.counters["realtime_factor"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_simulated_second)->Arg(10000)->Unit(benchmark::kMillisecond)->MinTime(2.0);

int main(int argc, char** argv) {
  engine::flush_denormals_to_zero();  // as the engine's own drivers do
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
