#pragma once
// The memory a run can plan to take, and the words its refusals name it with: the one bound every "would not fit in
// memory" refusal compares against (the config loader's network and spike-log check, the net-charge window's,
// simulate's traces, a sweep's probe). That is this machine's physical memory, or, when the process runs under an
// address-space limit (ulimit -v, RLIMIT_AS) that leaves less, what is left of that limit: under `ulimit -v` a
// net-charge window that fit the machine passed the check and died as "std::bad_alloc" (an outside audit,
// 2026-12-07).
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

struct memory_room {
  double bytes = 0;  // 0: unknown, nothing to check against
  std::string text;  // "this machine's 24.6 GB of memory", or the address-space limit's words
};

// `share` of the machine's memory, or what is left of an address-space limit if that is less (a limit counts every
// mapping the process already has, its libraries and threads' stacks too: /proc/self/statm's first figure).
inline memory_room memory_room_now(double share = 1.0) {
  memory_room room;
  const double machine = machine_memory_bytes();
  char text[200];
  if (machine > 0) {
    room.bytes = share * machine;
    if (share < 1.0)
      std::snprintf(text, sizeof text, "%.0f %% of this machine's %.3g GB of memory", share * 100, machine / 1e9);
    else
      std::snprintf(text, sizeof text, "this machine's %.3g GB of memory", machine / 1e9);
    room.text = text;
  }
  rlimit as{};
  if (getrlimit(RLIMIT_AS, &as) != 0 || as.rlim_cur == RLIM_INFINITY) return room;
  long pages_mapped = 0;
  std::ifstream("/proc/self/statm") >> pages_mapped;
  const double limit = static_cast<double>(as.rlim_cur);
  const double left = std::max(0.0, limit - static_cast<double>(pages_mapped) * static_cast<double>(sysconf(_SC_PAGE_SIZE)));
  if (room.bytes > 0 && left >= room.bytes) return room;
  room.bytes = std::max(1.0, left);  // a limit used up is a bound, not "unknown"
  std::snprintf(text, sizeof text, "the %.3g GB left of this process's address-space limit of %.3g GB (ulimit -v)",
                left / 1e9, limit / 1e9);
  room.text = text;
  return room;
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

// What a run may plan to hold in memory of its own (simulate's traces, a sweep's probe and rates): 80 % of the
// machine, the rest left to the engine, the process and the system (or an address-space limit's room). "" when
// `need_bytes` fits (or the memory is unknown), else "more than <the room>" for the refusal.
inline std::string beyond_usable_memory(double need_bytes) {
  constexpr double kUsableShare = 0.8;
  const memory_room room = memory_room_now(kUsableShare);
  if (!(room.bytes > 0 && need_bytes > room.bytes)) return {};
  return "more than " + room.text;
}

}  // namespace cortexloop::io
