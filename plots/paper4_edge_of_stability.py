#!/usr/bin/python3
"""Paper 4 (Beneventano; docs/theory.md 5.1, 5.3 item 3): the edge of stability. The sharpness
lambda_max(H(theta_k)) along training of a small tanh network (scenarios/
paper4_edge_of_stability.toml) for full-batch GD at several step sizes, each against its 2/eta
(GD's linear stability threshold; Cohen et al. 2021), and for SGD with replacement and random
reshuffling at one step size and batch; the training loss beneath.

Reads run directories written with observe.sharpness (series.csv column sharpness: the value at
the ensemble mean for GD, the mean and standard error over the first trajectories for SGD;
summary.json "sharpness": eta, 2/eta, undefined observations).

Late training is the last third of the observed steps. GD (deterministic): the late sharpness's
time average, with its range over the window. SGD: the time average of the per-step mean over
trajectories, with an upper bound on its standard error, the time average of the per-step
standard errors (exact when the trajectories' deviations are fully correlated in time, larger
than the truth otherwise).

Check recorded in the figure's JSON, for every GD run: the late mean lies in [0.8, 1.2] x 2/eta
(the edge of stability) and exceeds 1.2 x the initial sharpness (progressive sharpening); every
run has no undefined (unconverged) sharpness. The SGD runs' late sharpness relative to 2/eta is
reported, not checked: the paper's claim that SGD does not train at the edge is qualitative.

usage: paper4_edge_of_stability.py --gd DIR [DIR ...] --sgd LABEL=DIR [LABEL=DIR ...] --out FIGURE.png
"""
import argparse

from common import read_run, save
import matplotlib.pyplot as plt
import numpy as np

BAND = (0.8, 1.2)  # late GD sharpness / (2/eta)
SHARPENING = 1.2   # late GD sharpness / initial sharpness


