#pragma once
// The one bound of every thread count a command takes (simulation.threads and --threads of simulate and serve, and
// --threads of sweep, plasticity, fit-tf and aln-table): 1 to the CPUs this process may use. They were bounded four
// ways (the config's words, sweep's own, CLI11's "Value 2 not in range 1 to 1", or not at all: an outside check,
// 2026-12-05).
#include <cstdint>
#include <string>
#include <thread>

#include "engine/network/workers.hpp"

namespace cortexloop::io {

inline std::int64_t max_threads() { return static_cast<std::int64_t>(engine::usable_cpus()); }

// Why a count outside [1, max_threads()] is refused. When the machine has more CPUs than the process may use, it
// says what binds it: `mpirun -n 2 ... --threads 2` was refused as "[1, 1]", read as the machine's limit (mpirun
// binds each rank to one core by default).
inline std::string threads_refusal() {
  const std::int64_t cpus = max_threads();
  const auto machine = static_cast<std::int64_t>(std::thread::hardware_concurrency());
  std::string why = "must be in [1, " + std::to_string(cpus) + "]: at least one worker, at most the CPUs this process "
                    "may use";
  if (machine > cpus)
    why += " (this process is bound to " + std::to_string(cpus) + " of the machine's " + std::to_string(machine) +
           ": by taskset, or by mpirun, which binds each rank to one core unless given --bind-to none)";
  return why;
}

}  // namespace cortexloop::io
