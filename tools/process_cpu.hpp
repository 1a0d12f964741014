#pragma once
// CPU seconds this process has used so far, all its threads: under load, a measure of work that wall time is not
// (simulate's and sweep's summaries report it).
#include <ctime>

namespace cortexloop::tools {

inline double process_cpu_s() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

}  // namespace cortexloop::tools
