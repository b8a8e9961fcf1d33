#!/usr/bin/python3
"""W4: escape from the left well of L(x) = (x^2 - 1)^2 (with --dim 2, plus y^2).

Euler-Maruyama with dt = eta for dX = -L'(X) dt + sigma dW, i.e. noisy GD, N trajectories
from x = -1 (y = 0):
    x <- x - 4 eta x (x^2 - 1) + sqrt(eta) sigma xi,   y <- (1 - 2 eta) y + sqrt(eta) sigma xi_y.
The step at which each trajectory first has x > 0 is recorded; the run stops once a fraction
--frac of them has crossed (or after --Tcap steps).
--mode mask    : every trajectory is stepped every step; a mask records first passages
                 (executed trajectory-steps = N * steps); the stop rule is tested every --check steps;
--mode compact : crossed trajectories are removed from the arrays at once
                 (executed trajectory-steps = the live ones only).
traj_steps_per_s counts executed trajectory-steps; useful_traj_steps_per_s counts
sum_i min(first passage_i, steps), the work a simulator that stops each trajectory at its
crossing must do.

usage: w4_double_well_escape.py N [--dim 1|2] [--mode mask|compact] [--eta 0.01] [--sigma 1]
"""
import math
import time

import _common

ap = _common.parser(__doc__)
ap.add_argument("N", type=int)
ap.add_argument("--dim", type=int, choices=[1, 2], default=1)
ap.add_argument("--eta", type=float, default=0.01)
ap.add_argument("--sigma", type=float, default=1.0)
ap.add_argument("--Tcap", type=int, default=100000)
ap.add_argument("--frac", type=float, default=0.99)
ap.add_argument("--check", type=int, default=10)
ap.add_argument("--mode", choices=["mask", "compact"], default="mask")
args = ap.parse_args()
_common.configure(args)

import numpy as np  # noqa: E402

N, eta, dim = args.N, args.eta, args.dim
dtype = np.dtype(args.dtype)
noise_scale = math.sqrt(eta) * args.sigma
grad_factor = 4.0 * eta
y_factor = 1.0 - 2.0 * eta
may_remain = N - math.ceil(args.frac * N)     # stop once at most this many are still left
gen = np.random.default_rng(args.seed)


def drift_and_noise(x, z, work):
    """x <- x - 4 eta x (x^2 - 1) + s z, in place (z and work are scratch of x's size)."""
    np.multiply(x, x, out=work)
    work -= 1.0
    work *= x
    work *= grad_factor
    x -= work
    z *= noise_scale
    x += z


def run_mask(limit):
    first = np.full(N, -1, dtype=np.int64)
    x = np.full(N, -1.0, dtype=dtype)
    y = np.zeros(N, dtype=dtype) if dim == 2 else None
    z = np.empty(N, dtype=dtype)
    work = np.empty(N, dtype=dtype)
    live = np.ones(N, dtype=bool)
    crossed = np.empty(N, dtype=bool)
    t = 0
    while t < limit:
        t += 1
        gen.standard_normal(out=z, dtype=dtype)
        drift_and_noise(x, z, work)
        if y is not None:
            gen.standard_normal(out=z, dtype=dtype)
            z *= noise_scale
            y *= y_factor
            y += z
        np.greater(x, 0.0, out=crossed)
        crossed &= live
        first[crossed] = t
        live ^= crossed
        if t % args.check == 0 and np.count_nonzero(live) <= may_remain:
            break
    return first, t, N * t


def run_compact(limit):
    first = np.full(N, -1, dtype=np.int64)
    x = np.full(N, -1.0, dtype=dtype)
    y = np.zeros(N, dtype=dtype) if dim == 2 else None
    ids = np.arange(N)
    z_all = np.empty(N, dtype=dtype)
    work_all = np.empty(N, dtype=dtype)
    executed, t = 0, 0
    while t < limit and x.size > may_remain:
        t += 1
        m = x.size
        executed += m
        z, work = z_all[:m], work_all[:m]
        gen.standard_normal(out=z, dtype=dtype)
        drift_and_noise(x, z, work)
        if y is not None:
            gen.standard_normal(out=z, dtype=dtype)
            z *= noise_scale
            y *= y_factor
            y += z
        crossed = x > 0.0
        if crossed.any():
            first[ids[crossed]] = t
            keep = ~crossed
            x, ids = x[keep], ids[keep]
            if y is not None:
                y = y[keep]
    return first, t, executed


run = run_mask if args.mode == "mask" else run_compact
run(20)  # warm-up
start = time.perf_counter()
first, steps, executed = run(args.Tcap)
elapsed = time.perf_counter() - start

escaped = first > 0
useful = int(np.where(escaped, first, steps).sum())
mean_steps = float(first[escaped].mean()) if escaped.any() else float("nan")
_common.emit("double_well_escape", N, dim, steps, elapsed, args, traj_steps=executed, mode=args.mode,
             escaped_frac=float(escaped.mean()), mean_escape_steps=mean_steps,
             mean_escape_time=mean_steps * eta, eta=eta, sigma=args.sigma,
             useful_traj_steps_per_s=useful / elapsed, executed_traj_steps=executed)
