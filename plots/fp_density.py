#!/usr/bin/python3
"""Simulated stationary densities against the Fokker-Planck solution (issue 6, item 2).

Reads run directories written with --save-states (final_states.npy, N x d) and the CSV
densities of `sgdnoise fokker-planck` ("x,density" in 1-D, "x,y,density" in 2-D, cell
centres of a uniform grid, the density integrating to 1 over the grid).
Check recorded in the figure's JSON, per landscape: Pearson's chi-square goodness of fit of
the histogram of the final states against the expected counts N * (FP mass of each bin),
bins made of whole solver cells; bins whose expected count is below 5 are merged (1-D:
into their neighbour toward the nearer tail; 2-D: into one pooled bin); degrees of freedom
= bins - 1; passed when p > 1e-3. In 1-D the Kolmogorov-Smirnov test against the FP
distribution function (linear inside each cell) is reported too.

usage: fp_density.py --run1d DIR --fp1d CSV [--run2d DIR --fp2d CSV] --out FIGURE.png
"""
import argparse
import csv
import os

from common import save
import matplotlib.pyplot as plt
import numpy as np
from scipy import stats

P_MIN = 1e-3


def read_csv(path):
    with open(path) as f:
        rows = list(csv.DictReader(f))
    return {k: np.array([float(r[k]) for r in rows]) for k in rows[0]}


def states(run_dir):
    return np.load(os.path.join(run_dir, "final_states.npy"))


def merge_1d(obs, exp):
    """Merges bins with expected < 5 into their inner neighbour, from the outside in (left
    tail rightward, right tail leftward, up to the bin of largest expected count)."""
    obs, exp = list(obs), list(exp)
    mid = int(np.argmax(exp))
    i = 0
    while i < mid and exp[i] < 5:
        exp[i + 1] += exp[i]; obs[i + 1] += obs[i]; exp[i] = obs[i] = None; i += 1
    j = len(exp) - 1
    while j > mid and exp[j] < 5:
        exp[j - 1] += exp[j]; obs[j - 1] += obs[j]; exp[j] = obs[j] = None; j -= 1
    keep = [k for k in range(len(exp)) if exp[k] is not None]
    o, e = np.array([obs[k] for k in keep]), np.array([exp[k] for k in keep])
    # any interior bin still below 5 is pooled with its right neighbour
    while len(e) > 1 and e.min() < 5:
        k = int(np.argmin(e)); n = k + 1 if k + 1 < len(e) else k - 1
        e[n] += e[k]; o[n] += o[k]; e = np.delete(e, k); o = np.delete(o, k)
    return o, e


def chi2(o, e):
    # the FP masses sum to 1 on the grid: renormalise to the count inside it
    e = e * o.sum() / e.sum()
    stat = float(np.sum((o - e) ** 2 / e))
    dof = len(e) - 1
    return stat, dof, float(stats.chi2.sf(stat, dof))


def one_d(ax, run, fp_csv, cells_per_bin):
    fp = read_csv(fp_csv)
    x, p = fp["x"], fp["density"]
    h = x[1] - x[0]
    X = states(run)[:, 0]
    edges_cells = np.arange(0, len(x) + 1, cells_per_bin)
    if edges_cells[-1] != len(x):
        edges_cells = np.append(edges_cells, len(x))
    edges = x[0] - h / 2 + h * edges_cells
    mass = np.array([p[a:b].sum() * h for a, b in zip(edges_cells[:-1], edges_cells[1:])])
    inside = (X >= edges[0]) & (X < edges[-1])
    obs, _ = np.histogram(X[inside], bins=edges)
    o, e = merge_1d(obs.astype(float), mass * inside.sum())
    stat, dof, pval = chi2(o, e)
    # KS against the FP distribution function, piecewise linear over the cells
    cdf_edges = np.concatenate([[0.0], np.cumsum(p * h)])
    grid_edges = x[0] - h / 2 + h * np.arange(len(x) + 1)
    ks = stats.kstest(X[inside], lambda t: np.interp(t, grid_edges, cdf_edges / cdf_edges[-1]))
    width = edges[1:] - edges[:-1]
    ax.bar((edges[:-1] + edges[1:]) / 2, obs / (inside.sum() * width), width=width, alpha=0.45, color="C0",
           label=f"final states, N = {len(X)}")
    ax.errorbar((edges[:-1] + edges[1:]) / 2, obs / (inside.sum() * width),
                yerr=np.sqrt(np.maximum(obs, 1)) / (inside.sum() * width), fmt="none", ecolor="C0", lw=0.8)
    ax.plot(x, p, "k-", lw=1.2, label="Fokker-Planck stationary density")
    ax.set_xlabel("x")
    ax.set_ylabel("density")
    ax.legend(fontsize=7)
    res = {"n": int(len(X)), "outside_grid": int((~inside).sum()), "bins": len(e), "chi2": stat, "dof": dof,
           "p_value": pval, "ks_statistic": float(ks.statistic), "ks_p_value": float(ks.pvalue),
           "min_expected": float(e.min())}
    ax.set_title(f"1-D: chi2 = {stat:.1f} on {dof} dof, p = {pval:.3g}; KS p = {ks.pvalue:.3g}", fontsize=8)
    return res


