#!/usr/bin/python3
"""Paper 1 (Wu et al.): held-out loss of GD, SGD and paper 1's multiplicative noises over
independent data sets (docs/theory.md 2.1-2.3).

From a sweep of scenarios/paper1_test_loss_seeds.toml over methods x loss.data_seed: per data
set, each method's mean test loss over its trajectories; across data sets, the mean and its
standard error (n = number of data sets), along the run and at the last step; and the paired
differences against SGD at the last step (one difference per data set, so the data set's own
difficulty cancels).

Check recorded in the figure's JSON (both exact on least squares, see the scenario):
  - Gaussian Cov type (sigma^2 = n/b) against SGD with replacement: the mean paired difference
    is within 5 se of 0 (same E W and Cov W, hence the same first two moments of theta_k);
  - every noise against GD: the mean paired difference noise - GD is above -5 se (E theta_k is
    the GD iterate, so noise adds Tr(H_test Cov theta_k) >= 0 and cannot lower the expected
    test loss of least squares).
The Fisher-type and Bernoulli differences are reported, not checked.

usage: paper1_test_loss.py SWEEP_DIR --out FIGURE.png
"""
import os

from common import read_run, read_sweep, save, sweep_args
import matplotlib.pyplot as plt
import numpy as np

ORDER = ["GD", "SGD", "Gaussian_Cov", "Gaussian_Fisher", "Bernoulli"]
NAMES = {"GD": "GD", "SGD": "SGD b = 10", "Gaussian_Cov": "Gaussian Cov-type", "Gaussian_Fisher": "Gaussian Fisher-type",
         "Bernoulli": "Bernoulli p = b/n"}


def mean_se(x):
    x = np.asarray(x, dtype=float)
    return float(x.mean()), float(x.std(ddof=1) / np.sqrt(len(x)))


def main():
    args = sweep_args(__doc__)
    _, points = read_sweep(args.sweep)
    curves = {}  # method -> seed -> (k, test loss mean, se, n)
    for p, s in points:
        method = p["label"].split()[0]
        seed = int(p["overrides"]["loss.data_seed"])
        _, c = read_run(os.path.join(args.sweep, p["dir"]))
        curves.setdefault(method, {})[seed] = (np.array(c["k"]), np.array(c["test_loss_mean"]),
                                               np.array(c["test_loss_se"]), int(c["test_loss_n"][-1]))
    methods = [m for m in ORDER if m in curves]
    seeds = sorted(set.intersection(*(set(curves[m]) for m in methods)))
    final = {m: np.array([curves[m][s][1][-1] for s in seeds]) for m in methods}
    k = curves[methods[0]][seeds[0]][0]

    fig, (a1, a2, a3) = plt.subplots(1, 3, figsize=(17, 5))
    numbers = {"data_sets": len(seeds), "seeds": seeds, "methods": {}}
    gd = np.array([curves["GD"][s][1] for s in seeds]) if "GD" in curves else None
    for i, m in enumerate(methods):
        Y = np.array([curves[m][s][1] for s in seeds])  # data sets x steps
        fm, fse = mean_se(final[m])
        numbers["methods"][m] = {"final_test_loss_mean": fm, "final_test_loss_se": fse, "n_data_sets": len(seeds),
                                 "trajectories_per_data_set": curves[m][seeds[0]][3],
                                 "final_test_loss_per_data_set": final[m].tolist()}
        if m == "GD" or gd is None:
            continue
        D = Y - gd  # paired with GD on each data set
        mu, se = D.mean(0), D.std(0, ddof=1) / np.sqrt(len(seeds))
        a1.fill_between(k, mu - 1.96 * se, mu + 1.96 * se, color=f"C{i}", alpha=0.2, lw=0)
        a1.plot(k, mu, color=f"C{i}", lw=1.2, label=NAMES[m] + " - GD")
    a1.axhline(0.0, color="C0", lw=1, label="GD")
    a1.set_xlabel("step k")
    a1.set_ylabel("test loss minus GD's (paired; mean, 95 %)")
    a1.set_title(f"{len(seeds)} data sets: noise adds Tr(H_test Cov theta_k) >= 0", fontsize=10)
    a1.legend(fontsize=8)

    x = np.arange(len(methods))
    for j in range(len(seeds)):
        a2.plot(x, [final[m][j] for m in methods], color="grey", lw=0.4, alpha=0.6)
    for i, m in enumerate(methods):
        fm, fse = mean_se(final[m])
        a2.errorbar([i], [fm], yerr=[1.96 * fse], fmt="o", color=f"C{i}", capsize=4, ms=6)
    a2.set_xticks(x)
    a2.set_xticklabels([NAMES[m] for m in methods], rotation=20, fontsize=8)
    a2.set_ylabel(f"test loss at k = {int(k[-1])}")
    a2.set_title("per data set (grey, paired) and mean +- 1.96 se")

    diffs = {}
    for m in methods:
        if m == "SGD":
            continue
        diffs[m] = mean_se(final[m] - final["SGD"])
    pos = np.arange(len(diffs))
    for i, (m, (dm, dse)) in enumerate(diffs.items()):
        a3.errorbar([dm], [i], xerr=[5 * dse], fmt="o", color=f"C{methods.index(m)}", capsize=4)
    a3.axvline(0.0, color="k", lw=0.8)
    a3.ticklabel_format(axis="x", style="sci", scilimits=(0, 0))
    a3.set_yticks(pos)
    a3.set_yticklabels([NAMES[m] + " - SGD" for m in diffs], fontsize=8)
    a3.set_xlabel(f"paired difference of test loss at k = {int(k[-1])} (mean, 5 se)")
    a3.set_title("paired against SGD: Cov-type is SGD's twin (exact: 0)")
    fig.suptitle("Paper 1: test loss of GD, SGD and multiplicative noises over independent data sets "
                 "(least squares, d = 10, n = 200, b = 10)")
    fig.tight_layout(rect=(0, 0, 1, 0.94))

    cov, cov_se = diffs["Gaussian_Cov"]
    twin = abs(cov) <= 5 * cov_se
    vs_gd = {m: mean_se(final[m] - final["GD"]) for m in methods if m != "GD"}
    no_gain = {m: v[0] >= -5 * v[1] for m, v in vs_gd.items()}
    numbers["paired_minus_SGD"] = {m: {"mean": v[0], "se": v[1], "n": len(seeds)} for m, v in diffs.items()}
    numbers["paired_minus_GD"] = {m: {"mean": v[0], "se": v[1], "n": len(seeds)} for m, v in vs_gd.items()}
    check = {"passed": bool(twin and all(no_gain.values())),
             "reason": f"Gaussian Cov-type - SGD = {cov:.3g} +- {cov_se:.2g} over {len(seeds)} data sets "
                       f"(|.| <= 5 se: {twin}); noise - GD >= -5 se for every noise: "
                       + ", ".join(f"{m} {v[0]:.3g} +- {v[1]:.2g}" for m, v in vs_gd.items())}
    print(save(fig, args.out, numbers=numbers, check=check))


if __name__ == "__main__":
    main()
