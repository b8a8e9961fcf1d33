#!/usr/bin/python3
"""Paper 2 (Wen et al.): the structure of the noise, not its variance (docs/theory.md 3.2, 3.3).

scatter: one-step updates from one theta_0 on a 2-D regression for each noise (paper 2's
  Figure 1 concept), over the loss contours, with the GD step and the measured one-step
  loss increase beside its exact value 1/2 eta^2 Tr(H C(theta_0)).
fisher: full-Fisher against diagonal-Fisher noise of equal trace on a non-diagonal
  quadratic, excess loss E L_k - L* against the exact k-step formula of docs/theory.md 3.3.
frobenius: the Frobenius-norm law over a sweep of equal-trace noise covariances from theta*
  (scenarios/paper2_frobenius_law.sweep): the measured one-step increase E f(theta_1) - f*
  against 1/2 eta^2 <A, C>_F (the line y = x), the Cauchy-Schwarz bound
  1/2 eta^2 ||A||_F ||C||_F, and E f(theta_k) - f* along the run against the exact k-step
  formula and the stationary (eta/4) Tr C. Check recorded in the figure's JSON: every one-step
  increase within 5 se of 1/2 eta^2 Tr(A C) and below the bound + 5 se, every Tr C equal, and
  the one-step increases of the largest and smallest <A, C>_F apart by more than 5 se of their
  difference (equal Tr C does not give equal increases).

usage: paper2.py scatter --runs LABEL=RUN_DIR ... --out FIGURE.png
       paper2.py fisher --runs LABEL=RUN_DIR ... --out FIGURE.png
       paper2.py frobenius --sweep SWEEP_DIR --out FIGURE.png
Scatter runs need --save-states (final_states.npy).
"""
import argparse
import os

from common import read_run, read_sweep, save
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
    ax.set_title("Full against diagonal Fisher noise of equal trace (docs/theory.md 3.3)")
    ax.legend(fontsize=7)
    print(save(fig, out, numbers={"curves": numbers}))


