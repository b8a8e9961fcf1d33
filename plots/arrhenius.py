#!/usr/bin/python3
"""Arrhenius plot of escape from a well: mean first-passage time (95 % interval) against
1/eps on a log scale, at each step size, with the exact mean first-passage time of the
continuous Langevin dynamics (Gardiner 5.2.7, by quadrature) and Kramers' estimate
1/(2k) of the time to reach the saddle; the lower panel shows the discretisation bias
(mean / exact - 1), which shrinks with the step size dt = eta. Points run with the
Brownian-bridge crossing test (escape.bridge = true) form their own series: the test
counts the crossings a coarse step misses between observations, which is the part of the
bias that shrinks only like sqrt(dt); the check on the shrinking bias uses the plain runs.

Reads the sweep directory written by
  sgdnoise sweep scenarios/arrhenius_double_well.toml --list scenarios/arrhenius_double_well.sweep
or, with --run, runs that sweep first (with the sgdnoise given by --sgdnoise).

usage: arrhenius.py SWEEP_DIR --out FIGURE.png [--run] [--sgdnoise build/sgdnoise] [--threads T]
"""
import argparse
import json
import os
import subprocess

from common import save
import matplotlib.pyplot as plt

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sweep")
    ap.add_argument("--out", required=True)
    ap.add_argument("--run", action="store_true", help="run the sweep first (replacing SWEEP_DIR)")
    ap.add_argument("--sgdnoise", default=os.path.join(ROOT, "build", "sgdnoise"))
    ap.add_argument("--threads", default=str(os.cpu_count() or 1))
    args = ap.parse_args()
    if args.run:
        subprocess.run([args.sgdnoise, "sweep", os.path.join(ROOT, "scenarios", "arrhenius_double_well.toml"),
                        "--list", os.path.join(ROOT, "scenarios", "arrhenius_double_well.sweep"),
                        "--out", args.sweep, "--force", "--threads", args.threads], check=True,
                       stdout=subprocess.DEVNULL)
    with open(os.path.join(args.sweep, "sweep.json")) as f:
        sw = json.load(f)

    by_eta = {}
    ams = []
    for p in sw["points"]:
        c = p["columns"]
        if p["overrides"].get("escape.method") == "ams":
            ams.append(c)
            continue
        eta = float(p["overrides"]["dynamics.eta"])
        bridge = str(p["overrides"].get("escape.bridge", "false")).lower() == "true"
        by_eta.setdefault((eta, bridge), []).append(c)
    fig, (ax, bx) = plt.subplots(2, 1, figsize=(7, 7.5), sharex=True, gridspec_kw={"height_ratios": [2, 1]})
    exact = {}
    numbers = []
    print(f"{'eta':>6} {'1/eps':>6} {'mean tau':>10} {'95% interval':>22} {'escaped':>9} {'exact MFPT':>11}"
          f" {'Kramers 1/2k':>12} {'bias':>8}")
    for i, (eta, bridge) in enumerate(sorted(by_eta, key=lambda k: (-k[0], k[1]))):
        pts = sorted(by_eta[(eta, bridge)], key=lambda c: 1.0 / c["eps"])
        how = " with the Brownian-bridge test" if bridge else ""
        x = [1.0 / c["eps"] for c in pts]
        m = [c["escape_mean_tau"] for c in pts]
        lo = [c["escape_mean_tau_lo"] for c in pts]
        hi = [c["escape_mean_tau_hi"] for c in pts]
        col = f"C{i}"
        restricted = any(c.get("escape_mean_tau_restricted") for c in pts)
        ax.errorbar(x, m, yerr=[[a - b for a, b in zip(m, lo)], [b - a for a, b in zip(m, hi)]], fmt="o", color=col,
                    capsize=3, label=f"discrete noisy GD, dt = eta = {eta:g}{how}" + (" (restricted mean)" if restricted else ""))
        rel = [a / c["mfpt_tau"] - 1.0 for a, c in zip(m, pts)]
        rlo = [a / c["mfpt_tau"] - 1.0 for a, c in zip(lo, pts)]
        rhi = [a / c["mfpt_tau"] - 1.0 for a, c in zip(hi, pts)]
        bx.errorbar(x, rel, yerr=[[a - b for a, b in zip(rel, rlo)], [b - a for a, b in zip(rel, rhi)]], fmt="o-",
                    color=col, capsize=3, label=f"dt = {eta:g}{how}")
        for c, xi, mi, l, h, r in zip(pts, x, m, lo, hi, rel):
            exact[round(xi, 6)] = (c["mfpt_tau"], 0.5 / c["kramers_rate_tau"])
            numbers.append({"eta": eta, "bridge": bridge, "inv_eps": xi, "mean_tau": mi, "interval_95": [l, h], "mfpt_tau": c["mfpt_tau"],
                            "kramers_half_inverse_rate": 0.5 / c["kramers_rate_tau"], "relative_bias": r})
            print(f"{eta:6g}{'b' if bridge else ' '} {xi:6.2f} {mi:10.3f} [{l:9.3f}, {h:9.3f}] {c['escape_escaped']:4d}/{c['escape_n']:<4d}"
                  f" {c['mfpt_tau']:11.3f} {0.5 / c['kramers_rate_tau']:12.3f} {r:+8.3f}")
    # AMS points: the mean time from the minimum to the saddle by adaptive multilevel splitting, with
    # 95 % intervals (1.96 delta-method standard errors over the independent AMS runs).
    ams_numbers = []
    if ams:
        pts = sorted(ams, key=lambda c: 1.0 / c["eps"])
        col = f"C{len(by_eta)}"
        x = [1.0 / c["eps"] for c in pts]
        m = [c["ams_mean_tau"] for c in pts]
        e95 = [1.96 * c["ams_mean_tau_se"] for c in pts]
        ax.errorbar(x, m, yerr=e95, fmt="s", color=col, capsize=3, mfc="none",
                    label="AMS (adaptive multilevel splitting), dt = eta = 0.002: mean time to x = 0.5")
        ax.plot(x, [c["ams_exact_mfpt_tau"] for c in pts], "-.", color="0.3", lw=1,
                label="exact MFPT of the SDE to x = 0.5")
        rel = [a / c["ams_exact_mfpt_tau"] - 1.0 for a, c in zip(m, pts)]
        bx.errorbar(x, rel, yerr=[e / c["ams_exact_mfpt_tau"] for e, c in zip(e95, pts)], fmt="s", color=col,
                    capsize=3, mfc="none", label="AMS, dt = 0.002")
        for c, xi, mi, ei, r in zip(pts, x, m, e95, rel):
            exact.setdefault(round(xi, 6), (c["mfpt_tau"], 0.5 / c["kramers_rate_tau"]))
            ams_numbers.append({"inv_eps": xi, "mean_tau": mi, "se": c["ams_mean_tau_se"], "mfpt_tau": c["ams_exact_mfpt_tau"],
                                "relative_bias": r, "trajectory_steps": c["ams_trajectory_steps"],
                                "check_passed": bool(c.get("all_checks_passed"))})
            print(f"{'AMS':>6}  {xi:6.2f} {mi:10.4g} [{mi - ei:9.4g}, {mi + ei:9.4g}] {'':9} {c['ams_exact_mfpt_tau']:11.4g}"
                  f" {0.5 / c['kramers_rate_tau']:12.4g} {r:+8.3f}")
    xs = sorted(exact)
    ax.plot(xs, [exact[x][0] for x in xs], "k-", lw=1.2, label="exact MFPT of the SDE to the saddle (Gardiner 5.2.7)")
    ax.plot(xs, [exact[x][1] for x in xs], "k--", lw=1, label="Kramers: 1/(2k), k = sqrt(U''(m)|U''(s)|)/(2 pi) e^{-dL/eps}")
    ax.set_yscale("log")
    ax.set_ylabel("mean escape time (tau = k eta)")
    ax.set_title("double well (x^2 - 1)^2 from x = -1: brute force to the saddle up to dL/eps = 4, AMS to x = 0.5 up to 30",
                 fontsize=9)
    ax.legend(fontsize=7)
    bx.axhline(0.0, color="k", lw=0.8)
    bx.set_xlabel("1/eps = dL/eps")
    bx.set_ylabel("mean / exact MFPT - 1")
    bx.legend(fontsize=7)
    # The check: the discretisation bias shrinks with dt. Per step size, the relative bias
    # mean / MFPT - 1 averaged over the temperatures, its standard error from the 95 %
    # intervals (half-width / 1.96, independent points); the smaller dt's average bias must
    # be below the larger dt's by more than 3 combined standard errors.
    etas = sorted({n["eta"] for n in numbers if not n["bridge"]})
    check = None
    if len(etas) >= 2:
        def pooled(eta):
            rows = [n for n in numbers if n["eta"] == eta and not n["bridge"]]
            b = sum(n["relative_bias"] for n in rows) / len(rows)
            se = (sum(((n["interval_95"][1] - n["interval_95"][0]) / (2 * 1.96 * n["mfpt_tau"])) ** 2
                      for n in rows)) ** 0.5 / len(rows)
            return b, se
        (b_small, se_small), (b_large, se_large) = pooled(etas[0]), pooled(etas[-1])
        z = (b_large - b_small) / (se_small**2 + se_large**2) ** 0.5
        check = {"passed": bool(abs(b_small) < abs(b_large) and z > 3.0),
                 "reason": f"mean relative bias {b_large:+.3f} +- {se_large:.3f} at dt = {etas[-1]:g} against "
                           f"{b_small:+.3f} +- {se_small:.3f} at dt = {etas[0]:g}: shrinks by {z:.1f} standard errors "
                           "(more than 3 required)"}
        bx.set_title(check["reason"], fontsize=7)
    if ams_numbers:
        # Each AMS point's own check (escape.mfpt_check: within 3 standard errors plus 12 eta of the
        # exact MFPT) must have passed, and AMS must reach past the brute-force points.
        ok = all(n["check_passed"] for n in ams_numbers)
        reach = max(n["inv_eps"] for n in ams_numbers)
        why = (f"AMS to dL/eps = {reach:g}: {sum(n['check_passed'] for n in ams_numbers)} of {len(ams_numbers)} "
               "points within 3 se + 12 eta of the exact MFPT")
        check = {"passed": bool(ok and (check is None or check["passed"])),
                 "reason": (check["reason"] + "; " if check else "") + why}
    ax.set_yscale("log")
    print(save(fig, args.out, numbers={"brute_force": numbers, "ams": ams_numbers}, check=check))


if __name__ == "__main__":
    main()
