#!/usr/bin/env python3
"""numpy float32 matmul on the shapes `Bench gemm` measures, for the ratio in `make bench`.

Usage: gemm_peer.py [--seconds S] [--threads T]. Last line: `numpy gemm GFLOP/s: <mean>`.
"""
import argparse
import os
import sys
import time

p = argparse.ArgumentParser()
p.add_argument("--seconds", type=float, default=1.0)
p.add_argument("--threads", type=int, default=1)
args = p.parse_args()
# BLAS reads its thread count at load time: set it before numpy is imported.
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)
import numpy as np  # noqa: E402

SHAPES = [(69440, 24, 75), (14848, 36, 600), (2496, 48, 900)]


def measure(fn, seconds):
    fn()
    n, start = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return n / elapsed


rng = np.random.default_rng(1)
rates = []
for m, n, k in SHAPES:
    a = rng.uniform(-1, 1, (m, k)).astype(np.float32)
    b = rng.uniform(-1, 1, (k, n)).astype(np.float32)
    c = np.empty((m, n), np.float32)
    per_s = measure(lambda: np.matmul(a, b, out=c), args.seconds)
    rate = 2.0 * m * n * k * per_s / 1e9
    rates.append(rate)
    print(f"numpy gemm {m}x{n}x{k}: {rate:.1f} GFLOP/s")
print(f"numpy {np.__version__}, python {sys.version.split()[0]}")
print(f"numpy gemm GFLOP/s: {sum(rates) / len(rates):.1f}")
