#!/usr/bin/python3
"""Cakan & Obermayer 2020 Fig 4 offline, on the ALN mean field, the AdEx E-I network, or both side by side: the five
stimulation protocols of configs/cakan2020/fig4/*.toml (DC steps of 60 and 40 pA at A1 and A2, +-100 pA steps at
A3, 40 pA sinusoids at 3 Hz at B3 and 4 Hz at B4, all onto E), each run with `cortexloop simulate` of the model's
config that names the protocol as a base (fig4_<point>.toml for the ALN node at its points, fig4_network_<point>.toml
for the network at the network's points), drawn as E rate traces above their stimulus, one column per model.
Writes a PNG.

    /usr/bin/python3 tools/aln_fig4.py --model both --out docs/images/aln_fig4.png   # network | ALN (docs/aln.md)
    /usr/bin/python3 tools/aln_fig4.py --out out/aln_fig4_node.png                   # the ALN node alone

The network runs at the configs' size (N_E = N_I = 10000) unless --set network.n_neurons=N; its 1-ms rate is drawn
as a --smooth-ms moving mean (its per-tick value is shot noise).
"""
import argparse
import pathlib
import subprocess
import sys
import tempfile

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools" / "python"))
from cortexloop_client import cli  # noqa: E402
from cortexloop_client.analysis import smooth  # noqa: E402
from cortexloop_client.mpl import pyplot  # noqa: E402

PROTOCOLS = [
    ("a1", "A1: DC 60 pA -> LC$_{EI}$"),
    ("a2", "A2: DC 40 pA -> up"),
    ("a3", "A3: +-100 pA steps, down <-> up"),
    ("b3", "B3: 40 pA at 3 Hz, phase locking"),
    ("b4", "B4: 40 pA at 4 Hz"),
]
# The config of each model at a point: the model's point plus the protocol file (one source for both).
CONFIG = {"aln": "fig4_{}.toml", "network": "fig4_network_{}.toml"}
TITLE = {"aln": "ALN mean field", "network": "AdEx network"}


def run(binary, model, point, out, sets):
    cfg = ROOT / "configs" / "cakan2020" / CONFIG[model].format(point)
    args = [str(binary), "simulate", "-q", "--config", str(cfg), "--out", str(out)]
    for s in sets if model == "network" else []:
        args += ["--set", s]
    subprocess.run(args, check=True)
    return np.load(out / "rates.npy")[:, 0], np.load(out / "stim.npy")[:, 0]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=cli.figure_path_arg, required=True, help="PNG to write (a folder is refused)")
    ap.add_argument("--model", choices=["aln", "network", "both"], default="aln",
                    help="which model's configs to run (both: network and ALN side by side; default: %(default)s)")
    ap.add_argument("--set", action="append", default=[],
                    help="override for the network's configs, e.g. network.n_neurons=4000 (repeatable)")
    ap.add_argument("--smooth-ms", type=int, default=5, help="moving mean of the network's rate (default: %(default)s)")
    ap.add_argument("--save-rates", type=pathlib.Path, help="also write each run's E rate and stimulus here (.npz)")
    ap.add_argument("--cortexloop", type=pathlib.Path, default=ROOT / "build" / "cortexloop",
                    help="cortexloop executable (default: %(default)s)")
    a = ap.parse_args()
    a.out = cli.figure_file(a.out)  # its format before the runs, not after them
    if not a.cortexloop.exists():
        print(f"aln_fig4: {a.cortexloop} not found (build it, or pass --cortexloop)", file=sys.stderr)
        return 1
    models = ["network", "aln"] if a.model == "both" else [a.model]
    plt = pyplot()
    fig, axes = plt.subplots(len(PROTOCOLS), len(models), figsize=(8 * len(models), 2.0 * len(PROTOCOLS)),
                             constrained_layout=True, squeeze=False)
    saved = {}
    with tempfile.TemporaryDirectory() as tmp:
        for col, model in enumerate(models):
            for row, (point, title) in enumerate(PROTOCOLS):
                rate, stim = run(a.cortexloop, model, point, pathlib.Path(tmp) / f"{model}_{point}", a.set)
                saved[f"{model}_{point}_rate_e_Hz"], saved[f"{model}_{point}_stim_pA"] = rate, stim
                ax = axes[row, col]
                t_s = np.arange(len(rate)) / 1000.0
                shown = smooth(rate, a.smooth_ms) if model == "network" else rate
                label = f"E rate ({a.smooth_ms} ms mean)" if model == "network" and a.smooth_ms > 1 else "E rate"
                ax.plot(t_s, shown, color="k", lw=1.0, label=label)
                ax.set_ylabel("E rate [Hz]")
                ax.set_title(f"{TITLE[model]}, {title}", fontsize=10, loc="left")
                twin = ax.twinx()
                twin.plot(t_s, stim, color="tomato", lw=1.0, alpha=0.8)
                twin.set_ylabel("stimulus [pA]", color="tomato")
            axes[-1, col].set_xlabel("time [s]")
    fig.savefig(cli.with_folder(a.out), dpi=110)
    if a.save_rates:
        np.savez(cli.with_folder(a.save_rates), **saved)
    print(f"aln_fig4: wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
