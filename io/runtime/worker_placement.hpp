#pragma once
// Where the engine's workers run, in words for a status line or a summary. Worker 0 is the thread that calls
// engine::tick (serve's real-time thread, simulate's own thread); the helpers go on the CPUs after worker 0's
// (worker_pool::place). serve and simulate both place them with these, so they place them the same way. A refusal
// (a CPU this process may not use, SCHED_FIFO without permission) is named and the run goes on without it.
#include <pthread.h>

#include <cstring>
#include <string>
#include <vector>

#include "engine/engine.hpp"
#include "engine/network/workers.hpp"
#include "io/runtime/thread_setup.hpp"

namespace cortexloop::io {

// "pinned to CPU 3", or "not pinned (CPU 7: not a CPU this process may use; it may use 0,1)" when the system refuses.
inline std::string pin_with_note(pthread_t thread, int cpu) {
  if (const int rc = pin_thread(thread, cpu); rc != 0)
    return "not pinned (CPU " + std::to_string(cpu) + ": " + pin_refusal(cpu, rc) + ")";
  return "pinned to CPU " + std::to_string(cpu);
}

// The helpers on the CPUs after `cpu` (worker 0's; -1: after the first usable one), under SCHED_FIFO at
// fifo_priority > 0; empty for an engine without helpers.
// "1 helper worker(s) placed on CPU 1": which CPUs, since a helper beside the I/O threads' CPU is what makes serve
// --threads 2 miss deadlines on a 2-CPU machine (docs/engine.md, "Workers").
inline std::string place_helpers_with_note(engine::engine& eng, int cpu, int fifo_priority) {
  if (eng.n_workers() <= 1) return {};
  const std::string n = std::to_string(eng.n_workers() - 1);
  std::string where;
  for (std::size_t k = 0; k + 1 < eng.n_workers(); ++k)
    if (const int c = eng.helper_cpu(k, cpu); c >= 0) where += (where.empty() ? " on CPU " : ", ") + std::to_string(c);
  return eng.place_workers(cpu, fifo_priority) == 0
             ? n + " helper worker(s) placed" + where
             : n + " helper worker(s) not fully placed" + where + " (pinning or SCHED_FIFO refused)";
}

// Where worker 0 (serve's real-time thread, simulate's own thread) runs: the CPU asked for (serve --cpu, --rt), else,
// with helpers, the first CPU this process may run on, where their placement starts counting; -1: not pinned. Left
// to the scheduler, worker 0 could share a helper's CPU, and every barrier would wait for the one descheduled.
inline int worker0_cpu(const engine::engine& eng, int requested = -1) {
  if (requested >= 0 || eng.n_workers() <= 1) return requested;
  const std::vector<int> cpus = engine::allowed_cpus();
  return cpus.empty() ? -1 : cpus.front();
}

}  // namespace cortexloop::io
