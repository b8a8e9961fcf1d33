#!/usr/bin/python3
"""Discrete against continuous stationary covariance on a quadratic as eta lambda_max -> 2
(issue 6, item 1; docs/theory.md 1.4).

Reads the sweep directory of
  sgdnoise sweep scenarios/stationary_cov_eta.toml --list scenarios/stationary_cov_eta.sweep
Per point (one eta): the simulated stationary Tr Cov(theta) with its standard error, the exact
discrete Lyapunov value (check "discrete_stationary", 5 sigma, in the scenario) and the OU
(continuous Lyapunov) value, both read from the point's summary.json checks; plotted against
eta lambda_max, with the relative error of each prediction in the lower panel.
Check recorded in the figure's JSON: every point's discrete_stationary check passed; the OU
value's relative error |sim - OU| / sim at the largest eta lambda_max exceeds 3 standard
errors of the simulation; and it grows: the error at the largest eta lambda_max exceeds the
one at the smallest by more than 3 combined standard errors.

usage: stationary_cov.py SWEEP_DIR --out FIGURE.png
"""

from common import read_sweep, save, sweep_args
import matplotlib.pyplot as plt
import numpy as np


def main():
    args = sweep_args(__doc__)
    sw, points = read_sweep(args.sweep)
    rows = []
    for p, s in points:
        eta = s["scenario"]["dynamics"]["eta"]
        lam_max = max(s["scenario"]["loss"]["eigenvalues"])
        checks = {c["prediction_kind"]: c for c in s["checks"] if c["result"] == "cov_trace"}
        disc, cont = checks["discrete_stationary"], checks["continuous_stationary"]
        rows.append({"eta": eta, "eta_lambda_max": eta * lam_max, "measured": disc["measured"]["mean"],
                     "se": disc["measured"]["se"], "n": disc["measured"]["n"], "k": disc["k"],
                     "discrete_stationary": disc["prediction"]["value"],
                     "continuous_stationary": cont["prediction"]["value"],
                     "discrete_check_passed": bool(disc["passed"]), "discrete_z": disc["z"]})
    rows.sort(key=lambda r: r["eta_lambda_max"])
    x = np.array([r["eta_lambda_max"] for r in rows])
    m = np.array([r["measured"] for r in rows])
    se = np.array([r["se"] for r in rows])
    dv = np.array([r["discrete_stationary"] for r in rows])
    cv = np.array([r["continuous_stationary"] for r in rows])
    # Relative errors of each prediction against the simulation; se of the ratio by the
    # delta method (the prediction is exact, the simulation carries the error).
    rel_c = (m - cv) / m
    rel_c_se = cv * se / m**2
    rel_d = (m - dv) / m
    rel_d_se = dv * se / m**2
    for r, a, b, c, d in zip(rows, rel_c, rel_c_se, rel_d, rel_d_se):
        r.update(rel_err_continuous=a, rel_err_continuous_se=b, rel_err_discrete=c, rel_err_discrete_se=d)

    fig, (ax, bx) = plt.subplots(2, 1, figsize=(7, 7.5), sharex=True, gridspec_kw={"height_ratios": [2, 1]})
    ax.errorbar(x, m, yerr=5 * se, fmt="o", capsize=3, color="C0", label="simulated noisy GD (5 se)")
    xs = np.linspace(x.min(), x.max(), 200)
    ax.plot(x, dv, "k-", lw=1.2, label="discrete Lyapunov S = A S A^T + eta^2 C")
    ax.plot(x, cv, "C3--", lw=1.2, label="continuous (OU) H S + S H = eta C")
    ax.set_yscale("log")
    ax.set_ylabel("stationary Tr Cov(theta)")
    ax.set_title("2-d quadratic, lambda = (1, 0.4), constant full gradient noise C", fontsize=9)
    ax.legend(fontsize=8)
    bx.errorbar(x, rel_c, yerr=5 * rel_c_se, fmt="o-", color="C3", capsize=3, label="(sim - OU) / sim")
    bx.errorbar(x, rel_d, yerr=5 * rel_d_se, fmt="s-", color="k", capsize=3, ms=4, label="(sim - discrete) / sim")
    # per-eigenpair exact gap 1 - (2 - eta lambda)/2 = eta lambda / 2 for the top mode
    bx.plot(xs, xs / 2, ":", color="grey", lw=1, label="eta lambda_max / 2 (top mode's OU error)")
    bx.axhline(0.0, color="k", lw=0.6)
    bx.set_xlabel("eta lambda_max")
    bx.set_ylabel("relative error (5 se)")
    bx.legend(fontsize=7)

    all_disc = all(r["discrete_check_passed"] for r in rows)
    z_last = rel_c[-1] / rel_c_se[-1]
    z_grow = (rel_c[-1] - rel_c[0]) / np.hypot(rel_c_se[-1], rel_c_se[0])
    passed = bool(all_disc and z_last > 3.0 and z_grow > 3.0)
    reason = (f"discrete_stationary 5-sigma checks passed at {sum(r['discrete_check_passed'] for r in rows)}/{len(rows)} "
              f"points (max |z| = {max(abs(r['discrete_z']) for r in rows):.2f}); OU relative error "
              f"{rel_c[-1]:.3f} +- {rel_c_se[-1]:.3f} at eta lambda_max = {x[-1]:g} ({z_last:.0f} se, > 3 required) "
              f"against {rel_c[0]:.4f} +- {rel_c_se[0]:.4f} at {x[0]:g}: grows by {z_grow:.0f} combined se (> 3 required)")
    bx.set_title(reason, fontsize=6, wrap=True)
    fig.suptitle("Stationary covariance: the SDE picture breaks as eta lambda_max -> 2 (docs/theory.md 1.4)")
    fig.tight_layout()
    print(reason)
    print(save(fig, args.out, numbers={"points": rows}, check={"passed": passed, "reason": reason}))


if __name__ == "__main__":
    main()
