// Mean-field costs (issue 3): is the ring cheap enough to run beside the network in real time?
//   BM_ring_second/N          one simulated second of the N-unit ring (paper stimulus; target at N = 1000:
//                             < 0.05 s per simulated second)
//   BM_ring_step/N            one ring step (0.5 ms)
//   BM_master_equation_second one simulated second of the local model, second order with adaptation, dt 0.1 ms
//   BM_tf_batch/N             the float transfer function over N inputs (the ring's inner cost)
//   BM_single_cells_second    fit-tf's unit of work: one simulated second of 400 independent cells
// Configs: configs/zerlaut2018_ring.toml and zerlaut2018_meanfield.toml. See bench/README.md.
#include <vector>

#include <benchmark/benchmark.h>

#include "engine/meanfield/master_equation.hpp"
#include "engine/meanfield/ring.hpp"
#include "engine/meanfield/single_neuron.hpp"
#include "io/config/config_loader.hpp"

using namespace cortexloop::engine;
using namespace cortexloop::engine::meanfield;

namespace {
engine_params load(const char* file, std::vector<std::string> overrides = {}) {
  return cortexloop::io::load_config(std::string(CORTEXLOOP_SOURCE_DIR) + "/configs/" + file, overrides);
}
}  // namespace

static void BM_ring_second(benchmark::State& state) {
  const auto p = load("zerlaut2018_ring.toml", {"ring.n_units=" + std::to_string(state.range(0))});
  ring r(*p.ring, *p.meanfield, p.network, p.simulation.dt_ms);
  const int steps = static_cast<int>(1000.0 / r.dt_ms());
  double t = 0;
  for (auto _ : state) {
    for (int k = 0; k < steps; ++k, t += r.dt_ms()) r.step(t);
    r.finish_average();
    benchmark::DoNotOptimize(r.average_vsdi_percent().data());
  }
  state.counters["kernel_terms_exc"] = static_cast<double>(r.kernel_terms_exc());
  state.counters["kernel_terms_inh"] = static_cast<double>(r.kernel_terms_inh());
}
BENCHMARK(BM_ring_second)->Arg(100)->Arg(300)->Arg(1000)->Unit(benchmark::kMillisecond);

static void BM_ring_step(benchmark::State& state) {
  const auto p = load("zerlaut2018_ring.toml", {"ring.n_units=" + std::to_string(state.range(0))});
  ring r(*p.ring, *p.meanfield, p.network, p.simulation.dt_ms);
  double t = 0;
  for (auto _ : state) {
    r.step(t);
    t += r.dt_ms();
    benchmark::DoNotOptimize(r.rates_exc_Hz().data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_ring_step)->Arg(100)->Arg(1000)->Unit(benchmark::kMicrosecond);

static void BM_master_equation_second(benchmark::State& state) {
  const auto p = load("zerlaut2018_meanfield.toml");
  meanfield_params mf = *p.meanfield;
  mf.order = static_cast<int>(state.range(0));
  master_equation me(mf, p.network, p.simulation.dt_ms);
  meanfield_inputs in;
  in.drive_Hz = p.network.drive.rate_Hz;
  me.settle(in, 2000.0);
  const int steps = static_cast<int>(1000.0 / p.simulation.dt_ms);
  for (auto _ : state) {
    for (int k = 0; k < steps; ++k) me.step(p.simulation.dt_ms, in);
    benchmark::DoNotOptimize(me.state().nu_e_Hz);
  }
}
BENCHMARK(BM_master_equation_second)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

static void BM_tf_batch(benchmark::State& state) {
  const auto p = load("zerlaut2018_meanfield.toml");
  const transfer_function tf(cell_synapses::from(p.network.exc, p.network), p.meanfield->exc, p.meanfield->moments,
                             p.simulation.dt_ms);
  const auto n = static_cast<std::size_t>(state.range(0));
  std::vector<float> fe(n), fi(n), w(n, 50.0f), i(n, 0.0f), out(n), mu(n);
  for (std::size_t k = 0; k < n; ++k) {
    fe[k] = 2000.0f + 4.0f * static_cast<float>(k % 1000);
    fi[k] = 800.0f + static_cast<float>(k % 700);
  }
  for (auto _ : state) {
    tf.rate_Hz_batch(fe.data(), fi.data(), w.data(), i.data(), out.data(), mu.data(), n, 1600.0f);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_tf_batch)->Arg(1000);

static void BM_single_cells_second(benchmark::State& state) {
  const auto p = load("zerlaut2018_network.toml");
  single_neuron_options o;
  o.n_cells = 400;
  o.duration_ms = 1000.0;
  o.warmup_ms = 0.0;
  for (auto _ : state) {
    const auto r = simulate_single_neurons(p.network.exc, p.network, p.simulation.dt_ms, 400 * 6.0, 100 * 9.0, o);
    benchmark::DoNotOptimize(r.rate_Hz);
  }
  state.counters["neuron_steps_per_s"] =
      benchmark::Counter(400.0 * 1000.0 / p.simulation.dt_ms, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_single_cells_second)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
