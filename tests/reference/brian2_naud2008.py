#!/usr/bin/python3
"""Brian2 reference spike trains for the Naud et al. 2008 firing-pattern configs.

Run (from the repository root; ~1 min), to regenerate the reference tests/test_naud2008.cpp reads:
    /usr/bin/python3 tests/reference/brian2_naud2008.py --out tests/reference/data/brian2_naud2008.json
Produces (--out, required: a run without it overwrote the tracked reference):
    tests/reference/data/brian2_naud2008.json
        {pattern: {"spike_times_ms": [...], "n_spikes": int, "isi_ms": [...]}}
        for every configs/naud2008/<pattern>.toml (pattern = file stem)
Options: --configs DIR (default configs/naud2008), --set section.key=value (repeatable, applied
    to every config), --out FILE (required), --plot FILE.png (V traces, for a look). --help for all.

Each config is one AdEx cell with a current step (its [[stimulus]] entries), built by the same
function as the network reference (tests/reference/brian2_network.py: build_network): forward
Euler with simulation.dt_ms, spike when V > v_spike_mV, V = v_reset, w += b, V frozen for
t_ref_ms. Brian2 runtime device, numpy target. A spike time is Brian2's: t = k*dt of the step k
whose update carried V over the cut-off (the start of that step, not its end).
"""
import argparse
import json
import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import clconfig  # noqa: E402
from brian2_network import build_network  # noqa: E402


def run_config(path, sets, want_trace=False):
    import brian2 as b2
    b2.start_scope()
    b2.prefs.codegen.target = "numpy"
    cfg = clconfig.load(path, sets)
    objs = build_network(cfg, record_spikes=True)
    mon = None
    if want_trace:
        mon = b2.StateMonitor(objs["G"], "v", record=0, name="vtrace")
        objs["vtrace"] = mon
    net = b2.Network(*objs.values())
    net.run(float(cfg["simulation"]["duration_s"]) * b2.second)
    dt_ms = float(cfg["simulation"]["dt_ms"])
    # spike times as step index * dt, rounded to kill float noise from t = k*dt
    steps = np.round(np.asarray(objs["spikes"].t / b2.ms) / dt_ms).astype(int)
    times = [round(k * dt_ms, 6) for k in steps]
    isi = [round(b - a, 6) for a, b in zip(times[:-1], times[1:])]
    trace = (np.asarray(mon.t / b2.ms), np.asarray(mon.v[0] / b2.mV)) if mon else None
    return {"spike_times_ms": times, "n_spikes": len(times), "isi_ms": isi}, trace


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__)
    ap.add_argument("--configs", default=str(clconfig.REPO / "configs" / "naud2008"),
                    help="folder of the firing-pattern configs (default configs/naud2008)")
    ap.add_argument("--set", dest="sets", action="append", default=[],
                    metavar="SECTION.KEY=VALUE", help="override a key in every config")
    ap.add_argument("--out", required=True,
                    help="results file to write (required; tests/reference/data/brian2_naud2008.json is the tracked "
                         "reference tests/test_naud2008.cpp reads)")
    ap.add_argument("--plot", default=None, help="also save V traces to this PNG")
    args = ap.parse_args()

    paths = sorted(pathlib.Path(args.configs).glob("*.toml"))
    if not paths:
        raise SystemExit(f"no *.toml in {args.configs}")
    out, traces = {}, {}
    t0 = time.time()
    for p in paths:
        res, trace = run_config(p, args.sets, want_trace=bool(args.plot))
        out[p.stem] = res
        traces[p.stem] = trace
        isi = res["isi_ms"]
        print(f"{p.stem:24s} {res['n_spikes']:3d} spikes, first at "
              f"{res['spike_times_ms'][0] if res['n_spikes'] else float('nan'):7.1f} ms, "
              f"ISI min/max {min(isi) if isi else 0:6.1f}/{max(isi) if isi else 0:6.1f} ms",
              flush=True)
    pathlib.Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    pathlib.Path(args.out).write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {args.out} in {time.time() - t0:.0f} s")
    if args.plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, axes = plt.subplots(len(traces), 1, figsize=(9, 1.8 * len(traces)), sharex=True)
        for ax, (name, (t, v)) in zip(np.atleast_1d(axes), traces.items()):
            ax.plot(t, np.clip(v, None, 0.0), lw=0.8)
            ax.set_title(name, fontsize=9)
            ax.set_ylabel("V (mV)")
        np.atleast_1d(axes)[-1].set_xlabel("t (ms)")
        fig.tight_layout()
        fig.savefig(args.plot, dpi=80)
        print(f"wrote {args.plot}")


if __name__ == "__main__":
    main()
