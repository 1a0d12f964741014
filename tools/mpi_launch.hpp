#pragma once
// How many processes the MPI launcher started, read from its environment (1 without one), so that a command can
// refuse or prepare a multi-process run before (or without) initialising MPI; and the one way a command runs as one
// of them (run_on_ranks).
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "io/config/launch_env.hpp"
#include "io/recording/output_dir.hpp"
#include "tools/command_line_error.hpp"
#include "tools/error_report.hpp"
#ifdef CORTEXLOOP_HAVE_MPI
#include "io/mpi/mpi_exchange.hpp"
#endif

namespace cortexloop::tools {

// How many processes the launcher started, and this one's rank (io/config/launch_env.hpp).
using io::launched_rank;
using io::launched_ranks;

// What names this launch, the same in all its processes and different in the next: Open MPI's job (PMIx namespace,
// or its jobid), else Slurm's job step; "" when the launcher gives none.
inline std::string launch_id() {
  for (const char* name : {"PMIX_NAMESPACE", "OMPI_MCA_ess_base_jobid"})
    if (const char* value = std::getenv(name); value && *value) return value;
  const char* job = std::getenv("SLURM_JOB_ID");
  const char* step = std::getenv("SLURM_STEP_ID");
  if (job && *job) return std::string("slurm ") + job + "." + (step ? step : "");
  return "";
}

// Refuses a launch by mpirun of a command that runs as one process (every command but simulate and sweep, which
// split their work over the ranks): each rank did the whole work, wrote the same files and printed everything once
// per rank (`mpirun -n 2 cortexloop aln-table` exited 0 so; under `plasticity` rank 1 was refused the output folder
// rank 0 held, and the run exited 1 with results written: an outside audit, 2026-12-07). Rank 0 says why (exit 2, a
// wrong command line); the other ranks get 2 back, to exit without a word, so that it is said once; 0: not launched
// so. `instead`: what to use for more cores, if anything ("" for none).
inline int refuse_launched_ranks(const std::string& command, const std::string& instead = "") {
  const int ranks = launched_ranks();
  if (ranks <= 1) return 0;
  if (launched_rank() > 0) return 2;
  throw command_line_error(command + " runs as one process, but mpirun started " + std::to_string(ranks) +
                           " (only `simulate` and `sweep` split their work over MPI ranks; run " + command +
                           " without mpirun" + (instead.empty() ? "" : ", and use " + instead + " for more cores") +
                           ")");
}

// Whether this process writes a run's files: a run alone, or rank 0 of the processes mpirun started (the others'
// readouts and spikes reach rank 0 through MPI).
inline bool writes_outputs(int launched) { return launched == 1 || launched_rank() == 0; }

// Takes the lock on an output folder (io::output_dir_lock) for the process that writes into it: a run alone, or rank 0
// of the processes mpirun started (taken before MPI starts, so the rank is the launcher's). A second run on the folder
// is refused at once, and under mpirun its rank 0's exit ends the job. Two runs on one --out both wrote there, the
// second removing the first's files (record and simulate were locked, sweep and plasticity were not: an outside
// audit's note, 2026-12-07).
inline void lock_output_dir(std::optional<io::output_dir_lock>& lock, const std::filesystem::path& dir, int launched,
                            std::string_view option = "--out") {
  if (writes_outputs(launched)) lock.emplace(dir, option);
}

// body(prepare()) as one of `launched` processes. A build without MPI refuses more than one, saying what each would do
// alone (`alone`, e.g. "run the whole network and write the same files"), before anything else. prepare() checks the
// config, the options and the output folder before MPI starts: every rank refuses them alike, and each exits as one
// process would (refused inside the MPI session, every rank's MPI_Abort made Open MPI 4.1 add "ORTE_ERROR_LOG: Data
// unpack would read past end of buffer" to the reason in 7 of 20 runs: an outside check, 2026-12-06). With more than
// one process, MPI is initialised around body (and each rank reports its own error before MPI_Abort ends them all:
// reporting_before_abort).
template <class Prepare, class Body>
int run_on_ranks(int launched, [[maybe_unused]] const std::string& alone, Prepare&& prepare, Body&& body) {
#ifndef CORTEXLOOP_HAVE_MPI
  if (launched > 1 && launched_rank() > 0) return 1;  // every rank meets it: rank 0 says it (report_error)
  if (launched > 1)
    throw std::runtime_error("mpirun started " + std::to_string(launched) +
                             " processes, but this cortexloop was built without MPI: install libopenmpi-dev and "
                             "configure with -DCORTEXLOOP_MPI=ON (each process would otherwise " + alone + ")");
#endif
  auto prepared = std::forward<Prepare>(prepare)();
#ifdef CORTEXLOOP_HAVE_MPI
  std::optional<io::mpi_session> mpi;
  if (launched > 1) mpi.emplace(nullptr, nullptr);
  const auto on_abort = [&mpi](int code) {
    if (mpi) mpi->set_abort_code(code);
  };
#else
  const auto on_abort = [](int) {};
#endif
  return reporting_before_abort(launched > 1, [&] { return std::forward<Body>(body)(std::move(prepared)); },
                                on_abort);
}

}  // namespace cortexloop::tools
