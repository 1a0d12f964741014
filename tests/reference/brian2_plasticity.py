#!/usr/bin/python3
"""Brian2 reference for the plasticity comparison of configs/plasticity/rate_effect.toml.

Run (from the repository root; ~1-2 min per point):
    /usr/bin/python3 tests/reference/brian2_plasticity.py
Produces tests/reference/data/brian2_plasticity.json: at each (e_rate_Hz, i_rate_Hz) of --points, the output rate
of the LIF cells (spikes / runs / duration) and the spread of the per-cell rates, and for each rule (vdp, clopath,
meissner_bernard) the final weights of its excitatory and inhibitory plastic synapses as % of w_initial (the
notebook's (w - w0)/w0*100 + 100), their mean and SD over the runs.

The model is the seeds' plasticity notebook's: its equations (VDP_eq, clopath_eq,
meissner_bernard_eq, lif, on_pre_cl, ...) are written out here as Brian2 strings, its parameters read from the
config. One difference of form, not of model: the notebook builds one network per rule; since the plastic synapses
do not act on the cells, here the three rules' synapses observe the same cells in one network (3x less work, the
same law for each rule). Runtime device, float64, dt and seed from the config. tests/test_plasticity.cpp compares
`cortexloop plasticity` (engine/plasticity) with this at each point.
"""
import argparse
import json
import pathlib
import sys
import tomllib

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]
CONFIG = REPO / "configs" / "plasticity" / "rate_effect.toml"

VDP_EQ = '''
    dglutamate/dt = - glutamate/tau_glutamate : 1 (clock-driven)
    sig_LTP = 1/(1+exp(k_LTP*(-(v_post - theta_NMDA)))) : 1 (constant over dt)
    dv_NMDA_rise/dt = (-v_NMDA_rise + clip(clip(sig_LTP - v_NMDA,0,100) - v_NMDA_rise,0,100))/tau_NMDA_rise : 1 (clock-driven)
    dv_NMDA/dt = (NMDA_amp * v_NMDA_rise - v_NMDA)/tau_NMDA_fall : 1 (clock-driven)
    sig_LTD = 1/(1+exp(k_LTD*(-(v_post - theta_VDCC)))) : 1 (constant over dt)
    dVDCC_rise/dt = (-VDCC_rise + clip(clip(sig_LTD - VDCC,0,100) -VDCC_rise, 0, 100))/tau_VDCC_rise : 1 (clock-driven)
    dVDCC/dt = (VDCC_amp * VDCC_rise - VDCC) * 1/tau_VDCC_fall : 1 (clock-driven)
    Ca = VDCC**(exp(-c_ca)*20) + v_NMDA**(exp(-c_ca)*20) * int(glutamate>0) : 1 (constant over dt)
    dw/dt = clip(eta * Ca  * (v_NMDA * LTP_amp - VDCC * LTD_amp) * glutamate/tau_w*dt,(wmin-w),(wmax-w))/dt : 1 (clock-driven)
'''
CLOPATH_EQ = '''
    dvp/dt = (-vp + v_post)/tau_p : volt (clock-driven)
    dvm/dt = (-vm + v_post)/tau_m : volt (clock-driven)
    ds/dt = -s/tau_s : 1 (clock-driven)
    dw/dt = clip(eta * A_p  * (v_post - theta_p)/mV * int((v_post - theta_p)/mV > 0 ) * (vp - theta_m)/mV*int((vp - theta_m)/mV > 0 ) * s / tau_w *dt, (wmin - w), (wmax-w))/dt : 1 (clock-driven)
'''
MB_EQ = '''
    dvp/dt = (-vp + v_post)/tau_p : volt (clock-driven)
    dvm/dt = (-vm + v_post)/tau_m : volt (clock-driven)
    ds/dt = -s/tau_s : 1 (clock-driven)
    dw/dt = clip(eta * (A_p  * (vp - theta_p)/mV*int((vp - theta_p)/mV > 0 ) - A_d *(vm - theta_m)/mV * int((vm - theta_m)/mV > 0)) * s /tau_w * dt, (wmin - w), (wmax-w))/dt : 1 (clock-driven)
'''
ON_PRE_CL = '''
    s += g
    w = clip(w - eta * 0.1 * A_d *(vm - theta_m)/mV * int((vm - theta_m)/mV > 0), wmin, wmax)
'''
LIF = '''
    dv/dt = (vrest-v)/tau -g_syn_e * (v - E_exc)/tau - g_syn_i * (v - E_inh)/tau + n_sigma*xi*tau**-0.5 : volt (unless refractory)
    dg_syn_i/dt = -g_syn_i/tau_syn_i : 1
    dg_syn_e/dt = -g_syn_e/tau_syn_e : 1
'''


