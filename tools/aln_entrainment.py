#!/usr/bin/python3
"""Cakan & Obermayer 2020 Figs 5 and 6 at A2, offline for the ALN model or live through `cortexloop serve` for the
ALN node, the spiking network, or both side by side in one session.

  frequency      Fig 5, frequency entrainment: a sinusoid onto E from 1 s on, f = 1..70 Hz (70 values) x zero-to-peak
                 amplitude A in {0.2, 0.4, 0.8, 1.0, 1.2, 1.4} mV/ms (x C = 200 pF), 6 s runs; for each the power
                 spectrum of the E rate after 1 s (Welch, 1 s Hann segments, normalised to its maximum, f < 70 Hz),
                 drawn as spectrum frequency against stimulus frequency, one panel per amplitude.
  phase-locking  Fig 6, phase locking, 20 s runs, the sine from 1 s on, drawn over (f, A) in two rows. Top, the
                 paper's measure (analysis.mean_two_oscillator_order): each of the E rate and the stimulus gets a
                 phase rising linearly by 2 pi from one of its peaks to the next ("peak-to-peak linear phase",
                 peaks of the 5 ms Gaussian-smoothed trace), the two-oscillator Kuramoto order parameter
                 |exp(i phi_rate) + exp(i phi_stim)| / 2 is taken at each 1 ms, and its mean over 5-19.5 s is
                 drawn (2/pi = 0.64 unlocked, |cos(lag/2)| locked). Bottom, the phase-locking value
                 |<exp(i (phi_rate - phi_stim))>| from 1.5 s (0 unlocked, 1 locked at any lag: not the paper's
                 measure, but its tongue is plainer). ALN: f = 20.85..22.85 Hz (41) x A = 0.001..0.06 mV/ms (59);
                 network: f = 29..31 Hz x A = 0.01..0.2 mV/ms (the paper's grids).

The grids, run lengths, windows and each model's config are configs/cakan2020/entrainment.toml; --frequencies and
--amplitudes replace the grid. Offline (the default; ALN only): one `cortexloop simulate` of aln_a2.toml with a
[[stimulus]] sine per point, over --jobs processes. --live: one `serve --mode stepped` session of the model's config
(aln_a2.toml, network_a2.toml at N_E = N_I = 2000, or live_a2.toml with both), each point a Reset, one
SetStimulation sine onto Exc and the Steps of the run (cortexloop_client/entrainment.py). Arrays (.npy) and a PNG
are written to --out.

    /usr/bin/python3 tools/aln_entrainment.py frequency --out out/aln_fig5
    /usr/bin/python3 tools/aln_entrainment.py phase-locking --out out/aln_fig6
    /usr/bin/python3 tools/aln_entrainment.py frequency --live --model both --out out/fig5_both
    /usr/bin/python3 tools/aln_entrainment.py phase-locking --live --model network --quick --out out/net_fig6
"""
import argparse
import concurrent.futures
import os
import pathlib
import sys
import tempfile
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools" / "python"))
from cortexloop_client import cli, entrainment  # noqa: E402


