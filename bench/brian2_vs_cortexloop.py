#!/usr/bin/python3
"""Wall time of the 10k-neuron RS-FS network: Brian2 C++ standalone vs cortexloop, one core each.

Run (from the repository root, after building cortexloop; ~3 min):
    /usr/bin/python3 bench/brian2_vs_cortexloop.py
Prints both wall times, the ratio brian2/cortexloop and both mean exc/inh rates (sanity check);
--json FILE also writes them. Nothing else is written outside a temporary directory.

(a) Brian2 2.5 C++ standalone (1 thread, no OpenMP), the network built exactly as in
    tests/reference/brian2_network.py from the TOML config, simulated for --duration seconds at
    the config's drive. It is compiled first (not timed, all cores), then the compiled binary
    is run pinned with `taskset -c CPU ./main`. Two times are reported, both without
    compilation: "loop" = Brian2's own timer around the simulation loop
    (results/last_run_info.txt, as device._last_run_time), and "binary" = wall time of the
    whole binary (adds synapse creation, initialisation and writing results).
(b) `taskset -c CPU build/cortexloop simulate --config CFG --out TMP --duration S [--set ...]`;
    its wall time is `wall_s` from TMP/summary.json, or if that is missing the measured wall
    time of the process (the output says which). Rates from TMP/rates.npy ([ms, 2]).
The ratio is given for the Brian2 loop time (and the binary time) over cortexloop's median wall time of
--repeats runs (default 5), half run just before Brian2's binary and half just after it.

Options: --config PATH, --set section.key=value (repeatable, applied to both), --duration 4,
    --window 2,4 (s, for the mean rates), --binary build/cortexloop, --cpu 0, --brian2-only,
    --repeats 5, --json FILE. --help for all.
"""
import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "reference"))
import clconfig  # noqa: E402
from bench_args import json_safe, output_file  # noqa: E402


