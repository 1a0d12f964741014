#!/usr/bin/python3
"""Cakan & Obermayer 2020 Fig 4 for the ALN mean field: the five stimulation protocols of configs/cakan2020/fig4_*.toml
(DC steps of 60 and 40 pA at A1 and A2, +-100 pA steps at A3, 40 pA sinusoids at 3 Hz at B3 and 4 Hz at B4, all onto
E) run with `cortexloop simulate`, drawn as E rate traces above their stimulus. Writes a PNG.

    /usr/bin/python3 tools/aln_fig4.py --out docs/images/aln_fig4.png
"""
import argparse
import pathlib
import subprocess
import sys
import tempfile

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent / "python"))
from cortexloop_client import cli  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
PROTOCOLS = [
    ("a1", "A1: DC 60 pA -> LC$_{EI}$"),
    ("a2", "A2: DC 40 pA -> up"),
    ("a3", "A3: +-100 pA steps, down <-> up"),
    ("b3", "B3: 40 pA at 3 Hz, phase locking"),
    ("b4", "B4: 40 pA at 4 Hz"),
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=pathlib.Path, required=True, help="PNG to write")
    ap.add_argument("--cortexloop", type=pathlib.Path, default=ROOT / "build" / "cortexloop",
                    help="cortexloop executable (default: %(default)s)")
    a = ap.parse_args()
    if not a.cortexloop.exists():
        print(f"aln_fig4: {a.cortexloop} not found (build it, or pass --cortexloop)", file=sys.stderr)
        return 1
    fig, axes = plt.subplots(len(PROTOCOLS), 1, figsize=(8, 2.0 * len(PROTOCOLS)), constrained_layout=True)
    with tempfile.TemporaryDirectory() as tmp:
        for ax, (name, title) in zip(axes, PROTOCOLS):
            out = pathlib.Path(tmp) / name
            cfg = ROOT / "configs" / "cakan2020" / f"fig4_{name}.toml"
            subprocess.run([str(a.cortexloop), "simulate", "-q", "--config", str(cfg), "--out", str(out)], check=True)
            rates = np.load(out / "rates.npy")
            stim = np.load(out / "stim.npy")
            t_s = np.arange(len(rates)) / 1000.0
            ax.plot(t_s, rates[:, 0], color="k", lw=1.0, label="E rate")
            ax.set_ylabel("E rate [Hz]")
            ax.set_title(title, fontsize=10, loc="left")
            twin = ax.twinx()
            twin.plot(t_s, stim[:, 0], color="tomato", lw=1.0, alpha=0.8)
            twin.set_ylabel("stimulus [pA]", color="tomato")
        axes[-1].set_xlabel("time [s]")
    a.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(cli.with_folder(a.out), dpi=110)
    print(f"aln_fig4: wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