def floats(text):
    try:
        return [float(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected comma-separated numbers, e.g. 10,22.5,30") from None


def frequencies(text):
    """--frequencies: numbers in the stimulator's range, refused here naming the option (`--frequencies -5` was blamed
    on entrainment.toml: an outside check, 2026-12-06)."""
    values = floats(text)
    for f in values:
        if not 0 < f <= entrainment.MAX_FREQUENCY_HZ:
            raise argparse.ArgumentTypeError(f"{f:g} Hz: each frequency must be in (0, "
                                             f"{entrainment.MAX_FREQUENCY_HZ:g}] Hz (the stimulator's range)")
    return values


def run_offline(scan, binary, jobs):
    grid = entrainment.points(scan)
    with tempfile.TemporaryDirectory() as tmp, concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        futures = [pool.submit(entrainment.offline_rate, binary, scan, f, a, tmp) for f, a in grid]
        rates = []
        for k, fut in enumerate(futures):
            rates.append(fut.result())
            if (k + 1) % 50 == 0 or k + 1 == len(futures):
                print(f"aln_entrainment: {k + 1}/{len(futures)} runs", file=sys.stderr)
    return {"aln": rates}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=list(entrainment.FIGURES), help="frequency (Fig 5) or phase-locking (Fig 6)")
    ap.add_argument("--out", type=pathlib.Path, required=True, help="folder for the arrays and the PNG")
    ap.add_argument("--live", action="store_true", help="run the points through one `serve --mode stepped` session")
    ap.add_argument("--model", choices=entrainment.MODELS, default="aln",
                    help="aln (offline or live), network or both side by side (live only); default: %(default)s")
    ap.add_argument("--scans", type=pathlib.Path, default=pathlib.Path(entrainment.SCANS),
                    help="the scan file (default: %(default)s)")
    ap.add_argument("--frequencies", type=frequencies,
                    help=f"stimulus frequencies, Hz, comma-separated, each in (0, {entrainment.MAX_FREQUENCY_HZ:g}] "
                         "(replaces the file's grid)")
    ap.add_argument("--amplitudes", type=floats, help="zero-to-peak amplitudes, mV/ms (x 200 pF = pA)")
    ap.add_argument("--set", action="append", default=[], help="live: a config override for serve (repeatable)")
    ap.add_argument("--seed", type=int, default=1, help="simulation seed (default: %(default)s)")
    ap.add_argument("--cortexloop", type=pathlib.Path,
                    default=pathlib.Path(os.environ.get("CORTEXLOOP_BIN", ROOT / "build" / "cortexloop")),
                    help="cortexloop executable (default: $CORTEXLOOP_BIN or %(default)s)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                    help="offline: simulate processes at once (default: %(default)s)")
    ap.add_argument("--save-rates", action="store_true",
                    help="also write every point's E rate per tick ([point, tick], float32) and, live, its stimulus")
    ap.add_argument("--quick", action="store_true", help="a coarse grid (a few values per axis) to try it out")
    a = ap.parse_args()
    if not a.cortexloop.exists():
        print(f"aln_entrainment: {a.cortexloop} not found (build it, or pass --cortexloop)", file=sys.stderr)
        return 1
    if not a.live and (a.model != "aln" or a.set):
        print("aln_entrainment: offline runs the ALN model only, without --set; the network and both models side by "
              "side run with --live", file=sys.stderr)
        return 2
    try:
        scan = entrainment.load_scan(a.what, a.model, a.scans, a.quick, a.frequencies, a.amplitudes)
    except OSError as e:
        print(f"aln_entrainment: {e.filename}: {e.strerror}", file=sys.stderr)
        return 2
    except (ValueError, KeyError) as e:
        print(f"aln_entrainment: {e}", file=sys.stderr)
        return 2
    a.out.mkdir(parents=True, exist_ok=True)
    w0 = time.monotonic()
    if a.live:
        rates, stims, walls = entrainment.run_live(scan, str(a.cortexloop), a.seed, a.set)
        np.save(a.out / "wall_s_per_point.npy", walls)
        if a.save_rates:
            np.save(a.out / "i_stim_exc_pA.npy", np.array(stims, np.float32))
    else:
        rates = run_offline(scan, a.cortexloop, a.jobs)
    if a.save_rates:
        for m, r in rates.items():
            np.save(a.out / f"{m}_rate_e_Hz.npy", np.array(r, np.float32))  # [point, tick]
    png = entrainment.save_and_plot(scan, rates, a.out, ", live (serve)" if a.live else ", offline (simulate)")
    print(f"aln_entrainment: {cli.plural(len(entrainment.points(scan)), 'point')} in {time.monotonic() - w0:.1f} s wall; wrote {png}")
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
