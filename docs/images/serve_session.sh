#!/usr/bin/env bash
# Regenerates docs/images/serve_session.png (bench/README.md): a session on configs/closed_loop.toml recorded by
# `cortexloop record` and drawn by cortexloop_client.plot. Stepped mode, so the figure does not depend on the
# machine's load. Run from the repository's root after scripts/build.sh:  docs/images/serve_session.sh [OUT_DIR]
# Without OUT_DIR: the recording in out/session and the figure in docs/images/serve_session.png; with OUT_DIR, both in
# OUT_DIR, nothing written in the clone (it overwrote docs/images/serve_session.png whatever OUT_DIR said: an outside
# audit, 2026-12-07).
#   - the config's afferent (sensory) stimulus reaches the ring at 18 mm at 300 ms (the spiking network's patch);
#   - an on-device Responsive controller (slot 0) watches sensing 2, the ring's VSDi at 9 mm, and when it rises
#     past 2 % loads a burst of 5 biphasic pulses (300 uA, 200 us per phase, 100 Hz) on channel 2 through
#     electrode 0, above the network at 18 mm; refractory 500 ms;
#   - from 800 ms, a 10 Hz, 20 uA sine (tACS-like) for 500 ms on channel 1 through electrode 1, above the ring at
#     9 mm. A sine carries net charge within each half cycle, so the session raises the net-charge limit on
#     purpose (device.safety.max_net_charge_nC, docs/device.md "Safety").
set -euo pipefail
OUT=${1:-out/session}
PNG_DIR=docs/images
[ $# -ge 1 ] && PNG_DIR=$OUT
SET=(--set device.safety.max_net_charge_nC=1000)
source "$(dirname "$0")/out_dir.sh"
fresh_out_dir "$OUT"
seal_out_dir_on_exit "$OUT"
build/cortexloop serve --config configs/closed_loop.toml "${SET[@]}" --mode stepped --seed 1 --pub 'tcp://127.0.0.1:*' \
    --commands 'tcp://127.0.0.1:*' --endpoints-file "$OUT/endpoints" &
SERVE=$!
seal_out_dir_on_exit "$OUT" 'kill -TERM $SERVE 2>/dev/null || true'
# Ports the system picks (a fixed pair failed when another server held it): serve writes them once bound.
serve_started $SERVE "$OUT/endpoints"
PUB=$(awk '$1 == "pub" {print $2}' "$OUT/endpoints") CMD=$(awk '$1 == "commands" {print $2}' "$OUT/endpoints")
# --sync: record sends GetInfo (which applies nothing) until its subscription is live, then prints "record: subscribed".
build/cortexloop record --out "$OUT" --spikes --sync --config configs/closed_loop.toml "${SET[@]}" \
    --pub $PUB --commands $CMD -q 2> "$OUT/record.log" &
RECORD=$!
until grep -q "record: subscribed" "$OUT/record.log"; do sleep 0.1; done
PYTHONPATH=build/python:tools/python PUB=$PUB CMD=$CMD /usr/bin/python3 - <<'PY'
import os
from cortexloop_client import Client
from cortexloop_client.client import Program, Site

c = Client(os.environ["CMD"], os.environ["PUB"])
assert c.sync(), "no server"

def ok(seq):
    ack = c.wait_ack(seq, 10)
    assert ack is not None and ack.accepted, ack and ack.reason
    return ack

def step_to(last_tick):  # advance and wait for that tick's readout
    ok(c.step(last_tick + 1 - step_to.next))
    while True:
        m = c.receive(5.0)
        assert m is not None, "no readout"
        if m[1] == "readout" and m[2]["tick"] == last_tick:
            break
    step_to.next = last_tick + 1
step_to.next = 0

burst = Program("pulse_train", 300.0, frequency_hz=100.0, phase_width_us=200, pulses_per_burst=5,
                burst_period_us=1_000_000, n_bursts=1)
ok(c.set_controller(0, "responsive", 2, burst, Site("electrode", electrode=0), sensing_channel=2, feature="raw",
                    threshold=2.0, rising=True, refractory_us=500_000, start_tick=0))
ok(c.set_programs([(1, Site("electrode", electrode=1), Program("sine", 20.0, frequency_hz=10.0, duration_us=500_000))],
                  start_tick=800))
step_to(1599)
c.close()
PY
sleep 1
kill -INT $RECORD
wait $RECORD
PYTHONPATH=build/python:tools/python /usr/bin/python3 -m cortexloop_client.plot "$OUT" --out "$PNG_DIR/serve_session.png" --dpi 110 \
    --title "cortexloop serve, configs/closed_loop.toml (stepped), recorded by cortexloop record"
seal_out_dir "$OUT"
