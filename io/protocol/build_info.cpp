#include "io/protocol/build_info.hpp"

#include "io/protocol/git_commit.hpp"  // generated at every build (io/protocol/git_commit.cmake)

namespace cortexloop::io {

#ifndef CORTEXLOOP_VERSION
#define CORTEXLOOP_VERSION ""
#endif
#ifndef CORTEXLOOP_BUILD_TYPE
#define CORTEXLOOP_BUILD_TYPE ""
#endif
#ifndef CORTEXLOOP_BUILD_FLAGS
#define CORTEXLOOP_BUILD_FLAGS ""
#endif

namespace {
build_info make() {
  build_info b;
  b.version = CORTEXLOOP_VERSION;
  b.git_commit = CORTEXLOOP_GIT_COMMIT;
#if defined(__clang__)
  b.compiler = "clang " __clang_version__;
#elif defined(__GNUC__)
  b.compiler = "gcc " __VERSION__;
#else
  b.compiler = "unknown";
#endif
  b.build_type = CORTEXLOOP_BUILD_TYPE;
  b.flags = CORTEXLOOP_BUILD_FLAGS;
#ifdef CORTEXLOOP_MARCH_NATIVE
  b.march_native = true;
#endif
#ifdef CORTEXLOOP_PORTABLE_BUILD
  b.portable = true;
  b.fp_contract = "off";
#else
  b.fp_contract = "fast";  // GCC's default for C++ (and clang's "on" within expressions): a*b+c may fuse
#endif
  auto add = [&b](const char* name) {  // appended in place: "literal" + std::string&& trips GCC 12's -Wrestrict
    if (!b.isa.empty()) b.isa += ' ';
    b.isa += name;
  };
#ifdef __SSE2__
  add("sse2");
#endif
#ifdef __SSE4_2__
  add("sse4.2");
#endif
#ifdef __AVX__
  add("avx");
#endif
#ifdef __AVX2__
  add("avx2");
#endif
#ifdef __FMA__
  add("fma");
#endif
#ifdef __AVX512F__
  add("avx512f");
#endif
#ifdef __ARM_NEON
  add("neon");
#endif
#ifdef __ARM_FEATURE_FMA
  add("arm-fma");
#endif
  return b;
}
}  // namespace

const build_info& this_build() {
  static const build_info b = make();
  return b;
}

}  // namespace cortexloop::io
