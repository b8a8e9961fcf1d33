#!/usr/bin/python3
"""The minimum-action path of a non-reversible escape (gMAM, Heymann & Vanden-Eijnden 2008) over
the landscape, from the summary of a run whose escape prediction is "exponent only: not
reversible" (the drift -M grad L with a diffusion D not proportional to M; docs/theory.md 8.7).

Left (2-D wells): contours of L, the gMAM path from the minimum to the saddle, and the straight
segment between them. Right: along the path (against the fraction of its arc length), the
quasi-potential V - V(min) that the path's action gives, in units of eps (V/eps, the exponent), and
the loss gained (L - L(min))/eps, which is the exponent of a reversible dynamics at the same eps.

Reads summary.json of
  sgdnoise run SCENARIO.toml --out RUN_DIR
where the loss is a double_well or a polynomial with two minima and a saddle, of dimension <= 3,
and the noise is constant and not tied to M: a brute-force escape into a ball around the other
minimum (escape.predictions) or an AMS run (escape.ams.prediction), for example
  sgdnoise run scenarios/anisotropic_escape_ams.toml --set noise.covariance=hessian_power --out RUN_DIR
Check recorded in the figure's JSON: the path starts at the minimum and ends at the saddle, the
action along it does not decrease, and gMAM converged.

usage: min_action_path.py RUN_DIR --out FIGURE.png
"""
import argparse
import json
import math
import os

from common import landscape, mark_path_ends, save
import matplotlib.pyplot as plt
import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    with open(os.path.join(args.run, "summary.json")) as f:
        s = json.load(f)
    loss = s["scenario"]["loss"]
    L = landscape(loss)
    if L is None:
        raise SystemExit(f"min_action_path.py: needs a double_well or polynomial loss, not {loss.get('kind')!r}")
    esc = s.get("escape", {})
    pr = esc.get("ams", {}).get("prediction") or esc.get("predictions", {}).get("eyring_kramers", {})
    if pr.get("status") != "exponent only: not reversible" or "path" not in pr.get("gmam", {}):
        raise SystemExit(f"min_action_path.py: no gMAM path in the summary (status {pr.get('status')!r}: "
                         "needs a non-reversible escape between two minima of dimension <= 3)")
    g = pr["gmam"]
    path = np.array(g["path"], dtype=float)
    V = np.array(g["action_along_path"], dtype=float)
    eps = pr["eps"]
    Lp = L(path)
    seg = np.linalg.norm(np.diff(path, axis=0), axis=1)
    arc = np.concatenate([[0.0], np.cumsum(seg)])
    frac = arc / arc[-1]
    d = path.shape[1]

    fig, axes = plt.subplots(1, 2 if d == 2 else 1, figsize=(12, 4.8) if d == 2 else (6.5, 4.8))
    axes = np.atleast_1d(axes)
    if d == 2:
        ax = axes[0]
        lo, hi = path.min(axis=0), path.max(axis=0)
        span = np.maximum(hi - lo, 0.5)
        x = np.linspace(lo[0] - 0.6 * span[0], hi[0] + 0.6 * span[0], 241)
        y = np.linspace(lo[1] - 0.6 * span[1], hi[1] + 0.6 * span[1], 241)
        X, Y = np.meshgrid(x, y)
        Z = L(np.stack([X, Y], axis=-1))
        levels = np.linspace(Z.min(), min(Z.max(), Lp.max() + 1.5 * (Lp.max() - Lp.min())), 25)
        cs = ax.contour(X, Y, Z, levels=levels, cmap="Greys", linewidths=0.7)
        fig.colorbar(cs, ax=ax, label="L")
        ax.plot([path[0, 0], path[-1, 0]], [path[0, 1], path[-1, 1]], "k:", lw=1, label="straight segment")
        ax.plot(path[:, 0], path[:, 1], "C3-", lw=2, label="gMAM minimum-action path")
        mark_path_ends(ax, path)
        ax.set_title("drift -M grad L, diffusion D not proportional to M", fontsize=9)
    bx = axes[-1]
    bx.plot(frac, V / eps, "C3-", label=f"V / eps along the path (gMAM): dV/eps = {pr['barrier_over_eps']:.4g}")
    bx.plot(frac, (Lp - Lp[0]) / eps, "k--", lw=1,
            label=f"(L - L(min)) / eps: dL/eps = {pr['loss_barrier_over_eps']:.4g} (reversible exponent)")
    bx.set_xlabel("fraction of the path's arc length (minimum -> saddle)")
    bx.set_ylabel("exponent")
    bx.set_title(f"eps = tr D / (2 tr M) = {eps:.4g}; {g['points']} points, {g['iterations']} iterations, "
                 f"discretisation error {g['discretisation_error']:.2g}", fontsize=8)
    bx.legend(fontsize=7, loc="upper left")

    problems = []
    if not g.get("converged"):
        problems.append("gMAM did not converge")
    if np.any(np.diff(V) < -1e-12 * max(1.0, abs(V[-1]))):
        problems.append("the action along the path decreases somewhere")
    start_ok = abs(Lp[0] - min(Lp)) <= 1e-9 * max(1.0, abs(Lp).max())
    if not start_ok:
        problems.append("the path's first point is not its lowest loss")
    check = {"passed": not problems, "reason": "; ".join(problems) or
             "gMAM converged; the action along the path never decreases; it starts at its lowest loss"}
    numbers = {"dV": pr["quasi_potential_barrier"], "dV_over_eps": pr["barrier_over_eps"],
               "dL_over_eps": pr["loss_barrier_over_eps"], "eps": eps, "path_length": float(arc[-1]),
               "gmam": {k: v for k, v in g.items() if k not in ("path", "action_along_path")}}
    save(fig, args.out, numbers, check)
    print(f"dV/eps = {pr['barrier_over_eps']:.6g} (dL/eps = {pr['loss_barrier_over_eps']:.6g}), "
          f"check {'passed' if check['passed'] else 'FAILED: ' + check['reason']}; wrote {args.out}")
    return 0 if check["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
