# Sourced by scripts/fuzz.sh and scripts/sanitize.sh: the one clang ASan+UBSan build that the libFuzzer targets
# and the sanitized test suite share (CI builds the libraries once for both).
#   asan_configure DIR   configures DIR: clang, RelWithDebInfo (-O2, line tables: the sanitized suite runs its long network
#                        simulations 2-5x slower than Release instead of 10-15x at -O0/-O1), CORTEXLOOP_FUZZ=ON
#                        (everything built with -fsanitize=address,undefined -fno-sanitize-recover=all,
#                        the code the fuzzers run also with -fsanitize=fuzzer-no-link: top-level and
#                        fuzz/CMakeLists.txt), tests on, benchmarks off, and -march=native as the
#                        Release build: the engine's 16-lane update and Philox lanes then run their AVX-512 code
#                        (engine/cpu/lanes16.hpp), the code this machine runs in Release, instead of the scalar
#                        fallback, which made the network tests 20-37x slower than Release under ASan (a network point ~7x
#                        now; bench/README.md "Third pass (branch `ci2`)"). The fallback (CORTEXLOOP_PORTABLE or
#                        CPUs without AVX-512) still runs under TSan (scripts/sanitize.sh tsan, no -march=native).
#   asan_env             exports the runtime options: any report aborts the program (and fails its test).
asan_configure() {
  command -v clang++ >/dev/null || { echo "asan_build.sh: clang++ missing (scripts/install_deps.sh installs it)" >&2; return 1; }
  source scripts/generator.sh
  generator_args "$1"
  cmake -S . -B "$1" "${generator[@]}" "${sanitizer_build_args[@]}" -DCMAKE_CXX_COMPILER=clang++ \
    -DCORTEXLOOP_FUZZ=ON -DCORTEXLOOP_BUILD_TESTS=ON -DCORTEXLOOP_BUILD_BENCH=OFF -DCORTEXLOOP_NATIVE=ON >/dev/null
}
asan_env() {
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
}
