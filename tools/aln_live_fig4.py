#!/usr/bin/python3
"""Cakan & Obermayer 2020 Fig 4a live: starts `cortexloop serve` with the AdEx network and the ALN node side by side
(configs/cakan2020/live_a1.toml, both at their point A1; --config runs either alone, e.g. authors_wiring.toml for
the network, aln_a1.toml for the node), sends a DC step of 60 pA onto the excitatory population as
an ordinary stimulation command (SetStimulation: 1 s after it is applied, for 1 s), records both models' E rates per
1 ms tick and writes a PNG (and the arrays, .npz, next to it).

    /usr/bin/python3 tools/aln_live_fig4.py --out out/live_a1.png
    /usr/bin/python3 tools/aln_live_fig4.py --out out/live_a2.png --amplitude-pA 40 \\
        --set network.input.mu_exc_mV_per_ms=1.6 --set network.input.mu_inh_mV_per_ms=0.3 \\
        --set aln.mu_ext_e_mV_per_ms=1.3 --set aln.mu_ext_i_mV_per_ms=0.5            # Fig 4, A2

The paper (Fig 4a): the step moves A1 from the down state into the E-I limit cycle LC_EI, and the oscillation stops
when the step ends, in both models. --mode realtime runs the server paced by the wall clock (the 20,000-cell network
runs at about 2x real time on an idle core, below 1x on a busy machine: then ticks come late; none is lost in stepped
mode; bench/README.md).

--stimuli PROTOCOL sends the [[stimulus]] entries of a Fig 4 protocol file (configs/cakan2020/fig4/*.toml: the
protocol alone, which the offline configs fig4_*.toml and fig4_network_*.toml name as a base) instead of the one step,
each on its own channel of one SetPrograms command, for its simulation.duration_s: the other Fig 4 protocols (fig4/a3.toml:
+-100 pA steps; fig4/b3.toml, fig4/b4.toml: 40 pA sinusoids at 3 and 4 Hz) on the server's models (B3 and B4 need
adaptation: --config configs/cakan2020/aln_b3.toml, or authors_wiring_adapt.toml for the network).

    /usr/bin/python3 tools/aln_live_fig4.py --config configs/cakan2020/aln_b3.toml \\
        --stimuli configs/cakan2020/fig4/b3.toml --out out/live_b3.png                  # Fig 4, B3

--protocol pi-clamp closes a loop on the ALN node instead (configs/cakan2020/aln_closed_loop.toml, docs/aln.md): the
simulated device senses the node's E rate and its PI clamp (SetController PiClamp) holds it at --target-Hz with a DC
current onto E from --clamp-from-ms on; the PNG shows the sensed rate, its set-point and the delivered current.

    /usr/bin/python3 tools/aln_live_fig4.py --protocol pi-clamp --out docs/images/aln_closed_loop.png
"""
import argparse
import os
import tomllib
import pathlib
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools" / "python"))
from cortexloop_client import aln_live, cli, timeline  # noqa: E402
from cortexloop_client.mpl import pyplot  # noqa: E402


def smooth(x, n):
    """Moving mean over n ticks (the network's 1 ms rate of 10,000 cells is shot noise of ~0.1 Hz per spike)."""
    return timeline.smooth(x, n)


def plot_pi_clamp(d, path, title):
    """Sensed rate and set-point, and the delivered current, against time."""
    t_s = d["t_ms"] / 1000.0
    plt = pyplot()
    fig, axes = plt.subplots(2, 1, figsize=(8, 5.5), sharex=True, constrained_layout=True)
    axes[0].plot(t_s, d["sensed_Hz"], color="C3", lw=0.8, label="sensed E rate (device, aln_rate_exc)")
    axes[0].plot(t_s, d["target_Hz"], color="k", lw=1.0, ls="--", label="set-point")
    axes[0].set_ylabel("ALN E rate (Hz)")
    # The scale of the set-point: the node's start from a quiet state (its first ~50 ms, up to the 10 Hz of the
    # channel's range) would flatten the loop into a line.
    axes[0].set_ylim(0.0, 2.0 * np.nanmax(d["target_Hz"]))
    axes[0].legend(loc="lower right", fontsize=8)
    axes[1].plot(t_s, d["delivered_pA"], color="C0", lw=0.8, label="delivered (channel 0, mean per tick)")
    axes[1].set_ylabel("current onto E (pA)")
    axes[1].set_xlabel("time (s)")
    axes[1].legend(loc="lower right", fontsize=8)
    fig.suptitle(title)
    fig.savefig(cli.with_folder(path), dpi=120)
    plt.close(fig)


