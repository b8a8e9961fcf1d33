#!/usr/bin/python3
"""Weak error of the stochastic modified equations against discrete SGD (issue 6, item 3;
Li, Tai & E 2017, Thm 1: order 1 and order 2 in eta).

Reads the sweep directory of
  sgdnoise sweep scenarios/sme_weak_order.toml --list scenarios/sme_weak_order.sweep
(1-D quadratic L = lambda theta^2 / 2, constant gradient noise C, tau = eta k = 1). Per
eta: E phi(X_tau), phi = theta^2 ("dist2"), of SME order 1 and 2 from the ensembles (mean
+- se), and E phi(theta_k) of discrete SGD exactly: m_k = (1 - eta lambda)^k theta_0,
v_k = eta^2 C sum_{j<k} (1 - eta lambda)^{2j} (docs/theory.md 1.4 item 2), E phi = m_k^2 + v_k.
The weak error e(eta) = |E phi(X_tau) - E phi(theta_k)| carries the ensemble's se.
Fitted orders: the slope of log e against log eta between the two smallest eta (se by the
delta method), and the weighted least-squares slope over all eta (reported).
Check recorded in the figure's JSON: each order's two-smallest-eta slope is within 3 se of
its nominal order (1 and 2), each error stands above 3 se at every eta, and every ensemble
agrees with the exact moments of its (linear) SME within 5 se.

usage: sme_weak_order.py SWEEP_DIR --out FIGURE.png
"""
import math

from common import read_sweep, save, sweep_args
import matplotlib.pyplot as plt
import numpy as np


def main():
    args = sweep_args(__doc__)
    sw, points = read_sweep(args.sweep)
    data = {1: {}, 2: {}}
    for p, s in points:
        sc = s["scenario"]
        dyn = sc["dynamics"]
        eta, k, order = dyn["eta"], s["results"][0]["k"], dyn["order"]
        lam = sc["loss"]["eigenvalues"][0]
        C = sc["noise"]["variance"]
        th0 = dyn["start"][0]
        r = next(r for r in s["results"] if r["name"] == "dist2")
        a = 1.0 - eta * lam
        exact = (a**k * th0) ** 2 + eta**2 * C * sum(a ** (2 * j) for j in range(k))
        # the SME itself is linear here: its exact moments (an OU process with drift
        # B = lambda + (eta/2) lambda^2 for order 2; Gardiner 4.5.6) check the ensemble
        B = lam + (0.5 * eta * lam**2 if order == 2 else 0.0)
        sme_exact = math.exp(-2 * B * eta * k) * th0**2 + eta * C * (1 - math.exp(-2 * B * eta * k)) / (2 * B)
        data[order][eta] = {"sme_exact": sme_exact, "sme_z": (r["mean"] - sme_exact) / r["se"], "eta": eta, "k": k, "tau": eta * k, "sme_mean": r["mean"], "sme_se": r["se"], "n": r["n"],
                            "discrete_exact": exact, "error": abs(r["mean"] - exact), "error_se": r["se"]}
    fig, ax = plt.subplots(figsize=(7, 5))
    numbers, parts, ok = {}, [], True
    for order, col in ((1, "C0"), (2, "C3")):
        rows = [data[order][e] for e in sorted(data[order])]
        eta = np.array([r["eta"] for r in rows])
        err = np.array([r["error"] for r in rows])
        se = np.array([r["error_se"] for r in rows])
        ax.errorbar(eta, err, yerr=3 * se, fmt="o", color=col, capsize=3,
                    label=f"SME order {order}: |E phi(X_tau) - E phi(theta_k)| (3 se)")
        # two smallest eta
        e1, e2 = err[0], err[1]
        p2 = math.log(e2 / e1) / math.log(eta[1] / eta[0])
        p2_se = math.hypot(se[0] / e1, se[1] / e2) / abs(math.log(eta[1] / eta[0]))
        # weighted least squares over all eta on log e = q + p log eta, weights (e / se)^2
        w = (err / se) ** 2
        X = np.vstack([np.ones_like(eta), np.log(eta)]).T
        cov = np.linalg.inv(X.T @ (w[:, None] * X))
        q, p_all = cov @ (X.T @ (w * np.log(err)))
        p_all_se = math.sqrt(cov[1, 1])
        xs = np.geomspace(eta.min(), eta.max(), 50)
        ax.plot(xs, err[0] * (xs / eta[0]) ** order, "--", color=col, lw=0.8, label=f"slope {order} (nominal)")
        # the same two-point slope from the SMEs' exact moments (no Monte Carlo): what the
        # ensembles estimate
        ex_err = [abs(r["sme_exact"] - r["discrete_exact"]) for r in rows[:2]]
        p2_exact = math.log(ex_err[1] / ex_err[0]) / math.log(eta[1] / eta[0])
        z = (p2 - order) / p2_se
        above = bool(np.all(err > 3 * se))
        zs = max(abs(r["sme_z"]) for r in rows)
        passed = abs(z) < 3.0 and above and zs < 5.0
        ok &= passed
        numbers[f"order_{order}"] = {"points": rows, "slope_two_smallest": p2, "slope_two_smallest_se": p2_se,
                                     "slope_two_smallest_exact_sme": p2_exact,
                                     "slope_wls_all": float(p_all), "slope_wls_all_se": p_all_se, "z_vs_nominal": z,
                                     "errors_above_3se": above}
        parts.append(f"order {order}: slope {p2:.3f} +- {p2_se:.3f} (eta {eta[0]:g}-{eta[1]:g}; {z:+.1f} se from "
                     f"{order}; {p2_exact:.3f} from the exact SME moments), WLS over all eta {p_all:.3f} +- {p_all_se:.3f}; errors > 3 se: {above}; "
                     f"ensembles against the exact SME moments max |z| = {zs:.2f} (< 5)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("eta")
    ax.set_ylabel("weak error of E theta^2 at tau = 1")
    reason = "; ".join(parts) + " (each slope within 3 se of its order required)"
    ax.set_title("SME against discrete SGD on a 1-D quadratic (Li, Tai & E 2017)\n" + "\n".join(parts), fontsize=6)
    ax.legend(fontsize=7)
    fig.tight_layout()
    print(reason)
    print(save(fig, args.out, numbers=numbers, check={"passed": bool(ok), "reason": reason}))


if __name__ == "__main__":
    main()
