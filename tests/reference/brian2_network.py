#!/usr/bin/python3
"""Brian2 reference for the cortexloop RS-FS AdEx network (Zerlaut et al. 2018).

Run (from the repository root; ~10 min on 2 cores, mostly simulation):
    /usr/bin/python3 tests/reference/brian2_network.py
Produces (NAME = --name, default brian2_network):
    tests/reference/data/NAME_rates.json   mean exc/inh population rate over the
        window [2 s, 6 s] of 6-s runs, for drives 2, 4 and 8 Hz, 3 seeds each
    tests/reference/data/NAME_rates_4Hz.npy float32 [6000, 2], exc and inh population
        rate (Hz) per 1-ms tick, drive 4 Hz, seed 1
Options: --config PATH, --set section.key=value (repeatable, as cortexloop), --stimulus dc:exc:AMP_PA:START_MS:STOP_MS
    (repeatable), --drives 2,4,8,
    --seeds 1,2,3, --duration 6, --window 2,6, --jobs 2, --outdir DIR, --name NAME. --help for all.
    --extra-window a,b (repeatable): the same means over further windows ("extra_windows" in the JSON);
    --w-exc-at T_S: the mean adaptation current w of the RS cells after round(T_S/dt) steps ("w_exc_pA").

All numbers come from the TOML config (tomllib); nothing is duplicated here. The network is
built the way the engine builds it:
  * N = network.n_neurons; the first round(N*exc_fraction) are RS ([network.exc]), the rest FS
    ([network.inh]); every ordered pair i != j connected with probability p_connect; an exc
    spike adds q_exc_nS to the target's Ge, an inh spike q_inh_nS to Gi, no delay.
  * C dV/dt = gL(EL-V) + gL DT exp((V-VT)/DT) + Ge(Ee-V) + Gi(Ei-V) - w + I_stim, V frozen while
    refractory; tau_w dw/dt = a(V-EL) - w always; dGe/dt = -Ge/tau_e, dGi/dt = -Gi/tau_i.
    Forward Euler, dt = simulation.dt_ms; spike when V > v_spike_mV; V = v_reset, w += b.
  * Drive: a private Bernoulli source per neuron, run_regularly(when='start'): per step with
    probability dt*k_exc*nu(t), nu(t) = rate_Hz*min(1, t/ramp_ms), one event adding q_exc_nS to
    Ge (not PoissonInput, which is binomial).
  * V(0) uniform in [e_l, v_t] ("uniform") or e_l ("rest"); w = Ge = Gi = 0.
  * network.cell_model = "hh" (configs/carlu2020/network.toml): Carlu et al. 2020's Hodgkin-Huxley
    cells instead (build_hh_group, HH_EQUATIONS), exponential Euler, no reset; the same synapses
    and drive. Their reference: --config configs/carlu2020/network.toml --name brian2_carlu_hh_network.
Brian2's default schedule: start (drive) -> groups (integrate) -> thresholds -> synapses -> resets.
Brian2 conventions the engine has to match: a spike is stamped t = k*dt of the step k whose update
crossed the cut-off; Euler uses the pre-step V for both dV and dw; refractoriness is
`timestep(t - lastspike) >= timestep(t_ref)`, i.e. after a spike in step k, V is frozen in steps
k+1 .. k+n-1 and integrated again from step k+n, n = round(t_ref/dt) (50 here); a drive event in
step k acts on V in step k, a recurrent spike of step k from step k+1.

Each (drive, seed) runs in its own child process with the C++ standalone device; each worker
reuses one project directory, so Brian2 only rewrites (and make only recompiles) the files whose
generated code changed between runs. Parallel workers never share a directory.
"""
import argparse
import json
import os
import pathlib
import shlex
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import clconfig  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent


