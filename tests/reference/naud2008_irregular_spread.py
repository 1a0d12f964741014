#!/usr/bin/python3
"""Spread of the irregular-spiking spike count (Naud 2008 Fig. 4h) under tiny perturbations, engine and Brian2.

Run (from the repository root, after building; ~2 min):
    PYTHONPATH=build/python:tools/python /usr/bin/python3 tests/reference/naud2008_irregular_spread.py \
        [--cortexloop build/cortexloop]
Runs configs/naud2008/irregular_spiking.toml with V_T + k*dv and I + k*di, k = -10..10, in the engine
(`cortexloop simulate --record spikes --set ...`) and in Brian2 (tests/reference/brian2_naud2008.py's run_config,
double precision), prints every count, each simulator's mean and SD, and |difference of means| + 3 * combined SD,
the bound tests/test_naud2008.cpp holds the count to. The engine's state is float: V_T + 1e-9 mV or I + 1e-9 pA
round to the same float (no perturbation at all), so the engine gets float-sized steps (dv = 4e-6 mV, ~1 ulp at
50 mV; di = 2e-5 pA, ~1 ulp at 160 pA); Brian2 gets those and the 1e-9 steps too.
"""
import argparse
import pathlib
import re
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from brian2_naud2008 import run_config  # noqa: E402

CONFIG = pathlib.Path("configs/naud2008/irregular_spiking.toml")
KS = range(-10, 11)


def engine_count(binary, sets, tmp):
    cmd = [binary, "simulate", "--config", str(CONFIG), "--out", tmp, "--record", "spikes", "-q"]
    for s in sets:
        cmd += ["--set", s]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return len(np.load(pathlib.Path(tmp) / "spikes.npy"))


def brian2_count(v_t=None, amp=None, tmp=None):
    text = CONFIG.read_text()
    if amp is not None:
        text, n = re.subn(r"amplitude_pA = 160\.0", f"amplitude_pA = {amp!r}", text)
        assert n == 1
    path = pathlib.Path(tmp) / "irregular_spiking.toml"
    path.write_text(text)
    sets = [f"network.exc.v_t_mV={v_t!r}"] if v_t is not None else []
    return run_config(path, sets)[0]["n_spikes"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--cortexloop", default="build/cortexloop", help="engine binary (default build/cortexloop)")
    args = ap.parse_args()
    eng, b2 = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for label, sets in (("V_T + k*4e-6 mV", lambda k: [f"network.exc.v_t_mV={-50.0 + k * 4e-6!r}"]),
                            ("I + k*2e-5 pA", lambda k: [f"stimulus[0].amplitude_pA={160.0 + k * 2e-5!r}"])):
            c = [engine_count(args.cortexloop, sets(k), tmp + "/run") for k in KS]
            print(f"engine {label:16s}", *c, flush=True)
            eng += c
        for label, kw in (("V_T + k*1e-9 mV", lambda k: {"v_t": -50.0 + k * 1e-9}),
                          ("I + k*1e-9 pA", lambda k: {"amp": 160.0 + k * 1e-9}),
                          ("V_T + k*4e-6 mV", lambda k: {"v_t": -50.0 + k * 4e-6}),
                          ("I + k*2e-5 pA", lambda k: {"amp": 160.0 + k * 2e-5})):
            c = [brian2_count(tmp=tmp, **kw(k)) for k in KS]
            print(f"Brian2 {label:16s}", *c, flush=True)
            b2 += c
    e, b = np.array(eng), np.array(b2)
    sd = np.hypot(e.std(ddof=1), b.std(ddof=1))
    diff = abs(e.mean() - b.mean())
    print(f"engine n={len(e)} mean {e.mean():.3f} SD {e.std(ddof=1):.3f}; Brian2 n={len(b)} mean {b.mean():.3f} "
          f"SD {b.std(ddof=1):.3f}; |diff of means| {diff:.3f}, combined SD {sd:.3f}; "
          f"bound = diff + 3 SD = {diff + 3 * sd:.2f} -> {int(np.ceil(diff + 3 * sd))} spikes")


if __name__ == "__main__":
    main()
