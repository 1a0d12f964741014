#!/usr/bin/python3
"""The 20k-neuron Cakan & Obermayer 2020 network, 6 s: Brian2 C++ standalone vs cortexloop, one core each, one run.

Run (from the repository root, after building cortexloop; ~5 min):
    /usr/bin/python3 bench/brian2_vs_cortexloop_cakan.py [--point A1] [--duration 6] [--cpu 1] [--json FILE]
Prints both times, the ratio Brian2/cortexloop and both mean E/I rates over [1 s, duration] (sanity check).
cortexloop runs --repeats times (default 3), half just before Brian2's binary and half just after it; its figures
are the medians of those runs (each run's wall time and ratio are listed too).

(a) Brian2 2.5 C++ standalone, 1 thread, the network built by tests/reference/brian2_cakan_network.py from
    configs/cakan2020/network.toml (the authors' equations, method 'heun'); compiled first (not timed), then the
    binary is run pinned with `taskset -c CPU ./main`. "loop" is Brian2's own timer around the simulation loop
    (device._last_run_time), "binary" the wall time of the whole binary (adds synapse creation and output).
(b) `taskset -c CPU build/cortexloop simulate --config configs/cakan2020/network.toml --duration S --set ...`:
    `wall_s` (stepping loop) and `rank_loop_cpu_s` (its CPU time) of summary.json.
Both: the user + system CPU time of the whole binary (getrusage of the waited-for children), set-up included; on a
machine others load, a pinned process waits for its CPU and wall times grow, CPU times much less.
"""
import argparse
import json
import math
import os
import pathlib
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "reference"))
import brian2_cakan_network as ref  # noqa: E402
from bench_args import json_safe, output_file  # noqa: E402


RATE_START_S = 1.0  # the mean rates are taken over [RATE_START_S, duration]


