#!/usr/bin/env python3
"""SciPy eigsh (ARPACK) on the miss-rate harness's operators: the same trained-like spectra as
`hessian-bench --tasks missrate` (_TestSupport/SyntheticSpectrum.swift, ported line by line
below), eigenvectors random through three Householder reflections (numpy-seeded: for a
Gaussian start, Lanczos behaves identically in distribution for every orthogonal eigenbasis,
so the miss rates compare), a Gaussian v0 per seed, k and tol as ours.

Per configuration it prints the miss rate (any returned eigenvalue off the true one of the
same rank by more than tol relative), the relative error of the k-th, and the matvecs (mean
and max). ARPACK has no convergence flags per pair: a run that raises ArpackNoConvergence
counts as unconverged.

Usage: bench/missrate_eigsh.py [--dimension 10000] [--seeds 1000] [--counts 1,3,5,10]
       [--ends largest,smallest] [--shapes slope,cliff] [--tol 1e-3]
Prints one JSON object on stdout, the table on stderr.
"""

import argparse
import json
import math
import sys
import time

import numpy as np
from scipy.sparse.linalg import ArpackNoConvergence, LinearOperator, eigsh

GAPS = [0.05, 0.02, 0.08, 0.03, 0.10, 0.04, 0.06, 0.02, 0.07, 0.03, 0.09, 0.05]


def trained_like_spectrum(n, outliers=12, tail=300, tail_start=0.9, tail_exponent=1.2,
                          negative_outliers=12, negative_tail=100, negative_scale=0.006):
    def chain(first, count):
        values = [first]
        for i in range(1, max(count, 1)):
            values.append(values[i - 1] * (1 - GAPS[(i - 1) % 12]))
        return values[:count]

    top = chain(1.0, outliers)
    last = top[-1] if top else 1.0
    tail_values = [tail_start * last * (1 + j / 8) ** (-tail_exponent) for j in range(tail)]
    bottom = [-v for v in chain(negative_scale, negative_outliers)]
    last_negative = bottom[-1] if bottom else -negative_scale
    negative_tail_values = [tail_start * last_negative * (1 + j / 8) ** (-tail_exponent)
                            for j in range(negative_tail)]
    bulk_count = n - outliers - tail - negative_outliers - negative_tail
    positive = 2 * bulk_count // 3
    negative = bulk_count - positive

    def laplace(i, m, b):
        return -b * math.log(1 - (i + 0.5) / m * (1 - math.exp(-4)))

    positive_bulk = [laplace(i, positive, 0.003) for i in range(positive)]
    negative_bulk = [-laplace(i, negative, 0.0005 * negative_scale / 0.006) for i in range(negative)]
    values = top + tail_values + positive_bulk + negative_bulk + negative_tail_values + bottom
    return np.array(sorted(values, reverse=True))


SHAPES = {
    "slope": lambda n: trained_like_spectrum(n),
    "cliff": lambda n: trained_like_spectrum(n, tail_start=0.5, tail_exponent=2),
}


def operator(spectrum, seed, counter):
    rng = np.random.default_rng(seed)
    n = spectrum.size
    us = []
    for _ in range(3):
        u = rng.standard_normal(n)
        us.append(u / np.linalg.norm(u))

    def reflect(x, u):
        return x - 2 * np.outer(u, u @ x) if x.ndim == 2 else x - 2 * u * (u @ x)

    def matmat(x):
        counter[0] += 1 if x.ndim == 1 else x.shape[1]
        y = x.copy()
        for u in us:
            y = reflect(y, u)
        y = (spectrum[:, None] * y) if y.ndim == 2 else spectrum * y
        for u in reversed(us):
            y = reflect(y, u)
        return y

    return LinearOperator((n, n), matvec=matmat, matmat=matmat, dtype=np.float64)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dimension", type=int, default=10_000)
    ap.add_argument("--seeds", type=int, default=1000)
    ap.add_argument("--counts", default="1,3,5,10")
    ap.add_argument("--ends", default="largest,smallest")
    ap.add_argument("--shapes", default="slope,cliff")
    ap.add_argument("--tol", type=float, default=1e-3)
    args = ap.parse_args()
    report = {"dimension": args.dimension, "seeds": args.seeds, "tol": args.tol}
    for shape in args.shapes.split(","):
        spectrum = SHAPES[shape](args.dimension)
        print(f"{shape}: n = {args.dimension}, {args.seeds} seeds, eigsh tol {args.tol}",
              file=sys.stderr)
        print("end       k  misses  unconv  kth err max  HVPs mean   max   seconds", file=sys.stderr)
        for end in args.ends.split(","):
            which = {"largest": "LA", "smallest": "SA"}[end]
            for k in (int(c) for c in args.counts.split(",")):
                truth = spectrum[:k] if end == "largest" else spectrum[::-1][:k]
                misses = unconverged = 0
                hvps, kth = [], []
                t0 = time.perf_counter()
                for seed in range(args.seeds):
                    counter = [0]
                    a = operator(spectrum, seed, counter)
                    v0 = np.random.default_rng(seed + 1_000_003).standard_normal(args.dimension)
                    try:
                        values = eigsh(a, k=k, which=which, tol=args.tol, v0=v0,
                                       maxiter=3000, return_eigenvectors=False)
                    except ArpackNoConvergence as e:
                        unconverged += 1
                        values = e.eigenvalues
                    values = np.sort(values)[::-1] if end == "largest" else np.sort(values)
                    if values.size < k:
                        misses += 1
                        hvps.append(counter[0])
                        kth.append(float("inf"))
                        continue
                    errors = np.abs(values - truth) / np.abs(truth)
                    misses += int(np.any(errors > args.tol))
                    hvps.append(counter[0])
                    kth.append(float(errors[-1]))
                seconds = time.perf_counter() - t0
                key = f"{shape}_{end}_k{k}_eigsh"
                report[key] = {"misses": misses, "unconverged": unconverged,
                               "kth_error_max": max(kth), "hvps_mean": float(np.mean(hvps)),
                               "hvps_max": int(max(hvps)), "seconds": seconds}
                print(f"{end:<8} {k:2d}  {misses:6d}  {unconverged:6d}  {max(kth):11.2e}  "
                      f"{np.mean(hvps):9.1f}  {max(hvps):4d}  {seconds:8.1f}", file=sys.stderr)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
