#!/usr/bin/env bash
# Regenerates the figures of docs/closed_loop.md with exactly the tutorial's commands. Run from the repository's
# root after scripts/build.sh:  docs/images/closed_loop_tutorial.sh [OUT_DIR]
# Without OUT_DIR: the recordings in out/tutorial and the figures in docs/images/; with OUT_DIR, all in OUT_DIR,
# nothing written in the clone (it overwrote docs/images/*.png whatever OUT_DIR said: an outside audit, 2026-12-07).
#   1 closed_loop_pi.png: an on-device PI clamp (realtime) holds the network's excitatory rate at 5 Hz, then 8 Hz;
#   2 closed_loop_external.png: the same loop run outside the server in Python (tools/python/examples/pi_clamp.py).
set -euo pipefail
OUT=${1:-out/tutorial}
PNG_DIR=docs/images
[ $# -ge 1 ] && PNG_DIR=$OUT
source "$(dirname "$0")/out_dir.sh"
fresh_out_dir "$OUT"
seal_out_dir_on_exit "$OUT"
build/cortexloop serve --config configs/closed_loop.toml --pub 'tcp://127.0.0.1:*' --commands 'tcp://127.0.0.1:*' \
    --endpoints-file "$OUT/endpoints" 2> "$OUT/serve.log" &
SERVE=$!
seal_out_dir_on_exit "$OUT" 'kill -INT $SERVE 2>/dev/null || true'
# Ports the system picks (a fixed pair failed when another server held it): serve writes them once bound.
serve_started $SERVE "$OUT/endpoints" "$OUT/serve.log"
PUB=$(awk '$1 == "pub" {print $2}' "$OUT/endpoints") CMD=$(awk '$1 == "commands" {print $2}' "$OUT/endpoints")
build/cortexloop record --out "$OUT/pi" --sync --config configs/closed_loop.toml --pub $PUB --commands $CMD -q \
    2> "$OUT/record.log" &
RECORD=$!
until grep -q "record: subscribed" "$OUT/record.log"; do sleep 0.1; done
sleep 1
build/cortexloop stim controller --slot 0 --kind pi_clamp --sensing 0 --feature envelope --target 5 --kp 5 --ki 100 \
    --output-max 300 --channel 0 --commands $CMD
sleep 4
build/cortexloop stim controller --slot 0 --kind pi_clamp --sensing 0 --feature envelope --target 8 --kp 5 --ki 100 \
    --output-max 300 --channel 0 --commands $CMD
sleep 4
build/cortexloop stim clear-controller --all --commands $CMD
build/cortexloop stim clear --all --commands $CMD
sleep 1
kill -INT $RECORD && wait $RECORD
PYTHONPATH=build/python:tools/python /usr/bin/python3 -m cortexloop_client.plot "$OUT/pi" --out "$PNG_DIR/closed_loop_pi.png" \
    --dpi 100 --title "On-device PI clamp of the network's excitatory rate (targets 5 Hz, then 8 Hz), realtime"
kill -INT $SERVE && wait $SERVE || true
seal_out_dir_on_exit "$OUT"
PYTHONPATH=build/python:tools/python /usr/bin/python3 tools/python/examples/pi_clamp.py --png "$PNG_DIR/closed_loop_external.png"
seal_out_dir "$OUT"
