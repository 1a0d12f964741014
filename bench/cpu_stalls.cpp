// How often does this machine stop a thread that is running? A thread pinned to one CPU (SCHED_FIFO when
// permitted, memory locked) reads CLOCK_MONOTONIC in a tight loop; any gap between two reads longer than a
// few microseconds is time the CPU was taken away (interrupts, and on a VM the hypervisor descheduling the
// vCPU, which the guest kernel cannot prevent). A 1 ms tick that computes for ~0.1 ms is exposed to exactly
// these stalls; they are the floor under the server's "tick compute" tail, as cyclictest is the floor under
// its lateness.
//
//   bench/cpu_stalls --duration 60 --cpu 1 --fifo 80
#include <sys/mman.h>

#include <CLI/CLI.hpp>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include <string>

#include "bench/parse_args.hpp"
#include "io/runtime/clock.hpp"
#include "io/runtime/latency_histogram.hpp"
#include "io/runtime/thread_setup.hpp"

int main(int argc, char** argv) {
  double duration_s = 60;
  int cpu = -1, fifo = 0;
  std::int64_t threshold_ns = 10'000;
  CLI::App app{"Stalls of a running, pinned thread: gaps between consecutive clock reads (the machine's floor "
               "under a tick's compute-time tail)"};
  app.add_option("--duration", duration_s, "Seconds to spin (the CPU is fully busy meanwhile)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--cpu", cpu, "Pin to this CPU (default: not pinned)")->check(CLI::NonNegativeNumber);
  app.add_option("--fifo", fifo,
                 "SCHED_FIFO priority (0: normal scheduling). A FIFO thread that never sleeps is throttled by the "
                 "kernel (sched_rt_runtime_us): ~50 ms of each second at the default 950000 us, which this tool "
                 "then reports as stalls")
      ->check(CLI::Range(0, 99))
      ->capture_default_str();
  app.add_option("--threshold-ns", threshold_ns, "Gaps at least this long count as stalls")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  CORTEXLOOP_BENCH_PARSE(app, argc, argv);

  // A CPU it cannot run on is an error, not a note: the figures would be another CPU's, labelled as this one's.
  if (cpu >= 0)
    if (const int rc = cortexloop::io::pin_thread(pthread_self(), cpu); rc != 0) {
      std::fprintf(stderr, "cpu_stalls: cannot pin to CPU %d: %s\n", cpu, std::strerror(rc));
      return 2;
    }
  if (fifo > 0) {
    if (const int rc = cortexloop::io::set_fifo(pthread_self(), fifo); rc != 0)
      std::fprintf(stderr, "cpu_stalls: SCHED_FIFO not permitted: %s\n", std::strerror(rc));
    if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0) std::perror("cpu_stalls: mlockall");
  }
  using cortexloop::io::monotonic_ns;
  cortexloop::io::latency_histogram stalls;
  std::int64_t lost_ns = 0, over_100us = 0, over_1ms = 0;
  const std::int64_t start = monotonic_ns(), end = start + static_cast<std::int64_t>(duration_s * 1e9);
  for (std::int64_t prev = start; prev < end;) {
    const std::int64_t now = monotonic_ns();
    if (const std::int64_t gap = now - prev; gap >= threshold_ns) {
      stalls.record(gap);
      lost_ns += gap;
      over_100us += gap >= 100'000;
      over_1ms += gap >= 1'000'000;
    }
    prev = now;
  }
  const double seconds = static_cast<double>(monotonic_ns() - start) / 1e9;
  const std::string where = cpu >= 0 ? "on CPU " + std::to_string(cpu) : "not pinned";
  std::printf("cpu_stalls: %.0f s %s (%s): %llu stalls >= %lld us (%.1f/s), %lld >= 100 us, %lld >= 1 ms; "
              "time lost %.2f %%\n",
              seconds, where.c_str(), fifo > 0 ? "SCHED_FIFO" : "SCHED_OTHER", static_cast<unsigned long long>(stalls.count()),
              static_cast<long long>(threshold_ns / 1000), static_cast<double>(stalls.count()) / seconds,
              static_cast<long long>(over_100us), static_cast<long long>(over_1ms),
              100.0 * static_cast<double>(lost_ns) / (seconds * 1e9));
  std::printf("stall length (us): p50 %.0f  p99 %.0f  p99.9 %.0f  max %.0f\n", stalls.percentile_us(0.5),
              stalls.percentile_us(0.99), stalls.percentile_us(0.999), stalls.max_us());
  return 0;
}