def children_cpu_s():
    """User + system CPU seconds of the waited-for child processes so far (the binaries run by subprocess)."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_brian2(cfg, duration, cpu, tmp, before_run=lambda: None):
    import brian2 as b2
    project = str(tmp / "brian2")
    b2.set_device("cpp_standalone", directory=project, build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = 0
    b2.prefs.devices.cpp_standalone.run_cmd_unix = ["taskset", "-c", str(cpu), "./main"]
    b2.seed(1)
    objs = ref.build_network(cfg, np.random.default_rng(1))
    b2.Network(*objs.values()).run(duration * b2.second)
    b2.device.build(directory=project, compile=True, run=False)
    before_run()
    before = children_cpu_s()
    b2.device.run(project, with_output=False, run_args=[])
    binary_cpu_s = children_cpu_s() - before
    loop_s = float(b2.device._last_run_time)
    binary_s = float(b2.device.timers["run_binary"])
    re = np.asarray(objs["rate_e"].rate / b2.Hz)
    ri = np.asarray(objs["rate_i"].rate / b2.Hz)
    k0 = int(round(RATE_START_S * 1000 / float(cfg["simulation"]["dt_ms"])))
    return loop_s, binary_s, binary_cpu_s, float(re[k0:].mean()), float(ri[k0:].mean())


def run_cortexloop(binary, sets, duration, cpu, tmp):
    out = tmp / "cortexloop"
    cmd = ["taskset", "-c", str(cpu), binary, "simulate", "--config", str(ref.DEFAULT_CONFIG), "--out", str(out),
           "--duration", str(duration), "-q"]
    for s in sets:
        cmd += ["--set", s]
    before = children_cpu_s()
    subprocess.run(cmd, check=True)
    process_cpu_s = children_cpu_s() - before
    summary = json.loads((out / "summary.json").read_text())
    r = np.load(out / "rates.npy")  # a row per 1 ms tick
    k0 = int(round(RATE_START_S * 1000))
    return (summary["wall_s"], summary["rank_loop_cpu_s"][0], process_cpu_s, float(r[k0:, 0].mean()),
            float(r[k0:, 1].mean()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1], epilog=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--point", default="A1", choices=sorted(ref.POINTS),
                    help="the paper's point of interest to run (default %(default)s)")
    ap.add_argument("--set", dest="sets", action="append", default=[], help="extra overrides, both simulators")
    ap.add_argument("--duration", type=float, default=6.0, help="simulated seconds (default %(default)s)")
    ap.add_argument("--cpu", type=int, default=1,
                    help="the core both simulators are pinned to (taskset -c; default %(default)s)")
    ap.add_argument("--binary", default=str(REPO / "build" / "cortexloop"),
                    help="cortexloop executable (default build/cortexloop)")
    ap.add_argument("--repeats", type=int, default=3,
                    help="cortexloop runs, half just before Brian2's run and half just after; the ratios are taken "
                         "against their medians (default %(default)s)")
    ap.add_argument("--json", help="also write the results to this file")
    args = ap.parse_args()
    # Everything the run needs, checked before its minutes of Brian2 (a missing --binary was a CalledProcessError
    # traceback after Brian2's build, --duration 0.2 two NaN rates and exit 0: an outside audit); one line, exit 2.
    if args.repeats < 1:
        ap.error("--repeats must be >= 1")
    if not (math.isfinite(args.duration) and args.duration > RATE_START_S):
        ap.error(f"--duration {args.duration:g}: must be more than {RATE_START_S:g} s (the mean rates, the sanity "
                 f"check, are taken over [{RATE_START_S:g} s, duration])")
    if os.path.isdir(args.binary):
        ap.error(f"--binary {args.binary}: is a folder; give the cortexloop executable (e.g. "
                 f"{os.path.join(args.binary, 'cortexloop')})")
    if not os.access(args.binary, os.X_OK):
        ap.error(f"--binary {args.binary}: no such executable (the cortexloop binary; build it first: "
                 "scripts/build.sh)")
    if args.cpu not in os.sched_getaffinity(0):
        ap.error(f"--cpu {args.cpu}: not a CPU this process may use ({sorted(os.sched_getaffinity(0))})")
    if args.json:
        output_file(ap, "--json", args.json)
    sets = args.sets + ref.point_sets(args.point)
    cfg = ref.load_config(ref.DEFAULT_CONFIG, sets)
    load_before = pathlib.Path("/proc/loadavg").read_text().split()[:3]
    with tempfile.TemporaryDirectory(prefix="cakan_bench_") as d:
        tmp = pathlib.Path(d)
        runs = []

        def cortexloop_runs(k):
            for _ in range(k):
                runs.append(run_cortexloop(args.binary, sets, args.duration, args.cpu, tmp))
                print(f"cortexloop run {len(runs)} of {args.repeats}: {runs[-1][0]:.2f} s wall", file=sys.stderr,
                      flush=True)
            if len(runs) < args.repeats:
                print(f"Brian2's binary running ({args.duration:g} s simulated) ...", file=sys.stderr, flush=True)
        # Ours before and after Brian2's run: this VM changes speed level (~1.4x) from time to time, and a single
        # run of ours (~2 s) against Brian2's ~70 s took whichever level held at that instant.
        # Progress on stderr: the whole run takes minutes, most of them Brian2's code generation and compilation.
        print(f"Brian2 C++ standalone ({args.point}): building and compiling, ~1-3 min ...", file=sys.stderr, flush=True)
        b_loop, b_bin, b_bin_cpu, b_e, b_i = run_brian2(cfg, args.duration, args.cpu, tmp,
                                                        lambda: cortexloop_runs((args.repeats + 1) // 2))
        cortexloop_runs(args.repeats // 2)
    c_wall, c_cpu, c_proc_cpu = (float(np.median([r[k] for r in runs])) for k in range(3))
    c_e, c_i = runs[0][3], runs[0][4]  # the same every run (same seed)
    load_after = pathlib.Path("/proc/loadavg").read_text().split()[:3]
    out = {"point": args.point, "duration_s": args.duration, "n_neurons": cfg["network"]["n_neurons"],
           "cortexloop_wall_s": c_wall, "cortexloop_loop_cpu_s": c_cpu,
           "cortexloop_wall_s_runs": [r[0] for r in runs], "ratio_loop_over_wall_runs": [b_loop / r[0] for r in runs],
           "brian2_loop_s": b_loop,
           "brian2_binary_s": b_bin, "ratio_loop_over_wall": b_loop / c_wall,
           # CPU time of each whole binary (set-up included), which waiting for a loaded CPU does not inflate.
           "cortexloop_process_cpu_s": c_proc_cpu, "brian2_binary_cpu_s": b_bin_cpu,
           "ratio_process_cpu": b_bin_cpu / c_proc_cpu,
           "realtime_factor": args.duration / c_wall, "rates_cortexloop_Hz": [c_e, c_i],
           "rates_brian2_Hz": [b_e, b_i], "loadavg_before": load_before, "loadavg_after": load_after,
           "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime())}
    text = json.dumps(json_safe(out), indent=2, allow_nan=False)
    print(text)
    if args.json:
        pathlib.Path(args.json).write_text(text + "\n")


if __name__ == "__main__":
    try:
        main()
    except subprocess.CalledProcessError as e:  # cortexloop said why on its stderr, above
        sys.exit(f"brian2_vs_cortexloop_cakan.py: a cortexloop run failed (exit {e.returncode}): "
                 f"{' '.join(map(str, e.cmd))}")
