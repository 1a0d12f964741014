// What does the Zerlaut 2018 network cost per step and per tick, at which size does it stop fitting in the 1 ms
// tick, and what does a second worker thread buy? Peers in the same run: the AdEx update alone (the vectorised
// integrate/threshold/reset over all cells) and the drive's Philox generator alone, so the step cost is read
// against the parts that scale with N only; and each size with 1 thread against 2.
#include <benchmark/benchmark.h>
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "engine/cpu/denormals.hpp"
#include "engine/engine.hpp"
#include "engine/random/philox.hpp"
#include "engine/random/philox_normal.hpp"
#include "io/config/config_device.hpp"
#include "io/config/config_loader.hpp"
#include "io/runtime/realtime_loop.hpp"
#include "io/runtime/thread_setup.hpp"

using namespace cortexloop;

namespace {
engine::engine_params network_params(std::int64_t n, std::int64_t threads) {
  // Fixed mean in-degree: p scales as 1/N so each cell keeps ~400 exc and ~100 inh inputs (500 = 0.05 x 10k).
  const double p = 0.05 * 10000.0 / static_cast<double>(n);
  auto params = io::load_config(std::string(CORTEXLOOP_SOURCE_DIR) + "/configs/zerlaut2018_network.toml",
                                std::vector<std::string>{"network.n_neurons=" + std::to_string(n),
                                                         "network.p_connect=" + std::to_string(p)});
  params.simulation.threads = static_cast<unsigned>(threads);  // may exceed the CPUs here: the bench says so
  return params;
}

const std::vector<std::int64_t> kSizes{10000, 50000, 100000, 200000};

void size_and_threads(benchmark::internal::Benchmark* b) {
  for (const std::int64_t n : kSizes)
    for (const std::int64_t t : {1, 2}) b->Args({n, t});
}
}  // namespace

// One network step (dt = 0.1 ms) after 1 s to steady state. Besides the wall time per step, each worker's compute
// time per step (inside the phases, barrier waits excluded): on a machine shared with other work the wall time of
// 2 threads includes waiting for a descheduled helper, their compute times do not; max over workers is the step's
// time when both CPUs are free, and w0 + w1 against the 1-thread time is the work partitioning adds.
static void BM_network_step(benchmark::State& state) {
  const auto p = network_params(state.range(0), state.range(1));
  engine::network net(p.network, p.simulation.dt_ms, p.simulation.seed, p.simulation.threads);
  engine::network_counts counts;
  std::int64_t step = 0;
  for (; step < 10000; ++step) net.step(step, 0.0f, 0.0f, counts);
  counts = {};
  net.workers().reset_busy();
  for (auto _ : state) net.step(step++, 0.0f, 0.0f, counts);
  state.counters["spikes/step"] =
      benchmark::Counter(static_cast<double>(counts.spikes_exc + counts.spikes_inh), benchmark::Counter::kAvgIterations);
  double busiest_us = 0;
  for (unsigned w = 0; w < net.workers().size(); ++w) {
    const double us = static_cast<double>(net.workers().busy_ns(w)) / 1000.0 / static_cast<double>(state.iterations());
    std::string name = std::to_string(w);  // "w" + std::string&& trips GCC 12's -Wrestrict (a false positive)
    name.insert(0, 1, 'w');
    name += "_us";
    state.counters[name] = us;
    busiest_us = std::max(busiest_us, us);
  }
  state.counters["busiest_us"] = busiest_us;
  // The synapse rows deliver reads (32-bit targets, or 8- or 16-bit gaps: engine/synapses/delta_rows.hpp).
  double row_bytes = 0;
  for (const engine::partition& part : net.partitions()) row_bytes += static_cast<double>(part.conductance_row_bytes());
  state.counters["rows_MB"] = row_bytes / 1e6;
  state.SetItemsProcessed(state.iterations() * state.range(0));  // neuron updates
}
BENCHMARK(BM_network_step)->Apply(size_and_threads)->Unit(benchmark::kMicrosecond)->UseRealTime();

