#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, clang, ASan+UBSan; scripts/asan_build.sh) in ./build-fuzz and runs each of them.
#   scripts/fuzz.sh            20 s per target (CI runs scripts/fuzz.sh 10: scripts/run_tests.sh)
#   scripts/fuzz.sh 300        300 s per target
#   scripts/fuzz.sh 10000000r  10^7 inputs per target (the long run of bench/README.md)
# Environment: FUZZ_TARGETS="command config program" (which to run), FUZZ_PARALLEL (targets run side by side,
# default nproc), FUZZ_JOBS (libFuzzer -fork, default 1),
# FUZZ_BUILD_DIR (default build-fuzz), FUZZ_TIMEOUT (s per input, default 120: one input takes ms, but on a
# shared 2-core machine at load 20 a run was once descheduled for 35 s and libFuzzer called it a hang). Corpora grow in $FUZZ_BUILD_DIR/corpus/<target> (seeded from valid
# messages and configs/*.toml); a crash leaves crash-* / leak-* / timeout-* files in $FUZZ_BUILD_DIR/artifacts
# and makes this script fail. Reproduce one with: build-fuzz/fuzz/fuzz_<target> <file> (from configs/).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
budget=${1:-20}
build=${FUZZ_BUILD_DIR:-build-fuzz}
targets=${FUZZ_TARGETS:-command config program}
# The build is shared with the sanitized suite (scripts/sanitize.sh asan): only the fuzz targets are built here.
source scripts/asan_build.sh
asan_configure "$build"
build_targets=(cortexloop_fuzz_seeds)
for t in $targets; do build_targets+=("fuzz_$t"); done
cmake --build "$build" -j "$(nproc)" --target "${build_targets[@]}"

abs_build=$(cd "$build" && pwd)
mkdir -p "$abs_build/artifacts"
"$abs_build/fuzz/cortexloop_fuzz_seeds" "$abs_build/corpus/command" >/dev/null
mkdir -p "$abs_build/corpus/config" "$abs_build/corpus/program"
cp configs/*.toml "$abs_build/corpus/config/"
# Inputs that once found a bug (fuzz/regressions/<target>/, see fuzz/README.md) stay in the corpus: each run
# replays them first.
for t in command program; do cp fuzz/regressions/$t/* "$abs_build/corpus/$t/"; done
# fuzz_program builds its (site, program) from the bytes: any bytes are a seed; a few fixed ones start it off.
for i in 0 1 2 3; do printf '\x02\x00\x02\x01\x05\x0a\x00\x64\x00\x00\x00\x32\x01\x01\x00\x05%02d' "$i" \
  >"$abs_build/corpus/program/seed_$i"; done

if [[ $budget == *r ]]; then limit=(-runs="${budget%r}"); else limit=(-max_total_time="$budget"); fi
asan_env
# One target runs on one core: up to FUZZ_PARALLEL targets (default nproc) run side by side, each still for the
# whole budget (on CI's 2 cores: command and config together, then program: 40 s instead of 60).
parallel=${FUZZ_PARALLEL:-$(nproc)}
fuzz_one() {
  local t=$1 log="$abs_build/fuzz_$1.log" start rc runs
  echo "fuzz.sh: fuzz_$t (${limit[*]})" >&2
  start=$(date +%s)
  if "$abs_build/fuzz/fuzz_$t" "${limit[@]}" -max_len=8192 -timeout="${FUZZ_TIMEOUT:-120}" -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$abs_build/artifacts/${t}-" ${FUZZ_JOBS:+-fork=$FUZZ_JOBS} \
      "$abs_build/corpus/$t" >"$log" 2>&1; then
    rc=0
  else
    rc=$?
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 || true)
  echo "fuzz.sh: fuzz_$t exit $rc, ${runs:-?} inputs in $(( $(date +%s) - start )) s, corpus $(ls "$abs_build/corpus/$t" | wc -l) files (log $log)" >&2
  ((rc == 0)) || tail -n 40 "$log" >&2
  echo "$rc" >"$abs_build/fuzz_$t.rc"
}
# From configs/, so that a fuzzed config's `base = "default.toml"` resolves as for a file there.
cd "$root/configs"
for t in $targets; do
  rm -f "$abs_build/fuzz_$t.rc"
  while (( $(jobs -rp | wc -l) >= parallel )); do wait -n || true; done
  fuzz_one "$t" &
done
wait
# Each run's exit status is in its .rc file (a job reaped by `wait -n` no longer gives it to `wait`).
status=0
for t in $targets; do [[ $(cat "$abs_build/fuzz_$t.rc" 2>/dev/null) == 0 ]] || status=1; done
exit $status
