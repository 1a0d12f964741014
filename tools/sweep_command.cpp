// `cortexloop sweep`: the state diagram of the ALN mean field or of the spiking network over a grid of two config
// keys (Cakan & Obermayer 2020, Figs 2-3). Each point is one run of the config with the authors' bistability probe
// onto E, classified as they do (engine/aln/aln_states.hpp); the model's runner is tools/sweep_aln.hpp for a config
// with [aln], tools/sweep_network.hpp otherwise. Points are spread over threads and, under `mpirun -n K`, over K
// processes (rank r runs points r, r + K, ...; rank 0 gathers and writes). Writes OUT/*.npy [ny, nx],
// OUT/sweep.json and OUT/state_diagram.png (drawn by tools/plot_aln_sweep.py, the paper's points marked).
#include "tools/sweep_command.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/aln/aln_states.hpp"
#include "engine/cpu/denormals.hpp"
#include "engine/network/workers.hpp"
#include "io/config/config_aln.hpp"
#include "io/config/config_loader.hpp"
#include "io/protocol/format_number.hpp"
#include "io/recording/npy.hpp"
#include "io/recording/output_dir.hpp"
#include "tools/draw_png.hpp"
#include "tools/default_config.hpp"
#include "tools/mpi_launch.hpp"
#include "tools/number_checks.hpp"
#include "tools/option_override.hpp"
#include "tools/process_cpu.hpp"
#include "tools/progress.hpp"
#include "tools/sweep_aln.hpp"
#include "tools/sweep_grid.hpp"
#include "tools/sweep_network.hpp"
#include "tools/sweep_point.hpp"
#include "tools/stop_request.hpp"
#ifdef CORTEXLOOP_HAVE_MPI
#include "io/mpi/mpi_exchange.hpp"
#endif

