#!/usr/bin/python3
"""The degree-5 polynomial for 2^f on [-1/2, 1/2] that engine/cpu/fast_exp.hpp (fast_exp2_in_range) evaluates.

Usage:  /usr/bin/python3 bench/fit_exp2_poly.py

p(f) = 1 + c1 f + ... + c5 f^5 (p(0) = 1 exactly, so 2^n is exact for integral n). The coefficients minimise the
largest relative error |p(f) / 2^f - 1| on [-1/2, 1/2]: least squares on 4001 Chebyshev points, reweighted by each
point's error (Lawson's iteration converges to the minimax fit). Prints the coefficients as floats, the error in
exact arithmetic, and the error of Horner's rule in float32 with and without fused multiply-adds (what the engine
computes with and without FMA contraction).
"""
import argparse

import numpy as np

DEGREE = 5


def fit():
    f = np.cos(np.linspace(0, np.pi, 4001)) * 0.5
    t = np.exp2(f)
    a = np.vander(f, DEGREE + 1, increasing=True)[:, 1:] / t[:, None]
    b = 1 - 1 / t
    weight = np.ones_like(f)
    for _ in range(300):
        root = np.sqrt(weight)
        c, *_ = np.linalg.lstsq(a * root[:, None], b * root, rcond=None)
        err = np.abs(a @ c + 1 / t - 1)
        weight = weight * err
        weight /= weight.sum()
    return np.concatenate([[1.0], c]), err.max()


def horner_error(c32, fused):
    g = np.linspace(-0.5, 0.5, 400001).astype(np.float32)
    p = np.full_like(g, c32[-1])
    for k in range(DEGREE - 1, -1, -1):
        if fused:  # one rounding per step
            p = (p.astype(np.float64) * g.astype(np.float64) + np.float64(c32[k])).astype(np.float32)
        else:
            p = ((p * g).astype(np.float32) + c32[k]).astype(np.float32)
    return np.max(np.abs(p.astype(np.float64) / np.exp2(g.astype(np.float64)) - 1))


def main():
    argparse.ArgumentParser(description="Fits and prints the degree-5 polynomial for 2^f on [-1/2, 1/2] of "
                            "engine/cpu/fast_exp.hpp, with its largest relative errors (no options).").parse_args()
    c, exact_err = fit()
    c32 = c.astype(np.float32)
    print("coefficients c0..c5:", ", ".join("%.9e" % float(x) for x in c32))
    print("max relative error, exact arithmetic: %.3g" % exact_err)
    print("max relative error, float32 Horner with FMA: %.3g" % horner_error(c32, True))
    print("max relative error, float32 Horner without FMA: %.3g" % horner_error(c32, False))


if __name__ == "__main__":
    main()
