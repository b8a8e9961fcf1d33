#!/usr/bin/python3
"""Paper 3's comparison at high barriers: escape rates under isotropic and H-aligned noise of
the same trace, by adaptive multilevel splitting, against the quasi-potential exponent.

Left: ln k (AMS rate per unit tau, 95 % intervals) against 1/eps for each noise, with the
weighted least-squares line ln k = a - s/eps through its points, the Eyring-Kramers rate of the
isotropic (reversible) noise, and the line of slope -dV (dV from gMAM, docs/theory.md 8.7)
through the H-aligned points' fitted intercept: for a non-reversible noise the prediction is
the exponent alone. Right: the landscape with the minimum-action paths: the gMAM path of the
H-aligned noise and, for the isotropic noise, the time-reversed gradient flow from the saddle
(the minimum-action path of a reversible dynamics).

Reads the sweep directory of
  sgdnoise sweep scenarios/anisotropic_escape_ams.toml --list scenarios/anisotropic_escape_ams.sweep
(labels isotropic-* and hessian-*; each point's summary.json gives the AMS rate and the prediction).

Check recorded in the figure's JSON, for each noise: the fitted slope s lies within 5 % of the
predicted barrier (dL = 1 for isotropic noise, dV for H-aligned noise), and the H-aligned
noise's dV differs from dL by more than 5 % with fitted slopes more than 5 combined standard
errors apart (the noise shape changes the exponent, not only the prefactor).

usage: anisotropic_escape.py SWEEP_DIR --out FIGURE.png
"""
from common import landscape, mark_path_ends, read_sweep, save, sweep_args
import matplotlib.pyplot as plt
import numpy as np

NOISES = (("isotropic", "isotropic noise (reversible)", "C0"),
          ("hessian", "noise aligned with H at the minimum (not reversible)", "C3"))


def weighted_line(x, y, se):
    """Weighted least squares y = a + b x (weights 1/se^2): (a, b, standard error of b)."""
    w = 1.0 / np.asarray(se) ** 2
    A = np.vstack([np.ones_like(x), x]).T
    cov = np.linalg.inv(A.T @ (A * w[:, None]))
    a, b = cov @ A.T @ (w * y)
    return a, b, float(np.sqrt(cov[1, 1]))


def reversed_gradient_flow(L, start, end, h=1e-3, steps=20000):
    """Points of the gradient descent path of L from near the saddle `start` to the minimum `end`,
    reversed (minimum -> saddle), by explicit Euler with a central-difference gradient."""
    def grad(x):
        e = 1e-6
        return np.array([(L(x + e * u) - L(x - e * u)) / (2 * e) for u in np.eye(len(x))])
    x = start + 1e-3 * (end - start) / np.linalg.norm(end - start)
    pts = [start, x.copy()]
    for _ in range(steps):
        x = x - h * grad(x)
        pts.append(x.copy())
        if np.linalg.norm(x - end) < 1e-3:
            break
    pts.append(end)
    return np.array(pts[::-1])