def stimulus_expression(cfg):
    """Brian2 expression (amp) for I_stim from the config's [[stimulus]] entries.

    Entry on for steps k with round(start_ms/dt) <= k < round(stop_ms/dt) (integer steps, no
    float comparison of t); "dc": amplitude; "sine": amplitude*sin(2 pi f (t - start)).
    target "exc"/"inh" selects the population through the per-neuron flag is_exc.
    """
    dt_ms = float(cfg["simulation"]["dt_ms"])
    terms = []
    for s in cfg.get("stimulus", []):
        k0 = int(round(float(s["start_ms"]) / dt_ms))
        k1 = int(round(float(s["stop_ms"]) / dt_ms))
        window = f"int(t_in_timesteps >= {k0} and t_in_timesteps < {k1})"
        target = {"exc": "is_exc", "inh": "(1 - is_exc)"}[s["target"]]
        amp = f"({float(s['amplitude_pA'])!r}*pA)"
        if s["kind"] == "dc":
            shape = "1"
        elif s["kind"] == "sine":
            f = float(s["frequency_Hz"])
            shape = f"sin(2*pi*{f!r}*Hz*(t - {float(s['start_ms'])!r}*ms))"
        else:
            raise SystemExit(f"unknown stimulus kind {s['kind']!r}")
        terms.append(f"{amp}*{shape}*{window}*{target}")
    return " + ".join(terms) if terms else "0*pA"


# Hodgkin-Huxley cells (network.cell_model = "hh"): Carlu et al. 2020's equations as in their
# single_cell_models/cell_construct.py (ModelDB 263259), with the config's parameters; exponential Euler, their method.
HH_EQUATIONS = """
dv/dt = (g_l*(e_l - v) + g_na*m*m*m*h*(e_na - v) + (g_k*n*n*n*n + g_m*p)*(e_k - v)
         + ge*(e_exc - v) + gi*(e_inh - v) + I_stim)/c_m : volt
dm/dt = 0.32/mV*(13*mV - v + v_t)/(exp((13*mV - v + v_t)/(4*mV)) - 1)/ms*(1 - m)
        - 0.28/mV*(v - v_t - 40*mV)/(exp((v - v_t - 40*mV)/(5*mV)) - 1)/ms*m : 1
dn/dt = 0.032/mV*(15*mV - v + v_t)/(exp((15*mV - v + v_t)/(5*mV)) - 1)/ms*(1 - n)
        - 0.5*exp((10*mV - v + v_t)/(40*mV))/ms*n : 1
dh/dt = 0.128*exp((17*mV - v + v_t)/(18*mV))/ms*(1 - h) - 4/(1 + exp((40*mV - v + v_t)/(5*mV)))/ms*h : 1
dp/dt = (1/(1 + exp(-(35*mV + v)/(10*mV))) - p)
        / (400*ms/(3.3*exp((35*mV + v)/(20*mV)) + exp(-(35*mV + v)/(20*mV)))) : 1
dge/dt = -ge/tau_exc : siemens
dgi/dt = -gi/tau_inh : siemens
I_stim = {stimulus} : amp
c_m : farad (constant)
g_l : siemens (constant)
e_l : volt (constant)
g_na : siemens (constant)
e_na : volt (constant)
g_k : siemens (constant)
e_k : volt (constant)
g_m : siemens (constant)
v_t : volt (constant)
v_spike : volt (constant)
is_exc : 1 (constant)
"""
HH_KEYS = {"c_pF": ("c_m", "pF"), "g_l_nS": ("g_l", "nS"), "e_l_mV": ("e_l", "mV"), "g_na_nS": ("g_na", "nS"),
           "e_na_mV": ("e_na", "mV"), "g_k_nS": ("g_k", "nS"), "e_k_mV": ("e_k", "mV"), "g_m_nS": ("g_m", "nS"),
           "v_t_mV": ("v_t", "mV"), "v_spike_mV": ("v_spike", "mV")}


def build_hh_group(cfg, namespace):
    """The NeuronGroup of Hodgkin-Huxley cells: threshold and refractory condition V > v_spike (a cell spikes
    again only after V has been at or below it), no reset, exponential Euler; V(0) uniform in
    [v_init_low_mV, v_init_high_mV] ("rest": e_l_mV), p(0) = p_init, m = h = n = 0."""
    import brian2 as b2
    n, n_exc, _ = clconfig.population_sizes(cfg)
    net = cfg["network"]
    G = b2.NeuronGroup(n, HH_EQUATIONS.format(stimulus=stimulus_expression(cfg)), threshold="v > v_spike",
                       refractory="v > v_spike", method="exponential_euler", namespace=namespace, name="neurons")
    for key, (name, unit) in HH_KEYS.items():
        vals = np.empty(n)
        vals[:n_exc] = float(net["exc"][key])
        vals[n_exc:] = float(net["inh"][key])
        setattr(G, name, vals * getattr(b2, unit))
    flags = np.zeros(n)
    flags[:n_exc] = 1
    G.is_exc = flags
    for part, cell in ((G[:n_exc], net["exc"]), (G[n_exc:], net["inh"])):
        low, high = float(cell["v_init_low_mV"]), float(cell["v_init_high_mV"])
        if net["v_init_mode"] == "uniform":
            part.v = f"{low!r}*mV + rand()*{high - low!r}*mV"
        else:
            part.v = float(cell["e_l_mV"]) * b2.mV
        part.p = float(cell["p_init"])
    return G


