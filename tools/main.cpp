// cortexloop: the command-line entry point. Each subcommand lives in its own *_command.cpp.
#include <exception>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "io/protocol/build_info.hpp"
#include "tools/error_report.hpp"
#include "tools/probe_command.hpp"
#include "tools/record_command.hpp"
#include "tools/replay_command.hpp"
#include "tools/serve_command.hpp"
#include "tools/simulate_command.hpp"
#include "tools/stim_command.hpp"
#include "tools/aln_table_command.hpp"
#include "tools/sweep_command.hpp"
#include "tools/fit_tf_command.hpp"
#include "tools/keys_command.hpp"
#include "tools/plasticity_command.hpp"
#include "tools/mpi_launch.hpp"
#include "tools/number_checks.hpp"
#include "tools/tf_command.hpp"

namespace {

// Every command-line error exits 2, the usual code for a wrong command line (CLI11's own codes, 105, 106, 109,
// 114 ..., differed by error and no help listed them: an outside check, 2026-12-04); --help and --version exit 0.
constexpr int kUsageError = 2;
// A subcommand's own result travels as a CLI::RuntimeError carrying its exit code: kept as it is.
int usage_exit(const CLI::App& app, const CLI::Error& e) {
  const int code = app.exit(e);
  if (dynamic_cast<const CLI::RuntimeError*>(&e) != nullptr) return code;
  return code == 0 ? 0 : kUsageError;
}

// --version: what a bug report or a comparison of two machines needs, and whether `mpirun -n K cortexloop simulate`
// can split a network (there was no way to tell but ldd or a refused run: an outside check, 2026-12-06).
std::string version_text() {
  const cortexloop::io::build_info& b = cortexloop::io::this_build();
#ifdef CORTEXLOOP_HAVE_MPI
  const char* mpi = "yes (mpirun -n K cortexloop simulate splits a network over K processes)";
#else
  const char* mpi = "no (configure with -DCORTEXLOOP_MPI=ON and libopenmpi-dev installed)";
#endif
  return "cortexloop " + b.version + " (commit " + b.git_commit + ")\n" + "build: " + b.build_type + ", " + b.compiler +
         (b.portable ? ", portable floating point" : b.march_native ? ", -march=native" : "") + "\nMPI: " + mpi;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cortexloop: a virtual piece of cortex (spiking network of AdEx or Hodgkin-Huxley cells, mean-field ring) for closed-loop stimulation"};
  app.footer("Exit code 2: the command line is wrong (an unknown option, a value out of range, no such file); 1: the "
             "command failed (the error says why); simulate, serve, stim, record, replay, probe, plasticity, fit-tf "
             "and aln-table have codes of their own (130 / 143: stopped by Ctrl-C / SIGTERM), which their --help "
             "gives.");
  app.set_version_flag("--version", version_text());
  app.require_subcommand(1);
  cortexloop::tools::add_simulate_command(app);
  cortexloop::tools::add_serve_command(app);
  cortexloop::tools::add_stim_command(app);
  cortexloop::tools::add_record_command(app);
  cortexloop::tools::add_replay_command(app);
  cortexloop::tools::add_probe_command(app);
  cortexloop::tools::add_tf_command(app);
  cortexloop::tools::add_fit_tf_command(app);
  cortexloop::tools::add_keys_command(app);
  cortexloop::tools::add_aln_table_command(app);
  cortexloop::tools::add_sweep_command(app);
  cortexloop::tools::add_plasticity_command(app);
  cortexloop::tools::refuse_bad_numbers(app);
  // Only simulate and sweep split their work over mpirun's ranks (serve refuses in its run, naming --threads).
  for (CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
    if (const std::string name = sub->get_name(); name != "simulate" && name != "sweep" && name != "serve")
      sub->parse_complete_callback([name] {
        if (const int rc = cortexloop::tools::refuse_launched_ranks(name); rc != 0) throw CLI::RuntimeError(rc);
      });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Under mpirun every rank parses the same command line: rank 0 says what is wrong, the others exit alike without
    // a word (each printed "--out is required": an outside audit's note, 2026-12-07). A subcommand's own result
    // (RuntimeError) is left as it is.
    if (cortexloop::tools::launched_ranks() > 1 && cortexloop::tools::launched_rank() > 0 &&
        dynamic_cast<const CLI::RuntimeError*>(&e) == nullptr)
      return e.get_exit_code() == 0 ? 0 : kUsageError;
    // CLI11 reports a misspelt subcommand or an option before the subcommand as "A subcommand is required"; name the
    // word it did not know instead.
    const std::vector<std::string> extra = app.remaining();
    if (app.get_subcommands().empty() && !extra.empty()) {
      std::string known;
      const CLI::App& all = app;
      for (const CLI::App* sub : all.get_subcommands([](const CLI::App*) { return true; }))
        known += (known.empty() ? "" : ", ") + sub->get_name();
      const bool option = extra.front().rfind('-', 0) == 0;
      const std::string what = option ? "unknown option '" + extra.front() + "' (options follow the subcommand: " +
                                            "cortexloop SUBCOMMAND --help; subcommands: " + known + ")"
                                      : "unknown subcommand '" + extra.front() + "' (subcommands: " + known + ")";
      return usage_exit(app, CLI::ExtrasError(what, CLI::ExitCodes::ExtrasError));
    }
    // CLI11 checks required options before unknown ones, so `simulate --otu x` would say "--out is required" and
    // hide the typo that caused it; name the unknown words first.
    for (const CLI::App* sub : app.get_subcommands()) {
      const std::vector<std::string> unknown = sub->remaining();
      if (!unknown.empty() && dynamic_cast<const CLI::RequiredError*>(&e) != nullptr) {
        std::string words;
        for (const std::string& w : unknown) words += (words.empty() ? "'" : ", '") + w + "'";
        return usage_exit(app, CLI::ExtrasError("unknown argument(s) for '" + sub->get_name() + "': " + words +
                                             " (cortexloop " + sub->get_name() + " --help lists them)",
                                         CLI::ExitCodes::ExtrasError));
      }
    }
    return usage_exit(app, e);
  } catch (...) {
    // An error inside an MPI session never gets here (each rank says it before MPI_Abort: reporting_before_abort);
    // one from before MPI starts, or from a sweep, which runs none, is said once under mpirun (report_error).
    return cortexloop::tools::report_error(
        std::current_exception(),
        cortexloop::tools::launched_ranks() > 1 && cortexloop::tools::launched_rank() > 0);
  }
  return 0;
}