def main():
    args = sweep_args(__doc__)
    _, points = read_sweep(args.sweep)
    fig, (ax, px) = plt.subplots(1, 2, figsize=(13, 5.2))
    numbers, fits, summaries = {}, {}, {}
    for key, label, col in NOISES:
        pts = []
        for p, s in points:
            if p["label"].split("-")[0] != key:
                continue
            a = s["escape"]["ams"]
            pts.append((1.0 / a["prediction"]["eps"], a["rate_per_tau"]["value"], a["rate_per_tau"]["se"], a["prediction"]))
            summaries[key] = s
        if len(pts) < 3:
            raise SystemExit(f"anisotropic_escape.py: fewer than 3 {key} points in {args.sweep}")
        pts.sort(key=lambda t: t[0])
        x = np.array([t[0] for t in pts])
        k = np.array([t[1] for t in pts])
        kse = np.array([t[2] for t in pts])
        y, yse = np.log(k), kse / k  # the delta method: se(ln k) = se(k) / k
        a, b, bse = weighted_line(x, y, yse)
        pr = pts[0][3]
        dv = pr.get("quasi_potential_barrier", pr.get("barrier"))
        fits[key] = {"slope": b, "slope_se": bse, "intercept": a, "barrier": dv, "status": pr["status"]}
        numbers[key] = {"inv_eps": x.tolist(), "rate_tau": k.tolist(), "rate_se": kse.tolist(), **fits[key]}
        ax.errorbar(x, y, yerr=1.96 * yse, fmt="o", color=col, capsize=3, label=f"{label}: AMS")
        xx = np.linspace(0, x.max() * 1.04, 50)
        ax.plot(xx, a + b * xx, "-", color=col, lw=1,
                label=f"fit: slope {b:.4f} +- {bse:.4f}")
        if pr["status"] == "predicted":
            ek = [t[3]["rate_tau"] for t in pts]
            ax.plot(x, np.log(ek), "k--", lw=1, label=f"Eyring-Kramers, dL = {dv:.4g}")
        else:
            ax.plot(xx, a - dv * xx, ":", color="k", lw=1.4,
                    label=f"slope -dV, dV = {dv:.4f} by gMAM (intercept fitted: exponent only)")
    ax.set_xlabel("1/eps  (eps = tr D / 4, the same for both noises)")
    ax.set_ylabel("ln k  (AMS rate per unit tau)")
    ax.set_title("bent double well, dL = 1: equal-trace noises escape with different exponents", fontsize=9)
    ax.legend(fontsize=7)

    # Right: the landscape and the two minimum-action paths.
    s = summaries["hessian"]
    L = landscape(s["scenario"]["loss"])
    g = s["escape"]["ams"]["prediction"].get("gmam", {})
    path = np.array(g.get("path", []), dtype=float)
    if L is not None and path.ndim == 2 and path.shape[1] == 2:
        X, Y = np.meshgrid(np.linspace(-1.6, 1.6, 241), np.linspace(-1.2, 0.8, 201))
        Z = L(np.stack([X, Y], axis=-1))
        px.contour(X, Y, Z, levels=np.linspace(0, 3, 25), cmap="Greys", linewidths=0.7)
        rev = reversed_gradient_flow(L, path[-1], path[0])
        px.plot(rev[:, 0], rev[:, 1], "-", color="C0", lw=2, label="isotropic: reversed gradient flow (dV = dL = 1)")
        px.plot(path[:, 0], path[:, 1], "-", color="C3", lw=2,
                label=f"H-aligned: gMAM path (dV = {fits['hessian']['barrier']:.4f})")
        mark_path_ends(px, path, "lower right", start_color="k")
        px.set_title("L = (x^2 - 1)^2 + (y - (x^2 - 1)/2)^2 and the minimum-action paths", fontsize=9)

    problems = []
    for key, _, _ in NOISES:
        f = fits[key]
        rel = (-f["slope"] - f["barrier"]) / f["barrier"]
        f["relative_difference"] = rel
        if abs(rel) > 0.05:
            problems.append(f"{key}: slope {-f['slope']:.4f} is {100 * rel:+.1f} % from {f['barrier']:.4f}")
    iso, hes = fits["isotropic"], fits["hessian"]
    apart = abs(iso["slope"] - hes["slope"]) / np.hypot(iso["slope_se"], hes["slope_se"])
    if abs(hes["barrier"] - iso["barrier"]) <= 0.05 * iso["barrier"] or apart <= 5.0:
        problems.append(f"the H-aligned exponent is not distinguished: dV {hes['barrier']:.4f} against "
                        f"{iso['barrier']:.4f}, slopes {apart:.1f} standard errors apart")
    reason = (f"fitted slopes {-iso['slope']:.4f} +- {iso['slope_se']:.4f} (dL = {iso['barrier']:.4g}, "
              f"{100 * iso['relative_difference']:+.1f} %) and {-hes['slope']:.4f} +- {hes['slope_se']:.4f} "
              f"(dV = {hes['barrier']:.4f} by gMAM, {100 * hes['relative_difference']:+.1f} %), within 5 %; "
              f"the two slopes are {apart:.0f} standard errors apart")
    check = {"passed": not problems, "reason": "; ".join(problems) if problems else reason}
    fig.suptitle(check["reason"], fontsize=8)
    save(fig, args.out, numbers=numbers, check=check)
    print(f"{check['reason']}; check {'passed' if check['passed'] else 'FAILED'}; wrote {args.out}")
    return 0 if check["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