def main_pi_clamp(a) -> int:
    d = aln_live.run_pi_clamp(a.config, a.target_Hz, a.ki_per_s, a.output_max_pA, a.clamp_from_ms, a.duration_ms,
                              a.mode, a.set, a.bin, a.seed)
    np.savez(cli.with_folder(a.out.with_suffix(".npz")), **d)
    plot_pi_clamp(d, a.out, f"{pathlib.Path(a.config).name}, {a.mode} serve: the device's PI clamp on the\n"
                            f"ALN node's sensed E rate (kp 0, ki {a.ki_per_s:g} pA/(Hz s), output 0-{a.output_max_pA:g} pA)")
    start = int(d["clamp_start_tick"])
    last_s = d["t_ms"] >= d["t_ms"][-1] - 1000.0
    print(f"before the clamp: sensed {np.mean(d['sensed_Hz'][start // 2:start]):.4f} Hz; last second: sensed "
          f"{np.mean(d['sensed_Hz'][last_s]):.4f} Hz (set-point {a.target_Hz:g}), delivered "
          f"{np.mean(d['delivered_pA'][last_s]):.3f} pA")
    print(f"wrote {a.out} and {a.out.with_suffix('.npz')}")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=cli.figure_path_arg, required=True,
                    help="PNG to write (the arrays go to the same name .npz; a folder is refused)")
    ap.add_argument("--protocol", choices=["step", "pi-clamp"], default="step",
                    help="step: Fig 4's DC step (default); pi-clamp: the device's PI clamp on the ALN node's E rate")
    ap.add_argument("--config", help="serve's config (default: configs/cakan2020/live_a1.toml for step, "
                                     "aln_closed_loop.toml for pi-clamp)")
    ap.add_argument("--mode", choices=["stepped", "realtime", "fast"], default="stepped",
                    help="serve --mode (default: %(default)s)")
    ap.add_argument("--amplitude-pA", type=float, default=60.0,
                    help="DC step onto Exc, pA per cell (default: %(default)s, the paper's at A1)")
    ap.add_argument("--pre-ms", type=float, default=1000.0, help="before the step, ms (default: %(default)s)")
    ap.add_argument("--step-ms", type=float, default=1000.0, help="length of the step, ms (default: %(default)s)")
    ap.add_argument("--post-ms", type=float, default=1000.0, help="after the step, ms (default: %(default)s)")
    ap.add_argument("--stimuli", type=pathlib.Path,
                    help="send this protocol's [[stimulus]] entries (e.g. configs/cakan2020/fig4/b3.toml) instead "
                         "of the step, for its simulation.duration_s")
    ap.add_argument("--set", action="append", default=[], help="config override passed to serve (repeatable)")
    ap.add_argument("--seed", type=int, default=1, help="serve --seed (default: %(default)s)")
    ap.add_argument("--smooth-ms", type=int, default=5,
                    help="moving mean of the network's rate in the plot, ms (default: %(default)s)")
    ap.add_argument("--bin", default=os.environ.get("CORTEXLOOP_BIN", str(ROOT / "build" / "cortexloop")),
                    help="cortexloop executable (default: $CORTEXLOOP_BIN or %(default)s)")
    pi = ap.add_argument_group("pi-clamp (the config's sensing channel 0 must sense aln_rate_exc)")
    pi.add_argument("--target-Hz", type=float, default=0.45,
                    help="set-point of the sensed E rate, Hz (default: %(default)s; A1 rests at 0.31)")
    pi.add_argument("--ki-per-s", type=float, default=400.0,
                    help="integral gain, pA per (Hz s); kp is 0 (default: %(default)s)")
    pi.add_argument("--output-max-pA", type=float, default=25.0,
                    help="largest current, pA (default: %(default)s; A1 cycles at 40 pA)")
    pi.add_argument("--clamp-from-ms", type=float, default=1000.0,
                    help="the clamp starts here, ms (default: %(default)s)")
    pi.add_argument("--duration-ms", type=float, default=5000.0, help="length of the run, ms (default: %(default)s)")
    a = ap.parse_args()
    a.out = cli.figure_file(a.out)  # its format before the runs, not after them
    if not os.path.exists(a.bin):
        print(f"aln_live_fig4: {a.bin} not found (build it, or pass --bin)", file=sys.stderr)
        return 1
    if a.config is None:
        name = "live_a1.toml" if a.protocol == "step" else "aln_closed_loop.toml"
        a.config = str(ROOT / "configs" / "cakan2020" / name)
    if a.protocol == "pi-clamp":
        return main_pi_clamp(a)
    if a.stimuli is None:
        d = aln_live.run(a.config, a.amplitude_pA, a.pre_ms, a.step_ms, a.post_ms, a.mode, a.set, a.bin, a.seed)
        what = f"{a.amplitude_pA:g} pA DC onto E by SetStimulation"
    else:
        try:
            spec = tomllib.loads(a.stimuli.read_text())
            stimuli, duration_ms = spec["stimulus"], 1000.0 * spec["simulation"]["duration_s"]
        except (OSError, tomllib.TOMLDecodeError, KeyError) as e:
            print(f"aln_live_fig4: --stimuli {a.stimuli}: needs [[stimulus]] entries and simulation.duration_s ({e})",
                  file=sys.stderr)
            return 1
        d = aln_live.run_stimuli(a.config, stimuli, duration_ms, a.mode, a.set, a.bin, a.seed)
        what = f"the [[stimulus]] of {a.stimuli.name} by SetPrograms"
    np.savez(cli.with_folder(a.out.with_suffix(".npz")), **d)

    t_s = d["t_ms"] / 1000.0
    # One panel per model the server runs (the network, the ALN node or both; the other reads NaN), then the current.
    models = [(name, key) for name, key in (("network", "net_rate_exc_Hz"), ("ALN", "aln_rate_e_Hz"))
              if not np.all(np.isnan(d[key]))]
    plt = pyplot()
    fig, axes = plt.subplots(len(models) + 1, 1, figsize=(8, 1.5 + 2.5 * len(models)), sharex=True,
                             constrained_layout=True, gridspec_kw={"height_ratios": [3] * len(models) + [1]})
    for ax, (name, key) in zip(axes, models):
        if name == "network":
            ax.plot(t_s, d[key], color="0.75", lw=0.5, label="1 ms")
            ax.plot(t_s, smooth(d[key], a.smooth_ms), color="C0", lw=0.8, label=f"{a.smooth_ms} ms mean")
            ax.legend(loc="upper right", fontsize=8)
        else:
            ax.plot(t_s, d[key], color="C3", lw=0.8)
        ax.set_ylabel(f"{name} E rate (Hz)")
    axes[-1].plot(t_s, d["i_stim_exc_pA"], color="k", lw=0.8)
    axes[-1].set_ylabel("stim (pA)")
    axes[-1].set_xlabel("time after the command (s)")
    fig.suptitle(f"{pathlib.Path(a.config).name}, {a.mode} serve: {what}")
    fig.savefig(cli.with_folder(a.out), dpi=120)
    if a.stimuli is not None:
        print(f"wrote {a.out} and {a.out.with_suffix('.npz')}")
        return 0
    on, off = int(a.pre_ms), int(a.pre_ms + a.step_ms)
    for name, key in models:
        x = d[key]
        print(f"{name:8s} E rate mean before {x[on // 2:on].mean():6.2f} Hz, during {x[(on + off) // 2:off].mean():6.2f} "
              f"Hz (range {np.ptp(x[(on + off) // 2:off]):.2f}), after {x[off + (len(x) - off) // 2:].mean():6.2f} Hz")
    print(f"wrote {a.out} and {a.out.with_suffix('.npz')}")
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