def run_point(cfg, e_rate, i_rate):
    import brian2 as b2
    from brian2 import ms, mV, Hz, second
    b2.start_scope()
    b2.seed(cfg["seed"])
    b2.defaultclock.dt = cfg["dt_ms"] * ms
    n, runs, t_ms = cfg["n_inputs"], cfg["runs"], cfg["duration_ms"]
    nu, v, c, mb = cfg["neuron"], cfg["vdp"], cfg["clopath"], cfg["meissner_bernard"]
    ns = dict(vrest=nu["v_rest_mV"] * mV, v_thres=nu["v_thresh_mV"] * mV, n_sigma=nu["noise_sigma_mV"] * mV,
              tau=nu["tau_m_ms"] * ms, tau_syn_e=nu["tau_syn_exc_ms"] * ms, tau_syn_i=nu["tau_syn_inh_ms"] * ms,
              E_exc=nu["e_exc_mV"] * mV, E_inh=nu["e_inh_mV"] * mV)
    cells = b2.NeuronGroup(runs, LIF, threshold="v > v_thres", reset="v = vrest", refractory=nu["t_ref_ms"] * ms,
                           method="euler", namespace=ns)
    cells.v = nu["v_rest_mV"] * mV
    # The notebook's regular presynaptic trains: a spike every int(1000 / F) ms from t = 0.
    def train(rate):
        return b2.SpikeGeneratorGroup(1, np.zeros(len(np.arange(0, t_ms, int(1000 / rate))), dtype=int),
                                      np.arange(0, t_ms, int(1000 / rate)) * ms)
    pre_e, pre_i = train(e_rate), train(i_rate)
    inp_e = b2.PoissonGroup(n * runs, e_rate * Hz)
    inp_i = b2.PoissonGroup(n * runs, i_rate * Hz)
    target = np.repeat(np.arange(runs), n)
    s_e = b2.Synapses(inp_e, cells, on_pre=f"g_syn_e_post += {nu['g_exc_per_spike']!r}")
    s_e.connect(i=np.arange(n * runs), j=target)
    s_i = b2.Synapses(inp_i, cells, on_pre=f"g_syn_i_post += {nu['g_inh_per_spike']!r}")
    s_i.connect(i=np.arange(n * runs), j=target)

    def vdp_ns():
        return dict(tau_glutamate=v["tau_glutamate_ms"] * ms, k_LTP=v["k_ltp_per_mV"] / mV, k_LTD=v["k_ltd_per_mV"] / mV,
                    theta_NMDA=v["theta_nmda_mV"] * mV, theta_VDCC=v["theta_vdcc_mV"] * mV,
                    tau_NMDA_rise=v["ltp_rise_ms"] * ms, tau_NMDA_fall=v["ltp_fall_ms"] * ms,
                    tau_VDCC_rise=v["ltd_rise_ms"] * ms, tau_VDCC_fall=v["ltd_fall_ms"] * ms,
                    NMDA_amp=(v["ltp_rise_ms"] / v["ltp_fall_ms"]) ** (v["ltp_fall_ms"] / (v["ltp_rise_ms"] - v["ltp_fall_ms"])),
                    VDCC_amp=(v["ltd_rise_ms"] / v["ltd_fall_ms"]) ** (v["ltd_fall_ms"] / (v["ltd_rise_ms"] - v["ltd_fall_ms"])),
                    LTP_amp=v["ltp_amp"], LTD_amp=v["ltd_amp"], eta=v["eta"], c_ca=v["c_ca"], wmin=v["w_min"],
                    wmax=v["w_max"], tau_w=v["tau_w_ms"] * ms, Apre=v["a_pre"])

    def lowpass_ns(p):
        return dict(g=p["g"], tau_s=p["tau_s_ms"] * ms, tau_m=p["tau_minus_ms"] * ms, tau_p=p["tau_plus_ms"] * ms,
                    A_d=p["a_ltd"], A_p=p["a_ltp"], theta_m=p["theta_minus_mV"] * mV, theta_p=p["theta_plus_mV"] * mV,
                    eta=p["eta"], wmin=p["w_min"], wmax=p["w_max"], tau_w=p["tau_w_ms"] * ms)

    # Named synapses_*: Brian2 orders the updaters of one slot by name, so, as with the notebook's default names
    # (synapses_2, ...), the plastic synapses' state updaters run after the cells' (neurongroup_stateupdater):
    # CM and MB read V after the step's update, VDP its sigmoids from V before it (its subexpressions, "constant
    # over dt", are computed before the step). engine/plasticity/rate_effect.cpp follows that order.
    plastic = {}
    for rule, eq, on_pre, namespace, init in (
            ("vdp", VDP_EQ, "glutamate += Apre", vdp_ns(), None),
            ("clopath", CLOPATH_EQ, ON_PRE_CL, lowpass_ns(c), c["v_filter_init_mV"]),
            ("meissner_bernard", MB_EQ, "s += g", lowpass_ns(mb), mb["v_filter_init_mV"])):
        for kind, pre in (("exc", pre_e), ("inh", pre_i)):
            syn = b2.Synapses(pre, cells, eq, on_pre=on_pre, method="euler", namespace=namespace,
                              name=f"synapses_{rule}_{kind}")
            syn.connect(p=1)
            syn.w = cfg["w_initial"]
            if init is not None:
                syn.vm = init * mV
                syn.vp = init * mV
            plastic[(rule, kind)] = syn
    spikes = b2.SpikeMonitor(cells)
    net = b2.Network(b2.collect())
    net.add(*plastic.values())
    net.run(t_ms * ms)
    counts = np.bincount(np.asarray(spikes.i), minlength=runs)
    rates = counts / (t_ms / 1000.0)
    out = {"e_rate_Hz": e_rate, "i_rate_Hz": i_rate, "rate_Hz": float(rates.mean()),
           "rate_sd_Hz": float(rates.std(ddof=1))}
    w0 = cfg["w_initial"]
    for (rule, kind), syn in plastic.items():
        pct = (np.asarray(syn.w) - w0) / w0 * 100 + 100
        # Ordered by the cell each synapse observes.
        pct = pct[np.argsort(np.asarray(syn.j))]
        out[f"{rule}_{kind}_pct"] = float(pct.mean())
        out[f"{rule}_{kind}_sd_pct"] = float(pct.std(ddof=1))
    if "--schedule" in sys.argv:
        print(net.scheduling_summary(), file=sys.stderr)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--config", default=str(CONFIG), help="plasticity config (default %(default)s)")
    ap.add_argument("--points", default="6:46,21:1,46:46,71:36,96:21",
                    help="e_rate_Hz:i_rate_Hz pairs, comma-separated (default %(default)s)")
    ap.add_argument("--out", default=str(HERE / "data" / "brian2_plasticity.json"),
                    help="output JSON (default tests/reference/data/brian2_plasticity.json)")
    ap.add_argument("--schedule", action="store_true", help="print Brian2's schedule of the first point")
    args = ap.parse_args()
    with open(args.config, "rb") as f:
        cfg = tomllib.load(f)["plasticity"]
    results = []
    for pair in args.points.split(","):
        e, i = (float(x) for x in pair.split(":"))
        r = run_point(cfg, e, i)
        print(json.dumps(r), file=sys.stderr, flush=True)
        results.append(r)
    pathlib.Path(args.out).write_text(json.dumps(
        {"config": args.config, "points": results,
         "command": " ".join(["/usr/bin/python3", "tests/reference/brian2_plasticity.py"] + sys.argv[1:]),
         "brian2": __import__("brian2").__version__}, indent=1) + "\n")


if __name__ == "__main__":
    main()