def build_adex_group(cfg, eqs, namespace):
    """The NeuronGroup of AdEx cells: forward Euler, reset, refractory period t_ref."""
    import brian2 as b2
    from brian2 import ms, mV, nS, pF, pA
    n, n_exc, _ = clconfig.population_sizes(cfg)
    net = cfg["network"]
    G = b2.NeuronGroup(n, eqs, threshold="v > v_spike", reset="v = v_reset; w += b",
                       refractory="t_ref", method="euler", namespace=namespace, name="neurons")
    units = {"c_pF": pF, "g_l_nS": nS, "e_l_mV": mV, "v_t_mV": mV, "delta_t_mV": mV,
             "v_spike_mV": mV, "v_reset_mV": mV, "t_ref_ms": ms, "a_nS": nS, "b_pA": pA,
             "tau_w_ms": ms}
    names = {"c_pF": "c_m", "g_l_nS": "g_l", "e_l_mV": "e_l", "v_t_mV": "v_t",
             "delta_t_mV": "delta_t", "v_spike_mV": "v_spike", "v_reset_mV": "v_reset",
             "t_ref_ms": "t_ref", "a_nS": "a", "b_pA": "b", "tau_w_ms": "tau_w"}
    for key in clconfig.CELL_KEYS:
        vals = np.empty(n)
        vals[:n_exc] = float(net["exc"][key])
        vals[n_exc:] = float(net["inh"][key])
        setattr(G, names[key], vals * units[key])
    flags = np.zeros(n)
    flags[:n_exc] = 1
    G.is_exc = flags

    mode = net["v_init_mode"]
    if mode == "uniform":
        G.v = "e_l + rand()*(v_t - e_l)"
    elif mode == "rest":
        G.v = "e_l"
    else:
        raise SystemExit(f"unknown network.v_init_mode {mode!r}")
    G.w = 0 * pA
    G.ge = 0 * nS
    G.gi = 0 * nS

    return G


def build_network(cfg, record_spikes=False):
    """Create the Brian2 objects (on whatever device is active). Returns a dict of objects.

    The caller sets the device, seed and calls run(). Units: config keys carry their units.
    """
    import brian2 as b2
    from brian2 import ms, mV, nS, pF, pA

    sim, net = cfg["simulation"], cfg["network"]
    dt = float(sim["dt_ms"]) * ms
    b2.defaultclock.dt = dt
    n, n_exc, n_inh = clconfig.population_sizes(cfg)

    eqs = f"""
    dv/dt = (g_l*(e_l - v) + g_l*delta_t*exp((v - v_t)/delta_t)
             + ge*(e_exc - v) + gi*(e_inh - v) - w + I_stim)/c_m : volt (unless refractory)
    dw/dt = (a*(v - e_l) - w)/tau_w : amp
    dge/dt = -ge/tau_exc : siemens
    dgi/dt = -gi/tau_inh : siemens
    I_stim = {stimulus_expression(cfg)} : amp
    c_m : farad (constant)
    g_l : siemens (constant)
    e_l : volt (constant)
    v_t : volt (constant)
    delta_t : volt (constant)
    v_spike : volt (constant)
    v_reset : volt (constant)
    t_ref : second (constant)
    a : siemens (constant)
    b : amp (constant)
    tau_w : second (constant)
    is_exc : 1 (constant)
    """
    namespace = {
        "tau_exc": float(net["tau_exc_ms"]) * ms,
        "tau_inh": float(net["tau_inh_ms"]) * ms,
        "e_exc": float(net["e_exc_mV"]) * mV,
        "e_inh": float(net["e_inh_mV"]) * mV,
        "q_drive": float(net["q_exc_nS"]) * nS,
    }
    if net.get("cell_model", "adex") == "hh":
        G = build_hh_group(cfg, namespace)
    else:
        G = build_adex_group(cfg, eqs, namespace)

    objs = {"G": G}
    drive = net["drive"]
    rate = float(drive["rate_Hz"])
    if rate > 0:
        p_full = float(sim["dt_ms"]) * 1e-3 * float(drive["k_exc"]) * rate
        ramp = float(drive["ramp_ms"])
        ramp_factor = f"clip(t/({ramp!r}*ms), 0, 1)" if ramp > 0 else "1"
        G.run_regularly(f"ge += q_drive*int(rand() < {p_full!r}*{ramp_factor})",
                        dt=dt, when="start", name="drive")

    p = float(net["p_connect"])
    if p > 0:
        q_e = float(net["q_exc_nS"]) * nS
        q_i = float(net["q_inh_nS"]) * nS
        if n_exc > 0:
            Se = b2.Synapses(G[:n_exc], G, on_pre="ge_post += q_e", namespace={"q_e": q_e},
                             name="syn_exc")
            Se.connect(condition="i != j", p=p)  # i, j are global indices here (subgroup at 0)
            objs["Se"] = Se
        if n_inh > 0:
            Si = b2.Synapses(G[n_exc:], G, on_pre="gi_post += q_i", namespace={"q_i": q_i},
                             name="syn_inh")
            Si.connect(condition=f"i + {n_exc} != j", p=p)  # i is relative to the subgroup
            objs["Si"] = Si
    if n_exc > 0:
        objs["rate_exc"] = b2.PopulationRateMonitor(G[:n_exc], name="rate_exc")
    if n_inh > 0:
        objs["rate_inh"] = b2.PopulationRateMonitor(G[n_exc:], name="rate_inh")
    if record_spikes:
        objs["spikes"] = b2.SpikeMonitor(G, name="spikes")
    return objs