// Real-time headroom: the compute time of each 1 ms tick (10 steps and the readouts) over 2 s of ticks after 1 s of
// warm-up, as serve's real-time thread would spend it; p50 and p99 as fractions of the tick. Wall time per
// tick, so time lost to other processes on a shared machine counts against it. Where a slow tick's time goes: per
// tick, the busiest worker's time inside the phases (busiest_*: the work, including any preemption inside it) and
// the rest of the wall time (lost_*: barrier waits for the slower worker, handing out phases, worker 0's serial
// readout sums, and preemption outside the phases).
static void BM_tick_headroom(benchmark::State& state) {
  const auto p = network_params(state.range(0), state.range(1));
  engine::engine eng(p);
  engine::tick_readout r;
  for (int k = 0; k < 1000; ++k) eng.tick(r);
  constexpr int kTicks = 2000;
  std::vector<double> tick_us, busiest_us, lost_us;
  tick_us.reserve(kTicks);
  busiest_us.reserve(kTicks);
  lost_us.reserve(kTicks);
  const unsigned n_workers = eng.n_workers();
  for (auto _ : state) {
    tick_us.clear();
    busiest_us.clear();
    lost_us.clear();
    eng.workers().reset_busy();
    std::vector<std::int64_t> before(n_workers, 0);
    for (int k = 0; k < kTicks; ++k) {
      const auto start = std::chrono::steady_clock::now();
      eng.tick(r);
      const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
      double busiest = 0;
      for (unsigned w = 0; w < n_workers; ++w) {
        const std::int64_t now = eng.workers().busy_ns(w);
        busiest = std::max(busiest, static_cast<double>(now - before[w]) / 1000.0);
        before[w] = now;
      }
      tick_us.push_back(us);
      busiest_us.push_back(busiest);
      lost_us.push_back(us - busiest);
    }
  }
  const double tick_us_budget = p.simulation.tick_ms * 1000.0;
  auto fraction_at = [&](std::vector<double>& v, std::size_t permille) {
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, v.size() * permille / 1000)] / tick_us_budget;
  };
  state.counters["busiest_p50"] = fraction_at(busiest_us, 500);
  state.counters["busiest_p99"] = fraction_at(busiest_us, 990);
  state.counters["lost_p50"] = fraction_at(lost_us, 500);
  state.counters["lost_p99"] = fraction_at(lost_us, 990);
  state.counters["p50_of_tick"] = fraction_at(tick_us, 500);
  state.counters["p99_of_tick"] = fraction_at(tick_us, 990);
  state.counters["max_of_tick"] = tick_us.back() / tick_us_budget;
}
BENCHMARK(BM_tick_headroom)->Apply(size_and_threads)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

