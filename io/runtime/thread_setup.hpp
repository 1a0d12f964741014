#pragma once
// Placing a thread: pin it to one CPU, or run it under SCHED_FIFO. Each returns 0 or the errno value of the
// refusal (typically EPERM without CAP_SYS_NICE / an rtprio limit, EINVAL for a CPU that does not exist), so
// that callers can report what they did not get and carry on. Used by the server and the bench peers, which
// must place their threads exactly as the server does.
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

namespace cortexloop::io {

inline int pin_thread(pthread_t thread, int cpu) noexcept {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(thread, sizeof set, &set);
}

// Every CPU this process may run on except `excluded` (empty when there is no other).
inline cpu_set_t cpus_except(int excluded) noexcept {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) CPU_ZERO(&set);
  if (excluded >= 0) CPU_CLR(excluded, &set);
  return set;
}

// Whether this process may run on `cpu` (a CPU that does not exist, or is outside its affinity, is not).
inline bool cpu_usable(int cpu) noexcept {
  if (cpu < 0 || cpu >= CPU_SETSIZE) return false;
  const cpu_set_t set = cpus_except(-1);
  return CPU_ISSET(cpu, &set);
}

// Why pinning to `cpu` failed with `rc`: a CPU outside this process's affinity (one the machine does not have, or
// taskset left out) said as such, with the CPUs it may use; "Invalid argument" alone read as a bad option value
// (serve --cpu 7 on a 2-CPU machine: an outside check, 2026-12-06). Else the system's reason.
inline std::string pin_refusal(int cpu, int rc) {
  if (cpu_usable(cpu)) return std::strerror(rc);
  const cpu_set_t set = cpus_except(-1);
  std::string usable;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) {
      if (!usable.empty()) usable += ',';  // appended apart: GCC 12 warns falsely (-Wrestrict) on "," + to_string
      usable += std::to_string(c);
    }
  return "not a CPU this process may use; it may use " + usable;
}

inline int pin_thread(pthread_t thread, const cpu_set_t& set) noexcept {
  return pthread_setaffinity_np(thread, sizeof set, &set);
}

// The CPU thread `tid` of this process last ran on (/proc's "processor", field 39 of its stat), or -1 when it
// cannot be read. Read off the real-time thread, from a file, so that thread makes no call for it.
inline int last_cpu_of(int tid) noexcept {
  if (tid <= 0) return -1;
  char path[64], line[1024];
  std::snprintf(path, sizeof path, "/proc/self/task/%d/stat", tid);
  std::FILE* f = std::fopen(path, "r");
  if (!f) return -1;
  const bool read = std::fgets(line, sizeof line, f) != nullptr;
  std::fclose(f);
  if (!read) return -1;
  const char* p = std::strrchr(line, ')');  // after the name, which may hold spaces and parentheses
  if (!p) return -1;
  // Field 3 (state) follows ") "; "processor" is field 39, 36 fields on.
  for (int field = 2; field < 39 && p; ++field) p = std::strchr(p + 1, ' ');
  if (!p) return -1;
  int cpu = -1;
  return std::sscanf(p + 1, "%d", &cpu) == 1 ? cpu : -1;
}

// Keeps the calling thread, and the threads it starts from now on, off the real-time thread's CPU: `realtime_cpu`
// (its --cpu), else, when the real-time thread is not pinned (-1), the CPU it last ran on (`realtime_tid`'s), where
// the scheduler keeps it when that CPU is free as it wakes; failing both, the last CPU this process may use (the
// one --rt pins it to). The last CPU alone was wrong whenever the real-time thread ran elsewhere: with another
// process busy on the last CPU, the scheduler kept the real-time thread on CPU 0 beside the builder: 67-101 deadline
// misses per Reset of the default config, 10-14 now (an outside audit, 2026-12-07; bench/README.md).
// For the threads that run for tens of ms beside a running loop at its own stock priority: a Reset's engine build, whose set-up threads
// (one per usable CPU) took the real-time thread's CPU too and cost 7.6-10.8 deadline misses per Reset of the
// default config on 2 CPUs (bench/README.md, "Reset: the build kept off the real-time thread's CPU"), and the old
// engine's destruction. Returns the CPU kept free, or -1 when none is (one usable CPU, or the system refused).
inline int keep_off_realtime_cpu(int realtime_cpu, int realtime_tid = 0) noexcept {
  // From the process's CPUs (its main thread's), not the calling thread's: a builder started by an I/O thread
  // pinned to the real-time CPU (--io-cpu = --cpu) was left there, with another CPU free (an outside check).
  cpu_set_t mine;
  CPU_ZERO(&mine);
  if (sched_getaffinity(getpid(), sizeof mine, &mine) != 0) mine = cpus_except(-1);
  if (realtime_cpu < 0) {
    const int last = last_cpu_of(realtime_tid);
    if (last >= 0 && last < CPU_SETSIZE && CPU_ISSET(last, &mine)) realtime_cpu = last;  // else not one of ours
  }
  if (realtime_cpu < 0)
    for (int c = CPU_SETSIZE - 1; c >= 0 && realtime_cpu < 0; --c)
      if (CPU_ISSET(c, &mine)) realtime_cpu = c;
  if (realtime_cpu < 0 || realtime_cpu >= CPU_SETSIZE) return -1;
  CPU_CLR(realtime_cpu, &mine);
  if (CPU_COUNT(&mine) == 0) return -1;
  return pin_thread(pthread_self(), mine) == 0 ? realtime_cpu : -1;
}

// The calling thread's CPU affinity, given back when this goes out of scope: a run that pins its own thread
// (simulate's worker 0) leaves the thread as it found it, for the next run in the same process (a sweep's next
// point saw one usable CPU and refused --threads 2: an outside check, 2026-12-05).
class affinity_restorer {
 public:
  affinity_restorer() noexcept { saved_ = pthread_getaffinity_np(pthread_self(), sizeof set_, &set_) == 0; }
  ~affinity_restorer() {
    if (saved_) pthread_setaffinity_np(pthread_self(), sizeof set_, &set_);
  }
  affinity_restorer(const affinity_restorer&) = delete;
  affinity_restorer& operator=(const affinity_restorer&) = delete;

 private:
  cpu_set_t set_{};
  bool saved_ = false;
};

inline int set_fifo(pthread_t thread, int priority) noexcept {
  sched_param sp{};
  sp.sched_priority = priority;
  return pthread_setschedparam(thread, SCHED_FIFO, &sp);
}

}  // namespace cortexloop::io
