#!/usr/bin/python3
"""W3: mini-batch SGD on least squares, an ensemble of N independent trajectories.

f(w) = 1/(2n) |X w - y|^2 with X (n x d) standard normal, y = X w* + 0.1 noise. Each
trajectory draws its own batch of b samples every step and moves
    w <- w - (lr / b) X_B^T (X_B w - y_B),   from w = 0.
--sampling with    : b indices uniform and independent (with replacement), every step;
--sampling without : each trajectory reshuffles its own permutation at the start of every
                     epoch and takes n // b consecutive batches of it (the n mod b samples
                     left over are skipped in that epoch).
--method gather    : gather the batch rows (N, b, d) and apply two batched products (default);
--method dense     : residuals of all n samples by one GEMM, weighted by each trajectory's
                     sample counts, then a second GEMM (with replacement only).

usage: w3_lstsq_sgd.py N n d b T [--sampling with|without] [--method gather|dense] [--lr 0.01]
"""
import time

import _common

ap = _common.parser(__doc__)
ap.add_argument("N", type=int)
ap.add_argument("n", type=int)
ap.add_argument("d", type=int)
ap.add_argument("b", type=int)
ap.add_argument("T", type=int)
ap.add_argument("--lr", type=float, default=0.01)
ap.add_argument("--sampling", choices=["with", "without"], default="with")
ap.add_argument("--method", choices=["gather", "dense"], default="gather")
args = ap.parse_args()
if args.method == "dense" and args.sampling != "with":
    ap.error("--method dense needs --sampling with")
if not 1 <= args.b <= args.n:
    ap.error("need 1 <= b <= n")
_common.configure(args)

import numpy as np  # noqa: E402

N, n, d, b, T = args.N, args.n, args.d, args.b, args.T
dtype = np.dtype(args.dtype)
step_size = args.lr / b
batches_per_epoch = n // b

data_gen = np.random.default_rng(args.seed + 1)
X64 = data_gen.standard_normal((n, d))
y64 = X64 @ data_gen.standard_normal(d) + 0.1 * data_gen.standard_normal(n)
X, y = X64.astype(dtype), y64.astype(dtype)

gen = np.random.default_rng(args.seed)
W = np.empty((N, d), dtype=dtype)
rows = np.empty((N, b, d), dtype=dtype)       # X_B per trajectory
targets = np.empty((N, b), dtype=dtype)
resid = np.empty((N, b, 1), dtype=dtype)
grad = np.empty((N, d, 1), dtype=dtype)
order = np.tile(np.arange(n), (N, 1))         # per-trajectory permutations (reshuffling)
offsets = (np.arange(N) * n)[:, None]         # dense: flat index of (trajectory, sample)
state = {"step": 0}


def batch_indices():
    if args.sampling == "with":
        return gen.integers(0, n, size=(N, b))
    k = state["step"] % batches_per_epoch
    if k == 0:
        gen.permuted(order, axis=1, out=order)
    state["step"] += 1
    return order[:, k * b:(k + 1) * b]


def advance_gather():
    idx = batch_indices()
    np.take(X, idx, axis=0, out=rows)
    np.take(y, idx, out=targets)
    np.matmul(rows, W[:, :, None], out=resid)
    resid[:, :, 0] -= targets
    np.matmul(rows.transpose(0, 2, 1), resid, out=grad)
    np.multiply(grad, step_size, out=grad)
    np.subtract(W, grad[:, :, 0], out=W)


def advance_dense():
    counts = np.bincount((offsets + batch_indices()).ravel(), minlength=N * n).reshape(N, n)
    R = W @ X.T
    R -= y
    R *= counts
    np.subtract(W, step_size * (R @ X), out=W)


advance = advance_gather if args.method == "gather" else advance_dense
W.fill(0.0)
for _ in range(args.warmup):
    advance()
W.fill(0.0)
state["step"] = 0
start = time.perf_counter()
for _ in range(T):
    advance()
elapsed = time.perf_counter() - start

residuals = X64 @ W.astype(np.float64).T - y64[:, None]
_common.emit("lstsq_sgd", N, d, T, elapsed, args, n=n, b=b, sampling=args.sampling, method=args.method,
             final_mean_loss=float(0.5 * np.mean(residuals ** 2)))
