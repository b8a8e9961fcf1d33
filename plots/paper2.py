#!/usr/bin/python3
"""Paper 2 (Wen et al.): the structure of the noise, not its variance (papers.md 3.2, 3.3).

scatter: one-step updates from one theta_0 on a 2-D regression for each noise (paper 2's
  Figure 1 concept), over the loss contours, with the GD step and the measured one-step
  loss increase beside its exact value 1/2 eta^2 Tr(H C(theta_0)).
fisher: full-Fisher against diagonal-Fisher noise of equal trace on a non-diagonal
  quadratic, excess loss E L_k - L* against the exact k-step formula of papers.md 3.3.

usage: paper2.py scatter --runs LABEL=RUN_DIR ... --out FIGURE.png
       paper2.py fisher --runs LABEL=RUN_DIR ... --out FIGURE.png
Scatter runs need --save-states (final_states.npy).
"""
import argparse
import os

from common import read_run, save
import matplotlib.pyplot as plt
import numpy as np


def scatter(runs, out):
    fig, axes = plt.subplots(2, (len(runs) + 1) // 2, figsize=(10, 11), sharex=True, sharey=True)
    axes = np.atleast_1d(axes).ravel()
    numbers = []
    for ax, (label, run) in zip(axes, runs):
        s, c = read_run(run)
        st = s["start"]
        th0, g, H, L0 = np.array(st["theta"]), np.array(st["gradient"]), np.array(st["hessian"]), st["loss"]
        X = np.load(os.path.join(run, "final_states.npy"))
        eta = s["scenario"]["dynamics"]["eta"]
        gd = th0 - eta * g
        # Least squares is exactly quadratic: L(theta) = L0 + g.(theta - th0) + 1/2 (theta - th0)^T H (theta - th0).
        lo, hi = np.minimum(X.min(0), gd) - 0.05, np.maximum(X.max(0), th0) + 0.05
        a, b = np.meshgrid(np.linspace(lo[0], hi[0], 200), np.linspace(lo[1], hi[1], 200))
        D = np.stack([a - th0[0], b - th0[1]], -1)
        Z = L0 + D @ g + 0.5 * np.einsum("...i,ij,...j->...", D, H, D)
        ax.contour(a, b, Z, levels=15, colors="grey", linewidths=0.5)
        ax.scatter(X[:1000, 0], X[:1000, 1], s=2, alpha=0.4, color="C0", label="theta_1 (1000 of N)")
        ax.plot(*th0, "ko", ms=5, label="theta_0")
        ax.plot(*gd, "r*", ms=10, label="GD step")
        chk = next((x for x in s.get("checks", []) if x["result"] == "loss" and x["k"] == 1), None)
        C = np.cov(X.T) / eta**2  # the empirical gradient-noise covariance of this one step
        row = {"noise": label, "trace_C_empirical": float(np.trace(C)),
               "frobenius_C_empirical": float(np.linalg.norm(C)),
               "trace_H_C_empirical": float(np.trace(H @ C))}
        title = label
        if chk:
            inc_m = chk["measured"]["mean"] - s["start"]["loss"]
            inc_p = chk["prediction"]["value"] - s["start"]["loss"]
            row.update(measured_loss_1=chk["measured"]["mean"], predicted_loss_1=chk["prediction"]["value"],
                       se=chk["measured"]["se"], passed=chk["passed"])
            title += f"\nE L(theta_1) - L(theta_0) = {inc_m:.3e} +- {chk['measured']['se']:.1e}\n" \
                     f"exact {inc_p:.3e}: " + ("pass" if chk["passed"] else "FAIL")
        numbers.append(row)
        ax.set_title(title, fontsize=9)
        ax.set_aspect("equal", adjustable="box")
        ax.set_xlabel("w1")
        ax.set_ylabel("w2")
    axes[0].legend(fontsize=7, loc="lower left")
    fig.suptitle("One-step updates from theta* on a 2-D regression (paper 2, Figure 1 concept)")
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    print(save(fig, out, numbers={"panels": numbers}))


def fisher(runs, out):
    fig, ax = plt.subplots(figsize=(7, 4.5))
    numbers = []
    for i, (label, run) in enumerate(runs):
        s, c = read_run(run)
        k = np.array(c["k"])
        m, se, ex = np.array(c["loss_mean"]), np.array(c["loss_se"]), np.array(c["loss_exact"], dtype=float)
        ind = s.get("indicators", {})
        ax.fill_between(k, m - 1.96 * se, m + 1.96 * se, color=f"C{i}", alpha=0.25, lw=0)
        ax.plot(k, m, color=f"C{i}", lw=1,
                label=f"{label}: Tr C = {ind.get('trace_C', float('nan')):.2f}, ||C||_F = "
                      f"{ind.get('frobenius_C', float('nan')):.2f}, Tr(HC) = {ind.get('trace_H_C', float('nan')):.2f}")
        ax.plot(k, ex, color="k", lw=0.8, ls="--")
        numbers.append({"noise": label, "k": k.tolist(), "loss_mean": m.tolist(), "loss_se": se.tolist(),
                        "loss_exact": ex.tolist(), "indicators": ind,
                        "checks_passed": all(x["passed"] for x in s.get("checks", []))})
    ax.plot([], [], "k--", lw=0.8, label="exact: (eta/2) Tr[(I - (I - eta A)^{2k})(2I - eta A)^{-1} C]")
    ax.set_xlabel("step k")
    ax.set_ylabel("E L_k - L*")
    ax.set_title("Full against diagonal Fisher noise of equal trace (papers.md 3.3)")
    ax.legend(fontsize=7)
    print(save(fig, out, numbers={"curves": numbers}))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["scatter", "fisher"])
    ap.add_argument("--runs", nargs="+", required=True, help="LABEL=RUN_DIR")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    runs = [r.rsplit("=", 1) for r in args.runs]
    (scatter if args.what == "scatter" else fisher)(runs, args.out)


if __name__ == "__main__":
    main()
