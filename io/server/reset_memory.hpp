#pragma once
// What a Reset that ran out of memory says. A Reset builds its engine beside the running one and frees the old one
// only once the new one runs (the old engine steps on meanwhile), so for a moment the server holds two: an engine
// that fits the machine once may not fit twice. The ack said only "Reset failed: std::bad_alloc" (an outside audit,
// 2026-12-07).
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace cortexloop::io {

inline std::string reset_out_of_memory_reason() {
  long pages_total = 0, pages_resident = 0;
  std::ifstream("/proc/self/statm") >> pages_total >> pages_resident;
  const double page_mb = static_cast<double>(sysconf(_SC_PAGE_SIZE)) / 1e6;
  char text[400];
  int n = std::snprintf(text, sizeof text,
                        "not enough memory for a second engine: a Reset builds the new engine beside the running one "
                        "and frees the old one once the new one runs, so it needs about the engine's memory again "
                        "(this process holds %.0f MB now)",
                        static_cast<double>(pages_resident) * page_mb);
  rlimit as{};
  if (getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY && n > 0 && n < static_cast<int>(sizeof text))
    n += std::snprintf(text + n, sizeof text - static_cast<std::size_t>(n),
                       ", under an address-space limit of %.0f MB (ulimit -v)", static_cast<double>(as.rlim_cur) / 1e6);
  return std::string(text) + "; the running engine goes on as it was";
}

}  // namespace cortexloop::io