namespace cortexloop::tools {

namespace {

namespace aln = engine::aln;

struct sweep_options {
  std::string config = default_config("cakan2020/aln.toml");
  std::string out_dir;
  std::string x, y;  // KEY=start:stop:n or KEY=v1,v2,...
  std::vector<std::string> overrides;
  std::optional<std::string> duration_s;  // as typed (option_override)
  int threads = static_cast<int>(engine::usable_cpus());
  double probe_pA = 200.0;  // the authors' 'rect' probe: 1 mV/ms x C = 200 pF
  aln::classify_options classify;
  bool quiet = false;
  bool png = true;
};

struct axis {
  std::string key;
  std::vector<double> values;
};

// "section.key=start:stop:n" (n points, both ends included, as numpy.linspace) or "section.key=v1,v2,...".
axis parse_axis(const std::string& flag, const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    throw command_line_error(flag + " '" + text + "': expected section.key=start:stop:n or section.key=v1,v2,...");
  axis a{text.substr(0, eq), {}};
  const std::string rest = text.substr(eq + 1);
  auto number = [&](const std::string& s) {
    std::size_t used = 0;
    double v = 0;
    try {
      v = std::stod(s, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != s.size() || s.empty() || !std::isfinite(v))
      throw command_line_error(flag + " '" + text + "': '" + s + "' is not a number");
    return v;
  };
  if (rest.find(':') != std::string::npos) {
    const auto c1 = rest.find(':'), c2 = rest.find(':', c1 + 1);
    if (c2 == std::string::npos || rest.find(':', c2 + 1) != std::string::npos)
      throw command_line_error(flag + " '" + text + "': a range is start:stop:n");
    const double lo = number(rest.substr(0, c1)), hi = number(rest.substr(c1 + 1, c2 - c1 - 1));
    const double n = number(rest.substr(c2 + 1));
    // n values with both ends: at least 2. n = 1 was taken and gave [start] alone, stop dropped without a word
    // (`--y KEY=0:3:1` swept [0]: an outside audit, 2026-12-07); one value is given as KEY=v.
    if (n < 2 || n != std::floor(n) || n > 100000)
      throw command_line_error(flag + " '" + text + "': n must be a whole number in [2, 100000] (start:stop:n gives n "
                               "values with both ends; for one value give " + a.key + "=VALUE)");
    for (int i = 0; i < static_cast<int>(n); ++i) a.values.push_back(lo + (hi - lo) * i / (n - 1));
  } else {
    for (std::size_t start = 0;;) {
      const auto comma = rest.find(',', start);
      a.values.push_back(number(rest.substr(start, comma == std::string::npos ? std::string::npos : comma - start)));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return a;
}

// The override of point i on axis `a`, labelled with the flag that gave it, so the loader's refusal names
// "--x KEY = VALUE" (io::labelled_override), not an override the user did not type.
std::string set_value(std::string_view flag, const axis& a, std::size_t i) {
  char text[64];
  std::snprintf(text, sizeof text, "%.17g", a.values[i]);
  // A whole value is written as a TOML integer: float keys read integers too (table_reader::number), and integer
  // keys (simulation.seed, network.n_neurons) can then be axes.
  return io::labelled_override(std::string(flag) + " " + a.key + " = " +
                                   io::format_number(a.values[i]).str(),
                               a.key, text);
}

// This process's share of the grid (points rank, rank + ranks, ...), run by `threads` threads; progress on stderr.
// Fills the per-point arrays at this process's points only. Returns the CPU seconds spent.
// A point not run (the sweep stopped by Ctrl-C first) is NaN in every array.
struct point_arrays {
  static constexpr float kNotRun = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> cls, max_up, mean_down, mean_up, dom_f, dom_p, diverged, adaptation;
  explicit point_arrays(std::size_t n)
      : cls(n, kNotRun), max_up(n, kNotRun), mean_down(n, kNotRun), mean_up(n, kNotRun), dom_f(n, kNotRun),
        dom_p(n, kNotRun), diverged(n, kNotRun), adaptation(n, kNotRun) {}
  std::vector<std::vector<float>*> all() {
    return {&cls, &max_up, &mean_down, &mean_up, &dom_f, &dom_p, &diverged, &adaptation};
  }
  void set(std::size_t k, const sweep_point_result& r) {
    cls[k] = static_cast<float>(r.state);
    max_up[k] = static_cast<float>(r.measures.max_up_Hz);
    mean_down[k] = static_cast<float>(r.measures.mean_down_Hz);
    mean_up[k] = static_cast<float>(r.measures.mean_up_Hz);
    dom_f[k] = static_cast<float>(engine::aln::reported_frequency_Hz(r.measures, r.state));
    dom_p[k] = static_cast<float>(r.measures.dominant_power_Hz2);
    diverged[k] = static_cast<float>(r.diverged);
    adaptation[k] = r.adaptation ? 1.0f : 0.0f;
  }
};

// Draws OUT/state_diagram.png with tools/plot_aln_sweep.py (the points of interest of the paper's diagram of this
// kind marked: A without adaptation, B with).
void draw_state_diagram(const std::filesystem::path& out, bool quiet) {
  const std::string png = (out / "state_diagram.png").string();
  std::vector<std::string> args = {out.string(), "--points", "auto", "--out", png};
  if (quiet) args.emplace_back("--quiet");
  draw_png("sweep", "tools/plot_aln_sweep.py", args, png);
}

// stoppable: Ctrl-C (stop_request) ends the share after the points running, the others left NaN.
void run_share(const sweep_point_runner& runner, const std::function<std::vector<std::string>(std::size_t)>& overrides_of,
               std::size_t n, std::size_t rank, std::size_t ranks, int threads, bool quiet, bool stoppable,
               point_arrays& out) {
  const std::size_t mine = n > rank ? (n - rank + ranks - 1) / ranks : 0;
  std::atomic<std::size_t> next{0}, done{0};
  std::mutex error_mutex;
  std::string error;
  std::atomic<bool> failed{false};
  std::atomic<std::size_t> running{0};
  auto stopped = [&] { return stoppable && stop_request::signal() != 0; };
  auto work = [&] {
    engine::flush_denormals_to_zero();
    for (std::size_t j; !stopped() && (j = next.fetch_add(1)) < mine;) {
      running.fetch_add(1);
      const std::size_t k = rank + j * ranks;
      try {
        out.set(k, runner.run(overrides_of(k)));
      } catch (const std::exception& e) {
        std::lock_guard lock(error_mutex);
        const auto ov = overrides_of(k);
        if (error.empty())
          error = "point " + point_name(ov) + ": " + e.what();
        next = mine;
        failed = true;
      }
      running.fetch_sub(1);
      done.fetch_add(1);
    }
  };
  const auto wall0 = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(work);
  progress_line progress(ranks > 1 ? "sweep rank " + std::to_string(rank) : std::string("sweep"), quiet);
  while (done.load() < mine && !failed && !stopped()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
    const std::size_t d = done.load();
    progress.update(static_cast<double>(d) / static_cast<double>(mine), [&] {
      char text[128];
      // No estimate before the first point is done (it read "about 0 s left").
      if (d == 0)
        std::snprintf(text, sizeof text, "%zu / %zu points, %.0f s", d, mine, wall);
      else
        std::snprintf(text, sizeof text, "%zu / %zu points, %.0f s, about %.0f s left", d, mine, wall,
                      wall * static_cast<double>(mine - d) / static_cast<double>(d));
      return std::string(text);
    });
  }
  if (stopped()) {
    progress.done();
    if (const std::size_t busy = running.load(); busy > 0)
      std::fprintf(stderr, "sweep: stopping: the %zu points running finish first\n", busy);
  }
  for (auto& t : pool) t.join();
  if (error.empty() && !stopped()) {
    char text[96];
    std::snprintf(text, sizeof text, "%zu / %zu points, %.0f s", mine, mine,
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count());
    progress.finished(text);
  } else {
    progress.done();
  }
  if (!error.empty()) throw std::runtime_error("sweep: " + error);
}

// The grid and its runner, checked before any point runs: every option, the grid's edge loaded as its points will be
// (make_*_sweep_runner) and the output folder prepared.
struct prepared_sweep {
  axis ax, ay;
  std::vector<std::string> base;  // --set and --duration, for every point
  std::unique_ptr<sweep_point_runner> runner;
  std::optional<io::output_dir_lock> out_lock;  // --out, held for the whole run by its writer
  std::size_t nx() const { return ax.values.size(); }
  std::size_t ny() const { return ay.values.size(); }
  std::size_t n() const { return nx() * ny(); }
  std::vector<std::string> point_overrides(std::size_t k) const {
    std::vector<std::string> ov = base;
    ov.push_back(set_value("--x", ax, k % nx()));
    ov.push_back(set_value("--y", ay, k / nx()));
    return ov;
  }
};

// The files a sweep writes into --out.
constexpr std::array<std::string_view, 11> kSweepOutputs = {
    "x.npy", "y.npy", "state.npy", "max_rate_up_Hz.npy", "mean_rate_down_Hz.npy", "mean_rate_up_Hz.npy",
    "dominant_frequency_Hz.npy", "dominant_power_Hz2.npy", "diverged_steps.npy", "sweep.json", "state_diagram.png"};

prepared_sweep prepare_sweep(const sweep_options& o, bool root);
int sweep_ranks(const sweep_options& o, const prepared_sweep& grid, int launched);

int run_sweep(const sweep_options& o) {
  const int launched = launched_ranks();
  return run_on_ranks(
      launched, "run every point", [&] { return prepare_sweep(o, launched_rank() == 0); },
      [&](const prepared_sweep& grid) { return sweep_ranks(o, grid, launched); });
}

prepared_sweep prepare_sweep(const sweep_options& o, bool root) {
  prepared_sweep g;
  g.ax = parse_axis("--x", o.x);
  g.ay = parse_axis("--y", o.y);
  check_sweep_keys({{g.ax.key, "--x " + g.ax.key}, {g.ay.key, "--y " + g.ay.key}}, o.overrides,
                   o.duration_s ? std::vector<keyed_option>{{"simulation.duration_s", "--duration " + *o.duration_s}}
                                : std::vector<keyed_option>{});
  // Each point runs on one thread (the network's runner sets simulation.threads = 1 after the overrides): a --set of
  // it was taken and dropped without a word (an outside check, 2026-12-06).
  // A whole [simulation] table holding threads likewise (a review, 2026-12-07).
  for (const std::string& text : o.overrides)
    if (io::override_sets(text, "simulation.threads"))
      throw command_line_error(
          "--set " + (io::override_key(text) == "simulation.threads" ? io::override_key(text)
                                                                     : text + " sets simulation.threads") +
          ": sweep steps each point on one thread; --threads N runs N points at a time");
  for (const auto& [flag, key] : {std::pair{"--x", g.ax.key}, std::pair{"--y", g.ay.key}})
    if (key == "simulation.threads")
      throw command_line_error(std::string(flag) + " simulation.threads: sweep steps each point on one thread (every "
                               "point would be the same run); --threads N runs N points at a time");
  g.base = o.overrides;
  // Labelled: a refusal names --duration as typed, not a --set the user did not type.
  if (o.duration_s) g.base.push_back(option_override("--duration", *o.duration_s, "simulation.duration_s"));
  check_keys_given_once(g.base);
  if (o.threads < 1) throw command_line_error("--threads must be at least 1");
  const std::size_t nx = g.nx(), ny = g.ny(), n = g.n();
  // Each axis is at most 100,000 values; their product is bounded too, before the per-point arrays are allocated
  // (1e10 points ended in std::bad_alloc). The paper's diagrams are 251 x 251 = 63,001 points.
  constexpr std::size_t kMaxPoints = 1'000'000;
  if (n > kMaxPoints)
    throw command_line_error("--x and --y make " + std::to_string(nx) + " x " + std::to_string(ny) + " = " +
                                std::to_string(n) + " points; at most " + std::to_string(kMaxPoints));
  // The grid's edge is loaded first, every x value at the first and last y and every y value at the first and last
  // x, so that a bad key or any bad value of an axis fails before any run: the four corners alone let a refused
  // value inside a list (--x k=1,-5,2) fail only when its point ran, after the points before it had taken their
  // time. Every point is still loaded, and so checked, by the thread that runs it.
  std::vector<std::vector<std::string>> edge;
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = k % nx, j = k / nx;
    if (i == 0 || i == nx - 1 || j == 0 || j == ny - 1) edge.push_back(g.point_overrides(k));
  }
  sweep_probe_options probe;
  probe.probe_pA = o.probe_pA;
  probe.threads = o.threads;
  probe.classify = o.classify;
  g.runner = io::config_has_aln(o.config, g.base) ? make_aln_sweep_runner(o.config, edge, probe, o.quiet || !root)
                                                  : make_network_sweep_runner(o.config, edge, probe);
  // The folder for the files written after the run, checked (not cleared: a rank refused later would have cleared it
  // for nothing) by every rank alike, and held by its writer (rank 0) from now: after the points' checks, so that a
  // wrong value is named before a folder is (the runner above may make an ALN table first). Rank 0 removes an
  // earlier run's files once MPI runs (sweep_ranks).
  io::check_output_dir(std::filesystem::path(o.out_dir), kSweepOutputs);
  lock_output_dir(g.out_lock, o.out_dir, launched_ranks());
  return g;
}

// This process's points: all of them alone, or every K-th under mpirun (launched = K > 1).
int sweep_ranks(const sweep_options& o, const prepared_sweep& grid, [[maybe_unused]] int launched) {
#ifdef CORTEXLOOP_HAVE_MPI
  std::optional<io::mpi_exchange> across;
  if (launched > 1) across.emplace(0);  // only all_gather is used: no spike buffers
#endif
  std::size_t ranks = 1, rank = 0;
#ifdef CORTEXLOOP_HAVE_MPI
  if (across) ranks = across->n_ranks(), rank = across->rank();
#endif
  const bool root = rank == 0;
  const axis &ax = grid.ax, &ay = grid.ay;
  const std::size_t nx = grid.nx(), ny = grid.ny(), n = grid.n();
  const sweep_point_runner* const runner = grid.runner.get();
  const auto point_overrides = [&grid](std::size_t k) { return grid.point_overrides(k); };
  const std::filesystem::path out(o.out_dir);
  if (root) io::remove_earlier_outputs(out, kSweepOutputs);
  const auto wall0 = std::chrono::steady_clock::now();
  const double cpu0 = process_cpu_s();
  point_arrays res(n);
  // One process alone stops at Ctrl-C and writes the points done; ranks under mpirun keep the default action (the
  // launcher ends them all: they would stop at different points and the gather below would not meet).
  std::optional<stop_request> stop;
  if (ranks == 1) stop.emplace();
  run_share(*runner, point_overrides, n, rank, ranks, o.threads, o.quiet, stop.has_value(), res);
  double cpu_s = process_cpu_s() - cpu0;
#ifdef CORTEXLOOP_HAVE_MPI
  if (across) {
    // Every rank's arrays (zero outside its points) to every rank; rank 0 takes point k from rank k mod K.
    const auto arrays = res.all();
    std::vector<double> local, all(ranks * arrays.size() * n);
    for (const auto* a : arrays) local.insert(local.end(), a->begin(), a->end());
    across->all_gather(local, all);
    for (std::size_t a = 0; a < arrays.size(); ++a)
      for (std::size_t k = 0; k < n; ++k)
        (*arrays[a])[k] = static_cast<float>(all[(k % ranks) * local.size() + a * n + k]);
    std::vector<double> cpu_all(ranks);
    across->all_gather({&cpu_s, 1}, cpu_all);
    cpu_s = 0;
    for (const double c : cpu_all) cpu_s += c;
  }
#endif
  if (!root) return 0;
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();

  const std::vector<float> xs(ax.values.begin(), ax.values.end()), ys(ay.values.begin(), ay.values.end());
  io::write_npy(out / "x.npy", xs, {nx});
  io::write_npy(out / "y.npy", ys, {ny});
  const std::vector<std::size_t> shape = {ny, nx};
  io::write_npy(out / "state.npy", res.cls, shape);
  io::write_npy(out / "max_rate_up_Hz.npy", res.max_up, shape);
  io::write_npy(out / "mean_rate_down_Hz.npy", res.mean_down, shape);
  io::write_npy(out / "mean_rate_up_Hz.npy", res.mean_up, shape);
  io::write_npy(out / "dominant_frequency_Hz.npy", res.dom_f, shape);
  io::write_npy(out / "dominant_power_Hz2.npy", res.dom_p, shape);
  io::write_npy(out / "diverged_steps.npy", res.diverged, shape);
  std::size_t count[5] = {}, not_run = 0;
  for (const float c : res.cls) std::isnan(c) ? ++not_run : ++count[static_cast<int>(c)];
  bool adaptation = false;
  for (const float a : res.adaptation) adaptation = adaptation || (a != 0.0f && !std::isnan(a));
  nlohmann::json states = nlohmann::json::object();
  for (int c = 0; c < 5; ++c) states[aln::name(static_cast<aln::aln_state_class>(c))] = {{"code", c}, {"points", count[c]}};
  const nlohmann::json summary = {
      {"model", runner->model()},
      {"config", o.config},
      {"overrides", o.overrides},
      {"x", {{"key", ax.key}, {"n", nx}, {"min", ax.values.front()}, {"max", ax.values.back()}}},
      {"y", {{"key", ay.key}, {"n", ny}, {"min", ay.values.front()}, {"max", ay.values.back()}}},
      {"points", n},
      {"points_not_run", not_run},  // NaN in every array: the sweep was stopped (Ctrl-C) before them
      {"interrupted", not_run > 0},
      {"duration_s", runner->duration_s()},
      {"dt_ms", runner->dt_ms()},
      {"probe_pA", o.probe_pA},
      {"adaptation", adaptation},
      {"classify", {{"bistable_above_Hz", o.classify.bistable_above_Hz},
                    {"oscillating_above_Hz", o.classify.oscillating_above_Hz},
                    {"min_power_Hz2", o.classify.min_power_Hz2},
                    {"slow_below_Hz", o.classify.slow_below_Hz},
                    {"min_swings", o.classify.min_swings},
                    {"up_rate_Hz", o.classify.up_rate_Hz}}},
      {"states", states},
      {"threads", o.threads},
      {"ranks", ranks},
      {"wall_s", wall_s},
      {"cpu_s", cpu_s},
      {"arrays", {"x.npy", "y.npy", "state.npy", "max_rate_up_Hz.npy", "mean_rate_down_Hz.npy", "mean_rate_up_Hz.npy",
                  "dominant_frequency_Hz.npy", "dominant_power_Hz2.npy", "diverged_steps.npy"}},
  };
  io::write_text_file(out / "sweep.json", summary.dump(2) + "\n");
  if (o.png) draw_state_diagram(out, o.quiet);
  if (not_run > 0) {
    std::fprintf(stderr, "sweep: stopped by %s: %zu of %zu points run, the other %zu NaN in every array -> %s\n",
                 stop_request::signal_name(), n - not_run, n, not_run, out.c_str());
    return stop_request::exit_code();
  }
  if (!o.quiet)
    std::fprintf(stderr, "sweep: %zu point%s of %.1f s (%s) in %.1f s wall, %.1f CPU-s (%zu x %d thread%s) -> %s\n", n,
                 n == 1 ? "" : "s", runner->duration_s(), runner->model(), wall_s, cpu_s, ranks, o.threads,
                 o.threads == 1 ? "" : "s", out.c_str());
  return 0;
}

}  // namespace

void add_sweep_command(CLI::App& app) {
  auto o = std::make_shared<sweep_options>();
  CLI::App* cmd = app.add_subcommand(
      "sweep", "State diagram of the ALN mean field ([aln] config) or of the spiking network (engine config) over two "
               "config keys (Cakan & Obermayer 2020, Figs 2-3): each point one run with the authors' bistability "
               "probe onto E, classified down / up / bistable / LC_EI / LC_aE; writes OUT/state.npy [ny,nx] (codes "
               "0-4), rates, dominant frequency, sweep.json. Points over --threads threads (one network per thread) "
               "and over the processes of mpirun -n K; OUT/state_diagram.png draws it with the paper's points of "
               "interest (tools/plot_aln_sweep.py). docs/aln.md");
  cmd->add_option("--config", o->config, "TOML config: with an [aln] section the ALN mean field, else the network "
                                         "(e.g. configs/cakan2020/authors_wiring.toml; no [ring])")
      ->check(CLI::ExistingFile)->capture_default_str();
  cmd->add_option("--out", o->out_dir, "Output folder (created)")->required();
  cmd->add_option("--x", o->x, "x axis: section.key=start:stop:n (n >= 2 values, ends included) or section.key=v1,v2,...; "
                               "e.g. aln.mu_ext_e_mV_per_ms=0:3:251 or network.input.mu_exc_mV_per_ms=0:3:13")
      ->required();
  cmd->add_option("--y", o->y, "y axis, as --x; e.g. aln.mu_ext_i_mV_per_ms=0:3:251 or "
                               "network.input.mu_inh_mV_per_ms=0:3:13")
      ->required();
  cmd->add_option("--set", o->overrides, "Override a config key for every point: section.key=value (repeatable)");
  cmd->add_option("--duration", o->duration_s, "Seconds per point, at least 3 (the state probe's window; overrides "
                                               "simulation.duration_s; the paper: 6)")
      ->check(positive_number)
      ->type_name("FLOAT");
  // Bounded as simulate's and serve's --threads are, with their words: up to 4096 threads for 4 points on 2 CPUs
  // were started where those refuse more than the usable CPUs (an outside check, 2026-12-04).
  cmd->add_option("--threads", o->threads, "Threads running points, each point on one thread, 1 to the usable CPUs "
                                           "(default: the usable CPUs)")
      ->capture_default_str()
      ->check(thread_count);
  cmd->add_option("--probe-pA", o->probe_pA, "Amplitude of the bistability probe onto E (the authors': 1 mV/ms x C)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e6));  // the bound of a config's stimulus currents (io/config)
  cmd->add_option("--slow-below-Hz", o->classify.slow_below_Hz,
                  "With adaptation (a or b not 0), oscillations below this dominant frequency are LC_aE (slow), "
                  "others LC_EI")
      ->capture_default_str()
      ->check(positive_number);
  cmd->add_option("--up-rate-Hz", o->classify.up_rate_Hz, "A steady point above this E rate is 'up', else 'down'")
      ->capture_default_str()
      ->check(non_negative_number);
  cmd->add_flag("--quiet,-q", o->quiet, "No progress line or summary");
  // A callback, not CLI11's "!--no-png" form, whose help reads "--no-png{false}": not what a user types.
  cmd->add_flag_callback("--no-png", [o] { o->png = false; },
                         "Do not draw OUT/state_diagram.png (tools/plot_aln_sweep.py draws it later)");
  cmd->callback([o] {
    if (const int rc = run_sweep(*o); rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace cortexloop::tools
