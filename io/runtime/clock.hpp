#pragma once
// The one clock of the server and its clients: CLOCK_MONOTONIC in integer nanoseconds, and sleeping to
// an absolute point on it (clock_nanosleep with TIMER_ABSTIME, so a late wake-up does not push the
// following deadlines back). Both are noexcept and allocation-free.
#include <cerrno>
#include <cstdint>
#include <ctime>

namespace cortexloop::io {

inline std::int64_t monotonic_ns() noexcept {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// One iteration of a busy-wait: tells the CPU this is a spin (x86 PAUSE) so that it saves power and does
// not starve a hyper-thread sibling, and leaves the loop without a memory-order mis-speculation penalty.
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

// Sleeps until deadline_ns; with spin_ns > 0 it wakes that much earlier and busy-waits the rest, trading
// CPU for a tighter wake-up.
inline void sleep_until_ns(std::int64_t deadline_ns, std::int64_t spin_ns = 0) noexcept {
  const std::int64_t wake = deadline_ns - spin_ns;
  if (wake > monotonic_ns()) {
    timespec ts{static_cast<time_t>(wake / 1'000'000'000), static_cast<long>(wake % 1'000'000'000)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    }
  }
  while (spin_ns > 0 && monotonic_ns() < deadline_ns) cpu_relax();
}

inline std::int64_t thread_cpu_ns() noexcept {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace cortexloop::io
