#!/usr/bin/python3
"""W2: noisy GD on a dense quadratic with full-covariance Gaussian noise.

L(x) = 1/2 x^T H x, H = Q diag(logspace(-3, 0, d)) Q^T with a random orthogonal Q. The
noise covariance is sigma^2 H, used through its Cholesky factor L_c (sigma^2 H = L_c L_c^T).
Rows of X (N x d) are trajectories, from X = 1:
    X <- X (I - eta H) + sqrt(eta) Z L_c^T,   Z ~ N(0, I),
two (N x d)(d x d) products per step (4 N d^2 flops) and N d normals. After the loop the
ensemble's Tr Cov is compared with the exact recursion S <- A S A + eta sigma^2 H
(check_cov_trace_ratio, about 1).

usage: w2_dense_quadratic_fullcov.py N d T [--eta 0.1] [--sigma 1] [--threads 1] [--seed S]
"""
import math
import time

import _common

ap = _common.parser(__doc__)
ap.add_argument("N", type=int)
ap.add_argument("d", type=int)
ap.add_argument("T", type=int)
ap.add_argument("--eta", type=float, default=0.1)
ap.add_argument("--sigma", type=float, default=1.0)
args = ap.parse_args()
_common.configure(args)

import numpy as np  # noqa: E402

N, d, T, eta = args.N, args.d, args.T, args.eta
dtype = np.dtype(args.dtype)
setup_gen = np.random.default_rng(args.seed + 1)
Q, _ = np.linalg.qr(setup_gen.standard_normal((d, d)))
H = Q @ np.diag(np.logspace(-3.0, 0.0, d)) @ Q.T
H = 0.5 * (H + H.T)
noise_cov = args.sigma ** 2 * H
A = np.eye(d) - eta * H                                     # symmetric: X A = X (I - eta H)
F = math.sqrt(eta) * np.linalg.cholesky(noise_cov).T        # Z F has covariance eta sigma^2 H
A_t, F_t = A.astype(dtype), F.astype(dtype)

gen = np.random.default_rng(args.seed)
X = np.empty((N, d), dtype=dtype)
Z = np.empty((N, d), dtype=dtype)
drift = np.empty((N, d), dtype=dtype)


def advance():
    gen.standard_normal(out=Z, dtype=dtype)
    np.matmul(X, A_t, out=drift)
    np.matmul(Z, F_t, out=X)
    np.add(X, drift, out=X)


X.fill(1.0)
for _ in range(args.warmup):
    advance()
X.fill(1.0)
start = time.perf_counter()
for _ in range(T):
    advance()
elapsed = time.perf_counter() - start

S = np.zeros((d, d))
for _ in range(T):
    S = A @ S @ A + eta * noise_cov
empirical = np.cov(X.astype(np.float64), rowvar=False)
_common.emit("dense_quadratic_fullcov", N, d, T, elapsed, args,
             gflops=4.0 * N * d * d * T / elapsed / 1e9,
             check_cov_trace_ratio=float(np.trace(empirical) / np.trace(S)))
