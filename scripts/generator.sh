# Sourced by scripts/build.sh, scripts/asan_build.sh and scripts/sanitize.sh: the CMake generator of a build tree, and
# the build type of the sanitizer trees.
#   generator_args DIR   sets the array `generator` to (-G Ninja) when DIR is not configured yet and ninja is
#                        installed, else to nothing (a configured tree keeps its generator: CMake refuses to switch).
# Why Ninja: with Makefiles a target's objects wait until every library it links is built, so each CI build ended
# on one core compiling the `cortexloop` unity TU (~80 s of clang ASan CPU) and the last test programs; Ninja
# starts them as soon as their own inputs (the flatc header) exist, so both cores stay busy to the end
# (bench/README.md "Third pass (branch `ci2`)").
generator_args() {
  generator=()
  if [[ ! -f $1/CMakeCache.txt ]] && command -v ninja >/dev/null; then generator=(-G Ninja); fi
}
# The sanitizer builds (ASan+UBSan, TSan): clang at -O2 (scripts/sanitize.sh says why not lower) with line tables
# only, not full debug info: a report's stack still names function, file and line, and the ASan build took 179 s
# instead of 211 s on 2 cores (bench/README.md, "Fifth pass: line tables").
sanitizer_build_args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -gline-tables-only -DNDEBUG")
