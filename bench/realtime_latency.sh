#!/usr/bin/env bash
# End-to-end latency of the real-time server on this machine: starts `cortexloop serve` (default config
# unless --config is among the serve flags), lets it settle, runs `cortexloop probe` for DURATION seconds,
# stops the server with SIGTERM and leaves the probe's figures in OUT.json and the server's log in OUT.log.
#   bench/realtime_latency.sh DURATION OUT [serve flags...]
#   bench/realtime_latency.sh 600 out/bench/rt_default
#   bench/realtime_latency.sh 60 out/bench/rt_pinned --cpu 1 --mlock --fifo 80 --spin-us 50
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:?duration in seconds}; out=${2:?output path without extension}; shift 2
mkdir -p "$(dirname "$out")"
build/cortexloop serve "$@" >"$out.log" 2>&1 &
server=$!
trap 'kill -TERM $server 2>/dev/null || true' EXIT
sleep 3   # engine construction and the drive's ramp
echo "realtime_latency: $(date -u +%FT%TZ), load: $(cut -d' ' -f1-3 /proc/loadavg), serve $*" | tee "$out.txt"
build/cortexloop probe --duration "$duration" --json "$out.json" | tee -a "$out.txt"
kill -TERM $server
wait $server || true
trap - EXIT
tail -n 2 "$out.log" | tee -a "$out.txt"
