#pragma once
// When a realtime server falls behind the wall clock, and when it is back: serve says both on stderr, even with
// --quiet. An overloaded server only showed "0.74x" in its status line, with lateness pinned at the 100 ms resync
// whatever the overload (an outside check, 2026-12-04). Behind: a window under 0.95x real time or missing more than
// 10 % of its ticks; back only at 0.98x or more with at most 1 % missed (the throughput alone read 1.01x on the
// catch-up after each resync while nearly every tick missed: a second outside check).
#include <cstdio>
#include <optional>
#include <string>

#include "io/runtime/realtime_records.hpp"

namespace cortexloop::tools {

class behind_real_time {
 public:
  // fifo_asked: SCHED_FIFO was asked for (--rt or --fifo); fifo_granted: the system gave it. The advice for a thread
  // that does not get the CPU in time depends on them: it advised "--rt" to a server already under --rt (an outside
  // audit, 2026-12-07).
  explicit behind_real_time(double tick_ms, bool fifo_asked = false, bool fifo_granted = false)
      : tick_ms_(tick_ms), fifo_asked_(fifo_asked), fifo_granted_(fifo_granted) {}
  // The line to print for this status, if its window changes the verdict (each status once, by its uptime).
  std::optional<std::string> check(const io::status_record& r) {
    if (r.uptime_s == seen_uptime_s_) return std::nullopt;
    seen_uptime_s_ = r.uptime_s;
    // A window paused at any time advanced fewer ticks than its wall time: not behind (a client's Pause of 0.4 s
    // printed "behind real time: 0.60x" with 1 miss in 12,958 ticks: an outside check, 2026-12-05).
    if (r.mode != io::run_mode::realtime || r.paused || r.paused_in_window || r.window_ticks == 0) return std::nullopt;
    const double missed = static_cast<double>(r.window_deadline_misses) / static_cast<double>(r.window_ticks);
    const bool now = behind_ ? !(r.realtime_factor >= 0.98 && missed <= 0.01) : r.realtime_factor < 0.95 || missed > 0.10;
    if (now == behind_) return std::nullopt;
    behind_ = now;
    char line[512];
    // The advice follows the cause: a tick whose compute fits in half of it is late because the thread did not get
    // the CPU in time (other load, stock scheduling), which a smaller network does not cure (it said "use a smaller
    // network" at a compute p99 of 185 us of a 1 ms tick: an outside check, 2026-12-05).
    // Compute is wall time from the tick's start to its end, preemption included: a thread that used under half a
    // CPU in the window was waiting for the CPU, not computing (three busy loops beside a stock serve gave compute
    // p99 626 us with the thread at 6 % CPU, and the advice blamed the network: the same outside check).
    const bool compute_fits = r.compute_p99_us < 0.5 * 1000.0 * tick_ms_ || r.rt_cpu_percent < 50.0;
    const char* advice =
        !compute_fits ? "the compute does not fit: a smaller network, --threads, or --mode fast"
        : !fifo_asked_ ? "the compute fits, the thread is not getting the CPU on time: --rt (priority and a CPU of its "
                         "own) or a quieter machine"
        : fifo_granted_ ? "the compute fits, the thread is not getting the CPU on time even under SCHED_FIFO: other "
                          "real-time or interrupt load on its CPU, or a virtual CPU its host deschedules: a quieter "
                          "machine, or another --cpu"
                        : "the compute fits, the thread is not getting the CPU on time: SCHED_FIFO was asked for "
                          "(--rt or --fifo) and refused (it needs CAP_SYS_NICE or root; the start line names it): "
                          "grant it, or a quieter machine";
    if (now)
      std::snprintf(line, sizeof line, "serve: WARNING: behind real time: %.2fx and %.0f%% of the ticks late in the "
                    "last second (compute p99 %.0f us for a %.3g ms tick, %lld ticks skipped so far): %s",
                    r.realtime_factor, 100.0 * missed, r.compute_p99_us, tick_ms_,
                    static_cast<long long>(r.ticks_skipped), advice);
    else
      std::snprintf(line, sizeof line, "serve: back to real time (%.2fx, %.1f%% of the ticks late)", r.realtime_factor,
                    100.0 * missed);
    return std::string(line);
  }

 private:
  double tick_ms_;
  bool fifo_asked_, fifo_granted_;
  double seen_uptime_s_ = -1;
  bool behind_ = false;
};

}  // namespace cortexloop::tools
