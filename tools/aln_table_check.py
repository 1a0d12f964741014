#!/usr/bin/python3
"""Compare an ALN cascade table written by `cortexloop aln-table --out FILE` (default grid) with the points of
neurolib's quantities_cascade.h5 listed in aln_cascade_points.md, at the issue's tolerances (rate 2% where above
1 Hz, V_mean 0.2 mV, tau 5% or 0.01 ms -- the reference's tau are rounded to its 0.01 ms search grid -- and
tau_sigma = 0 exactly where the reference has 0), and that every value of the table is finite. Exit status 1 if
any point is outside or any value is not finite, or if the values do not match the file's checksum (refused first).

    build/cortexloop aln-table --out /tmp/table.bin
    /usr/bin/python3 tools/aln_table_check.py /tmp/table.bin
"""
import argparse
import pathlib
import re
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent / "python"))
from cortexloop_client import cli  # noqa: E402


HEADER = 40  # magic, 16-character key, n_mu and n_sigma (int32), checksum (uint64): io/aln_cache/cascade_cache.hpp


def fnv1a64(data, h=0xcbf29ce484222325):
    for c in data:
        h = ((h ^ c) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def read_table(path):
    with open(path, "rb") as f:  # a missing file: one line from cli.run
        b = f.read()
    if b[:8] == b"CLALNCT1":
        sys.exit(f"{path}: a table of an older format, without a checksum: write it again with "
                 "`cortexloop aln-table --out`")
    if b[:8] != b"CLALNCT2" or len(b) < HEADER:
        sys.exit(f"{path}: not a cortexloop ALN cascade table" + (
            f" (its {HEADER}-byte header cut short: {len(b)} bytes)" if b[:8] == b"CLALNCT2" else ""))
    n_mu, n_sigma = (int(x) for x in np.frombuffer(b[24:32], dtype="<i4"))
    # A file cut short (a copy interrupted) ended in numpy's reshape traceback (an outside check, 2026-12-06).
    want = HEADER + 8 * 4 * n_sigma * n_mu
    if n_mu <= 0 or n_sigma <= 0 or len(b) != want:
        sys.exit(f"{path}: a table of {n_sigma} x {n_mu} points is {want} bytes, this file has {len(b)} "
                 "(cut short or damaged: write it again with `cortexloop aln-table --out`)")
    stored, got = int.from_bytes(b[32:40], "little"), fnv1a64(b[HEADER:])
    if stored != got:
        sys.exit(f"{path}: its values do not match its checksum (FNV-1a 64 {got:016x}, the file says {stored:016x}): "
                 "altered or damaged; write it again with `cortexloop aln-table --force --out`")
    return np.frombuffer(b[HEADER:], dtype="<f8").reshape(4, n_sigma, n_mu)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("table", help="table file written by `cortexloop aln-table --out` (default grid)")
    # A copy of the project's reference file ships with the checkout, so the check runs on a fresh clone.
    default_points = pathlib.Path(__file__).resolve().parent.parent / "tests/reference/data/aln_cascade_points.md"
    ap.add_argument("points", nargs="?", default=str(default_points),
                    help="the reference points, a markdown table (default: %(default)s)")
    a = ap.parse_args()
    table = read_table(a.table)
    if table.shape[1:] != (64, 350):
        sys.exit("the table must have the default grid (mu -1..7 in 350, sigma 0.5..5 in 64)")
    mus, sigmas = np.linspace(-1, 7, 350), np.linspace(0.5, 5, 64)
    bad = 0
    rows = [l for l in pathlib.Path(a.points).read_text().splitlines() if re.match(r"\| -?[0-9]", l)]
    for line in rows:
        mu, sigma, r, v, tau_mu, tau_sigma = (float(x) for x in line.strip("|\n ").split("|"))
        i, j = np.argmin(abs(mus - mu)), np.argmin(abs(sigmas - sigma))
        q = table[:, j, i]
        ok = (r <= 1 or abs(q[0] - r) <= 0.02 * r) and abs(q[1] - v) <= 0.2
        ok &= abs(q[2] - tau_mu) <= max(0.05 * tau_mu, 0.01)
        ok &= q[3] == 0 if tau_sigma == 0 else abs(q[3] - tau_sigma) <= max(0.05 * tau_sigma, 0.01)
        bad += not ok
        print(f"mu={mu:g} sigma={sigma:g} r={q[0]:.6g}({r:g}) V={q[1]:.6g}({v:g}) tau_mu={q[2]:.4g}({tau_mu:g}) "
              f"tau_sigma={q[3]:.4g}({tau_sigma:g}) {'ok' if ok else 'OUTSIDE'}")
    not_finite = int(np.count_nonzero(~np.isfinite(table)))
    print(f"points={len(rows)} outside={bad} values={table.size} not_finite={not_finite}")
    return 1 if bad or not_finite else 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
