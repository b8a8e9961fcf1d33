#!/usr/bin/python3
"""Sharp against flat (issue 5; paper 3, docs/theory.md 4.3): the escape rate from the left well of
a 2-D double well against the sharpness of that well (its curvature h_1 along the escape
direction, the top Hessian eigenvalue once h_1 > 4; barrier fixed), under H-aligned and isotropic Gaussian weight noise of equal trace.

Reads the sweep directory of
  sgdnoise sweep scenarios/sharp_flat_escape.toml --list scenarios/sharp_flat_escape.sweep
(columns escape_rate_tau with its 95 % interval). Also drawn: Kramers' rate for each noise
with the temperature along x_1, eps = Sigma_step,11 / (2 eta), as a guide (a high-barrier
approximation: dL / eps is only 1.3 .. 6 here).
Check recorded in the figure's JSON (the direction follows from the 1-D reduction in the
scenario's comment): H-aligned noise escapes slower than isotropic noise from every basin
flatter than the transverse curvature (h_1 < 4) and faster from every sharper one (h_1 > 4),
with non-overlapping 95 % intervals, and its rate ratio to isotropic noise grows with h_1.

usage: sharp_flat_escape.py SWEEP_DIR --out FIGURE.png
"""
import math

from common import read_sweep, save, sweep_args
import matplotlib.pyplot as plt
import numpy as np

TRANSVERSE = 4.0  # the transverse curvature of scenarios/sharp_flat_escape.toml


def main():
    args = sweep_args(__doc__)
    sw, points = read_sweep(args.sweep)
    pts = {}
    for p, s in points:
        o, c = p["overrides"], p["columns"]
        a = float(o["loss.a"])
        h1 = round(8.0 / a**2, 6)
        kind = "hessian" if "hessian" in o["noise.covariance"] else "isotropic"
        eta = s["scenario"]["dynamics"]["eta"]
        trace = s["scenario"]["noise"]["trace"]
        pts.setdefault(kind, {})[h1] = (c["escape_rate_tau"], c["escape_rate_tau_lo"], c["escape_rate_tau_hi"],
                                        c.get("escape_escaped"), c.get("escape_n"), eta, trace)
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(12, 4.5))
    numbers = {}
    for i, kind in enumerate(["isotropic", "hessian"]):
        hs = np.array(sorted(pts[kind]))
        r = np.array([pts[kind][h][0] for h in hs])
        lo = np.array([pts[kind][h][1] for h in hs])
        hi = np.array([pts[kind][h][2] for h in hs])
        label = "isotropic, Sigma = (T/2) I" if kind == "isotropic" else "H-aligned, Sigma = T H / Tr H"
        ax.errorbar(hs, r, yerr=[r - lo, hi - r], fmt="o", color=f"C{i}", capsize=3, label=label + " (95 % CI)")
        eta, trace = pts[kind][hs[0]][5], pts[kind][hs[0]][6]
        hh = np.geomspace(hs.min(), hs.max(), 100)
        var1 = trace * hh / (hh + TRANSVERSE) if kind == "hessian" else np.full_like(hh, trace / 2.0)
        eps = var1 / (2.0 * eta)
        kramers = np.sqrt(hh * hh / 2.0) / (2.0 * math.pi) * np.exp(-1.0 / eps)  # barrier 1, saddle curvature h1/2
        ax.plot(hh, kramers, "--", color=f"C{i}", lw=0.8, label=f"Kramers ({kind}), guide only")
        numbers[kind] = {"h1": hs.tolist(), "rate_tau": r.tolist(), "lo": lo.tolist(), "hi": hi.tolist(),
                         "escaped": [pts[kind][h][3] for h in hs], "n": [pts[kind][h][4] for h in hs]}
    ax.axvline(TRANSVERSE, color="k", lw=0.6, ls=":")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("sharpness h_1 of the starting basin along the escape direction (barrier fixed)")
    ax.set_ylabel("escape rate per tau")
    ax.set_title("equal trace Tr Sigma_step = 0.016; dotted: h_1 = transverse curvature", fontsize=9)
    ax.legend(fontsize=7)

    hs = sorted(set(pts["hessian"]) & set(pts["isotropic"]))
    ratio = np.array([pts["hessian"][h][0] / pts["isotropic"][h][0] for h in hs])
    bx.semilogx(hs, ratio, "o-", color="C2")
    bx.axhline(1.0, color="k", lw=0.8, ls="--")
    bx.set_yscale("log")
    bx.set_xlabel("sharpness h_1")
    bx.set_ylabel("rate(H-aligned) / rate(isotropic)")
    bx.set_title("H-aligned noise gains with sharpness")
    fig.suptitle("Sharp against flat: escape from a double well under equal-trace noise")
    fig.tight_layout()

    H, I = pts["hessian"], pts["isotropic"]
    flat = [h for h in hs if h < TRANSVERSE]
    sharp = [h for h in hs if h > TRANSVERSE]
    slower = all(H[h][2] < I[h][1] for h in flat)   # hi(H) < lo(iso)
    faster = all(I[h][2] < H[h][1] for h in sharp)  # hi(iso) < lo(H)
    grows = bool(np.all(np.diff(ratio) > 0))
    passed = bool(flat and sharp and slower and faster and grows)
    check = {"passed": passed,
             "reason": f"H-aligned slower than isotropic at h_1 = {flat} (intervals apart: {slower}), faster at "
                       f"h_1 = {sharp} (intervals apart: {faster}); rate ratio {np.round(ratio, 3).tolist()} "
                       f"increasing in h_1: {grows}"}
    numbers["ratio"] = {"h1": list(hs), "ratio": ratio.tolist()}
    print(check["reason"])
    print(save(fig, args.out, numbers=numbers, check=check))


if __name__ == "__main__":
    main()
