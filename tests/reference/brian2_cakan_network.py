#!/usr/bin/python3
"""Brian2 reference for the Cakan & Obermayer 2020 AdEx E-I network (configs/cakan2020/).

Run (from the repository root):
    /usr/bin/python3 tests/reference/brian2_cakan_network.py --points A1,B3 --seeds 1,2,3,4,5 \
        --set network.n_neurons=4000
Produces tests/reference/data/brian2_cakan_network_rates.json: mean E and I population rate over the window
(default [1 s, 4 s] of 4-s runs) per point and seed, their means and sample SDs, and the wall time of each run's
simulation loop. Options: --config, --set (as cortexloop), --points, --seeds, --duration, --window, --jobs,
--out; --help for all.

The equations are the authors' (caglarcakan/stimulus_neural_populations, models/brian2/network_sim.py), written
here from their description, with every number read from the TOML config (tomllib; `base =` is followed):
  * two NeuronGroups, E = the first round(N exc_fraction) cells, I the rest, each with
      dv/dt = ((E_L - v) + D_T exp((v - V_T)/D_T))/tau_m - w/C + mu_ext + J_xe s_xe + J_xi s_xi + sigma xi
      dw/dt = (a (v - E_A) - w)/tau_w          (E and I alike; the config sets a = b = 0 on I)
      ds_xe/dt = -s_xe/tau_se, ds_xi/dt = -s_xi/tau_si
    all four "(unless refractory)", threshold v > v_spike, reset v = v_reset; w += b, refractory t_ref,
    method 'heun', dt = simulation.dt_ms;
  * one Synapses object per pathway onto x from y, on_pre: s_xy += (1 - s_xy) c_xy/|J_xy|, delay delay_xy_ms;
    each target draws exactly k_xy distinct sources from population y (never itself; numpy, seeded);
  * v(0) uniform in [e_l, v_t] ("uniform", what the engine does) or e_l ("rest"); w = s = 0.
The engine's schedule is Brian2's (groups, thresholds, synapses, resets): see engine/network/fraction_network.hpp.
Each (point, seed) runs in its own child process with the C++ standalone device on one thread; parallel
workers never share a project directory.
"""
import argparse
import json
import pathlib
import shlex
import subprocess
import sys
import tempfile
import time
import tomllib

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import clconfig  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
DEFAULT_CONFIG = clconfig.REPO / "configs" / "cakan2020" / "network.toml"

# The authors' network points (models/utils/fitparams.py, loadpoint_network), mu_ext E and I in mV/ms, and the
# adaptation (a nS, b pA) of the diagram they belong to.
POINTS = {
    "A1": (1.1, 0.6, 0.0, 0.0), "A2": (1.6, 0.3, 0.0, 0.0), "A3": (2.0, 1.2, 0.0, 0.0),
    "B2": (3.7, 0.5, 15.0, 40.0), "B3": (3.8, 1.2, 15.0, 40.0), "B4": (3.4, 1.2, 15.0, 40.0),
}


def point_sets(name):
    mu_e, mu_i, a, b = POINTS[name]
    return [f"network.input.mu_exc_mV_per_ms={mu_e}", f"network.input.mu_inh_mV_per_ms={mu_i}",
            f"network.exc.a_nS={a}", f"network.exc.b_pA={b}"]


def merge(base, over):
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            merge(base[k], v)
        else:
            base[k] = v
    return base


def load_config(path, sets):
    path = pathlib.Path(path)
    with open(path, "rb") as f:
        cfg = tomllib.load(f)
    if "base" in cfg:
        base = load_config(path.parent / cfg.pop("base"), [])
        cfg = merge(base, cfg)
    for s in sets:
        clconfig.apply_set(cfg, s)
    return cfg