def load(d):
    s, cols = read_run(d)
    k = np.array(cols["k"])
    lam = np.array([np.nan if v is None else v for v in cols["sharpness_mean"]])
    se = np.array([np.nan if v is None else v for v in cols["sharpness_se"]])
    loss = np.array(cols["loss_mean"], float)
    late = k >= k.max() * 2 / 3
    sh = s["sharpness"]
    return {"k": k, "lam": lam, "se": se, "loss": loss, "late": late, "eta": sh["eta"],
            "two_over_eta": sh["two_over_eta"], "undefined": sh["undefined_observations"],
            "n": sh.get("trajectories", 1), "status": s["status"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gd", nargs="+", required=True)
    ap.add_argument("--sgd", nargs="+", required=True, metavar="LABEL=DIR")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    gd = sorted((load(d) for d in args.gd), key=lambda r: r["eta"])
    sgd = [(lab, load(d)) for lab, d in (a.rsplit("=", 1) for a in args.sgd)]

    fig, axes = plt.subplots(2, 2, figsize=(13, 8), sharex="col", gridspec_kw={"height_ratios": [3, 2]})
    numbers, problems, lines = {"band": BAND, "sharpening": SHARPENING, "gd": [], "sgd": []}, [], []
    for i, r in enumerate(gd):
        c = f"C{i}"
        late = r["lam"][r["late"]]
        mean, lo, hi = float(np.mean(late)), float(np.min(late)), float(np.max(late))
        rel, init = mean / r["two_over_eta"], float(r["lam"][0])
        ok = BAND[0] <= rel <= BAND[1] and mean > SHARPENING * init and r["undefined"] == 0 and np.all(
            np.isfinite(r["lam"]))
        if not ok:
            problems.append(f"GD eta={r['eta']:g}")
        numbers["gd"].append({"eta": r["eta"], "two_over_eta": r["two_over_eta"], "initial": init, "late_mean": mean,
                              "late_min": lo, "late_max": hi, "late_mean_over_two_over_eta": rel, "passed": bool(ok)})
        lines.append(f"GD eta={r['eta']:g}: {init:.2f} -> {mean:.3f} [{lo:.2f}, {hi:.2f}] = {rel:.3f} x 2/eta")
        for ax, y in ((axes[0, 0], r["lam"]), (axes[1, 0], r["loss"])):
            ax.plot(r["k"], y, "-", color=c, lw=1.2, label=f"GD, eta = {r['eta']:g}" + (
                f": late {rel:.3f} x 2/eta" if ax is axes[0, 0] else ""))
        axes[0, 0].axhline(r["two_over_eta"], color=c, ls="--", lw=1, label=f"2/eta = {r['two_over_eta']:.3g}")
    ref = {r["eta"]: r for r in gd}
    for i, (lab, r) in enumerate(sgd):
        c = f"C{len(gd) + i}"
        late, late_se = r["lam"][r["late"]], r["se"][r["late"]]
        mean, se_bound = float(np.mean(late)), float(np.mean(late_se))
        rel, rel_se = mean / r["two_over_eta"], se_bound / r["two_over_eta"]
        if r["undefined"] != 0 or not np.all(np.isfinite(r["lam"])):
            problems.append(f"{lab}: undefined sharpness")
        numbers["sgd"].append({"label": lab, "eta": r["eta"], "two_over_eta": r["two_over_eta"],
                               "trajectories": r["n"], "initial": float(r["lam"][0]), "late_mean": mean,
                               "late_se_bound": se_bound, "late_mean_over_two_over_eta": rel,
                               "late_se_bound_over_two_over_eta": rel_se})
        lines.append(f"{lab}: {mean:.3f} +- {se_bound:.3f} = ({rel:.3f} +- {rel_se:.3f}) x 2/eta "
                     f"(N = {r['n']}, se bound)")
        axes[0, 1].plot(r["k"], r["lam"], "-", color=c, lw=1.2,
                        label=f"{lab} (mean of {r['n']}): late ({rel:.3f} +- {rel_se:.3f}) x 2/eta")
        axes[0, 1].fill_between(r["k"], r["lam"] - 2 * r["se"], r["lam"] + 2 * r["se"], color=c, alpha=0.25)
        axes[1, 1].plot(r["k"], r["loss"], "-", color=c, lw=1.2, label=lab)
    for eta in sorted({r["eta"] for _, r in sgd}):
        if eta in ref:
            g = ref[eta]
            axes[0, 1].plot(g["k"], g["lam"], "-", color="0.5", lw=0.8, label=f"GD, eta = {eta:g}")
            axes[1, 1].plot(g["k"], g["loss"], "-", color="0.5", lw=0.8, label=f"GD, eta = {eta:g}")
        axes[0, 1].axhline(2 / eta, color="k", ls="--", lw=1, label=f"2/eta = {2 / eta:.3g}")
    axes[0, 0].set_title("full-batch GD: sharpness rises to 2/eta and hovers there")
    axes[0, 1].set_title("SGD (bands: 2 se over trajectories) against GD at the same eta")
    for ax in axes[0]:
        ax.set_ylabel("sharpness lambda_max(H)")
    # GD's legend in the gap between the curves of the two larger step sizes; SGD's beneath its bands.
    axes[0, 0].legend(fontsize=7, ncol=2, loc="center right", bbox_to_anchor=(1.0, 0.385))
    axes[0, 1].legend(fontsize=7, loc="lower right")
    for ax in axes[1]:
        ax.set_yscale("log")
        ax.set_xlabel("step k")
        ax.set_ylabel("training loss")
        ax.legend(fontsize=7)
    passed = not problems
    reason = "; ".join(lines) + (f". Late = last third of the steps; GD needs a late mean in [{BAND[0]}, {BAND[1]}] "
                                 f"x 2/eta above {SHARPENING} x its initial sharpness; SGD reported. ")
    reason += "all passed" if passed else "failed: " + ", ".join(problems)
    fig.suptitle("Edge of stability on a 4-24-1 tanh network (d = 144, n = 256, MSE; docs/theory.md 5.3 item 3, Cohen et "
                 "al. 2021)\nlate = last third of the steps; " + ("GD within [0.8, 1.2] x 2/eta after sharpening: "
                                                                  "passed" if passed else reason), fontsize=9)
    fig.tight_layout()
    print(reason)
    print(save(fig, args.out, numbers=numbers, check={"passed": bool(passed), "reason": reason}))


if __name__ == "__main__":
    main()
