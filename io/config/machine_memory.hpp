#pragma once
// This machine's physical memory in bytes (0 if unknown): the one figure every "would not fit in memory" refusal
// compares against (the config loader's network check, simulate's traces).
#include <unistd.h>

namespace cortexloop::io {

inline double machine_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page_bytes = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page_bytes > 0 ? static_cast<double>(pages) * static_cast<double>(page_bytes) : 0.0;
}

}  // namespace cortexloop::io