def build_network(cfg, rng):
    import brian2 as b2
    from brian2 import ms, mV, nS, pF, pA

    net, frac, inp = cfg["network"], cfg["network"]["fraction"], cfg["network"]["input"]
    if net.get("synapse_model") != "fraction":
        raise SystemExit("this reference is for network.synapse_model = \"fraction\" configs")
    b2.defaultclock.dt = float(cfg["simulation"]["dt_ms"]) * ms
    n, n_exc, n_inh = clconfig.population_sizes(cfg)
    groups = {}
    for pop, size, mu, sigma in (("e", n_exc, inp["mu_exc_mV_per_ms"], inp["sigma_exc_mV_per_sqrt_ms"]),
                                 ("i", n_inh, inp["mu_inh_mV_per_ms"], inp["sigma_inh_mV_per_sqrt_ms"])):
        c = net["exc" if pop == "e" else "inh"]
        ns = {
            "C": c["c_pF"] * pF, "taum": c["c_pF"] / c["g_l_nS"] * ms, "EL": c["e_l_mV"] * mV,
            "VT": c["v_t_mV"] * mV, "deltaT": c["delta_t_mV"] * mV, "Vcut": c["v_spike_mV"] * mV,
            "Vr": c["v_reset_mV"] * mV, "EA": c["e_a_mV"] * mV, "a": c["a_nS"] * nS, "b": c["b_pA"] * pA,
            "tauw": c["tau_w_ms"] * ms, "mu": float(mu) * mV / ms, "sigma": float(sigma) * mV / ms**0.5,
            "Jxe": frac[f"j_{pop}e_mV_per_ms"] * mV / ms, "Jxi": frac[f"j_{pop}i_mV_per_ms"] * mV / ms,
            "tau_se": frac["tau_s_exc_ms"] * ms, "tau_si": frac["tau_s_inh_ms"] * ms,
        }
        eqs = """
        dv/dt = ((EL - v) + deltaT*exp((v - VT)/deltaT))/taum - w/C + mu + Jxe*sxe + Jxi*sxi + sigma*xi : volt (unless refractory)
        dw/dt = (a*(v - EA) - w)/tauw : amp (unless refractory)
        dsxe/dt = -sxe/tau_se : 1 (unless refractory)
        dsxi/dt = -sxi/tau_si : 1 (unless refractory)
        """
        g = b2.NeuronGroup(size, eqs, threshold="v > Vcut", reset="v = Vr; w += b",
                           refractory=c["t_ref_ms"] * ms, method="heun", namespace=ns, name=f"G{pop}")
        if net["v_init_mode"] == "uniform":
            g.v = (c["e_l_mV"] + rng.random(size) * (c["v_t_mV"] - c["e_l_mV"])) * mV
        else:
            g.v = c["e_l_mV"] * mV
        groups[pop] = g
    objs = dict(groups)
    for post in "ei":
        for pre in "ei":
            k = int(frac[f"k_{post}{pre}"])
            j = float(frac[f"j_{post}{pre}_mV_per_ms"])
            cf = float(frac[f"c_{post}{pre}_mV_per_ms"]) / abs(j)
            n_post, n_pre = len(groups[post]), len(groups[pre])
            pre_idx = np.empty(n_post * k, dtype=np.int64)
            for t in range(n_post):
                if post == pre:  # k distinct sources other than t
                    s = rng.choice(n_pre - 1, size=k, replace=False)
                    s[s >= t] += 1
                else:
                    s = rng.choice(n_pre, size=k, replace=False)
                pre_idx[t * k:(t + 1) * k] = s
            post_idx = np.repeat(np.arange(n_post), k)
            syn = b2.Synapses(groups[pre], groups[post], on_pre=f"sx{pre}_post += (1 - sx{pre}_post)*{cf!r}",
                              name=f"S_{post}{pre}")
            syn.connect(i=pre_idx, j=post_idx)
            syn.delay = float(frac[f"delay_{post}{pre}_ms"]) * ms
            objs[f"S_{post}{pre}"] = syn
    objs["rate_e"] = b2.PopulationRateMonitor(groups["e"], name="rate_e")
    objs["rate_i"] = b2.PopulationRateMonitor(groups["i"], name="rate_i")
    return objs


