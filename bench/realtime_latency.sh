#!/usr/bin/env bash
# End-to-end latency of the real-time server on this machine, next to its peers in the same run:
#   1 cyclictest (Debian rt-tests) for DURATION s: wake-up latency of a thread that does nothing, with the
#     serve flags' CPU, SCHED_FIFO priority and mlockall but no --spin-us (it sleeps to each deadline; it has no
#     option to spin) -- the machine's floor for tick lateness;
#   2 bench/pubsub_floor for DURATION s: a bare ZeroMQ PUB -> SUB pair -- the floor for publish -> receive;
#   3 `cortexloop serve` (default config unless --config is among the serve flags), settle 3 s, then
#     `cortexloop probe` for DURATION s, then SIGTERM.
# The phases run one after another, not at the same time: a ratio of the server to a peer compares minutes the
# machine's noise may have changed between.
# Leaves OUT.json (probe), OUT.log (server), OUT.threads.json (CPU of each server thread during the probe),
# OUT.cyclictest.txt, OUT.floor.json and OUT.txt (the report of bench/realtime_report.py, server over peers); its
# scratch files (the checks' logs, the threads' first snapshot, pubsub_floor's stderr) in a temporary folder it
# removes. OUT is a path prefix: a folder (OUT=DIR or DIR/) is refused. A refused run writes none of OUT's files.
# Exit 0; 5 when the probe lost or refused commands (the report is still written and says so; its latencies miss
# those commands); another probe code when it measured nothing; 1 or 2 when the run could not start; 143 (130) on
# SIGTERM (SIGINT), every program it started ended with it.
#   bench/realtime_latency.sh DURATION OUT [serve flags...]
#   bench/realtime_latency.sh 600 out/bench/rt_10min --fifo 80 --cpu 1 --mlock --spin-us 100
#   bench/realtime_latency.sh 60 out/bench/rt_stock          # stock scheduling: no pinning, SCHED_OTHER
# PEERS=0 skips phases 1 and 2 (OUT.txt says so, with the server's figures and the settings it was refused).
# cyclictest sets a scheduling policy even for SCHED_OTHER, which needs CAP_SYS_NICE or an rtprio limit (root, or
# ulimit -r 90 where the hard limit allows it): without either the script stops before the run and says so; PEERS=0
# measures the server alone. FLOOR_ENDPOINT (default tcp://127.0.0.1:5599) is pubsub_floor's endpoint: give each
# of two runs at the same time its own (one pubsub_floor cannot bind is refused before the run, as the serve flags).
# A relative OUT is taken from the current folder.
set -euo pipefail
# The checkout's tools by their full path, the run in the caller's folder: a relative OUT (or --config) is the
# caller's, not the checkout's (the script changed to the checkout and wrote out/... there; an outside check,
# 2026-12-06).
root=$(cd "$(dirname "$0")/.." && pwd)
usage() { sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; }
if [[ ${1:-} == -h || ${1:-} == --help ]]; then usage; exit 0; fi
if [[ $# -lt 2 ]]; then usage >&2; exit 2; fi
duration=$1; out=$2; shift 2
# cyclictest -D takes whole seconds; "abc" made it run forever (an outside check, 2026-12-05).
[[ $duration =~ ^[1-9][0-9]*$ ]] || { echo "realtime_latency: DURATION = '$duration': a whole number of seconds >= 1" >&2; exit 2; }
# OUT names files, not a folder: `realtime_latency.sh 2 DIR` wrote DIR.txt, DIR.json ... beside DIR, and DIR/ the
# hidden DIR/.txt (an outside audit).
if [[ $out == */ || -d $out ]]; then
  echo "realtime_latency: OUT = '$out': is a folder; OUT is a path prefix for the run's files (e.g. ${out%/}/rt ->" \
       "${out%/}/rt.txt, ${out%/}/rt.json ...)" >&2
  exit 2
fi

# Every program started is ended with the script, on SIGTERM and SIGINT too: the EXIT trap stopped the server only,
# and a `cortexloop probe` (phase 3) or `cyclictest -D DURATION` (phase 1) in the foreground lingered after a
# SIGTERM (an outside audit). A foreground child holds off bash's traps until it ends: each runs in the background
# and is waited for (run_fg), so that a signal is handled at once. pubsub_floor's publisher ends with its parent.
scratch=$(mktemp -d "${TMPDIR:-/tmp}/realtime_latency.XXXXXX")
fg_pid=""; server=""; made_folder=""; started=0
cleanup() {
  # The foreground program first, then the server: a stopped probe clears its stimulation channel on the server.
  local pid
  for pid in $fg_pid $server; do
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf -- "$scratch"
  # A folder of OUT's path this run made is removed when the run was refused (while it is empty).
  if [[ -n $made_folder && $started == 0 ]]; then
    local d=$folder
    while rmdir -- "$d" 2>/dev/null && [[ $d != "$made_folder" ]]; do d=$(dirname -- "$d"); done
  fi
}
trap cleanup EXIT
trap 'exit 143' TERM  # the EXIT trap ends the children
trap 'exit 130' INT
run_fg() {
  "$@" &
  fg_pid=$!
  local rc=0
  wait "$fg_pid" || rc=$?
  fg_pid=""
  return "$rc"
}

# The output path first: an unwritable OUT was reported as "the serve flags do not start a server" (the check's
# log could not be written; an outside check, 2026-12-05). Probed with a file of its own, removed at once: `: >OUT.txt`
# emptied the last run's report even when this run was then refused (an outside audit). OUT's files are written
# only once every check has passed.
folder=$(dirname -- "$out")
if [[ ! -d $folder ]]; then
  top=$folder
  while [[ ! -e $(dirname -- "$top") ]]; do top=$(dirname -- "$top"); done
  mkdir -p -- "$folder" 2>/dev/null && made_folder=$top
fi
if ! probe=$(mktemp -- "$folder/.realtime_latency.XXXXXX" 2>/dev/null) || ! rm -f -- "$probe"; then
  echo "realtime_latency: OUT = '$out': cannot write $out.txt (OUT is a path prefix in a writable folder)" >&2
  exit 2
fi
cortexloop=$root/build/cortexloop
for tool in "$cortexloop" "$root/build/bench/pubsub_floor"; do
  # scripts/run_tests.sh configures build/ without the benchmarks, and build.sh keeps what the tree was given.
  [[ -x $tool ]] || { echo "realtime_latency: $tool missing; run scripts/build.sh -DCORTEXLOOP_BUILD_BENCH=ON first" >&2; exit 1; }
done

# The peers get the real-time thread's settings. serve takes "--fifo 80" and "--fifo=80" alike: the "=" forms were
# not read here, and the peers ran unpinned under SCHED_OTHER beside a server pinned under SCHED_FIFO 80, their
# ratios printed all the same (an outside check, 2026-12-06).
cpu=""; fifo=0; mlock=0; spin_us=""
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case ${args[i]} in
    --cpu) cpu=${args[i + 1]:-} ;;
    --cpu=*) cpu=${args[i]#--cpu=} ;;
    --fifo) fifo=${args[i + 1]:-} ;;
    --fifo=*) fifo=${args[i]#--fifo=} ;;
    --mlock) mlock=1 ;;
    --spin-us) spin_us=${args[i + 1]:-} ;;
    --spin-us=*) spin_us=${args[i]#--spin-us=} ;;
    --mlock=*|--rt=*)  # serve reads a value there (true, false, 0, 1 ...): the flag alone says what the peers get
      echo "realtime_latency: ${args[i]}: give ${args[i]%%=*} without a value (or leave it out)" >&2; exit 2 ;;
    --rt) if [[ ${PEERS:-1} != 0 ]]; then
            echo "realtime_latency: give --rt's settings explicitly (--fifo 80 --cpu N --mlock --spin-us 100) so that" \
                 "the peers run with the same ones" >&2; exit 2
          fi ;;
  esac
