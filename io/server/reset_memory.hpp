#pragma once
// What a Reset that ran out of memory says. A Reset builds its engine beside the running one and frees the old one
// only once the new one runs (the old engine steps on meanwhile), so for a moment the server holds two: an engine
// that fits the machine once may not fit twice. The ack said only "Reset failed: std::bad_alloc" (an outside audit,
// 2026-12-07).
#include <string>

#include "io/config/machine_memory.hpp"

namespace cortexloop::io {

inline std::string reset_out_of_memory_reason() {
  return "not enough memory for a second engine: a Reset builds the new engine beside the running one and frees the "
         "old one once the new one runs, so it needs about the engine's memory again (" +
         process_memory_words() + "); the running engine goes on as it was";
}

}  // namespace cortexloop::io
