#!/usr/bin/python3
"""SciPy's eigsh (ARPACK, implicitly restarted Lanczos) on the operator of sgdnoise's
"spectra" bench workload: the least-squares Hessian v -> X^T (X v) / n applied
matrix-free, X written by `sgdnoise bench --only spectra --write-operator X.npy`.

Same k, tolerance and number of Lanczos vectors as sgdnoise (analysis/eigenpairs.hpp:
ncv = min(d, max(2k + 1, 20))); the start vector is a fixed random one (Spectra uses its
own fixed-seed start). Times eigsh alone, REPEATS times, and prints the peers' one-line
format with the median seconds, the operator applications and the eigenvalues.

usage: bench/eigsh_peer.py X.npy [--k 10] [--tol 1e-10] [--repeats 3]
Needs python3-scipy (Debian). Run with OpenBLAS's OpenMP build and 1 thread, as
bench/compare.py does.
"""
import argparse
import statistics
import time

import numpy as np
from scipy.sparse.linalg import LinearOperator, eigsh

ap = argparse.ArgumentParser()
ap.add_argument("X")
ap.add_argument("--k", type=int, default=10)
ap.add_argument("--tol", type=float, default=1e-10)
ap.add_argument("--repeats", type=int, default=3)
a = ap.parse_args()

X = np.ascontiguousarray(np.load(a.X))
n, d = X.shape
ncv = min(d, max(2 * a.k + 1, 20))
calls = [0]


def matvec(v):
    calls[0] += 1
    return X.T @ (X @ v.ravel()) / n


op = LinearOperator((d, d), matvec=matvec, dtype=np.float64)
v0 = np.random.default_rng(0).standard_normal(d)
secs = []
for _ in range(a.repeats):
    calls[0] = 0
    t0 = time.perf_counter()
    vals = eigsh(op, k=a.k, which="LA", tol=a.tol, ncv=ncv, v0=v0, return_eigenvectors=False)
    secs.append(time.perf_counter() - t0)
vals = np.sort(vals)[::-1]
print(f"workload=spectra N={n} d={d} steps={a.k} seconds={statistics.median(secs):.6g} "
      f"operations={calls[0]} ncv={ncv} tol={a.tol:g} eigenvalues={','.join(f'{v:.15g}' for v in vals)}")
