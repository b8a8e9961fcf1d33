#!/usr/bin/python3
"""W1: noisy GD on a diagonal quadratic L(x) = 1/2 sum_j h_j x_j^2, h log-spaced in [1e-3, 1].

An ensemble of N independent trajectories in d dimensions, from x = 1:
    x <- (1 - eta h) x + sqrt(eta) sigma xi,   xi ~ N(0, I_d).
The state is held as a (d, N) array, so the factor (1 - eta h) broadcasts down columns and
each step is three in-place passes plus one fill of normals. After the loop, the variance of
the stiffest coordinate is compared with its exact value (check_var_ratio, about 1).

usage: w1_diag_quadratic.py N d T [--eta 0.1] [--sigma 1] [--threads 1] [--seed S]
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

import numpy as np  # noqa: E402  (after configure: BLAS threads)

N, d, T, eta = args.N, args.d, args.T, args.eta
dtype = np.dtype(args.dtype)
noise_scale = math.sqrt(eta) * args.sigma
h = np.logspace(-3.0, 0.0, d)
contraction = (1.0 - eta * h).astype(dtype).reshape(d, 1)
gen = np.random.default_rng(args.seed)
x = np.empty((d, N), dtype=dtype)
z = np.empty((d, N), dtype=dtype)


def advance():
    gen.standard_normal(out=z, dtype=dtype)
    np.multiply(z, noise_scale, out=z)
    np.multiply(x, contraction, out=x)
    np.add(x, z, out=x)


x.fill(1.0)
for _ in range(args.warmup):
    advance()
x.fill(1.0)
start = time.perf_counter()
for _ in range(T):
    advance()
elapsed = time.perf_counter() - start

# Exact variance of coordinate j after T steps from a fixed start: s^2 (1 - a^(2T)) / (1 - a^2).
a = 1.0 - eta * h[-1]
exact = noise_scale ** 2 * (1.0 - a ** (2 * T)) / (1.0 - a * a)
_common.emit("diag_quadratic", N, d, T, elapsed, args,
             check_var_ratio=float(np.var(x[-1].astype(np.float64))) / exact,
             normals_per_s=N * d * T / elapsed)