def run_single(args):
    import brian2 as b2
    cfg = load_config(args.config, args.sets)
    b2.set_device("cpp_standalone", directory=args.project_dir, build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = 0
    b2.prefs.devices.cpp_standalone.extra_make_args_unix = ["-j1"]
    b2.seed(args.seed)
    objs = build_network(cfg, np.random.default_rng(args.seed))
    b2.Network(*objs.values()).run(args.duration * b2.second)
    b2.device.build(directory=args.project_dir, compile=True, run=True, with_output=False)
    dt_ms = float(cfg["simulation"]["dt_ms"])
    re = np.asarray(objs["rate_e"].rate / b2.Hz)
    ri = np.asarray(objs["rate_i"].rate / b2.Hz)
    k0, k1 = (int(round(w * 1000 / dt_ms)) for w in args.window)
    spt = int(round(1.0 / dt_ms))
    m = len(re) // spt
    np.save(args.result + ".npy", np.stack([re[:m * spt].reshape(m, spt).mean(1),
                                            ri[:m * spt].reshape(m, spt).mean(1)], axis=1).astype(np.float32))
    out = {"seed": args.seed, "exc_Hz": float(re[k0:k1].mean()), "inh_Hz": float(ri[k0:k1].mean()),
           "run_loop_s": float(b2.device._last_run_time), "binary_s": float(b2.device.timers["run_binary"])}
    with open(args.result, "w") as f:
        json.dump(out, f)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    clconfig.add_arguments(ap, DEFAULT_CONFIG)
    ap.add_argument("--points", default="A1,B3",
                    help="comma-separated, of " + ",".join(POINTS) + " (default %(default)s)")
    ap.add_argument("--seeds", default="1,2,3,4,5", help="comma-separated seeds (default %(default)s)")
    ap.add_argument("--duration", type=float, default=4.0, help="simulated seconds (default %(default)s)")
    ap.add_argument("--window", default="1,4", help="averaging window in s, 'start,stop' (default %(default)s)")
    ap.add_argument("--jobs", type=int, default=2, help="runs in parallel, one core each (default %(default)s)")
    ap.add_argument("--out", default=str(HERE / "data" / "brian2_cakan_network_rates.json"),
                    help="the rates file (default tests/reference/data/brian2_cakan_network_rates.json)")
    ap.add_argument("--_single", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--seed", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--project-dir", help=argparse.SUPPRESS)
    ap.add_argument("--result", help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.window = [float(x) for x in args.window.split(",")]
    if args._single:
        run_single(args)
        return
    points = args.points.split(",")
    seeds = [int(x) for x in args.seeds.split(",")]
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="brian2_cakan_"))
    queue = list(enumerate((p, s) for p in points for s in seeds))
    running, results, t_start = {}, {}, time.time()
    while queue or running:
        for w in range(args.jobs):
            if w not in running and queue:
                idx, (p, s) = queue.pop(0)
                res = str(tmp / f"run_{idx}.json")
                cmd = [sys.executable, __file__, "--_single", "--config", args.config, "--seed", str(s),
                       "--duration", str(args.duration), "--window", ",".join(map(str, args.window)),
                       "--project-dir", str(tmp / f"worker{w}"), "--result", res]
                for st in args.sets + point_sets(p):
                    cmd += ["--set", st]
                log = open(tmp / f"run_{idx}.log", "w")
                running[w] = (subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT), (p, s), res, log)
        time.sleep(1.0)
        for w in list(running):
            proc, (p, s), res, log = running[w]
            if proc.poll() is None:
                continue
            log.close()
            del running[w]
            if proc.returncode != 0:
                sys.stderr.write(pathlib.Path(log.name).read_text())
                raise SystemExit(f"run {p} seed {s} failed (log {log.name})")
            results[(p, s)] = json.loads(pathlib.Path(res).read_text())
            r = results[(p, s)]
            print(f"{p} seed {s}: exc {r['exc_Hz']:.3f} Hz, inh {r['inh_Hz']:.3f} Hz "
                  f"(loop {r['run_loop_s']:.1f} s)", flush=True)
    out = {
        "source": "Brian2 %s C++ standalone (1 thread), Heun: tests/reference/brian2_cakan_network.py"
                  % __import__("brian2").__version__,
        "command": shlex.join(["/usr/bin/python3", "tests/reference/brian2_cakan_network.py", *sys.argv[1:]]),
        "overrides": args.sets, "window_s": args.window, "duration_s": args.duration, "seeds": seeds,
        "points": {},
    }
    for p in points:
        ex = [results[(p, s)]["exc_Hz"] for s in seeds]
        ih = [results[(p, s)]["inh_Hz"] for s in seeds]
        out["points"][p] = {
            "overrides": point_sets(p), "exc_Hz": float(np.mean(ex)), "inh_Hz": float(np.mean(ih)),
            "exc_Hz_per_seed": ex, "inh_Hz_per_seed": ih,
            "exc_Hz_sd": float(np.std(ex, ddof=1)) if len(ex) > 1 else 0.0,
            "inh_Hz_sd": float(np.std(ih, ddof=1)) if len(ih) > 1 else 0.0,
            "run_loop_s_per_seed": [round(results[(p, s)]["run_loop_s"], 2) for s in seeds],
        }
    pathlib.Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    pathlib.Path(args.out).write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {args.out} in {time.time() - t_start:.0f} s")


if __name__ == "__main__":
    main()
