#!/usr/bin/python3
"""Strong (path-wise) error of Gaussian multiplicative SGD against its SDE on one Brownian
path (paper 1, Wu et al.; docs/theory.md 2 and row P1-1 of 7; issue 6).

Reads the sweep directory of
  sgdnoise sweep scenarios/paper1_strong_error.toml --list scenarios/paper1_strong_error.sweep
(least squares, Gaussian Cov-type noise, dynamics.kind = "strong_coupling": the discrete
chain theta_k and the Euler-Maruyama reference X with M sub-steps on the same increments,
tau = k eta = 1). Per eta: the strong error E|theta_k - X(k eta)| (mean +- se over the
trajectories), its root-mean-square from the exact coupled second moments (the prediction
of strong_error_sq), and the reference's own error E|X - Y| against a half reference.

Expected order (dynamics/strong_coupling.hpp; Kloeden & Platen 1992, 10.2): 1. The chain is
Euler-Maruyama with dt = eta of an SDE whose diffusion is O(sqrt(eta)); EM's order-1/2 terms
carry the diffusion's derivative and are O(eta^{3/2}) here, the drift's O(eta) dominates.
E|e| = eta |c(tau)| (1 + a eta + ...), so the fit is weighted least squares (weights (e/se)^2)
of log E|e| = q + p log eta + r eta, the derived expansion with its first correction; the
plain two-parameter slope and the slope of the exact root-mean-square error are reported.

Check recorded in the figure's JSON: the fitted p +- 3 se covers 1; every point passed
`sgdnoise check` (E|e|^2 and E|X - Y|^2 within 5 se of their exact values); and the
reference is accurate: its error, at most E|X - Y| / (sqrt 2 - 1) for a reference of strong
order >= 1/2 in dt, is below 10% of the strong error at every eta.

usage: paper1_strong_error.py SWEEP_DIR --out FIGURE.png
"""
import math

from common import read_sweep, save, sweep_args
import matplotlib.pyplot as plt
import numpy as np

NOMINAL = 1.0
REF_FRACTION = 0.10


def result(s, name):
    return next(r for r in s["results"] if r["name"] == name)


def wls(x_cols, y, w):
    """Weighted least squares: coefficients and their covariance (weights = 1 / var)."""
    X = np.vstack(x_cols).T
    cov = np.linalg.inv(X.T @ (w[:, None] * X))
    return cov @ (X.T @ (w * y)), cov


