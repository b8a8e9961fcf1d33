#!/usr/bin/python3
"""Preconditioned dynamics and the Eyring-Kramers law (issue 5): the escape rate from the left well
of a 2-D double well (barrier dL = 1, transverse curvature 4) to the other well, against
1/eps = dL/eps, under the drift -M grad L with a non-diagonal preconditioner M and
  (a) the tied noise D = 2 eps M: reversible, Gibbs measure e^{-L/eps}, Eyring-Kramers holds with
      lambda_-(M H_s) (Berglund 2013, arXiv:1106.5799, sec. 3.3);
  (b) isotropic noise of equal trace, D = (Tr 2 eps M / d) I: non-reversible; no Eyring-Kramers rate
      (the summary's status says "exponent only: not reversible": the exponent dV/eps of the
      quasi-potential by gMAM, without prefactor; older summaries say "no prediction: not reversible").

Reads the sweep directory of
  sgdnoise sweep scenarios/preconditioned_escape.toml --list scenarios/preconditioned_escape.sweep
(columns escape_rate_tau with its 95 % interval, ek_rate_tau and its stated band k (1 -+ eps/dL)).
Also reported: the Arrhenius slope -d ln k / d(1/eps) of each set (weighted least squares on
ln rate; dL = 1 for the reversible set), and the discretisation bias at dL/eps = 4 from the same
point at dt/2.
Check recorded in the figure's JSON: every reversible point in the regime dL/eps >= 4 has its 95 %
interval within the Eyring-Kramers band k (1 -+ eps/dL) (the intervals meet), and every
non-reversible point carries no Eyring-Kramers rate.

usage: preconditioned_escape.py SWEEP_DIR --out FIGURE.png
"""
import math

from common import read_sweep, save, sweep_args
import matplotlib.pyplot as plt
import numpy as np

NON_REVERSIBLE = ("exponent only: not reversible", "no prediction: not reversible")
REGIME_MIN = 4.0  # dL/eps from which the reversible points are checked against the band
Z95 = 1.959964


def slope(xs, rates, los, his):
    """Weighted least squares of ln rate on 1/eps: (-slope, its se)."""
    x = np.array(xs)
    y = np.log(rates)
    se = (np.log(his) - np.log(los)) / (2 * Z95)
    w = 1.0 / se**2
    X = np.vstack([np.ones_like(x), x]).T
    cov = np.linalg.inv(X.T @ (w[:, None] * X))
    beta = cov @ X.T @ (w * y)
    return -beta[1], math.sqrt(cov[1, 1])