def frobenius(sweep_dir, out):
    _, points = read_sweep(sweep_dir)
    rows = []
    for p, s in points:
        run = os.path.join(sweep_dir, p["dir"])
        _, c = read_run(run)
        ind = s["indicators"]
        eta = s["scenario"]["dynamics"]["eta"]
        A = np.array(s["start"]["hessian"])  # the quadratic's A (constant)
        chk = next(x for x in s["checks"] if x["result"] == "loss" and x["k"] == 1 and x["prediction_kind"] == "exact")
        fstar = s["scenario"]["loss"].get("offset", 0.0)
        rows.append({"noise": p["label"], "trace_C": ind["trace_C"], "trace_H_C": ind["trace_H_C"],
                     "frobenius_C": ind["frobenius_C"], "frobenius_A": float(np.linalg.norm(A)),
                     "measured_1": chk["measured"]["mean"] - fstar, "se_1": chk["measured"]["se"],
                     "n": chk["measured"]["n"], "exact_1": chk["prediction"]["value"] - fstar,
                     "law_1": 0.5 * eta**2 * ind["trace_H_C"],
                     "bound_1": 0.5 * eta**2 * float(np.linalg.norm(A)) * ind["frobenius_C"],
                     "k": c["k"], "loss_mean": c["loss_mean"], "loss_se": c["loss_se"], "loss_exact": c["loss_exact"],
                     "stationary_trace_only": eta / 4 * ind["trace_C"], "checks_passed": s["all_checks_passed"]})
    rows.sort(key=lambda r: r["law_1"])
    eta = points[0][1]["scenario"]["dynamics"]["eta"]

    fig, (a1, a2, a3) = plt.subplots(1, 3, figsize=(17, 5.2), gridspec_kw={"width_ratios": [1, 1.1, 1.1]})
    x = np.array([r["law_1"] for r in rows])
    y = np.array([r["measured_1"] for r in rows])
    se = np.array([r["se_1"] for r in rows])
    bound = np.array([r["bound_1"] for r in rows])
    lim = [0.7 * min(x.min(), y.min()), 1.4 * max(bound.max(), y.max())]
    a1.plot(lim, lim, "k-", lw=0.8, label="y = x: 1/2 eta^2 <A, C>_F")
    a1.errorbar(x, y, yerr=5 * se, fmt="o", color="C0", ms=4, capsize=2, label="measured, 5 se")
    a1.plot(x, bound, "v", color="C3", ms=6, label="Cauchy-Schwarz bound 1/2 eta^2 ||A||_F ||C||_F")
    for r in rows:
        a1.annotate(r["noise"], (r["law_1"], r["measured_1"]), fontsize=6, xytext=(4, -8), textcoords="offset points")
    a1.set_xscale("log")
    a1.set_yscale("log")
    a1.set_xlim(lim)
    a1.set_ylim(lim)
    a1.set_xlabel("1/2 eta^2 <A, C>_F = 1/2 eta^2 Tr(A C)")
    a1.set_ylabel("measured E f(theta_1) - f*")
    a1.set_title("one step from theta*: the Frobenius inner product decides")
    a1.legend(fontsize=7, loc="lower right")

    pos = np.arange(len(rows))
    a2.barh(pos, y, xerr=5 * se, color="C0", alpha=0.6, capsize=2, label="measured E f(theta_1) - f*, 5 se")
    a2.plot(x, pos, "k|", ms=14, mew=2, label="1/2 eta^2 <A, C>_F")
    a2.plot(bound, pos, "<", color="C3", ms=5, label="1/2 eta^2 ||A||_F ||C||_F")
    iso = next((r for r in rows if r["noise"] == "isotropic"), None)
    if iso:
        a2.axvline(iso["law_1"], color="grey", ls="--", lw=0.8, label="isotropic: 1/2 eta^2 Tr A Tr C / d")
    a2.set_yticks(pos)
    a2.set_yticklabels([r["noise"] for r in rows], fontsize=7)
    a2.set_xlabel("one-step loss increase")
    a2.set_title(f"every noise has Tr C = {rows[0]['trace_C']:.4g}")
    a2.legend(fontsize=7, loc="lower right")

    cmap = plt.get_cmap("viridis")
    for i, r in enumerate(rows):
        k = np.array(r["k"])
        m, s_, ex = np.array(r["loss_mean"]), np.array(r["loss_se"]), np.array(r["loss_exact"], dtype=float)
        col = cmap(i / max(1, len(rows) - 1))
        a3.fill_between(k[1:], m[1:] - 5 * s_[1:], m[1:] + 5 * s_[1:], color=col, alpha=0.3, lw=0)
        a3.plot(k[1:], ex[1:], color=col, lw=0.9, label=r["noise"])
    a3.axhline(rows[0]["stationary_trace_only"], color="k", ls=":", lw=1, label="(eta/4) Tr C (stationary, O(eta))")
    a3.set_xscale("log")
    a3.set_yscale("log")
    a3.set_xlabel("step k")
    a3.set_ylabel("E f(theta_k) - f*")
    a3.set_title("k steps: bands measured (5 se), lines exact;\nall approach (eta/4) Tr C, equal to first order in eta")
    a3.legend(fontsize=6, ncol=2, loc="lower right")
    fig.suptitle(f"Paper 2: the loss increase follows <A, C>_F, not Tr C (d = {len(A)}, eta = {eta:g}; docs/theory.md 3.3)")
    fig.tight_layout(rect=(0, 0, 1, 0.95))

    within = [abs(r["measured_1"] - r["law_1"]) <= 5 * r["se_1"] for r in rows]
    consistent = [abs(r["exact_1"] - r["law_1"]) <= 1e-9 * max(1.0, r["law_1"]) for r in rows]
    below = [r["measured_1"] <= r["bound_1"] + 5 * r["se_1"] for r in rows]
    traces = [r["trace_C"] for r in rows]
    equal_trace = max(traces) - min(traces) <= 1e-9 * max(traces)
    lo, hi = rows[0], rows[-1]
    gap, gap_se = hi["measured_1"] - lo["measured_1"], float(np.hypot(hi["se_1"], lo["se_1"]))
    passed = bool(all(within) and all(consistent) and all(below) and equal_trace and gap > 5 * gap_se)
    check = {"passed": passed,
             "reason": f"{sum(within)}/{len(rows)} one-step increases within 5 se of 1/2 eta^2 Tr(AC) (the engine's "
                       f"exact prediction agrees: {all(consistent)}); {sum(below)}/{len(rows)} below the Cauchy-Schwarz "
                       f"bound + 5 se; Tr C equal: {equal_trace}; at equal Tr C the increases of {hi['noise']} and "
                       f"{lo['noise']} differ by {gap:.4g} +- {gap_se:.2g} (> 5 se required)"}
    numbers = {"eta": eta, "noises": [{k: v for k, v in r.items() if k not in ("k", "loss_mean", "loss_se", "loss_exact")}
                                      | {"z_1": (r["measured_1"] - r["law_1"]) / r["se_1"]} for r in rows],
               "largest_minus_smallest": gap, "largest_minus_smallest_se": gap_se}
    print(save(fig, out, numbers=numbers, check=check))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["scatter", "fisher", "frobenius"])
    ap.add_argument("--runs", nargs="+", help="LABEL=RUN_DIR (scatter, fisher)")
    ap.add_argument("--sweep", help="SWEEP_DIR (frobenius)")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    if args.what == "frobenius":
        if not args.sweep:
            ap.error("frobenius needs --sweep")
        frobenius(args.sweep, args.out)
        return
    if not args.runs:
        ap.error(args.what + " needs --runs")
    runs = [r.rsplit("=", 1) for r in args.runs]
    (scatter if args.what == "scatter" else fisher)(runs, args.out)


if __name__ == "__main__":
    main()
