#pragma once
// This machine's physical memory in bytes (0 if unknown): the one figure every "would not fit in memory" refusal
// compares against (the config loader's network check, simulate's traces).
#include <unistd.h>

#include <cstdio>
#include <string>

namespace cortexloop::io {

inline double machine_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page_bytes = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page_bytes > 0 ? static_cast<double>(pages) * static_cast<double>(page_bytes) : 0.0;
}

// What a run may plan to hold in memory of its own (simulate's traces, a sweep's probe and rates): 80 % of the
// machine, the rest left to the engine, the process and the system. "" when `need_bytes` fits (or the memory is
// unknown), else "more than 80 % of this machine's M GB of memory" for the refusal.
inline std::string beyond_usable_memory(double need_bytes) {
  constexpr double kUsableShare = 0.8;
  const double have = machine_memory_bytes();
  if (!(have > 0 && need_bytes > kUsableShare * have)) return {};
  char text[100];
  std::snprintf(text, sizeof text, "more than %.0f %% of this machine's %.3g GB of memory", kUsableShare * 100,
                have / 1e9);
  return text;
}

}  // namespace cortexloop::io