// The 2-thread speed-up at N cells, paired in time: a 1-thread and a 2-thread engine of the same config (bit-identical,
// so they step the same spikes in the same ticks) take turns, 50 ticks each, for 40 turns after 1000 warm-up ticks;
// speedup_median is the median over the turns of (1-thread time / 2-thread time), speedup_total the ratio of the
// sums. BM_tick_headroom's 1- and 2-thread cases run a second apart, and this VM changes speed level (~1.4x) from
// time to time, which moved their ratio between 1.41 and 2.10 (bench/README.md, "Re-measured on main cd49137"); a
// change of level here falls within one turn of each engine. Run under `chrt -f 10` as BM_tick_headroom.
static void BM_speedup_paired(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  engine::engine one(network_params(n, 1)), two(network_params(n, 2));
  engine::tick_readout r;
  for (int k = 0; k < 1000; ++k) {
    one.tick(r);
    two.tick(r);
  }
  constexpr int kTurns = 40, kTicksPerTurn = 50;
  std::vector<double> ratios;
  double sum_one_s = 0, sum_two_s = 0;
  auto turn_s = [&](engine::engine& eng) {
    const auto start = std::chrono::steady_clock::now();
    for (int k = 0; k < kTicksPerTurn; ++k) eng.tick(r);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  for (auto _ : state) {
    for (int t = 0; t < kTurns; ++t) {
      const double a = turn_s(one), b = turn_s(two);
      ratios.push_back(a / b);
      sum_one_s += a;
      sum_two_s += b;
    }
  }
  std::sort(ratios.begin(), ratios.end());
  state.counters["speedup_median"] = ratios[ratios.size() / 2];
  state.counters["speedup_p10"] = ratios[ratios.size() / 10];
  state.counters["speedup_p90"] = ratios[ratios.size() * 9 / 10];
  state.counters["speedup_total"] = sum_one_s / sum_two_s;
  state.counters["one_thread_tick_ms"] = 1000.0 * sum_one_s / (kTurns * kTicksPerTurn);
}
BENCHMARK(BM_speedup_paired)->Arg(100000)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

// Real-time headroom as `serve --rt` runs ticks: serve's own real-time loop (io/runtime/realtime_loop.hpp) starts a
// tick every 1 ms by the clock (clock_nanosleep to the deadline, then the 100 us spin of --rt), the helpers parked
// while it sleeps and woken at the deadline, for 4 s after 1000 unpaced warm-up ticks. The calling thread is the
// real-time thread, pinned to the last CPU as --rt pins it, the helpers placed after it with its scheduling class
// (run the bench under `chrt -f 10` for SCHED_FIFO, as BM_tick_headroom). Unlike BM_tick_headroom, which runs ticks
// back to back, both CPUs idle between ticks, so the kernel's real-time throttling (950 ms of FIFO per second) does
// not stop the run. The loop's once-a-second statuses give each window's compute time (tick start to readout
// pushed: commands, tick, publish) at p50 and p99, in 1 us bins; reported as fractions of the tick: the medians over
// the windows of >= 500 ticks, the worst window's p99, deadline misses, and the workers' mean imbalance. Nothing
// drains the readout queue here: after 512 ticks a readout push fails (counted) instead of copying 18.6 kB, ~1 us
// less than serve spends (BM_spsc_readout_push_pop in bench_server_path).
static void BM_tick_paced(benchmark::State& state) {
  const auto p = network_params(state.range(0), state.range(1));
  auto eng = std::make_unique<engine::engine>(p);
  engine::tick_readout r;
  for (int k = 0; k < 1000; ++k) eng->tick(r);
  const cpu_set_t cpus = io::cpus_except(-1);
  int last_cpu = 0;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &cpus)) last_cpu = c;
  int policy = SCHED_OTHER;
  sched_param sp{};
  pthread_getschedparam(pthread_self(), &policy, &sp);
  // As serve: the helpers placed first (from every CPU this thread may use), then this thread pinned; its
  // affinity is given back at the end, for the next benchmark's engine.
  eng->place_workers(last_cpu, policy == SCHED_FIFO ? sp.sched_priority : 0);
  io::pin_thread(pthread_self(), last_cpu);
  constexpr std::int64_t kTicks = 4000;
  auto q = std::make_unique<io::realtime_queues>();
  io::realtime_loop loop(std::move(eng), io::default_device(p), *q,
                         {.mode = io::run_mode::realtime, .max_ticks = kTicks, .spin_ns = 100'000});
  q->go = true;
  for (auto _ : state) loop.run();
  io::pin_thread(pthread_self(), cpus);
  std::vector<double> p50, p99;
  double imbalance = 0;
  std::int64_t misses = 0;
  q->statuses.consume_all([&](const io::status_record& s) {
    misses = s.deadline_misses;
    if (s.window_ticks < 500) return;
    p50.push_back(s.compute_p50_us);
    p99.push_back(s.compute_p99_us);
    imbalance += s.worker_imbalance;
  });
  if (p50.empty()) return state.SkipWithError("no status window of >= 500 ticks");
  const double tick_us = p.simulation.tick_ms * 1000.0;
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  state.counters["paced_p50"] = median(p50) / tick_us;
  state.counters["paced_p99"] = median(p99) / tick_us;
  state.counters["paced_p99_worst"] = *std::max_element(p99.begin(), p99.end()) / tick_us;
  state.counters["windows"] = static_cast<double>(p50.size());
  state.counters["misses"] = static_cast<double>(misses);
  state.counters["imbalance"] = imbalance / static_cast<double>(p50.size());
}
BENCHMARK(BM_tick_paced)->Apply(size_and_threads)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

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
// 1,024 cells (the state in L1), 10k (in L2) and 100k (beyond it): an equal cost per cell says the update is
// bound by its arithmetic, not by memory (bench/README.md, "One thread, sixth pass").
BENCHMARK(BM_adex_update_only)->Arg(1024)->Arg(10000)->Arg(100000)->Unit(benchmark::kMicrosecond);

// The drive's Philox4x32-10 draws for N neurons (a whole number of groups of 128), one step.
static void BM_philox_drive_draws(benchmark::State& state) {
  const auto groups = static_cast<std::size_t>(state.range(0)) / engine::kPhiloxGroup;
  std::vector<std::uint16_t> draws(groups * engine::kPhiloxGroup);
  const auto key = engine::philox_key::from_seed(1);
  std::uint64_t step = 0;
  for (auto _ : state) {
    engine::philox_fill_groups(key, 0, groups, step++, engine::random_stream::drive, draws.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_philox_drive_draws)->Arg(10112)->Unit(benchmark::kMicrosecond);

// The Cakan 2020 network's white-noise normals for N cells (a whole number of groups of 128), one step: Philox4x32-10
// and Box-Muller (engine/random/philox_normal.hpp), the part of its fused update (engine/network/fraction_update.cpp)
// that does not depend on the state, here written to an array; read against BM_philox_drive_draws (the same Philox
// blocks).
static void BM_philox_normals(benchmark::State& state) {
  const auto groups = static_cast<std::size_t>(state.range(0)) / engine::kPhiloxGroup;
  std::vector<float> normals(groups * engine::kPhiloxGroup);
  const auto key = engine::philox_key::from_seed(1);
  std::uint64_t step = 0;
  for (auto _ : state) {
    engine::philox_fill_normals(key, 0, groups, step++, engine::kWhiteNoiseStream, normals.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_philox_normals)->Arg(19968)->Unit(benchmark::kMicrosecond);

static void BM_simulated_second(benchmark::State& state) {
  const auto p = network_params(state.range(0), 1);
  engine::engine eng(p);
  engine::tick_readout r;
  for (int k = 0; k < 1000; ++k) eng.tick(r);
  for (auto _ : state)
    for (int k = 0; k < 1000; ++k) eng.tick(r);
  // Simulated seconds per second of wall time (UseRealTime below: a rate counter is divided by CPU time otherwise, an
  // outside check, 2026-12-05); Google Benchmark prints a rate with "/s".
  state.counters["realtime_factor"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_simulated_second)->Arg(10000)->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();

int main(int argc, char** argv) {
  engine::flush_denormals_to_zero();  // as the engine's own drivers do
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
