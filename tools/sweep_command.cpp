// `cortexloop sweep`: the state diagram of the ALN mean field over a grid of two config keys (Cakan & Obermayer
// 2020, Fig 2). Each point is one run of the [aln] config with the authors' bistability probe onto E and is
// classified as they do (engine/aln/aln_states.hpp); points are spread over threads. Writes OUT/*.npy [ny, nx]
// and OUT/sweep.json; tools/plot_aln_sweep.py draws the diagram.
#include "tools/sweep_command.hpp"

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/aln/aln_model.hpp"
#include "engine/aln/aln_states.hpp"
#include "engine/denormals.hpp"
#include "engine/stimulus.hpp"
#include "engine/workers.hpp"
#include "io/aln_cache/engine_table.hpp"
#include "io/config/config_aln.hpp"
#include "io/recording/npy.hpp"
#include "tools/default_config.hpp"
#include "tools/progress.hpp"

namespace cortexloop::tools {

namespace {

namespace aln = engine::aln;

struct sweep_options {
  std::string config = default_config("cakan2020/aln.toml");
  std::string out_dir;
  std::string x, y;  // KEY=start:stop:n or KEY=v1,v2,...
  std::vector<std::string> overrides;
  std::optional<double> duration_s;
  int threads = static_cast<int>(engine::usable_cpus());
  double probe_pA = 200.0;  // the authors' 'rect' probe: 1 mV/ms x C = 200 pF
  aln::classify_options classify;
  bool quiet = false;
};

constexpr const char* kNeuronKeysRefused =
    "the swept keys change the neuron ([aln.neuron]), so every point would need its own cascade table; sweep keys "
    "of [aln] instead";

struct axis {
  std::string key;
  std::vector<double> values;
};

// "section.key=start:stop:n" (n points, both ends included, as numpy.linspace) or "section.key=v1,v2,...".
axis parse_axis(const std::string& flag, const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    throw std::invalid_argument(flag + " '" + text + "': expected section.key=start:stop:n or section.key=v1,v2,...");
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
      throw std::invalid_argument(flag + " '" + text + "': '" + s + "' is not a number");
    return v;
  };
  if (rest.find(':') != std::string::npos) {
    const auto c1 = rest.find(':'), c2 = rest.find(':', c1 + 1);
    if (c2 == std::string::npos || rest.find(':', c2 + 1) != std::string::npos)
      throw std::invalid_argument(flag + " '" + text + "': a range is start:stop:n");
    const double lo = number(rest.substr(0, c1)), hi = number(rest.substr(c1 + 1, c2 - c1 - 1));
    const double n = number(rest.substr(c2 + 1));
    if (n < 1 || n != std::floor(n) || n > 100000)
      throw std::invalid_argument(flag + " '" + text + "': n must be a whole number in [1, 100000]");
    for (int i = 0; i < static_cast<int>(n); ++i) a.values.push_back(n == 1 ? lo : lo + (hi - lo) * i / (n - 1));
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

std::string set_value(const axis& a, std::size_t i) {
  char text[64];
  std::snprintf(text, sizeof text, "%.17g", a.values[i]);
  std::string v(text);
  if (v.find_first_of(".eE") == std::string::npos) v += ".0";  // a TOML float, so float keys accept it
  return a.key + "=" + v;
}

double process_cpu_s() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

int run_sweep(const sweep_options& o) {
  const axis ax = parse_axis("--x", o.x), ay = parse_axis("--y", o.y);
  if (ax.key == ay.key) throw std::invalid_argument("--x and --y name the same key " + ax.key);
  std::vector<std::string> base = o.overrides;
  if (o.duration_s) base.push_back("simulation.duration_s=" + std::to_string(*o.duration_s));
  if (!io::config_has_aln(o.config, base))
    throw std::invalid_argument(o.config + ": sweep runs configs with an [aln] section (the ALN mean field); for "
                                "the network use `simulate --sweep`");
  if (o.threads < 1) throw std::invalid_argument("--threads must be at least 1");
  const std::size_t nx = ax.values.size(), ny = ay.values.size(), n = nx * ny;
  auto point_overrides = [&](std::size_t k) {
    std::vector<std::string> ov = base;
    ov.push_back(set_value(ax, k % nx));
    ov.push_back(set_value(ay, k / nx));
    return ov;
  };
  // The four corners are loaded first so that a bad key or value fails before any run (every point is still
  // loaded, and so checked, by the worker that runs it).
  const io::aln_config first = io::load_aln_config(o.config, point_overrides(0));
  const engine::aln::fp_numerics numerics;
  const engine::aln::cascade_grid table_grid;
  for (const std::size_t k : {nx - 1, n - nx, n - 1})
    if (aln::cascade_table_key(io::load_aln_config(o.config, point_overrides(k)).neuron, numerics, table_grid) !=
        aln::cascade_table_key(first.neuron, numerics, table_grid))
      throw std::invalid_argument(kNeuronKeysRefused);
  const double duration_ms = first.simulation.duration_s * 1000.0;
  if (const double per_ms = 1.0 / first.simulation.dt_ms; std::fabs(per_ms - std::round(per_ms)) > 1e-9 * per_ms)
    throw std::invalid_argument("simulation.dt_ms: sweep bins rates per ms, so dt_ms must divide 1 ms");
  if (duration_ms < 3000.0)
    throw std::invalid_argument("simulation.duration_s: the state probe needs at least 3 s (the paper's runs are 6 s)");
  const std::shared_ptr<const aln::cascade_table> table_ptr = io::cached_aln_table(first.neuron, o.quiet);
  const aln::cascade_table& table = *table_ptr;
  const std::string table_key = aln::cascade_table_key(first.neuron, table.numerics, table.grid);

  // The probe is the same at every point: evaluated once per step here (its exp() was a tenth of a point's cost).
  std::vector<double> probe_pA(static_cast<std::size_t>(std::llround(duration_ms / first.simulation.dt_ms)));
  for (std::size_t k = 0; k < probe_pA.size(); ++k)
    probe_pA[k] = aln::bistability_probe_pA(static_cast<double>(k) * first.simulation.dt_ms, duration_ms, o.probe_pA);
  std::vector<float> cls(n), max_up(n), mean_down(n), mean_up(n), dom_f(n), dom_p(n), diverged(n);
  std::atomic<std::size_t> next{0}, done{0};
  std::mutex error_mutex;
  std::string error;
  std::atomic<bool> failed{false};
  auto work = [&] {
    engine::flush_denormals_to_zero();
    std::vector<float> rate;
    for (std::size_t k; (k = next.fetch_add(1)) < n;) {
      try {
        const io::aln_config c = io::load_aln_config(o.config, point_overrides(k));
        if (aln::cascade_table_key(c.neuron, table.numerics, table.grid) != table_key)
          throw std::invalid_argument(kNeuronKeysRefused);
        if (c.simulation.duration_s != first.simulation.duration_s || c.simulation.dt_ms != first.simulation.dt_ms ||
            c.simulation.tick_ms != first.simulation.tick_ms)
          throw std::invalid_argument("the swept keys change [simulation]; every point must run the same time");
        aln::aln_model m(c.aln, table, c.simulation.dt_ms);
        const engine::stimulus_schedule stim(c.stimuli);
        const bool any_stimulus = !c.stimuli.empty();
        const double dt = c.simulation.dt_ms;
        const auto per_ms = static_cast<int>(std::lround(1.0 / dt));
        const auto bins = static_cast<std::size_t>(std::llround(duration_ms));
        rate.assign(bins, 0.0f);
        std::int64_t step = 0;
        for (std::size_t b = 0; b < bins; ++b) {
          double sum = 0;
          for (int s = 0; s < per_ms; ++s, ++step) {
            const double t = static_cast<double>(step) * dt;
            const double probe = probe_pA[std::min(static_cast<std::size_t>(step), probe_pA.size() - 1)];
            if (any_stimulus)
              m.step(probe + stim.current_pA(engine::population::exc, t), stim.current_pA(engine::population::inh, t));
            else
              m.step(probe);
            sum += m.rate_e_Hz();
          }
          rate[b] = static_cast<float>(sum / per_ms);
        }
        const aln::state_measures s = aln::measure_states(rate, 1.0);
        aln::classify_options how = o.classify;
        how.has_adaptation = c.aln.a_nS != 0.0 || c.aln.b_pA != 0.0;
        cls[k] = static_cast<float>(aln::classify(s, how));
        max_up[k] = static_cast<float>(s.max_up_Hz);
        mean_down[k] = static_cast<float>(s.mean_down_Hz);
        mean_up[k] = static_cast<float>(s.mean_up_Hz);
        dom_f[k] = static_cast<float>(s.dominant_frequency_Hz);
        dom_p[k] = static_cast<float>(s.dominant_power_Hz2);
        diverged[k] = static_cast<float>(m.diverged());
      } catch (const std::exception& e) {
        std::lock_guard lock(error_mutex);
        if (error.empty()) error = "point " + point_overrides(k).back() + ", " + point_overrides(k).rbegin()[1] + ": " + e.what();
        next = n;
        failed = true;
      }
      done.fetch_add(1);
    }
  };
  const auto wall0 = std::chrono::steady_clock::now();
  const double cpu0 = process_cpu_s();
  std::vector<std::thread> pool;
  for (int t = 0; t < o.threads; ++t) pool.emplace_back(work);
  progress_line progress("sweep", o.quiet);
  while (done.load() < n && !failed) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
    const std::size_t d = done.load();
    progress.update(static_cast<double>(d) / static_cast<double>(n), [&] {
      char text[128];
      std::snprintf(text, sizeof text, "%zu / %zu points, %.0f s, about %.0f s left", d, n, wall,
                    d ? wall * static_cast<double>(n - d) / static_cast<double>(d) : 0.0);
      return std::string(text);
    });
  }
  for (auto& t : pool) t.join();
  progress.done();
  if (!error.empty()) throw std::runtime_error("sweep: " + error);
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  const double cpu_s = process_cpu_s() - cpu0;

  const std::filesystem::path out(o.out_dir);
  std::filesystem::create_directories(out);
  const std::vector<float> xs(ax.values.begin(), ax.values.end()), ys(ay.values.begin(), ay.values.end());
  io::write_npy(out / "x.npy", xs, {nx});
  io::write_npy(out / "y.npy", ys, {ny});
  const std::vector<std::size_t> shape = {ny, nx};
  io::write_npy(out / "state.npy", cls, shape);
  io::write_npy(out / "max_rate_up_Hz.npy", max_up, shape);
  io::write_npy(out / "mean_rate_down_Hz.npy", mean_down, shape);
  io::write_npy(out / "mean_rate_up_Hz.npy", mean_up, shape);
  io::write_npy(out / "dominant_frequency_Hz.npy", dom_f, shape);
  io::write_npy(out / "dominant_power_Hz2.npy", dom_p, shape);
  io::write_npy(out / "diverged_steps.npy", diverged, shape);
  std::size_t count[5] = {};
  for (const float c : cls) ++count[static_cast<int>(c)];
  nlohmann::json states = nlohmann::json::object();
  for (int c = 0; c < 5; ++c) states[aln::name(static_cast<aln::aln_state_class>(c))] = {{"code", c}, {"points", count[c]}};
  const nlohmann::json summary = {
      {"config", o.config},
      {"overrides", o.overrides},
      {"x", {{"key", ax.key}, {"n", nx}, {"min", ax.values.front()}, {"max", ax.values.back()}}},
      {"y", {{"key", ay.key}, {"n", ny}, {"min", ay.values.front()}, {"max", ay.values.back()}}},
      {"points", n},
      {"duration_s", first.simulation.duration_s},
      {"dt_ms", first.simulation.dt_ms},
      {"probe_pA", o.probe_pA},
      {"classify", {{"bistable_above_Hz", o.classify.bistable_above_Hz},
                    {"oscillating_above_Hz", o.classify.oscillating_above_Hz},
                    {"min_power_Hz2", o.classify.min_power_Hz2},
                    {"slow_below_Hz", o.classify.slow_below_Hz},
                    {"up_rate_Hz", o.classify.up_rate_Hz}}},
      {"states", states},
      {"threads", o.threads},
      {"wall_s", wall_s},
      {"cpu_s", cpu_s},
      {"arrays", {"x.npy", "y.npy", "state.npy", "max_rate_up_Hz.npy", "mean_rate_down_Hz.npy", "mean_rate_up_Hz.npy",
                  "dominant_frequency_Hz.npy", "dominant_power_Hz2.npy", "diverged_steps.npy"}},
  };
  std::ofstream(out / "sweep.json") << summary.dump(2) << "\n";
  if (!o.quiet)
    std::fprintf(stderr, "sweep: %zu points of %.1f s in %.1f s wall, %.1f CPU-s (%d threads) -> %s\n", n,
                 first.simulation.duration_s, wall_s, cpu_s, o.threads, out.c_str());
  return 0;
}

}  // namespace

void add_sweep_command(CLI::App& app) {
  auto o = std::make_shared<sweep_options>();
  CLI::App* cmd = app.add_subcommand(
      "sweep", "State diagram of the ALN mean field over two config keys (Cakan & Obermayer 2020, Fig 2): each point "
               "one run with the authors' bistability probe onto E, classified down / up / bistable / LC_EI / LC_aE; "
               "writes OUT/state.npy [ny,nx] (codes 0-4), rates, dominant frequency, sweep.json. Draw it with "
               "tools/plot_aln_sweep.py. docs/aln.md");
  cmd->add_option("--config", o->config, "TOML config with an [aln] section")->check(CLI::ExistingFile)->capture_default_str();
  cmd->add_option("--out", o->out_dir, "Output folder (created)")->required();
  cmd->add_option("--x", o->x, "x axis: section.key=start:stop:n (n values, ends included) or section.key=v1,v2,...; "
                               "e.g. aln.mu_ext_e_mV_per_ms=0:3:251")
      ->required();
  cmd->add_option("--y", o->y, "y axis, as --x; e.g. aln.mu_ext_i_mV_per_ms=0:3:251")->required();
  cmd->add_option("--set", o->overrides, "Override a config key for every point: section.key=value (repeatable)");
  cmd->add_option("--duration", o->duration_s, "Seconds per point (overrides simulation.duration_s; the paper: 6)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--threads", o->threads, "Threads running points (default: the usable CPUs)")->capture_default_str()
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--probe-pA", o->probe_pA, "Amplitude of the bistability probe onto E (the authors': 1 mV/ms x C)")
      ->capture_default_str();
  cmd->add_option("--slow-below-Hz", o->classify.slow_below_Hz,
                  "With adaptation (a or b not 0), oscillations below this dominant frequency are LC_aE (slow), "
                  "others LC_EI")
      ->capture_default_str();
  cmd->add_option("--up-rate-Hz", o->classify.up_rate_Hz, "A steady point above this E rate is 'up', else 'down'")
      ->capture_default_str();
  cmd->add_flag("--quiet,-q", o->quiet, "No progress line or summary");
  cmd->callback([o] {
    if (const int rc = run_sweep(*o); rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace cortexloop::tools
