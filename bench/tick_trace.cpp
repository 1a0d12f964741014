// What makes a slow tick slow? Steps the Zerlaut 2018 network as the engine's tick does (10 steps, then the readout
// sums) and writes one CSV row per phase: its wall time, each worker's time inside it, the spikes it delivered and
// the process's page faults and involuntary context switches over the tick. The network is deterministic, so two
// runs step the same spikes at the same tick: a slow tick that is slow in both runs is the work (a burst of spikes),
// one that is slow in one run only is the machine (bench/README.md, "100k, sixth pass"; bench/tick_tail.py reads
// the files).
//
//   chrt -f 10 build/bench/tick_trace --neurons 100000 --threads 2 --ticks 3000 --out /tmp/trace_a.csv
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "bench/parse_args.hpp"
#include "engine/cpu/denormals.hpp"
#include "engine/network/network.hpp"
#include "io/config/config_loader.hpp"

using namespace cortexloop;

namespace {
struct phase_row {
  std::int64_t tick, phase, wall_ns, spikes_delivered;
  std::int64_t busy_ns[2];
};

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

int main(int argc, char** argv) {
  std::int64_t n = 100000, ticks = 3000, warmup_ticks = 1000;
  unsigned threads = 2;
  std::string out_path = "tick_trace.csv";
  CLI::App app{"Per-phase wall and worker times of the Zerlaut 2018 network's ticks, with the spikes delivered"};
  // Ranges checked here: 0 cells aborted on the config's uncaught error, -5 ticks on std::length_error (an outside
  // check, 2026-12-05).
  app.add_option("--neurons", n, "Cells (fixed in-degree 500, as bench_network)")
      ->check(CLI::Range(std::int64_t{10000}, std::int64_t{10000000}))
      ->capture_default_str();
  app.add_option("--threads", threads, "Workers (1 or 2 are written)")->check(CLI::Range(1, 2))->capture_default_str();
  app.add_option("--ticks", ticks, "Ticks recorded")->check(CLI::Range(std::int64_t{1}, std::int64_t{10000000}))->capture_default_str();
  app.add_option("--warmup", warmup_ticks, "Ticks stepped first, not recorded")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{10000000}))
      ->capture_default_str();
  app.add_option("--out", out_path, "CSV file")->capture_default_str();
  CORTEXLOOP_BENCH_PARSE(app, argc, argv);
  engine::flush_denormals_to_zero();

  const double p = 0.05 * 10000.0 / static_cast<double>(n);  // bench_network's fixed in-degree
  const auto params = io::load_config(std::string(CORTEXLOOP_SOURCE_DIR) + "/configs/zerlaut2018_network.toml",
                                      std::vector<std::string>{"network.n_neurons=" + std::to_string(n),
                                                               "network.p_connect=" + std::to_string(p)});
  engine::network net(params.network, params.simulation.dt_ms, params.simulation.seed, threads);
  const auto steps_per_tick = static_cast<std::int64_t>(params.simulation.tick_ms / params.simulation.dt_ms + 0.5);
  engine::network_counts counts;
  std::int64_t step = 0;
  for (std::int64_t t = 0; t < warmup_ticks; ++t) {
    for (std::int64_t k = 0; k < steps_per_tick; ++k) net.step(step++, 0.0f, 0.0f, counts);
    (void)net.readout_sums(0);
  }
  // Written before the run (resize, not reserve): the first write of a reserved page was a page fault inside the
  // ticks, counted as if the engine had taken it.
  std::vector<phase_row> rows(static_cast<std::size_t>(ticks * (steps_per_tick + 1)));
  std::vector<long> faults(static_cast<std::size_t>(ticks)), switches(static_cast<std::size_t>(ticks));
  std::size_t n_rows = 0;
  auto& pool = net.workers();
  std::int64_t delivered_next = 0;  // the spikes of the previous step: this step's phase delivers them
  auto record = [&](std::int64_t tick, std::int64_t phase, std::int64_t start, std::int64_t delivered) {
    phase_row r{tick, phase, now_ns() - start, delivered, {0, 0}};
    for (unsigned w = 0; w < pool.size(); ++w) r.busy_ns[w] = pool.busy_ns(w);
    pool.reset_busy();
    rows[n_rows++] = r;
  };
  for (std::int64_t t = 0; t < ticks; ++t) {
    rusage before{};
    getrusage(RUSAGE_SELF, &before);
    pool.reset_busy();
    for (std::int64_t k = 0; k < steps_per_tick; ++k) {
      const std::int64_t spikes_before = counts.spikes_exc + counts.spikes_inh, start = now_ns();
      net.step(step++, 0.0f, 0.0f, counts);
      record(t, k, start, delivered_next);
      delivered_next = counts.spikes_exc + counts.spikes_inh - spikes_before;
    }
    const std::int64_t start = now_ns();
    (void)net.readout_sums(0);  // settles the last step's spikes, then sums
    record(t, steps_per_tick, start, delivered_next);
    delivered_next = 0;
    rusage after{};
    getrusage(RUSAGE_SELF, &after);
    faults[static_cast<std::size_t>(t)] = after.ru_minflt - before.ru_minflt + after.ru_majflt - before.ru_majflt;
    switches[static_cast<std::size_t>(t)] = after.ru_nivcsw - before.ru_nivcsw;
  }
  std::FILE* f = std::fopen(out_path.c_str(), "w");
  if (!f) {
    std::perror(out_path.c_str());
    return 1;
  }
  std::fprintf(f, "tick,phase,wall_ns,w0_ns,w1_ns,spikes_delivered,tick_faults,tick_nivcsw\n");
  for (const phase_row& r : rows)
    std::fprintf(f, "%lld,%lld,%lld,%lld,%lld,%lld,%ld,%ld\n", static_cast<long long>(r.tick),
                 static_cast<long long>(r.phase), static_cast<long long>(r.wall_ns),
                 static_cast<long long>(r.busy_ns[0]), static_cast<long long>(r.busy_ns[1]),
                 static_cast<long long>(r.spikes_delivered), faults[static_cast<std::size_t>(r.tick)],
                 switches[static_cast<std::size_t>(r.tick)]);
  std::fclose(f);
  std::printf("tick_trace: %lld ticks of %lld cells, %u worker(s): %zu phase rows -> %s (bench/tick_tail.py reads it)\n",
              static_cast<long long>(ticks), static_cast<long long>(n), threads, rows.size(), out_path.c_str());
  return 0;
}