def two_d(ax, run, fp_csv, block):
    fp = read_csv(fp_csv)
    xs, ys = np.unique(fp["x"]), np.unique(fp["y"])
    P = fp["density"].reshape(len(xs), len(ys))  # written x-major
    hx, hy = xs[1] - xs[0], ys[1] - ys[0]
    S = states(run)
    ex = np.arange(0, len(xs) + 1, block)
    ey = np.arange(0, len(ys) + 1, block)
    ex = ex if ex[-1] == len(xs) else np.append(ex, len(xs))
    ey = ey if ey[-1] == len(ys) else np.append(ey, len(ys))
    xe = xs[0] - hx / 2 + hx * ex
    ye = ys[0] - hy / 2 + hy * ey
    mass = np.array([[P[a:b, c:d].sum() * hx * hy for c, d in zip(ey[:-1], ey[1:])]
                     for a, b in zip(ex[:-1], ex[1:])])
    inside = (S[:, 0] >= xe[0]) & (S[:, 0] < xe[-1]) & (S[:, 1] >= ye[0]) & (S[:, 1] < ye[-1])
    obs, _, _ = np.histogram2d(S[inside, 0], S[inside, 1], bins=[xe, ye])
    exp = mass * inside.sum()
    big = exp >= 5
    o = np.append(obs[big], obs[~big].sum())
    e = np.append(exp[big], exp[~big].sum())
    if e[-1] < 5:  # the pooled bin itself too small: fold it into the smallest kept bin
        k = int(np.argmin(e[:-1])); o[k] += o[-1]; e[k] += e[-1]; o, e = o[:-1], e[:-1]
    stat, dof, pval = chi2(o, e)
    ax.contour(xs, ys, P.T, levels=8, colors="k", linewidths=0.8)
    ax.plot(S[:3000, 0], S[:3000, 1], ".", ms=1.5, alpha=0.4, color="C0", label="final states (first 3000)")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend(fontsize=7, loc="upper right")
    ax.set_title(f"2-D: chi2 = {stat:.1f} on {dof} dof, p = {pval:.3g} (contours: FP density)", fontsize=8)
    return {"n": int(len(S)), "outside_grid": int((~inside).sum()), "bins": len(e), "pooled_bins": int((~big).sum()),
            "chi2": stat, "dof": dof, "p_value": pval, "min_expected": float(e.min())}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run1d", required=True)
    ap.add_argument("--fp1d", required=True)
    ap.add_argument("--run2d")
    ap.add_argument("--fp2d")
    ap.add_argument("--cells-per-bin", type=int, default=40)
    ap.add_argument("--block", type=int, default=10, help="2-D: cells per bin side")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    two = bool(args.run2d and args.fp2d)
    fig, axes = plt.subplots(1, 2 if two else 1, figsize=(13 if two else 7, 5))
    axes = np.atleast_1d(axes)
    numbers = {"one_d": one_d(axes[0], args.run1d, args.fp1d, args.cells_per_bin)}
    if two:
        numbers["two_d"] = two_d(axes[1], args.run2d, args.fp2d, args.block)
    fails = [k for k, v in numbers.items() if not v["p_value"] > P_MIN]
    reason = "; ".join(f"{k}: chi2 {v['chi2']:.1f} on {v['dof']} dof, p = {v['p_value']:.3g} (> {P_MIN:g} required; "
                       f"bins with expected >= 5, min {v['min_expected']:.1f})" for k, v in numbers.items())
    if "ks_p_value" in numbers["one_d"]:
        reason += f"; 1-D KS p = {numbers['one_d']['ks_p_value']:.3g} (reported)"
    fig.suptitle("Stationary densities: simulation against the Fokker-Planck solution")
    fig.tight_layout()
    print(reason)
    print(save(fig, args.out, numbers=numbers, check={"passed": not fails, "reason": reason}))


if __name__ == "__main__":
    main()