def main():
    args = sweep_args(__doc__)
    sw, points = read_sweep(args.sweep)
    rev, iso, half = [], [], None
    for p, s in points:
        c = p["columns"]
        row = {"label": p["label"], "inv_eps": None, "rate": c["escape_rate_tau"], "lo": c["escape_rate_tau_lo"],
               "hi": c["escape_rate_tau_hi"], "escaped": c.get("escape_escaped"), "n": c.get("escape_n"),
               "status": c.get("ek_status"), "dt": s["scenario"]["dynamics"]["eta"] /
               s["scenario"]["dynamics"].get("substeps", 1)}
        if row["status"] == "predicted":
            row.update(inv_eps=c["ek_barrier_over_eps"], ek=c["ek_rate_tau"], band_lo=c["ek_rate_tau_band_lo"],
                       band_hi=c["ek_rate_tau_band_hi"], regime=c.get("ek_regime"))
            if p["label"].endswith("-dt2"):
                half = row
            else:
                rev.append(row)
        else:
            # No formula: 1/eps from the label's dL/eps (the sweep's own naming, bN = dL/eps = N).
            row["inv_eps"] = float(p["label"].split("-b")[1])
            row["reason"] = c.get("ek_reason")
            row["dV_over_eps"] = c.get("ek_barrier_over_eps")  # the gMAM exponent, where given
            iso.append(row)
    rev.sort(key=lambda r: r["inv_eps"])
    iso.sort(key=lambda r: r["inv_eps"])

    fig, (ax, bx) = plt.subplots(1, 2, figsize=(12.5, 4.8))
    x = np.array([r["inv_eps"] for r in rev])
    for rows, col, lab in [(rev, "C0", "(a) reversible: D = 2 eps M"),
                           (iso, "C3", "(b) equal-trace isotropic D = (Tr D_a / 2) I: non-reversible, no formula")]:
        xs = [r["inv_eps"] for r in rows]
        m = np.array([r["rate"] for r in rows])
        ax.errorbar(xs, m, yerr=[m - [r["lo"] for r in rows], [r["hi"] for r in rows] - m], fmt="o", color=col,
                    capsize=3, label=lab + " (95 % CI)")
    xx = np.linspace(x.min() - 0.2, x.max() + 0.2, 100)
    # The reversible rates k(eps) = A e^{-dL/eps}: A from the summary's own prediction.
    A = rev[0]["ek"] * math.exp(rev[0]["inv_eps"])
    ax.plot(xx, A * np.exp(-xx), "k-", lw=1, label="Eyring-Kramers, |lambda_-(M H_s)|/(2 pi) sqrt(det H_m/|det H_s|) e^{-dL/eps}")
    ax.fill_between(xx, A * np.exp(-xx) * (1 - 1 / xx), A * np.exp(-xx) * (1 + 1 / xx), color="k", alpha=0.12,
                    label="stated corrections k (1 -+ eps/dL)")
    if half:
        ax.errorbar([half["inv_eps"] + 0.08], [half["rate"]], yerr=[[half["rate"] - half["lo"]], [half["hi"] - half["rate"]]],
                    fmt="s", color="C2", capsize=3, label=f"(a) at dt = {half['dt']:g} (bias probe)")
    ax.set_yscale("log")
    ax.set_xlabel("dL / eps = 1 / eps")
    ax.set_ylabel("escape rate to the other well (per tau)")
    ax.set_title("drift -M grad L, M = [[0.8, 1.2], [1.2, 3.2]]; 2-D double well, transverse curvature 4",
                 fontsize=8)
    ax.legend(fontsize=6.5, loc="upper center", bbox_to_anchor=(0.5, -0.13))  # below: the data fill the axes

    # Right: the reversible rates over the prediction, with the band; the regime of the check.
    ratio = np.array([r["rate"] / r["ek"] for r in rev])
    rlo = np.array([r["lo"] / r["ek"] for r in rev])
    rhi = np.array([r["hi"] / r["ek"] for r in rev])
    bx.errorbar(x, ratio, yerr=[ratio - rlo, rhi - ratio], fmt="o", color="C0", capsize=3,
                label="(a) simulated / Eyring-Kramers (95 % CI)")
    bx.fill_between(xx, 1 - 1 / xx, 1 + 1 / xx, color="k", alpha=0.12, label="1 -+ eps/dL (stated corrections)")
    bx.axhline(1.0, color="k", lw=0.8)
    bx.axvspan(xx.min(), REGIME_MIN, color="C1", alpha=0.08, label=f"dL/eps < {REGIME_MIN:g}: shown, not checked")
    bx.set_xlabel("dL / eps = 1 / eps")
    bx.set_ylabel("rate / Eyring-Kramers rate")
    bx.legend(fontsize=7, loc="upper right")

    sa, sa_se = slope(x, [r["rate"] for r in rev], [r["lo"] for r in rev], [r["hi"] for r in rev])
    si, si_se = slope([r["inv_eps"] for r in iso], [r["rate"] for r in iso], [r["lo"] for r in iso],
                      [r["hi"] for r in iso])
    failures = []
    checked = 0
    for r in rev:
        if r["inv_eps"] < REGIME_MIN:
            continue
        checked += 1
        if r["hi"] < r["band_lo"] or r["lo"] > r["band_hi"]:
            failures.append(f"dL/eps = {r['inv_eps']:g}: rate CI [{r['lo']:.4g}, {r['hi']:.4g}] misses the band "
                            f"[{r['band_lo']:.4g}, {r['band_hi']:.4g}]")
    for r in iso:
        if r["status"] not in NON_REVERSIBLE:
            failures.append(f"{r['label']}: status {r['status']!r}, expected one of {NON_REVERSIBLE}")
    numbers = {"reversible": [{k: r[k] for k in ("label", "inv_eps", "rate", "lo", "hi", "escaped", "n", "ek",
                                                  "band_lo", "band_hi", "regime", "dt")} |
                              {"ratio": r["rate"] / r["ek"], "ratio_interval_95": [r["lo"] / r["ek"], r["hi"] / r["ek"]]}
                              for r in rev],
               "non_reversible": [{k: r[k] for k in ("label", "inv_eps", "rate", "lo", "hi", "escaped", "n",
                                                      "status", "reason", "dV_over_eps")} for r in iso],
               "arrhenius_slope_reversible": [sa, sa_se], "arrhenius_slope_non_reversible": [si, si_se],
               "barrier": 1.0}
    print(f"{'point':>11} {'dL/eps':>6} {'rate/tau':>10} {'95% CI':>22} {'escaped':>9} {'Eyring-Kramers':>14}"
          f" {'ratio':>7} {'ratio 95% CI':>18}")
    for r in rev + ([half] if half else []) + iso:
        ek = r.get("ek")
        tail = (f" {ek:14.4g} {r['rate'] / ek:7.3f} [{r['lo'] / ek:7.3f}, {r['hi'] / ek:7.3f}]" if ek
                else f"  {r['status']}" + (f" (dV/eps = {r['dV_over_eps']:.4g})" if r.get("dV_over_eps") else ""))
        print(f"{r['label']:>11} {r['inv_eps']:6.2f} {r['rate']:10.4g} [{r['lo']:9.4g}, {r['hi']:9.4g}]"
              f" {r['escaped']:4d}/{r['n']:<4d}{tail}")
    if half:
        same = next((r for r in rev if abs(r["inv_eps"] - half["inv_eps"]) < 1e-9), None)
        if same:
            # Ratio of the rates at dt and dt/2 with a delta-method 95 % interval (independent runs).
            se = math.hypot((math.log(same["hi"]) - math.log(same["lo"])) / (2 * Z95),
                            (math.log(half["hi"]) - math.log(half["lo"])) / (2 * Z95))
            q = same["rate"] / half["rate"]
            numbers["discretisation_bias"] = {"dL_over_eps": half["inv_eps"], "dt": [same["dt"], half["dt"]],
                                              "rate_ratio": q, "interval_95": [q * math.exp(-Z95 * se),
                                                                               q * math.exp(Z95 * se)]}
            print(f"discretisation: rate(dt = {same['dt']:g}) / rate(dt = {half['dt']:g}) = {q:.3f} "
                  f"[{q * math.exp(-Z95 * se):.3f}, {q * math.exp(Z95 * se):.3f}] (95 %)")
    print(f"Arrhenius slopes: reversible {sa:.3f} +- {sa_se:.3f} (dL = 1), non-reversible {si:.3f} +- {si_se:.3f}")
    check = {"passed": not failures and checked > 0,
             "reason": ("; ".join(failures) if failures else
                        f"{checked} reversible points with dL/eps >= {REGIME_MIN:g}: 95 % intervals meet the "
                        f"Eyring-Kramers band k (1 -+ eps/dL); {len(iso)} non-reversible points carry no formula")}
    bx.set_title(f"Arrhenius slopes: reversible {sa:.2f} +- {sa_se:.2f} (dL = 1), non-reversible {si:.2f} +- "
                 f"{si_se:.2f}\n" + ("check passed" if check["passed"] else "check FAILED"), fontsize=8)
    print(save(fig, args.out, numbers=numbers, check=check))


if __name__ == "__main__":
    main()
