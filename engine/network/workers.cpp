#include "engine/network/workers.hpp"

#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>

#include "engine/cpu/denormals.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace cortexloop::engine {

namespace {
inline void cpu_pause() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

std::int64_t now_ns() noexcept {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);  // vDSO: no system call
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

int pin(std::thread& t, int cpu) noexcept {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(t.native_handle(), sizeof set, &set);
}

std::vector<int> cpus_of(pid_t thread) {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(thread, sizeof set, &set) == 0)
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &set)) cpus.push_back(c);
  return cpus;
}
}  // namespace

std::vector<int> allowed_cpus() { return cpus_of(0); }

// The process's id is its main thread's: the CPUs that thread may use.
std::vector<int> process_cpus() { return cpus_of(getpid()); }

unsigned usable_cpus() noexcept {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  return static_cast<unsigned>(CPU_COUNT(&set));
}

worker_pool::worker_pool(unsigned n_workers, int first_cpu, int yields_before_sleep)
    : n_workers_(n_workers < 1 ? 1 : n_workers), yields_before_sleep_(yields_before_sleep),
      slots_(std::make_unique<slot[]>(n_workers_)), cpus_(process_cpus()) {
  helpers_.reserve(n_workers_ - 1);
  for (unsigned w = 1; w < n_workers_; ++w) helpers_.emplace_back([this, w] { helper_loop(w); });
  place(first_cpu);
}

worker_pool::~worker_pool() {
  if (helpers_.empty()) return;
  stop_ = true;
  generation_.fetch_add(1, std::memory_order_release);
  generation_.notify_all();
  for (auto& t : helpers_) t.join();
}

int worker_pool::helper_cpu(std::size_t k, int first_cpu) const noexcept {
  if (cpus_.empty()) return -1;
  std::size_t start = 0;
  for (std::size_t i = 0; i < cpus_.size(); ++i)
    if (cpus_[i] == first_cpu) start = i;
  return cpus_[(start + k + 1) % cpus_.size()];
}

int worker_pool::place(int first_cpu, int fifo_priority) noexcept {
  if (cpus_.empty()) return 0;
  int error = 0;
  for (std::size_t k = 0; k < helpers_.size(); ++k) {
    const int e = pin(helpers_[k], helper_cpu(k, first_cpu));
    if (e != 0 && error == 0) error = e;
    if (fifo_priority > 0) {
      sched_param sp{};
      sp.sched_priority = fifo_priority;
      const int f = pthread_setschedparam(helpers_[k].native_handle(), SCHED_FIFO, &sp);
      if (f != 0 && error == 0) error = f;
    }
  }
  return error;
}

int worker_pool::unpin() noexcept {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (const int cpu : cpus_) CPU_SET(cpu, &set);
  int error = 0;
  for (std::thread& t : helpers_)
    if (const int e = pthread_setaffinity_np(t.native_handle(), sizeof set, &set); e != 0 && error == 0) error = e;
  return error;
}

void worker_pool::timed(unsigned worker, task t, void* context) noexcept {
  const std::int64_t start = now_ns();
  t(context, worker);
  slots_[worker].busy_ns += now_ns() - start;
}

void worker_pool::unpark() noexcept {
  // A blocked helper wakes only for a new generation: release them with a task that does nothing and wait for it,
  // so the futex call and their wake-up latency fall here, before the tick's first step, not inside it.
  run([](void*, unsigned) noexcept {}, nullptr);
}

void worker_pool::run(task t, void* context) noexcept {
  if (n_workers_ == 1) {
    timed(0, t, context);
    return;
  }
  // Written only when set: the spinning helpers poll this line, and a store would take it from them every phase.
  if (parked_.load(std::memory_order_relaxed)) parked_.store(false, std::memory_order_relaxed);
  task_ = t;
  context_ = context;
  finished_.store(0, std::memory_order_relaxed);
  // Sequentially consistent with the helpers' sleepers_ increment (a store-load pair on two words): either the
  // helper sees the new generation before it blocks, or run() sees it counted and wakes it.
  generation_.fetch_add(1);  // publishes task_, context_ and the engine's state
  if (sleepers_.load() > 0) generation_.notify_all();  // only after an idle spell
  timed(0, t, context);
  const unsigned helpers = n_workers_ - 1;
  const int spin_budget = spins_before_yield_.load(std::memory_order_relaxed);
  // The count stops at the spin limit: a helper stalled for hours (2^31 yields) would otherwise overflow it.
  for (int spins = 0; finished_.load(std::memory_order_acquire) != helpers;) {
    if (spins < spin_budget) {
      cpu_pause();
      ++spins;
    } else {
      sched_yield();
    }
  }
}

void worker_pool::helper_loop(unsigned worker) noexcept {
  flush_denormals_to_zero();  // as on the thread that owns the engine
  // A name for top -H, perf and /proc/<pid>/task/*/comm (at most 15 characters), as serve names its threads.
  char name[16];
  std::snprintf(name, sizeof name, "cl-worker-%u", worker);  // truncated at 15 characters past worker 99999
  pthread_setname_np(pthread_self(), name);
  std::uint64_t seen = 0;
  for (;;) {
    std::uint64_t g;
    const int spin_budget = spins_before_yield_.load(std::memory_order_relaxed);
    for (int waits = 0; (g = generation_.load(std::memory_order_acquire)) == seen; ++waits) {
      const bool parked = parked_.load(std::memory_order_relaxed);
      if (!parked && waits < spin_budget) {
        cpu_pause();
      } else if (!parked && waits - spin_budget < yields_before_sleep_) {
        sched_yield();
      } else {
        sleepers_.fetch_add(1);
        generation_.wait(seen);
        sleepers_.fetch_sub(1);
        waits = 0;
      }
    }
    seen = g;
    if (stop_) return;
    timed(worker, task_, context_);
    finished_.fetch_add(1, std::memory_order_release);
  }
}

}  // namespace cortexloop::engine
