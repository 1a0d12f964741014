#pragma once
// The memory a run can plan to take, and the words its refusals name it with: the one bound every "would not fit in
// memory" refusal compares against (the config loader's network and spike-log check, the net-charge window's,
// simulate's traces, a sweep's probe). That is 80 % of this machine's physical memory, and, when the process runs
// under an address-space limit (ulimit -v, RLIMIT_AS), what is left of that limit: under `ulimit -v` a net-charge
// window that fit the machine passed the check and died as "std::bad_alloc" (an outside audit, 2026-12-07).
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>

namespace cortexloop::io {

inline double machine_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page_bytes = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page_bytes > 0 ? static_cast<double>(pages) * static_cast<double>(page_bytes) : 0.0;
}

// What a run may plan to take of this machine's memory: 80 %, the rest left to the process's other memory (a network's
// least, a byte a synapse, is under what it holds), the system and other programs. The network's check allowed all
// of it, and a run whose rows needed 22-25 GB of a 25.3 GB machine set up for minutes toward running out of memory
// (an outside audit, 2026-12-07).
inline constexpr double kUsableShare = 0.8;

// "" when a run that needs `process_bytes` in this process and `machine_bytes` on this machine (more, when processes
// of one run share the machine: mpirun's ranks) fits, else "more than <the room it exceeds>" for the refusal: 80 %
// of this machine's memory, or what is left of the process's address-space limit (ulimit -v, RLIMIT_AS; it counts
// every mapping the process already has, its libraries and threads' stacks too: /proc/self/statm's first figure).
// Nothing is refused when the machine's memory is unknown and no limit is set.
inline std::string beyond_memory(double process_bytes, double machine_bytes) {
  char text[200];
  rlimit as{};
  if (getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY) {
    long pages_mapped = 0;
    std::ifstream("/proc/self/statm") >> pages_mapped;
    const double limit = static_cast<double>(as.rlim_cur);
    const double left =
        std::max(0.0, limit - static_cast<double>(pages_mapped) * static_cast<double>(sysconf(_SC_PAGE_SIZE)));
    if (process_bytes > left) {
      std::snprintf(text, sizeof text,
                    "more than the %.3g GB left of this process's address-space limit of %.3g GB (ulimit -v)",
                    left / 1e9, limit / 1e9);
      return text;
    }
  }
  const double machine = machine_memory_bytes();
  if (machine > 0 && machine_bytes > kUsableShare * machine) {
    std::snprintf(text, sizeof text, "more than %.0f %% of this machine's %.3g GB of memory", kUsableShare * 100,
                  machine / 1e9);
    return text;
  }
  return {};
}

// "this process holds 131 MB now[, under an address-space limit of 2147 MB (ulimit -v)]": what a message about
// memory that ran out says of the process (a Reset's, the command line's std::bad_alloc).
inline std::string process_memory_words() {
  long pages_total = 0, pages_resident = 0;
  std::ifstream("/proc/self/statm") >> pages_total >> pages_resident;
  char text[200];
  int n = std::snprintf(text, sizeof text, "this process holds %.0f MB now",
                        static_cast<double>(pages_resident) * static_cast<double>(sysconf(_SC_PAGE_SIZE)) / 1e6);
  rlimit as{};
  if (getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY && n > 0 && n < static_cast<int>(sizeof text))
    std::snprintf(text + n, sizeof text - static_cast<std::size_t>(n),
                  ", under an address-space limit of %.0f MB (ulimit -v)", static_cast<double>(as.rlim_cur) / 1e6);
  return text;
}

// What a run may plan to hold in memory of its own (simulate's traces, a sweep's probe and rates), one process's:
// "" when `need_bytes` fits, else "more than <the room>" for the refusal (beyond_memory).
inline std::string beyond_usable_memory(double need_bytes) { return beyond_memory(need_bytes, need_bytes); }

}  // namespace cortexloop::io