def main():
    args = sweep_args(__doc__)
    _, points = read_sweep(args.sweep)
    rows = []
    for _, s in points:
        dyn = s["scenario"]["dynamics"]
        e, e2, ref = result(s, "strong_error"), result(s, "strong_error_sq"), result(s, "reference_error")
        rows.append({"eta": dyn["eta"], "k": e["k"], "tau": e["tau"], "substeps": dyn["substeps"],
                     "strong_error": e["mean"], "strong_error_se": e["se"], "n": e["n"],
                     "strong_error_sq": e2["mean"], "strong_error_sq_se": e2["se"],
                     "strong_error_sq_exact": e2["prediction"]["value"],
                     "reference_error": ref["mean"], "reference_error_se": ref["se"],
                     "checks_passed": bool(s["all_checks_passed"]),
                     "checks": [{"result": c["result"], "z": c.get("z"), "passed": c["passed"]} for c in s["checks"]]})
    rows.sort(key=lambda r: r["eta"])
    eta = np.array([r["eta"] for r in rows])
    err = np.array([r["strong_error"] for r in rows])
    se = np.array([r["strong_error_se"] for r in rows])
    rms_exact = np.sqrt([r["strong_error_sq_exact"] for r in rows])
    ref = np.array([r["reference_error"] for r in rows])
    ref_se = np.array([r["reference_error_se"] for r in rows])

    ly, w, one = np.log(err), (err / se) ** 2, np.ones_like(eta)
    (q, p, r), cov = wls([one, np.log(eta), eta], ly, w)
    p_se = math.sqrt(cov[1, 1])
    (q2, p2), cov2 = wls([one, np.log(eta)], ly, w)
    p2_se = math.sqrt(cov2[1, 1])
    p_rms = np.polyfit(np.log(eta), np.log(rms_exact), 1)[0]
    local = [math.log(err[i + 1] / err[i]) / math.log(eta[i + 1] / eta[i]) for i in range(len(eta) - 1)]

    covers = abs(p - NOMINAL) <= 3.0 * p_se
    checks_ok = all(r["checks_passed"] for r in rows)
    ref_bound = ref / (math.sqrt(2.0) - 1.0)
    ref_ok = bool(np.all(ref_bound < REF_FRACTION * err))
    passed = bool(covers and checks_ok and ref_ok)

    fig, ax = plt.subplots(figsize=(8, 6))
    ax.errorbar(eta, err, yerr=3 * se, fmt="o", color="C0", capsize=3, zorder=3,
                label=f"E|theta_k - X(k eta)| at tau = 1 (3 se, N = {rows[0]['n']})")
    ax.plot(eta, rms_exact, "-", color="C0", lw=1, alpha=0.6, label="(E|theta_k - X|^2)^1/2, exact coupled moments")
    xs = np.geomspace(eta.min(), eta.max(), 60)
    ax.plot(xs, np.exp(q + p * np.log(xs) + r * xs), ":", color="C3", lw=1.5,
            label=f"fit log e = q + p log eta + r eta: p = {p:.3f} +- {3 * p_se:.3f} (3 se)")
    ax.plot(xs, err[0] * (xs / eta[0]) ** NOMINAL, "--", color="k", lw=0.8, label="order 1 (derived)")
    ax.plot(xs, err[0] * (xs / eta[0]) ** 0.5, "--", color="0.6", lw=0.8,
            label="order 1/2 (EM for an eta-independent diffusion)")
    ax.errorbar(eta, ref, yerr=3 * ref_se, fmt="s", color="C2", ms=4, capsize=2,
                label=f"reference's own error: E|X - Y|, M = {rows[0]['substeps']} against M/2 sub-steps")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(eta)
    ax.set_xticklabels([f"{e:g}" for e in eta])
    ax.minorticks_off()
    ax.set_xlabel("eta (learning rate; discrete steps k = tau / eta)")
    ax.set_ylabel("path-wise error at tau = 1")
    reason = (f"fitted strong order p = {p:.4f} +- {p_se:.4f} (1 se; 3 se interval [{p - 3 * p_se:.4f}, "
              f"{p + 3 * p_se:.4f}] {'covers' if covers else 'misses'} the derived 1), two-parameter slope "
              f"{p2:.4f} +- {p2_se:.4f}, exact-rms slope {p_rms:.4f}; per-point sgdnoise checks passed: {checks_ok}; "
              f"reference error bound E|X - Y| / (sqrt 2 - 1) below {REF_FRACTION:.0%} of the strong error at "
              f"every eta: {ref_ok} (max ratio {np.max(ref_bound / err):.3f})")
    ax.set_title("Paper 1: Gaussian multiplicative SGD against its SDE on one Brownian path\n"
                 f"strong order p = {p:.3f} +- {3 * p_se:.3f} (3 se), derived 1", fontsize=9)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2)
    fig.tight_layout()
    numbers = {"points": rows, "fitted_order": p, "fitted_order_se": p_se, "fit_q": q, "fit_r": r,
               "slope_two_parameter": p2, "slope_two_parameter_se": p2_se, "slope_exact_rms": p_rms,
               "local_slopes": local, "derived_order": NOMINAL, "reference_error_bound_ratio_max":
               float(np.max(ref_bound / err))}
    print(reason)
    print(save(fig, args.out, numbers=numbers, check={"passed": passed, "reason": reason}))


if __name__ == "__main__":
    main()
