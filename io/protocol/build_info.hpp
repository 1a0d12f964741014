#pragma once
// How this binary was built: published in Info.build and stored by `cortexloop record` (session.json), so that
// `cortexloop replay` can say whether it runs the same arithmetic as the recorded server (docs/protocol.md,
// "Bit-identity").
#include <string>

namespace cortexloop::io {

struct build_info {
  std::string version, git_commit, compiler, build_type, flags;
  bool march_native = false;  // CORTEXLOOP_NATIVE (-march=native)
  bool portable = false;      // CORTEXLOOP_PORTABLE (no -march=native, -ffp-contract=off)
  std::string fp_contract;    // "off" or "fast"
  std::string isa;            // extensions the compiler targeted, e.g. "sse2 avx avx2 fma"
};

// This binary's (compile-time facts of the translation unit, built with the project's flags).
const build_info& this_build();

}  // namespace cortexloop::io
