#!/usr/bin/env bash
# Sanitizer builds of the test suite, each in its own build directory (CI runs both; see .ci/run).
#   scripts/sanitize.sh asan   ASan+UBSan (g++), build-asan: every test program and the cortexloop binary
#                              (the Python tests drive it), then the whole ctest suite. The test_alloc_* programs
#                              are not built there (tests/CMakeLists.txt says why).
#   scripts/sanitize.sh tsan   TSan (g++), build-tsan: the server tests only (test_server_e2e, test_device_e2e,
#                              test_realtime_loop; test_alloc_realtime is not built), with tests/tsan.supp
#                              (libzmq only: it is not instrumented).
# -O1 and no -march=native: the point is the checks, and the build is most of the cost on CI's 2 cores.
# Any sanitizer report fails the test that triggered it (halt_on_error / exitcode).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
kind=${1:?usage: scripts/sanitize.sh asan|tsan}
jobs=$(nproc)
common=(-DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" -DCORTEXLOOP_NATIVE=OFF -DCORTEXLOOP_BUILD_BENCH=OFF)
case $kind in
  asan)
    dir=build-asan
    cmake -S . -B "$dir" "${common[@]}" -DCORTEXLOOP_SANITIZE=address,undefined >/dev/null
    cmake --build "$dir" -j "$jobs"
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    cd "$dir" && ctest --output-on-failure -j "$jobs" --timeout 900
    ;;
  tsan)
    dir=build-tsan
    cmake -S . -B "$dir" "${common[@]}" -DCORTEXLOOP_SANITIZE=thread >/dev/null
    tests=(test_server_e2e test_device_e2e test_realtime_loop)
    cmake --build "$dir" -j "$jobs" --target "${tests[@]}"
    export TSAN_OPTIONS="suppressions=$root/tests/tsan.supp halt_on_error=1 second_deadlock_stack=1 history_size=4"
    status=0
    for t in "${tests[@]}"; do
      start=$(date +%s)
      # test_device_e2e's PI-clamp case asserts a rate held over >1000 readouts of the 10k network in realtime:
      # under TSan (5-15x slower) the network cannot keep realtime and the case fails on its own timing check
      # (0 readouts; no TSan report), so it is left out here; its watchdog case (threads, sockets) runs.
      filter=()
      [[ $t == test_device_e2e ]] && filter=("~*PI clamp*")
      (cd "$root" && "$dir/tests/$t" "${filter[@]}") >"$dir/$t.log" 2>&1 || status=1
      echo "sanitize.sh tsan: $t $(tail -n 3 "$dir/$t.log" | grep -E 'passed|failed' | head -1) ($(( $(date +%s) - start )) s)" >&2
      grep -q "WARNING: ThreadSanitizer" "$dir/$t.log" && { grep -A30 "WARNING: ThreadSanitizer" "$dir/$t.log" | head -60 >&2; status=1; }
    done
    exit $status
    ;;
  *) echo "scripts/sanitize.sh: unknown sanitizer $kind (asan or tsan)" >&2; exit 2 ;;
esac
