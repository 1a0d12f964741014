"""Turn a recording (cortexloop record / simulate output folder) into PNG figures.

    /usr/bin/python3 -m cortexloop_client.plot out/rec --out out/rec/session.png
"""
import argparse
import json
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def load(folder):
    d = {}
    for name in ["rates", "mean_v", "mean_w", "stim", "lfp", "ticks", "vsdi", "ring_rates_exc", "ring_stim"]:
        path = os.path.join(folder, name + ".npy")
        if os.path.exists(path):
            d[name] = np.load(path)
    summary = os.path.join(folder, "summary.json")
    d["summary"] = {}
    if os.path.exists(summary):
        with open(summary) as f:
            d["summary"] = json.load(f)
    acks = os.path.join(folder, "acks.jsonl")  # one ack per line, as `cortexloop record` received them
    d["acks"] = []
    if os.path.exists(acks):
        with open(acks) as f:
            d["acks"] = [json.loads(line) for line in f if line.strip()]
    if "ticks" in d and len(d["ticks"]):
        d["t_s"] = d["ticks"][:, 2] / 1000.0
    else:
        d["t_s"] = (np.arange(len(d["rates"])) + 1) / 1000.0
    return d


def figure(d, title=None, smooth_ms=5):
    has_ring = "vsdi" in d and d["vsdi"].size > 0
    rows = 5 if has_ring else 4
    fig, axes = plt.subplots(rows, 1, figsize=(11, 2.1 * rows + 0.6), sharex=True,
                             gridspec_kw={"height_ratios": [2, 1, 1, 1] + ([2] if has_ring else [])})
    t = d["t_s"]
    kernel = np.ones(smooth_ms) / smooth_ms

    def smooth(x):
        return np.convolve(x, kernel, mode="same") if len(x) > smooth_ms else x

    ax = axes[0]
    ax.plot(t, smooth(d["rates"][:, 0]), color="tab:green", lw=1, label="excitatory (RS)")
    ax.plot(t, smooth(d["rates"][:, 1]), color="tab:red", lw=1, label="inhibitory (FS)")
    ax.set_ylabel(f"rate (Hz)\n{smooth_ms} ms mean")
    ax.legend(loc="upper left", frameon=False, ncol=2)
    ax = axes[1]
    ax.plot(t, d["stim"][:, 0], color="tab:green", lw=1, label="exc")
    ax.plot(t, d["stim"][:, 1], color="tab:red", lw=1, label="inh")
    ax.set_ylabel("stimulation\n(pA / cell)")
    ax = axes[2]
    ax.plot(t, d["lfp"], color="k", lw=0.8)
    ax.set_ylabel("LFP proxy\n(nA)")
    ax = axes[3]
    ax.plot(t, d["mean_v"][:, 0], color="tab:green", lw=1)
    ax.plot(t, d["mean_v"][:, 1], color="tab:red", lw=1)
    ax.set_ylabel("mean V\n(mV)")
    if has_ring:
        ax = axes[4]
        v = d["vsdi"]
        im = ax.imshow(v.T, aspect="auto", origin="lower", cmap="viridis", interpolation="nearest",
                       extent=[t[0], t[-1], 0, v.shape[1]])
        ax.set_ylabel("ring unit\n(VSDi)")
        # The colour bar sits inside the panel so that every panel keeps the same width and time axis.
        cax = ax.inset_axes([1.005, 0.0, 0.012, 1.0])
        fig.colorbar(im, cax=cax, label="VSDi (%)")
    for ack in d["acks"]:
        if ack.get("accepted") and "ticks" in d and len(d["ticks"]):
            hit = np.nonzero(d["ticks"][:, 1] == ack["tick_applied"])[0]
            # Mark only the commands that changed the stimulation (not pings or parameter changes).
            changed = len(hit) and hit[0] > 0 and np.any(d["stim"][hit[0]] != d["stim"][hit[0] - 1])
            if len(hit) and hit[0] > 0 and "ring_stim" in d and len(d["ring_stim"]) == len(d["stim"]):
                changed = changed or np.any(d["ring_stim"][hit[0]] != d["ring_stim"][hit[0] - 1])
            if changed:
                for a in axes:
                    a.axvline(t[hit[0]], color="0.6", lw=0.6, ls="--")
    axes[-1].set_xlabel("simulated time (s)")
    for a in axes:
        a.spines[["top", "right"]].set_visible(False)
    fig.suptitle(title or "cortexloop session", x=0.01, ha="left", fontsize=10)
    fig.tight_layout()
    return fig


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", help="recording folder (rates.npy, stim.npy, lfp.npy, mean_v.npy, ...)")
    ap.add_argument("--out", help="PNG file (default FOLDER/session.png)")
    ap.add_argument("--title")
    ap.add_argument("--dpi", type=int, default=150)
    a = ap.parse_args(argv)
    d = load(a.folder)
    out = a.out or os.path.join(a.folder, "session.png")
    figure(d, a.title).savefig(out, dpi=a.dpi)
    print(f"plot: {len(d['rates'])} ticks -> {out}")


if __name__ == "__main__":
    main()
