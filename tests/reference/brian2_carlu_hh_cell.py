#!/usr/bin/python3
"""Brian2 reference for single Hodgkin-Huxley cells of Carlu et al. 2020 under a DC current.

Run (from the repository root; ~20 s):
    /usr/bin/python3 tests/reference/brian2_carlu_hh_cell.py
Produces tests/reference/data/brian2_carlu_hh_cell.json: the spike times (ms) of one RS and one FS cell of
configs/carlu2020/network.toml, uncoupled and undriven (n_neurons = 2, exc_fraction = 0.5, p_connect = 0,
drive 0 Hz, v_init_mode = "rest": V(0) = e_l_mV), each with a DC current from t = 0 for 1 s, at each
amplitude of --amplitudes (pA). The cells, equations and integration are tests/reference/brian2_network.py's
(build_network: exponential Euler, threshold and refractory condition V > v_spike_mV), in Brian2's runtime
device with float64. tests/test_carlu2020_network.cpp steps the engine's cells (float, engine/cells/hh.hpp) the
same way and compares the spike trains.
"""
import argparse
import json
import pathlib
import shlex
import sys

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import clconfig  # noqa: E402
import brian2_network  # noqa: E402

CONFIG = "configs/carlu2020/network.toml"
SETS = ["network.n_neurons=2", "network.exc_fraction=0.5", "network.p_connect=0", "network.drive.rate_Hz=0",
        'network.v_init_mode="rest"']


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--amplitudes", default="100,200,400,800",
                    help="DC amplitudes in pA, comma-separated (default %(default)s)")
    ap.add_argument("--duration-ms", type=float, default=1000.0, help="simulated ms (default %(default)s)")
    ap.add_argument("--out", default=str(HERE / "data" / "brian2_carlu_hh_cell.json"),
                    help="output JSON (default tests/reference/data/brian2_carlu_hh_cell.json)")
    args = ap.parse_args()
    import brian2 as b2
    b2.prefs.codegen.target = "numpy"
    runs = []
    for amplitude in (float(x) for x in args.amplitudes.split(",")):
        b2.start_scope()
        cfg = clconfig.load(clconfig.REPO / CONFIG, SETS)
        cfg["stimulus"] = [{"kind": "dc", "target": target, "amplitude_pA": amplitude, "start_ms": 0.0,
                            "stop_ms": args.duration_ms + 1.0} for target in ("exc", "inh")]
        objs = brian2_network.build_network(cfg, record_spikes=True)
        b2.Network(*objs.values()).run(args.duration_ms * b2.ms)
        t_ms = np.asarray(objs["spikes"].t / b2.ms)
        cell = np.asarray(objs["spikes"].i)
        run = {"amplitude_pA": amplitude, "rs_spikes_ms": [float(t) for t in t_ms[cell == 0]],
               "fs_spikes_ms": [float(t) for t in t_ms[cell == 1]]}
        print(f"{amplitude:g} pA: RS {len(run['rs_spikes_ms'])} spikes, FS {len(run['fs_spikes_ms'])} spikes",
              flush=True)
        runs.append(run)
    out = {
        "source": f"Brian2 {b2.__version__} runtime (numpy, float64), exponential Euler: "
                  "tests/reference/brian2_carlu_hh_cell.py",
        "command": shlex.join(["/usr/bin/python3", "tests/reference/brian2_carlu_hh_cell.py", *sys.argv[1:]]),
        "config": CONFIG, "overrides": SETS, "duration_ms": args.duration_ms,
        "stimulus": "DC onto both cells from t = 0 (step 0) to the end",
        "runs": runs,
    }
    pathlib.Path(args.out).write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
