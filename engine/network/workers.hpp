#pragma once
// The engine's worker threads: created once at start-up, pinned, and released once per phase of a step. The
// calling thread (the real-time thread in `serve`) is worker 0 and does its own share; run() returns when every
// worker has finished the phase (a fork-join barrier). Waiting is a spin on one cache line with the pause
// instruction, bounded, then sched_yield; a helper that has waited long (the engine is idle: between runs, a
// paused server) blocks on the generation word and run() wakes it only then. So a running engine makes no
// allocation, takes no lock and, with its helpers busy every step, no system call to hand out work.
#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

namespace cortexloop::engine {

class worker_pool {
 public:
  using task = void (*)(void* context, unsigned worker) noexcept;

  // Starts n_workers - 1 helper threads; helper k is pinned to the k-th CPU after `first_cpu` among the CPUs this
  // process may use (cyclically; first_cpu < 0: the first one), which keeps it off the caller's CPU when the
  // caller is pinned to first_cpu. Throws std::system_error if a thread cannot be started.
  // yields_before_sleep: how long an idle helper yields before it blocks by itself (tests set it out of reach).
  explicit worker_pool(unsigned n_workers, int first_cpu = -1, int yields_before_sleep = 20000);
  ~worker_pool();
  worker_pool(const worker_pool&) = delete;
  worker_pool& operator=(const worker_pool&) = delete;

  // Runs t(context, w) on every worker w in [0, size()), worker 0 on the calling thread; returns when all are
  // done, with their writes visible to the caller. Allocation-free and lock-free.
  void run(task t, void* context) noexcept;
  // Re-pins the helpers as the constructor does (worker 0 runs on first_cpu) and, with fifo_priority > 0, runs
  // them under SCHED_FIFO like a real-time worker 0 (a helper preempted by ordinary threads would stall every
  // barrier). Returns 0 or the errno value of the first refusal.
  int place(int first_cpu, int fifo_priority = 0) noexcept;
  // Lets every helper run on any of the process's CPUs (as they were made with), for the scheduler to place: where
  // this process's workers and other processes' share too few CPUs for each to have one. Returns 0 or an errno value.
  int unpin() noexcept;
  // The CPU place(first_cpu) pins helper k (worker k + 1) to; -1 when the pool knows no CPUs.
  int helper_cpu(std::size_t k, int first_cpu) const noexcept;

  // Between the ticks of a paced (real-time) run: the helpers block as soon as their phase is done instead of
  // spinning and yielding through the idle part of the tick (which took a CPU from the real-time thread's I/O and
  // made `serve --threads 2` miss deadlines); unpark() wakes them (one futex call) before the next tick's work.
  // Neither is called inside a step; run() also wakes parked helpers itself if unpark() was not called.
  void park() noexcept { parked_.store(true); }
  void unpark() noexcept;
  // Whether a waiting worker spins (pause instructions, bounded) before it yields. Off when the machine has fewer
  // CPUs than threads that wait on each other (mpirun ranks x --threads on a node's cores): a spinning waiter then
  // holds the CPU that the thread it waits for needs, and `mpirun -n 2 ... --threads 2` on 2 cores ran 15-50 times
  // slower than one thread per rank (an outside audit, 2026-12-06; bench/README.md). Call between run()s.
  void set_spin(bool on) noexcept { spins_before_yield_.store(on ? kSpinsBeforeYield : 0, std::memory_order_relaxed); }
  // Helpers blocked (parked or long idle) at this moment; for tests.
  unsigned blocked_helpers() const noexcept { return sleepers_.load(); }

  unsigned size() const noexcept { return n_workers_; }
  // Time worker w spent inside tasks since the last reset_busy(), in ns (read between run() calls).
  std::int64_t busy_ns(unsigned w) const noexcept { return slots_[w].busy_ns; }
  void reset_busy() noexcept {
    for (unsigned w = 0; w < n_workers_; ++w) slots_[w].busy_ns = 0;
  }

 private:
  struct alignas(64) slot {
    std::int64_t busy_ns = 0;
  };
  void helper_loop(unsigned worker) noexcept;
  void timed(unsigned worker, task t, void* context) noexcept;

  // Spin budget before yielding (~10-40 us of pause instructions on current x86, where a pause costs 40-140 cycles
  // on Skylake and later), then yields; after yields_before_sleep yields the helper blocks (the engine is idle).
  static constexpr int kSpinsBeforeYield = 4096;

  unsigned n_workers_;
  int yields_before_sleep_;
  std::atomic<int> spins_before_yield_{kSpinsBeforeYield};  // read by waiting workers; set_spin
  std::unique_ptr<slot[]> slots_;
  // The task travels on the generation's cache line: a released helper reads it from the line it has just
  // fetched, not from a second one (one transfer between the cores fewer per phase; bench/README.md, "100k, sixth
  // pass").
  alignas(64) std::atomic<std::uint64_t> generation_{0};  // bumped by run() to release the helpers
  task task_ = nullptr;
  void* context_ = nullptr;
  alignas(64) std::atomic<unsigned> finished_{0};         // helpers done with the current generation
  alignas(64) std::atomic<unsigned> sleepers_{0};         // helpers blocked in generation_.wait
  std::atomic<bool> parked_{false};                       // helpers block at once instead of spinning
  bool stop_ = false;
  std::vector<std::thread> helpers_;
  // The CPUs this process could use when the pool was made (process_cpus): place() picks from these, not from the
  // calling thread's affinity, which is one CPU once the caller has pinned itself (worker 0) before placing the
  // helpers, or all but the real-time thread's for serve's Reset builder (io_thread.cpp): a Reset's engine placed
  // its helpers otherwise than the first engine on a machine with more than two CPUs.
  std::vector<int> cpus_;
};

// The number of CPUs this process may run on (its affinity mask).
unsigned usable_cpus() noexcept;
// The CPUs the calling thread may run on, ascending (empty if the system will not say).
std::vector<int> allowed_cpus();
// The CPUs the process's main thread may run on, ascending (empty if the system will not say): the process's own
// CPUs (taskset, cgroups) even when asked from a thread that has narrowed its affinity for itself.
std::vector<int> process_cpus();

}  // namespace cortexloop::engine
