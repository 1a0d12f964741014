#include "tools/aln_simulate.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "engine/aln/aln_model.hpp"
#include "engine/stimulus.hpp"
#include "io/aln_cache/cascade_cache.hpp"
#include "io/config/config_aln.hpp"
#include "io/recording/npy.hpp"
#include "tools/progress.hpp"

namespace cortexloop::tools {

engine::aln::cascade_table aln_table_for(const engine::aln::eif_neuron_params& neuron, int n_threads, bool quiet) {
  const std::filesystem::path dir = io::default_aln_cache_dir();
  const engine::aln::fp_numerics numerics;
  const engine::aln::cascade_grid grid;
  const std::filesystem::path file = dir / (engine::aln::cascade_table_key(neuron, numerics, grid) + ".bin");
  if (!quiet && !std::filesystem::exists(file))
    std::fprintf(stderr, "aln: no cascade table for this neuron in %s; generating it (%d points, about a minute)\n",
                 dir.c_str(), grid.n_mu * grid.n_sigma);
  return io::load_or_generate_cascade_table(dir, neuron, numerics, grid, n_threads).table;
}

int run_aln_simulate(const std::string& config, const std::vector<std::string>& overrides, const std::string& out_dir,
                     bool quiet) {
  const io::aln_config c = io::load_aln_config(config, overrides);
  const engine::aln::cascade_table table = aln_table_for(c.neuron, static_cast<int>(c.simulation.threads), quiet);
  engine::aln::aln_model model(c.aln, table, c.simulation.dt_ms);
  const engine::stimulus_schedule stim(c.stimuli);

  const double dt = c.simulation.dt_ms;
  const auto steps_per_tick = static_cast<std::int64_t>(std::llround(c.simulation.tick_ms / dt));
  const auto n_ticks = static_cast<std::int64_t>(std::llround(c.simulation.duration_s * 1000.0 / c.simulation.tick_ms));
  std::vector<float> rates, mean_v, mean_w, stim_pA;
  for (auto* v : {&rates, &mean_v, &mean_w, &stim_pA}) v->reserve(2 * static_cast<std::size_t>(n_ticks));
  progress_line progress("simulate (ALN)", quiet);
  const auto start = std::chrono::steady_clock::now();
  std::int64_t step = 0;
  for (std::int64_t k = 0; k < n_ticks; ++k) {
    double re = 0, ri = 0, v = 0, w = 0, se = 0, si = 0;
    for (std::int64_t s = 0; s < steps_per_tick; ++s, ++step) {
      const double t_ms = static_cast<double>(step) * dt;
      const double ie = stim.current_pA(engine::population::exc, t_ms);
      const double ii = stim.current_pA(engine::population::inh, t_ms);
      model.step(ie, ii);
      re += model.rate_e_Hz();
      ri += model.rate_i_Hz();
      v += model.v_mean_e_mV();
      w += model.state().i_a_pA;
      se += ie;
      si += ii;
    }
    const double inv = 1.0 / static_cast<double>(steps_per_tick);
    auto pair = [inv](std::vector<float>& to, double a, double b) {
      to.push_back(static_cast<float>(a * inv));
      to.push_back(static_cast<float>(b * inv));
    };
    pair(rates, re, ri);
    pair(mean_v, v, 0.0);  // the table's V_mean is used for E only (adaptation); I has none here
    pair(mean_w, w, 0.0);
    pair(stim_pA, se, si);
    progress.update(static_cast<double>(k + 1) / static_cast<double>(n_ticks), [&] {
      char text[96];
      std::snprintf(text, sizeof text, "exc %.2f Hz, inh %.2f Hz", rates[2 * k], rates[2 * k + 1]);
      return std::string(text);
    });
  }
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  progress.done();

  const std::filesystem::path out(out_dir);
  std::filesystem::create_directories(out);
  const auto ticks = static_cast<std::size_t>(n_ticks);
  io::write_npy(out / "rates.npy", rates, {ticks, 2});
  io::write_npy(out / "mean_v.npy", mean_v, {ticks, 2});
  io::write_npy(out / "mean_w.npy", mean_w, {ticks, 2});
  io::write_npy(out / "stim.npy", stim_pA, {ticks, 2});
  auto mean_col = [&](std::size_t col, std::size_t from) {
    double s = 0;
    for (std::size_t t = from; t < ticks; ++t) s += rates[2 * t + col];
    return ticks > from ? s / static_cast<double>(ticks - from) : 0.0;
  };
  const double simulated_s = static_cast<double>(n_ticks) * c.simulation.tick_ms / 1000.0;
  const nlohmann::json summary = {
      {"model", "aln"},
      {"config", config},
      {"overrides", overrides},
      {"dt_ms", dt},
      {"tick_ms", c.simulation.tick_ms},
      {"ticks", n_ticks},
      {"simulated_s", simulated_s},
      {"wall_s", wall_s},
      {"realtime_factor", wall_s > 0 ? simulated_s / wall_s : 0.0},
      {"mu_ext_e_mV_per_ms", c.aln.mu_ext_e_mV_per_ms},
      {"mu_ext_i_mV_per_ms", c.aln.mu_ext_i_mV_per_ms},
      {"diverged", model.diverged()},
      {"out_of_table_steps", model.out_of_table()},
      {"mean_rate_exc_Hz", mean_col(0, 0)},
      {"mean_rate_inh_Hz", mean_col(1, 0)},
      {"second_half_rate_exc_Hz", mean_col(0, ticks / 2)},
      {"second_half_rate_inh_Hz", mean_col(1, ticks / 2)},
      {"files", {"rates.npy", "mean_v.npy", "mean_w.npy", "stim.npy"}},
  };
  std::ofstream(out / "summary.json") << summary.dump(2) << "\n";
  if (!quiet)
    std::fprintf(stderr, "simulate (ALN): %.2f s in %.3f s wall (%.0fx real time); mean rates exc %.2f Hz, inh %.2f Hz -> %s\n",
                 simulated_s, wall_s, summary["realtime_factor"].get<double>(), mean_col(0, 0), mean_col(1, 0),
                 out.c_str());
  return 0;
}

}  // namespace cortexloop::tools