done

# serve runs unpinned on a CPU it cannot use (and says so only in its status): the figures would be labelled pinned.
if [[ -n $cpu ]] && ! taskset -c "$cpu" true 2>/dev/null; then
  echo "realtime_latency: --cpu $cpu: not a CPU this process may use (allowed: $(taskset -pc $$ | sed 's/.*: //'))" >&2
  exit 2
fi
# The serve flags are checked before the peers' 2 x DURATION (a typo was found only in phase 3): a server built from
# them runs 10 ms, on ports of its own unless the flags name some.
check=("$cortexloop" serve "$@" --duration 0.01 -q)
[[ " $* " == *" --pub"* ]] || check+=(--pub "tcp://127.0.0.1:*")
[[ " $* " == *" --commands"* ]] || check+=(--commands "tcp://127.0.0.1:*")
if ! run_fg "${check[@]}" >"$scratch/check.log" 2>&1; then
  echo "realtime_latency: the serve flags do not start a server ($*):" >&2
  tail -n 5 "$scratch/check.log" >&2
  exit 2
fi

if [[ ${PEERS:-1} != 0 ]]; then
  command -v cyclictest >/dev/null || { echo "realtime_latency: cyclictest missing (apt-get install -y rt-tests)" >&2; exit 1; }
  if ((fifo > 0)); then policy=(--policy=fifo -p "$fifo"); else policy=(--policy=other); fi  # -p 0 would mean FIFO 2
  cyc=(-t1 -i 1000 -h 20000 -q "${policy[@]}")
  [[ -n $cpu ]] && cyc+=(-a "$cpu")
  [[ $mlock == 1 ]] && cyc+=(-m)
  # Two wake-ups with the run's settings, before anything runs: cyclictest sets its policy even for SCHED_OTHER,
  # which needs CAP_SYS_NICE or an rtprio limit; without them the script ended in cyclictest's own "Unable to change
  # scheduling policy!", exit 1, and no word of what to do (an outside check, 2026-12-06).
  if ! run_fg cyclictest "${cyc[@]}" -l 2 >/dev/null 2>"$scratch/check.log"; then
    if grep -q "Unable to change scheduling policy" "$scratch/check.log"; then
      echo "realtime_latency: cyclictest may not set its scheduling policy (${policy[*]}; it sets one even for" \
           "SCHED_OTHER): it needs CAP_SYS_NICE or an rtprio limit (run as root, or ulimit -r 90 where the hard limit" \
           "allows it); PEERS=0 measures the server alone, without the peers" >&2
    else
      echo "realtime_latency: cyclictest ${cyc[*]} -l 2 failed:" >&2
      tail -n 5 "$scratch/check.log" >&2
    fi
    exit 1
  fi
  # pubsub_floor's endpoint, before phase 1's DURATION: a taken port was found only in phase 2 (an outside audit). A
  # short run on it (its bind, ~0.6 s), without the run's scheduling: what it is refused of that it says in phase 2.
  floor_endpoint=${FLOOR_ENDPOINT:-tcp://127.0.0.1:5599}
  if ! run_fg "$root/build/bench/pubsub_floor" --duration 0.01 --endpoint "$floor_endpoint" >/dev/null \
      2>"$scratch/check.log"; then
    echo "realtime_latency: FLOOR_ENDPOINT = '$floor_endpoint': pubsub_floor cannot run on it (give another," \
         "FLOOR_ENDPOINT=tcp://127.0.0.1:PORT): $(paste -sd ';' "$scratch/check.log")" >&2
    exit 2
  fi
fi

started=1
echo "realtime_latency: $(date -u +%FT%TZ), load: $(cut -d' ' -f1-3 /proc/loadavg), serve $*" | tee "$out.txt"
floor_err=$scratch/floor.err
: >"$floor_err"
if [[ ${PEERS:-1} != 0 ]]; then
  cyc+=(-D "$duration")
  echo "phase 1/3: cyclictest ${cyc[*]}"
  run_fg cyclictest "${cyc[@]}" >"$out.cyclictest.txt"
  floor=(--duration "$duration" --json "$out.floor.json" --fifo "$fifo" --endpoint "$floor_endpoint")
  [[ -n $cpu ]] && floor+=(--cpu "$cpu")
  [[ $mlock == 1 ]] && floor+=(--mlock)
  echo "phase 2/3: pubsub_floor ${floor[*]}"
  # What it was refused (SCHED_FIFO, a CPU, mlockall) it says on stderr and runs on: kept for the report.
  run_fg "$root/build/bench/pubsub_floor" "${floor[@]}" 2>"$floor_err" || { cat "$floor_err" >&2; exit 1; }
  cat "$floor_err" >&2
else
  echo "phases 1 and 2 skipped (PEERS=0): no cyclictest, no pubsub_floor" | tee -a "$out.txt"
fi

echo "phase 3/3: cortexloop serve $* + cortexloop probe --duration $duration"
"$cortexloop" serve "$@" >"$out.log" 2>&1 &
server=$!
run_fg sleep 3   # engine construction and the drive's ramp
if ! kill -0 $server 2>/dev/null; then
  echo "realtime_latency: the server exited; its log ($out.log) ends:" >&2
  tail -n 5 "$out.log" >&2
  exit 1
fi
/usr/bin/python3 "$root/bench/thread_cpu.py" snapshot $server >"$scratch/threads_before.json"
# The probe talks to the server started above: its --pub/--commands, when given, else serve's defaults (the probe
# went to 5555/5556 whatever serve was told, measuring whichever server sat there: an outside check, 2026-12-04).
endpoints=()
args=("$@")
for ((i = 0; i < ${#args[@]}; ++i)); do
  case ${args[i]} in
    --pub|--commands) endpoints+=("${args[i]}" "${args[i + 1]:-}"); ((++i)) ;;
    --pub=*|--commands=*) endpoints+=("${args[i]}") ;;
  esac
done
# A lost or refused probe command is exit 5 with the figures written: the run goes on to the report and ends with
# that code (set -e stopped here, leaving OUT.txt with its header only: an outside check, 2026-12-05).
probe_rc=0
run_fg "$cortexloop" probe "${endpoints[@]}" --duration "$duration" --json "$out.json" || probe_rc=$?
/usr/bin/python3 "$root/bench/thread_cpu.py" report $server "$scratch/threads_before.json" --json "$out.threads.json" | tee -a "$out.txt"
kill -TERM $server
wait $server || true
server=""
tail -n 2 "$out.log"
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out.txt"
if ((probe_rc != 0 && probe_rc != 5)); then
  echo "realtime_latency: the probe exited $probe_rc and measured nothing (see above); no report" | tee -a "$out.txt" >&2
  exit "$probe_rc"
fi
# The peers' settings go to the report, which sets them beside the ones the server got (its status): a ratio to
# peers that ran otherwise is said to be one. Without the peers, the server's figures and settings alone.
report=(--spin-us "${spin_us:-0}" --peer-fifo "$fifo" --peer-cpu "${cpu:--1}")
[[ $mlock == 1 ]] && report+=(--peer-mlock)
[[ -s $floor_err ]] && report+=(--peer-note "pubsub_floor: $(paste -sd ';' "$floor_err")")
[[ ${PEERS:-1} != 0 ]] || report=(--spin-us "${spin_us:-0}" --no-peers)
if ! /usr/bin/python3 "$root/bench/realtime_report.py" "$out" "${report[@]}" | tee -a "$out.txt"; then
  echo "realtime_latency: bench/realtime_report.py failed (above); the phases' files are kept under $out.*" >&2
  ((probe_rc != 0)) || probe_rc=1
fi
if ((probe_rc == 5)); then
  echo "realtime_latency: the probe lost or refused commands (exit 5; counts in $out.json, 'lost' and 'refused'):" \
       "its latencies leave those commands out" | tee -a "$out.txt" >&2
fi
exit "$probe_rc"
