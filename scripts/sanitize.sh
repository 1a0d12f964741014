#!/usr/bin/env bash
# Sanitizer runs of the test suite (CI runs both: scripts/run_tests.sh).
#   scripts/sanitize.sh asan   ASan+UBSan, the whole suite but the tests labelled release_only (below): every test
#                              program and the cortexloop binary (the Python tests drive it) in the clang build
#                              that the fuzzers share
#                              (scripts/asan_build.sh; $FUZZ_BUILD_DIR, default build-fuzz), then all of ctest.
#                              The test_alloc_* programs are not built there (tests/CMakeLists.txt says why);
#                              python_serve_memory reports itself skipped (it checks glibc's allocator, which
#                              ASan replaces); the Python tests' timeouts are scaled (tests/CMakeLists.txt).
#   scripts/sanitize.sh tsan   TSan, build-tsan: every test program with threads of its own -- the server, the
#                              device loop, the real-time loop, CURVE, the worker pool -- with tests/tsan.supp
#                              (libzmq only: it is not instrumented), nproc of them side by side.
# Both with clang at -O2 (RelWithDebInfo): at -O1 with g++ the long network tests ran 10-15x slower than Release
# and the realtime ones could not keep up (bench/README.md "Fuzzing and sanitizers"). ASan with -march=native
# (scripts/asan_build.sh says why), TSan without (the engine's scalar fallback). Any sanitizer report fails the
# test that triggered it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
kind=${1:?usage: scripts/sanitize.sh asan|tsan}
jobs=$(nproc)
case $kind in
  asan)
    source scripts/asan_build.sh
    dir=${FUZZ_BUILD_DIR:-build-fuzz}
    asan_configure "$dir"
    cmake --build "$dir" -j "$jobs"
    asan_env
    # Skipped here (ctest label release_only, tests/CMakeLists.txt); the Release stage runs them:
    #   python_live_entrainment  234 s under ASan at 68e7471 (17 s in Release), the longest test of the stage.
    #     It repeats 14 times, at N_E = N_I = 2000, what shorter tests run under ASan here: a stepped `serve` of
    #     the network beside the ALN node (python_aln_live), SetStimulation sines (python_sine_simulate_vs_serve),
    #     Reset (test_server_e2e, test_replay); its analysis is Python, which ASan does not see.
    #   python_expensive_commands  15 s under ASan (2.5 s in Release): a timing property of the I/O thread (readouts
    #     keep flowing while it checks expensive commands), whose code the server and codec tests run here.
    #   python_sine_entrainment, python_meanfield_dc_step  13 and 21 s under ASan (run 64): science over seeds (a
    #     spectral peak; the mean field against five 10k-cell runs) through code shorter tests run here: stepped
    #     `serve` with SetStimulation sines (python_sine_simulate_vs_serve) and population DC (test_server_e2e), the
    #     ring alone (test_realtime_loop).
    #   python_external_loop  27-33 s under ASan (runs 64-65): the Python closed loop's phase and lock statistics;
    #     serve, commands and readouts run here in python_client and test_server_e2e.
    #   python_doc_loop  a realtime 10k-cell server for a fixed 4 s of wall time, whose bursts need the ticks a
    #     Release build steps in it; its code paths (serve, stim dc, SetPrograms from Python) run here in
    #     python_client and test_server_e2e, and the doc's loop is Python, which ASan does not see.
    #   python_tool_errors  51 s under ASan (run 73), the longest test of the stage then: the Python tools' messages
    #     on bad input, Python that ASan does not see; the few `simulate` and `serve` runs it makes are ordinary ones
    #     that simulate_cli and python_client run here.
    #   cli_messages  98 s under ASan (run 139, 2026-12-06, on the Intel VM; 40 s in Release), the longest test of the
    #     stage: the CLI's messages on bad input, the config loader's (test_config runs them here, fuzz_config fuzzes
    #     the loader) and CLI11's, and the set-up notes of 100k-cell networks, whose set-up test_network runs here.
    #   python_viewer_live  32 s under ASan (run 139): the viewer is Python; its 200-cell serve is python_client's.
    #   python_bench_tools  31 s in Release since 2026-12-06 (short runs of the latency tools' scripts): Python and
    #     shell around `serve`, whose code python_client runs here, and the measuring programs of bench/.
    #   network_sweep_cli  30 s under ASan (run 139): the network at the paper's points, which
    #     test_cakan_network_states runs here, through `sweep`, whose loop aln_cli runs here on the ALN node.
    #   the offline Python tests (python_plot_tools, python_tool_help, python_client_waits, python_fig6_order and six
    #     shorter ones; tests/CMakeLists.txt lists them): no program of the build runs in them, so under ASan they ran
    #     the same Python again, ~51 of the stage's ~380 test-seconds (run 164).
    # And Catch2 cases by name (their tests are discovered at build time, so they take no label): two are ~30 s
    # under ASan (of a ~590 s stage summed over both cores, run 45) of long Monte-Carlo runs through code that shorter
    # cases run under ASan here:
    #   "EIF Fokker-Planck steady-state rate matches a Monte-Carlo ..."  the solver: the LIF-limit and small-noise
    #     cases; the EIF Monte-Carlo: "ALN cascade table agrees with direct simulation ..."
    #   "the shipped own-fit transfer functions match direct single-cell ..."  the transfer function: the other
    #     [tf] cases; the single-cell simulation grid: "cortexloop fit-tf writes a TOML table ..."
    # And, 31 s under ASan (run 97; 12 s in Release), the third longest of the stage:
    #   "the HH network's steady-state rates match Brian2 ..."  18 s of the 10k-cell HH network; its kernel and update
    #     run here in "single HH cells under DC spike as Brian2's" and "the HH network is bit-identical with 1, 2 and
    #     3 threads", its synapses and drive in the AdEx network's cases.
    # And "the rate-effect experiment matches Brian2 ..." (6 s in Release: 5 points of 100 cells for 10 s): the rules run
    #   here in the closed-form cases, the experiment in "the plasticity grid's results do not depend on the thread count".
    # And, the two longest of the stage in run 140 (2026-12-06, the Intel VM: 27 and 23 s):
    #   "ALN cascade table agrees with direct simulation of one EIF neuron ..."  Monte-Carlo EIF cells at every grid
    #     point; the EIF cell and the table run here in aln_cli and the other [aln] cases.
    #   "steady-state rates match Brian2 within 3 seed SDs ..."  the 10k-cell network at three drives for seconds each;
    #     the network runs here in test_network's and test_network_threads' cases.
    skip='^(EIF Fokker-Planck steady-state rate matches a Monte-Carlo|the shipped own-fit transfer functions match direct single-cell|the HH network.s steady-state rates match Brian2|the rate-effect experiment matches Brian2|ALN cascade table agrees with direct simulation of one EIF neuron|steady-state rates match Brian2 within 3 seed SDs)'
    cd "$dir" && ctest --output-on-failure -j "$jobs" --timeout 900 --label-exclude release_only -E "$skip"
    ;;
  tsan)
    dir=build-tsan
    command -v clang++ >/dev/null || { echo "sanitize.sh: clang++ missing (scripts/install_deps.sh installs it)" >&2; exit 1; }
    source scripts/generator.sh
    generator_args "$dir"
    cmake -S . -B "$dir" "${generator[@]}" "${sanitizer_build_args[@]}" -DCMAKE_CXX_COMPILER=clang++ -DCORTEXLOOP_SANITIZE=thread \
      -DCORTEXLOOP_NATIVE=OFF -DCORTEXLOOP_BUILD_BENCH=OFF >/dev/null
    # The long ones first, so that none starts last: test_network_threads (5 s quiet, 26-114 s at load 10-13) and
    # the two e2e programs (12-25 s); the other two take 1-5 s.
    tests=(test_network_threads test_server_e2e test_device_e2e test_realtime_loop test_server_curve)
    cmake --build "$dir" -j "$jobs" --target "${tests[@]}"
    export TSAN_OPTIONS="suppressions=$root/tests/tsan.supp halt_on_error=1 second_deadlock_stack=1 history_size=4"
    # Up to $jobs programs side by side (as ctest -j runs them in the other stages): one at a time, a core sat idle
    # through most of the stage's 35-45 s of tests (bench/README.md, "Fourth pass (branch `ci3`)").
    tsan_one() {
      local t=$1 start rc=0
      start=$(date +%s)
      # Without their [alloc] cases: clang's TSan runtime owns operator new, so nothing is counted there
      # (tests/alloc_counter.cpp); the Release and ASan runs check them.
      (cd "$root" && "$dir/tests/$t" "~[alloc]") >"$dir/$t.log" 2>&1 || rc=1
      echo "sanitize.sh tsan: $t $(tail -n 3 "$dir/$t.log" | grep -E 'passed|failed' | head -1) ($(( $(date +%s) - start )) s)" >&2
      if grep -q "WARNING: ThreadSanitizer" "$dir/$t.log"; then
        grep -A30 "WARNING: ThreadSanitizer" "$dir/$t.log" | head -60 >&2; rc=1
      elif ((rc)); then
        tail -n 40 "$dir/$t.log" >&2
      fi
      echo "$rc" >"$dir/$t.rc"
    }
    for t in "${tests[@]}"; do
      rm -f "$dir/$t.rc"
      while (( $(jobs -rp | wc -l) >= jobs )); do wait -n || true; done
      tsan_one "$t" &
    done
    wait
    # Each program's status is in its .rc file (a job reaped by `wait -n` no longer gives it to `wait`).
    status=0
    for t in "${tests[@]}"; do [[ $(cat "$dir/$t.rc" 2>/dev/null) == 0 ]] || status=1; done
    exit $status
    ;;
  *) echo "scripts/sanitize.sh: unknown sanitizer $kind (asan or tsan)" >&2; exit 2 ;;
esac