def run_brian2(args, cfg, tmp, before_run=lambda: None):
    import brian2 as b2
    from brian2_network import build_network
    project = str(tmp / "brian2_project")
    b2.set_device("cpp_standalone", directory=project, build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = 0
    b2.prefs.devices.cpp_standalone.run_cmd_unix = ["taskset", "-c", str(args.cpu), "./main"]
    b2.seed(int(cfg["simulation"]["seed"]))
    objs = build_network(cfg)
    b2.Network(*objs.values()).run(args.duration * b2.second)
    t0 = time.perf_counter()
    b2.device.build(directory=project, compile=True, run=False)
    compile_s = time.perf_counter() - t0
    before_run()
    b2.device.run(project, with_output=False, run_args=[])
    dt_ms = float(cfg["simulation"]["dt_ms"])
    k0, k1 = (int(round(w * 1000 / dt_ms)) for w in args.window)
    return {
        "loop_s": float(b2.device._last_run_time),
        "binary_s": float(b2.device.timers["run_binary"]),
        "compile_s": compile_s,
        "exc_Hz": float(np.mean(np.asarray(objs["rate_exc"].rate / b2.Hz)[k0:k1])),
        "inh_Hz": float(np.mean(np.asarray(objs["rate_inh"].rate / b2.Hz)[k0:k1])),
    }


def run_cortexloop(args, binary, tmp):
    out = tmp / "cortexloop_out"
    cmd = ["taskset", "-c", str(args.cpu), str(binary), "simulate", "--config", args.config,
           "--out", str(out), "--duration", f"{args.duration:g}"]
    for s in args.sets:
        cmd += ["--set", s]
    print("running:", " ".join(cmd), flush=True)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO)
    process_s = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"cortexloop exited with {proc.returncode}")
    res = {"process_s": process_s}
    summary = out / "summary.json"
    if summary.exists():
        s = json.loads(summary.read_text())
        res["summary"] = s
    if "summary" in res and "wall_s" in res["summary"]:
        res["wall_s"], res["wall_source"] = float(res["summary"]["wall_s"]), "summary.json wall_s"
    else:
        res["wall_s"], res["wall_source"] = process_s, "measured process wall time"
    rates = out / "rates.npy"
    if rates.exists():
        r = np.load(rates)
        tick_ms = 1.0
        if "summary" in res and "tick_ms" in res["summary"]:
            tick_ms = float(res["summary"]["tick_ms"])
        k0, k1 = (int(round(w * 1000 / tick_ms)) for w in args.window)
        res["exc_Hz"] = float(np.mean(r[k0:k1, 0]))
        res["inh_Hz"] = float(np.mean(r[k0:k1, 1]))
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__)
    clconfig.add_arguments(ap)
    ap.add_argument("--duration", type=float, default=4.0, help="simulated seconds (default 4)")
    ap.add_argument("--window", default="2,4", help="rate window in s (default 2,4)")
    ap.add_argument("--binary", default="build/cortexloop",
                    help="cortexloop executable, relative to the repo root (default %(default)s)")
    ap.add_argument("--cpu", type=int, default=0, help="core to pin both to (taskset -c; default %(default)s)")
    ap.add_argument("--brian2-only", action="store_true", help="skip cortexloop")
    ap.add_argument("--repeats", type=int, default=5,
                    help="cortexloop runs, half just before Brian2's run and half just after; the ratio is taken "
                         "against their median (default %(default)s)")
    ap.add_argument("--json", help="also write the results to this file")
    args = ap.parse_args()
    if args.repeats < 1:
        ap.error("--repeats must be >= 1")
    try:
        args.window = [float(x) for x in args.window.split(",")]
    except ValueError:
        ap.error(f"--window {args.window}: two times in s, e.g. 2,4")
    if len(args.window) != 2 or not 0 <= args.window[0] < args.window[1] <= args.duration:
        ap.error(f"--window {args.window}: START,END with 0 <= START < END <= --duration ({args.duration} s)")
    args.config = str(pathlib.Path(args.config).resolve())
    # Everything the run needs, before its minutes of Brian2 (the checks are one line each, exit 2).
    if args.json:
        output_file(ap, "--json", args.json)
    if args.cpu not in os.sched_getaffinity(0):
        ap.error(f"--cpu {args.cpu}: not a CPU this process may use ({sorted(os.sched_getaffinity(0))})")

    if shutil.which("taskset") is None:
        raise SystemExit("error: taskset not found (util-linux)")
    binary = pathlib.Path(args.binary)
    if not binary.is_absolute():
        binary = REPO / binary
    if not args.brian2_only and not (binary.is_file() and os.access(binary, os.X_OK)):
        ap.error(f"--binary {args.binary}: no cortexloop executable at {binary} (build it first: scripts/build.sh; "
                 "or --brian2-only)")

    cfg = clconfig.load(args.config, args.sets)
    n, n_exc, n_inh = clconfig.population_sizes(cfg)
    print(f"config {os.path.relpath(args.config, REPO)}: N={n} ({n_exc} exc, {n_inh} inh), "
          f"p={cfg['network']['p_connect']}, drive {cfg['network']['drive']['rate_Hz']} Hz, "
          f"{args.duration:g} s simulated, pinned to CPU {args.cpu}", flush=True)
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="brian2_vs_cortexloop_"))
    try:
        runs = []

        def cortexloop_runs(k):
            runs.extend(run_cortexloop(args, binary, tmp) for _ in range(0 if args.brian2_only else k))
        # Ours before and after Brian2's run: this VM changes speed level (~1.4x) from time to time, and a single
        # run of ours (~0.3 s) against Brian2's ~7 s took whichever level held at that instant.
        b = run_brian2(args, cfg, tmp, lambda: cortexloop_runs((args.repeats + 1) // 2))
        print(f"brian2: loop {b['loop_s']:.2f} s, whole binary {b['binary_s']:.2f} s "
              f"(compile {b['compile_s']:.0f} s, not counted); rates exc {b['exc_Hz']:.2f} Hz, "
              f"inh {b['inh_Hz']:.2f} Hz", flush=True)
        cortexloop_runs(args.repeats // 2)
        result = {"config": os.path.relpath(args.config, REPO), "overrides": args.sets,
                  "duration_s": args.duration, "window_s": args.window, "cpu": args.cpu,
                  "brian2": b}
        if runs:
            walls = [run["wall_s"] for run in runs]
            c = runs[0]  # its rates: the same in every run (same seed)
            result["cortexloop"] = {k: v for k, v in c.items() if k not in ("summary", "wall_s", "process_s")}
            result["cortexloop"]["wall_s_runs"] = walls
            result["cortexloop"]["wall_s"] = float(np.median(walls))
            rates = (f"rates exc {c['exc_Hz']:.2f} Hz, inh {c['inh_Hz']:.2f} Hz"
                     if "exc_Hz" in c else "no rates.npy")
            print(f"cortexloop: wall {result['cortexloop']['wall_s']:.3f} s, median of "
                  f"{', '.join(f'{w:.3f}' for w in walls)} s ({c['wall_source']}; the first "
                  f"{(args.repeats + 1) // 2} before Brian2's run); {rates}")
            result["ratio_loop"] = b["loop_s"] / result["cortexloop"]["wall_s"]
            result["ratio_binary"] = b["binary_s"] / result["cortexloop"]["wall_s"]
            result["ratio_loop_runs"] = [b["loop_s"] / w for w in walls]
            print(f"ratio brian2/cortexloop: {result['ratio_loop']:.2f} (Brian2 loop time), "
                  f"{result['ratio_binary']:.2f} (Brian2 whole binary); per run of ours "
                  f"{', '.join(f'{r:.1f}' for r in result['ratio_loop_runs'])}")
        if args.json:
            pathlib.Path(args.json).write_text(json.dumps(json_safe(result), indent=2, allow_nan=False) + "\n")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
