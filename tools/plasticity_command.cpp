#include "tools/plasticity_command.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/network/workers.hpp"
#include "engine/plasticity/rate_effect.hpp"
#include "io/config/config_plasticity.hpp"
#include "io/recording/npy.hpp"
#include "io/recording/output_dir.hpp"
#include "tools/default_config.hpp"
#include "tools/draw_png.hpp"
#include "tools/option_override.hpp"
#include "tools/progress.hpp"
#include "tools/stop_request.hpp"

namespace cortexloop::tools {

namespace {

struct plasticity_options {
  std::string config = default_config("plasticity/rate_effect.toml");
  std::string out_dir;
  std::vector<std::string> overrides;
  unsigned threads = engine::usable_cpus();
  bool png = true, quiet = false;
};

int run_plasticity(const plasticity_options& o) {
  namespace pl = engine::plasticity;
  check_keys_given_once(o.overrides);
  const pl::rate_effect_params p = io::load_plasticity_config(o.config, o.overrides);
  const std::filesystem::path out(o.out_dir);
  constexpr std::array<std::string_view, 9> outputs = {"e_rates_Hz.npy", "i_rates_Hz.npy", "rate_Hz.npy",
                                                       "rate_sd_Hz.npy", "mean_v_mV.npy",  "sd_v_mV.npy",
                                                       "weight_pct.npy", "weight_sd_pct.npy", "plasticity.json"};
  io::check_output_dir(out, outputs);
  const io::output_dir_lock out_lock(out);  // one run per folder: a second would remove this one's files
  io::remove_earlier_outputs(out, outputs);
  if (o.png) io::prepare_output_dir(out, std::array<std::string_view, 1>{"rate_effect.png"});
  const std::size_t n_e = p.e_rates_Hz.size(), n_i = p.i_rates_Hz.size();
  if (!o.quiet)
    std::fprintf(stderr, "plasticity: %zu x %zu point%s, %u cell%s each, %.4g s, on %u thread%s\n", n_i, n_e,
                 n_i * n_e == 1 ? "" : "s", p.runs, p.runs == 1 ? "" : "s", p.duration_ms / 1000.0, o.threads,
                 o.threads == 1 ? "" : "s");
  progress_line line("plasticity", o.quiet);
  const auto t0 = std::chrono::steady_clock::now();
  // Ctrl-C or SIGTERM: the points running finish, no other starts, and the points done are written (the others NaN),
  // as `sweep` keeps its points (the default action lost minutes of finished points: an outside audit). The handler
  // also takes back a SIGINT the shell's `&` started the process ignoring.
  std::vector<pl::rate_effect_point> points;
  {
    const stop_request stop;
    bool said = false;
    points = pl::run_rate_effect_grid(
        p, o.threads,
        [&](std::size_t done, std::size_t total) {
          if (stop_request::signal() != 0) {
            if (!said) line.done();
            if (!said && !o.quiet) std::fprintf(stderr, "plasticity: stopping: the points running finish first\n");
            said = true;
            return;
          }
          line.update(static_cast<double>(done) / static_cast<double>(total),
                      [&] { return std::to_string(done) + " / " + std::to_string(total) + " points"; });
        },
        [] { return stop_request::signal() != 0; });
  }
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::size_t not_run = 0;
  for (const pl::rate_effect_point& q : points) not_run += !q.ran;
  if (not_run == 0)
    line.finished(std::to_string(points.size()) + " / " + std::to_string(points.size()) + " points");
  else
    line.done();

  // Arrays [i_rate, e_rate] (the notebook's order); weights [i_rate, e_rate, rule, kind] with rule 0 vdp,
  // 1 clopath, 2 meissner_bernard and kind 0 the excitatory synapse, 1 the inhibitory one.
  std::vector<float> rate(points.size()), rate_sd(points.size()), mean_v(points.size()), sd_v(points.size()),
      w(points.size() * pl::kRules * 2), w_sd(points.size() * pl::kRules * 2);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (std::size_t k = 0; k < points.size(); ++k) {
    if (!points[k].ran) {  // NaN in every array, as `sweep` leaves its points not run
      rate[k] = rate_sd[k] = mean_v[k] = sd_v[k] = nan;
      std::fill_n(&w[k * pl::kRules * 2], pl::kRules * 2, nan);
      std::fill_n(&w_sd[k * pl::kRules * 2], pl::kRules * 2, nan);
      continue;
    }
    rate[k] = static_cast<float>(points[k].rate_Hz);
    rate_sd[k] = static_cast<float>(points[k].rate_sd_Hz);
    mean_v[k] = static_cast<float>(points[k].mean_v_mV);
    sd_v[k] = static_cast<float>(points[k].sd_v_mV);
    for (int r = 0; r < pl::kRules; ++r)
      for (int kind = 0; kind < 2; ++kind) {
        w[(k * pl::kRules + r) * 2 + kind] = static_cast<float>(points[k].weight_pct[r][kind]);
        w_sd[(k * pl::kRules + r) * 2 + kind] = static_cast<float>(points[k].weight_sd_pct[r][kind]);
      }
  }
  const std::vector<float> e_rates(p.e_rates_Hz.begin(), p.e_rates_Hz.end()),
      i_rates(p.i_rates_Hz.begin(), p.i_rates_Hz.end());
  io::write_npy(out / "e_rates_Hz.npy", e_rates, {n_e});
  io::write_npy(out / "i_rates_Hz.npy", i_rates, {n_i});
  io::write_npy(out / "rate_Hz.npy", rate, {n_i, n_e});
  io::write_npy(out / "rate_sd_Hz.npy", rate_sd, {n_i, n_e});
  io::write_npy(out / "mean_v_mV.npy", mean_v, {n_i, n_e});
  io::write_npy(out / "sd_v_mV.npy", sd_v, {n_i, n_e});
  io::write_npy(out / "weight_pct.npy", w, {n_i, n_e, static_cast<std::size_t>(pl::kRules), 2});
  io::write_npy(out / "weight_sd_pct.npy", w_sd, {n_i, n_e, static_cast<std::size_t>(pl::kRules), 2});
  nlohmann::json j;
  j["config"] = o.config;
  j["overrides"] = o.overrides;
  j["rules"] = {pl::kRuleNames[0], pl::kRuleNames[1], pl::kRuleNames[2]};
  j["kinds"] = {"exc", "inh"};
  j["runs"] = p.runs;
  j["duration_ms"] = p.duration_ms;
  j["dt_ms"] = p.dt_ms;
  j["seed"] = p.seed;
  j["threads"] = o.threads;
  j["wall_s"] = wall_s;
  j["points_not_run"] = not_run;  // NaN in every array, "ran": false below: the run was stopped before them
  j["interrupted"] = not_run > 0;
  nlohmann::json pts = nlohmann::json::array();
  for (const pl::rate_effect_point& q : points) {
    if (!q.ran) {
      pts.push_back({{"e_rate_Hz", q.e_rate_Hz}, {"i_rate_Hz", q.i_rate_Hz}, {"ran", false}});
      continue;
    }
    nlohmann::json e = {{"e_rate_Hz", q.e_rate_Hz}, {"i_rate_Hz", q.i_rate_Hz}, {"ran", true}, {"rate_Hz", q.rate_Hz},
                        {"rate_sd_Hz", q.rate_sd_Hz}, {"mean_v_mV", q.mean_v_mV}, {"sd_v_mV", q.sd_v_mV}};
    for (int r = 0; r < pl::kRules; ++r)
      for (int kind = 0; kind < 2; ++kind) {
        const std::string name = std::string(pl::kRuleNames[r]) + (kind == 0 ? "_exc" : "_inh");
        e[name + "_pct"] = q.weight_pct[r][kind];
        e[name + "_sd_pct"] = q.weight_sd_pct[r][kind];
      }
    pts.push_back(e);
  }
  j["points"] = pts;
  io::write_text_file(out / "plasticity.json", j.dump(1) + "\n");
  if (not_run > 0) {
    // Said even with --quiet: the arrays hold less than was asked for. No figure: its panels would be mostly NaN.
    std::fprintf(stderr, "plasticity: stopped by %s: %zu of %zu points run, the other %zu NaN in every array "
                 "(plasticity.json \"ran\": false) -> %s; no rate_effect.png (`tools/plot_plasticity.py %s --partial` "
                 "draws the points run)\n",
                 stop_request::signal_name(), points.size() - not_run, points.size(), not_run, out.c_str(),
                 out.c_str());
    return stop_request::exit_code();
  }
  if (!o.quiet)
    std::fprintf(stderr, "plasticity: %zu point%s in %.1f s; arrays in %s\n", points.size(),
                 points.size() == 1 ? "" : "s", wall_s, out.c_str());
  if (o.png) {
    const std::string png = (out / "rate_effect.png").string();
    std::vector<std::string> args = {out.string(), "--out", png};
    if (o.quiet) args.emplace_back("--quiet");
    draw_png("plasticity", "tools/plot_plasticity.py", args, png);
  }
  return 0;
}

}  // namespace

void add_plasticity_command(CLI::App& app) {
  auto o = std::make_shared<plasticity_options>();
  CLI::App* cmd = app.add_subcommand(
      "plasticity",
      "Three voltage-based plasticity rules (VDP, Clopath's CM, Meissner-Bernard's MB) against a LIF cell's output "
      "rate and E/I balance, the seeds' plasticity comparison: at each (e_rate, i_rate) of the config's grid, `runs` "
      "cells driven by Poisson inputs, each observed by one plastic excitatory and one plastic inhibitory synapse of "
      "each rule; writes OUT/rate_Hz.npy [n_i, n_e], weight_pct.npy [n_i, n_e, rule, exc|inh], plasticity.json and "
      "OUT/rate_effect.png (tools/plot_plasticity.py). docs/plasticity.md");
  cmd->add_option("--config", o->config, "TOML config with a [plasticity] section")
      ->check(CLI::ExistingFile)
      ->capture_default_str();
  cmd->add_option("--out", o->out_dir, "Output folder (created)")->required();
  cmd->add_option("--set", o->overrides,
                  "Override a config key: section.key=value (repeatable), e.g. plasticity.runs=20 or "
                  "plasticity.e_rates_Hz=[21,46]");
  cmd->add_option("--threads", o->threads, "Threads running grid points, 1 to the usable CPUs (default: the usable "
                                           "CPUs); results do not depend on it")
      ->capture_default_str()
      ->check(thread_count);
  cmd->add_flag_callback("--no-png", [o] { o->png = false; },
                         "Do not draw OUT/rate_effect.png (tools/plot_plasticity.py draws it later)");
  cmd->add_flag("-q,--quiet", o->quiet, "No status output");
  cmd->footer("Exit codes: 0 done; 1 the run failed (named: e.g. --out cannot be written); 2 the command line or "
              "config is wrong; 130 / 143 stopped by Ctrl-C / SIGTERM: the points running finish, the points done are "
              "written, the others NaN in every array (plasticity.json \"interrupted\": true, each point's \"ran\"), "
              "no rate_effect.png (tools/plot_plasticity.py OUT --partial draws the points run).");
  cmd->callback([o] {
    if (const int rc = run_plasticity(*o); rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace cortexloop::tools