def per_tick(rate_per_step, steps_per_tick):
    r = np.asarray(rate_per_step, dtype=float)
    m = len(r) // steps_per_tick
    return r[: m * steps_per_tick].reshape(m, steps_per_tick).mean(axis=1)


def run_single(args):
    """Child process: one standalone build+run; writes a JSON (and .npy) to args.result."""
    import brian2 as b2
    cfg = with_stimuli(clconfig.load(args.config, args.sets), args.stimulus)
    b2.set_device("cpp_standalone", directory=args.project_dir, build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = 0
    b2.prefs.devices.cpp_standalone.extra_make_args_unix = ["-j1"]
    b2.seed(args.seed)
    objs = build_network(cfg)
    if args.w_exc_at is not None:
        # w of every RS cell, sampled at the start of step round(T/dt) (the state after that many steps): a monitor
        # whose period is that step count, so it samples step 0 and T (and multiples) only.
        dt_ms = float(cfg["simulation"]["dt_ms"])
        k_w = int(round(args.w_exc_at * 1000 / dt_ms))
        n_exc = clconfig.population_sizes(cfg)[1]
        objs["w_exc"] = b2.StateMonitor(objs["G"][:n_exc], "w", record=True, dt=k_w * dt_ms * b2.ms,
                                        when="start", name="w_exc")
    b2.Network(*objs.values()).run(args.duration * b2.second)
    t0 = time.time()
    b2.device.build(directory=args.project_dir, compile=True, run=True, with_output=False)
    total = time.time() - t0
    dt_ms = float(cfg["simulation"]["dt_ms"])
    spt = int(round(float(cfg["simulation"]["tick_ms"]) / dt_ms))
    re = np.asarray(objs["rate_exc"].rate / b2.Hz)
    ri = np.asarray(objs["rate_inh"].rate / b2.Hz)
    k0, k1 = (int(round(w * 1000 / dt_ms)) for w in args.window)
    out = {
        "drive_Hz": float(cfg["network"]["drive"]["rate_Hz"]),
        "seed": args.seed,
        "exc_Hz": float(re[k0:k1].mean()),
        "inh_Hz": float(ri[k0:k1].mean()),
        "extra_windows": [],
        "n_syn": int(len(objs["Se"])) + int(len(objs["Si"])),
        "run_loop_s": float(b2.device._last_run_time),
        "binary_s": float(b2.device.timers["run_binary"]),
        "build_and_run_s": total,
    }
    for w in args.extra_window:
        j0, j1 = (int(round(x * 1000 / dt_ms)) for x in w)
        out["extra_windows"].append({"exc_Hz": float(re[j0:j1].mean()), "inh_Hz": float(ri[j0:j1].mean())})
    if args.w_exc_at is not None:
        w_samples = np.asarray(objs["w_exc"].w / b2.pA)  # [cells, samples]: step 0, round(T/dt), ...
        out["w_exc_pA"] = float(w_samples[:, 1].mean())
    np.save(args.result + ".npy", np.stack([per_tick(re, spt), per_tick(ri, spt)],
                                           axis=1).astype(np.float32))
    with open(args.result, "w") as f:
        json.dump(out, f)


def with_stimuli(cfg, specs):
    """cfg with a [[stimulus]] entry added per --stimulus dc:TARGET:AMPLITUDE_PA:START_MS:STOP_MS (a DC step beside a
    config that has none: tests/python/test_meanfield_dc_step.py's reference)."""
    for spec in specs:
        f = spec.split(":")
        if len(f) != 5 or f[0] != "dc" or f[1] not in ("exc", "inh"):
            raise SystemExit(f"--stimulus {spec!r}: dc:exc|inh:AMPLITUDE_PA:START_MS:STOP_MS")
        cfg.setdefault("stimulus", []).append({"kind": "dc", "target": f[1], "amplitude_pA": float(f[2]),
                                               "start_ms": float(f[3]), "stop_ms": float(f[4])})
    return cfg


def summary(name, values):
    """NAME (the mean over the seeds), NAME_per_seed and NAME_sd (sample SD; 0 for one seed)."""
    return {name: float(np.mean(values)), f"{name}_per_seed": [float(v) for v in values],
            f"{name}_sd": float(np.std(values, ddof=1)) if len(values) > 1 else 0.0}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__)
    clconfig.add_arguments(ap)
    ap.add_argument("--drives", default="2,4,8", help="drive rates in Hz, network.drive.rate_Hz (default %(default)s)")
    ap.add_argument("--seeds", default="1,2,3", help="comma-separated seeds (default %(default)s)")
    ap.add_argument("--duration", type=float, default=6.0, help="simulated seconds (default %(default)s)")
    ap.add_argument("--window", default="2,6", help="averaging window in s, 'start,stop' (default %(default)s)")
    ap.add_argument("--extra-window", action="append", default=[], metavar="START,STOP",
                    help="a further averaging window in s (repeatable): JSON drives.D.extra_windows")
    ap.add_argument("--w-exc-at", type=float, metavar="T_S",
                    help="record the RS cells' mean w (pA) after round(T_S/dt) steps: JSON drives.D.w_exc_pA")
    ap.add_argument("--jobs", type=int, default=2, help="runs in parallel, one core each (default %(default)s)")
    ap.add_argument("--outdir", default=str(HERE / "data"), help="output folder (default tests/reference/data)")
    ap.add_argument("--name", default="brian2_network",
                    help="output names: NAME_rates.json and NAME_rates_<d>Hz.npy (default %(default)s)")
    ap.add_argument("--stimulus", action="append", default=[], metavar="dc:TARGET:AMPLITUDE_PA:START_MS:STOP_MS",
                    help="add a [[stimulus]] DC entry to the config (repeatable)")
    ap.add_argument("--trace", default="4:1",
                    help="drive:seed whose per-ms trace is saved as NAME_rates_<d>Hz.npy, drive:mean for the mean "
                         "over the seeds (default %(default)s)")
    # internal, for the child processes
    ap.add_argument("--_single", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--seed", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--project-dir", help=argparse.SUPPRESS)
    ap.add_argument("--result", help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.window = [float(x) for x in args.window.split(",")]
    args.extra_window = [[float(x) for x in w.split(",")] for w in args.extra_window]
    if args._single:
        run_single(args)
        return

    cfg_main = clconfig.load(args.config, args.sets)
    drives = [float(x) for x in args.drives.split(",")]
    seeds = [int(x) for x in args.seeds.split(",")]
    outdir = pathlib.Path(args.outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="brian2_network_"))
    jobs = [(d, s) for d in drives for s in seeds]
    queue = list(enumerate(jobs))
    running = {}  # worker -> (popen, job, result path, t0)
    results = {}
    t_start = time.time()
    while queue or running:
        for w in range(args.jobs):
            if w not in running and queue:
                idx, (d, s) = queue.pop(0)
                res = str(tmp / f"run_{idx}.json")
                cmd = [sys.executable, __file__, "--_single", "--config", args.config,
                       "--seed", str(s), "--duration", str(args.duration),
                       "--window", ",".join(str(x) for x in args.window),
                       "--project-dir", str(tmp / f"worker{w}"), "--result", res]
                for st in args.sets:
                    cmd += ["--set", st]
                for st in args.stimulus:
                    cmd += ["--stimulus", st]
                for win in args.extra_window:
                    cmd += ["--extra-window", ",".join(str(x) for x in win)]
                if args.w_exc_at is not None:
                    cmd += ["--w-exc-at", str(args.w_exc_at)]
                cmd += ["--set", f"network.drive.rate_Hz={d!r}"]
                log = open(tmp / f"run_{idx}.log", "w")
                running[w] = (subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT),
                              (d, s), res, time.time(), log)
        time.sleep(1.0)
        for w in list(running):
            proc, (d, s), res, t0, log = running[w]
            if proc.poll() is None:
                continue
            log.close()
            del running[w]
            if proc.returncode != 0:
                sys.stderr.write(pathlib.Path(log.name).read_text())
                raise SystemExit(f"run drive={d} seed={s} failed (log {log.name})")
            r = json.loads(pathlib.Path(res).read_text())
            r["npy"] = res + ".npy"
            results[(d, s)] = r
            print(f"drive {d:g} Hz seed {s}: exc {r['exc_Hz']:.3f} Hz, inh {r['inh_Hz']:.3f} Hz "
                  f"(binary {r['binary_s']:.1f} s, loop {r['run_loop_s']:.1f} s, "
                  f"build+run {r['build_and_run_s']:.1f} s, child {time.time() - t0:.1f} s)",
                  flush=True)

    out = {
        "source": "Brian2 %s C++ standalone (1 thread), %s, built as the cortexloop "
                  "engine: tests/reference/brian2_network.py" % (
                      __import__("brian2").__version__,
                      "exponential Euler" if cfg_main["network"].get("cell_model", "adex") == "hh" else "forward Euler"),
        "command": shlex.join(["/usr/bin/python3", "tests/reference/brian2_network.py",
                               *sys.argv[1:]]),
        "config": os.path.relpath(args.config, clconfig.REPO) if os.path.isabs(args.config)
        else args.config,
        "overrides": args.sets,
        "stimuli": with_stimuli({}, args.stimulus).get("stimulus", []),
        "window_s": args.window,
        "duration_s": args.duration,
        "seeds": seeds,
        "drives": {},
    }
    for d in drives:
        ex = [results[(d, s)]["exc_Hz"] for s in seeds]
        ih = [results[(d, s)]["inh_Hz"] for s in seeds]
        out["drives"][f"{d:g}"] = {
            "exc_Hz": float(np.mean(ex)), "inh_Hz": float(np.mean(ih)),
            "exc_Hz_per_seed": ex, "inh_Hz_per_seed": ih,
            "exc_Hz_sd": float(np.std(ex, ddof=1)) if len(ex) > 1 else 0.0,
            "inh_Hz_sd": float(np.std(ih, ddof=1)) if len(ih) > 1 else 0.0,
            "n_synapses_per_seed": [results[(d, s)]["n_syn"] for s in seeds],
            "run_loop_s_per_seed": [round(results[(d, s)]["run_loop_s"], 2) for s in seeds],
        }
        entry = out["drives"][f"{d:g}"]
        if args.extra_window:
            entry["extra_windows"] = []
            for i, w in enumerate(args.extra_window):
                ex = [results[(d, s)]["extra_windows"][i]["exc_Hz"] for s in seeds]
                ih = [results[(d, s)]["extra_windows"][i]["inh_Hz"] for s in seeds]
                entry["extra_windows"].append(dict(window_s=w, **summary("exc_Hz", ex), **summary("inh_Hz", ih)))
        if args.w_exc_at is not None:
            entry.update(w_exc_at_s=args.w_exc_at, **summary("w_exc_pA", [results[(d, s)]["w_exc_pA"] for s in seeds]))
    (outdir / f"{args.name}_rates.json").write_text(json.dumps(out, indent=2) + "\n")
    td, ts = args.trace.split(":")
    if ts == "mean":  # the mean over the seeds, tick by tick
        trace = np.mean([np.load(results[(float(td), s)]["npy"]) for s in seeds], axis=0).astype(np.float32)
        np.save(outdir / f"{args.name}_rates_{float(td):g}Hz.npy", trace)
    elif (float(td), int(ts)) in results:
        trace = np.load(results[(float(td), int(ts))]["npy"])
        np.save(outdir / f"{args.name}_rates_{float(td):g}Hz.npy", trace)
    print(f"wrote {outdir / (args.name + '_rates.json')} in {time.time() - t_start:.0f} s")


if __name__ == "__main__":
    main()
