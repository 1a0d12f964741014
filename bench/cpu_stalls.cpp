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
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include <algorithm>
#include <string>

#include "bench/parse_args.hpp"
#include "io/runtime/clock.hpp"
#include "io/runtime/latency_histogram.hpp"
#include "io/runtime/thread_setup.hpp"
#include "tools/number_checks.hpp"

int main(int argc, char** argv) {
  double duration_s = 60;
  int cpu = -1, fifo = 0;
  std::int64_t threshold_ns = 10'000;
  CLI::App app{"Stalls of a running, pinned thread: gaps between consecutive clock reads (the machine's floor "
               "under a tick's compute-time tail)"};
  // The checks' messages say what is wrong: CLI::PositiveNumber said "Value 0 not in range 0.000000 to 1797..." (an
  // outside audit).
  using cortexloop::tools::number_in;
  app.add_option("--duration", duration_s, "Seconds to spin (the CPU is fully busy meanwhile)")
      ->check(cortexloop::tools::positive_number)
      ->capture_default_str();
  app.add_option("--cpu", cpu, "Pin to this CPU (default: not pinned)")->check(cortexloop::tools::non_negative_number);
  app.add_option("--fifo", fifo,
                 "SCHED_FIFO priority (0: normal scheduling). A FIFO thread that never sleeps is throttled by the "
                 "kernel (sched_rt_runtime_us): ~50 ms of each second at the default 950000 us, which this tool "
                 "then reports as stalls")
      ->check(number_in(0, 99))
      ->capture_default_str();
  app.add_option("--threshold-ns", threshold_ns,
                 "Gaps at least this long count as stalls (the counts of gaps >= 100 us and >= 1 ms are taken "
                 "whatever it is)")
      ->check(cortexloop::tools::positive_number)
      ->capture_default_str();
  cortexloop::tools::refuse_bad_numbers(app);  // --duration inf spun forever
  CORTEXLOOP_BENCH_PARSE(app, argc, argv);

  // A CPU it cannot run on is an error, not a note: the figures would be another CPU's, labelled as this one's.
  if (cpu >= 0)
    if (const int rc = cortexloop::io::pin_thread(pthread_self(), cpu); rc != 0) {
      std::fprintf(stderr, "cpu_stalls: cannot pin to CPU %d: %s\n", cpu, std::strerror(rc));
      return 2;
    }
  // What it runs with, as granted: a refused SCHED_FIFO ran under SCHED_OTHER and was printed "(SCHED_FIFO)" (an
  // outside audit); the line says what the system refused, and why.
  std::string scheduling = "SCHED_OTHER", memory = "memory not locked";
  if (fifo > 0) {
    if (const int rc = cortexloop::io::set_fifo(pthread_self(), fifo); rc != 0) {
      std::fprintf(stderr, "cpu_stalls: SCHED_FIFO not permitted: %s\n", std::strerror(rc));
      scheduling = "SCHED_OTHER (SCHED_FIFO " + std::to_string(fifo) + " refused: " + std::strerror(rc) + ")";
    } else {
      scheduling = "SCHED_FIFO " + std::to_string(fifo);
    }
    if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0) {
      const int err = errno;
      std::fprintf(stderr, "cpu_stalls: mlockall: %s\n", std::strerror(err));
      memory = std::string("memory not locked (mlockall refused: ") + std::strerror(err) + ")";
    } else {
      memory = "memory locked";
    }
  }
  using cortexloop::io::monotonic_ns;
  cortexloop::io::latency_histogram stalls;
  std::int64_t lost_ns = 0, over_100us = 0, over_1ms = 0;
  // The gaps >= 100 us and >= 1 ms are counted whatever --threshold-ns is: with a threshold above them they counted
  // only the stalls above it ("--threshold-ns 1000000000: 0 >= 100 us, 0 >= 1 ms"; an outside audit). One compare in
  // the loop still: the smaller of the two bounds.
  const std::int64_t looked_at_ns = std::min<std::int64_t>(threshold_ns, 100'000);
  const std::int64_t start = monotonic_ns(), end = start + static_cast<std::int64_t>(duration_s * 1e9);
  for (std::int64_t prev = start; prev < end;) {
    const std::int64_t now = monotonic_ns();
    if (const std::int64_t gap = now - prev; gap >= looked_at_ns) {
      if (gap >= threshold_ns) {
        stalls.record(gap);
        lost_ns += gap;
      }
      over_100us += gap >= 100'000;
      over_1ms += gap >= 1'000'000;
    }
    prev = now;
  }
  const double seconds = static_cast<double>(monotonic_ns() - start) / 1e9;
  const std::string where = cpu >= 0 ? "on CPU " + std::to_string(cpu) : "not pinned";
  // Seconds to the hundredth ("%.0f s" printed a 0.2 s run as "0 s"), the threshold in us as given in ns.
  std::printf("cpu_stalls: %.2f s %s (%s, %s): %llu stalls >= %.10g us (%.1f/s); gaps >= 100 us: %lld, >= 1 ms: %lld; "
              "time lost in stalls %.2f %%\n",
              seconds, where.c_str(), scheduling.c_str(), memory.c_str(),
              static_cast<unsigned long long>(stalls.count()), static_cast<double>(threshold_ns) / 1000.0,
              static_cast<double>(stalls.count()) / seconds, static_cast<long long>(over_100us),
              static_cast<long long>(over_1ms), 100.0 * static_cast<double>(lost_ns) / (seconds * 1e9));
  if (stalls.count() == 0)  // percentiles of nothing would print "p50 0 ... max 0", read as stalls of 0 us
    std::printf("stall length (us): no stalls\n");
  else
    std::printf("stall length (us): p50 %.0f  p99 %.0f  p99.9 %.0f  max %.0f\n", stalls.percentile_us(0.5),
                stalls.percentile_us(0.99), stalls.percentile_us(0.999), stalls.max_us());
  return 0;
}
