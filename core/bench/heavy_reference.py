#!/usr/bin/env python3
"""Flop-limit reference of one heavy analysis (PLATFORM.md): the decompositions a d-wide layer cannot do
without, with numpy's LAPACK on one thread. The same list as LapackReference (HeavyAnalysisBenchmark's
lapackReference), so the two cross-check: Z_a = W^T W, Z_b = W W^T, G_a = W^T (G_b W), svdvals(W),
eigvalsh(H_b), eigh(G_a), eigh(G_b) and diag(V^T H V) for both, 256 probe samples.

Run (one thread, as the analysis): OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 \
    python3 core/bench/heavy_reference.py 64 256 1024 2048 4096
Prints one line per width: median and min seconds over the repetitions.
"""
import os
import sys
import time

for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")  # before numpy loads its BLAS

import numpy as np  # noqa: E402


def inputs(d, samples=256, seed=7):
    r = np.random.default_rng(seed)
    w = r.standard_normal((d, d))
    x = r.standard_normal((samples, d))
    h = x @ w.T
    g = r.standard_normal((samples, d))
    return w, x.T @ x / samples, h.T @ h / samples, g.T @ g / samples


def analysis(w, ha, hb, gb):
    za = w.T @ w
    zb = w @ w.T
    ga = w.T @ (gb @ w)
    s = np.linalg.svd(w, compute_uv=False)
    lam = np.linalg.eigvalsh(hb)
    check = s[0] + lam[-1] + za[0, 0] + zb[0, 0]
    for h, g in ((ha, ga), (hb, gb)):
        x, v = np.linalg.eigh(g)
        y = np.einsum("ik,ik->k", v, h @ v)
        check += x[-1] + y[-1]
    return check


def main(widths):
    for d in widths:
        data = inputs(d)
        reps = 7 if d <= 1024 else 3
        analysis(*data)  # warm-up
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            analysis(*data)
            times.append(time.perf_counter() - t0)
        times.sort()
        print(f"d={d:5d}  median {times[len(times) // 2]:.4f} s  min {times[0]:.4f} s  ({reps} runs)", flush=True)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [64, 256, 1024, 2048, 4096])
