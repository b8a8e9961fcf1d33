#!/usr/bin/python3
"""Paper 3 (Zhu et al. 2019) Figure 4: Tr(H C) of SGD's gradient noise against Tr(H Cbar) of
the isotropic noise of equal trace, Cbar = (Tr C / d) I, along the training of paper 3's
one-hidden-layer ReLU network (docs/theory.md 4.3 (P-c), 4.4 B), on a log scale, with the training
and test loss and the ratio Tr(HC) / Tr(HCbar).

Reads the run directory of `sgdnoise run scenarios/paper3_fig4.toml` (series.csv columns
trace_H_C, trace_H_Cbar, anisotropy_ratio, loss, test_loss; mean and standard error over the
trajectories the indicators were evaluated at).
Check recorded in the figure's JSON: the paper's claim, stated as the anisotropy ratio
Tr(HC) / Tr(HCbar) exceeding 1 at every recorded step after the first 10 % of training (the
ratio's mean over the trajectories minus 5 standard errors above 1 at each such step).

usage: paper3_fig4.py RUN_DIR --out FIGURE.png
"""
import argparse

from common import read_run, save
import matplotlib.pyplot as plt
import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    _, s = read_run(args.run)
    k = np.array(s["k"])
    hc, hc_se = np.array(s["trace_H_C_mean"], float), np.array(s["trace_H_C_se"], float)
    hb, hb_se = np.array(s["trace_H_Cbar_mean"], float), np.array(s["trace_H_Cbar_se"], float)
    ratio, ratio_se = np.array(s["anisotropy_ratio_mean"], float), np.array(s["anisotropy_ratio_se"], float)
    loss = np.array(s["loss_mean"], float)
    test = np.array(s["test_loss_mean"], float) if "test_loss_mean" in s else None

    fig, (a1, a2, a3) = plt.subplots(1, 3, figsize=(15, 4.2))
    a1.errorbar(k, hc, yerr=hc_se, fmt="o-", ms=3, capsize=2, label="Tr(H C), C = SGD noise (b = 10)")
    a1.errorbar(k, hb, yerr=hb_se, fmt="s-", ms=3, capsize=2, label="Tr(H Cbar), Cbar = (Tr C / d) I")
    a1.set_yscale("log")
    a1.set_xlabel("step k")
    a1.set_ylabel("indicator")
    a1.set_title("SGD noise against isotropic noise of equal trace")
    a1.legend(fontsize=7)
    a2.errorbar(k, ratio, yerr=ratio_se, fmt="o-", ms=3, capsize=2, color="C2")
    a2.axhline(1.0, color="k", lw=0.8, ls="--")
    a2.set_yscale("log")
    a2.set_xlabel("step k")
    a2.set_ylabel("Tr(HC) / Tr(HCbar)")
    a2.set_title("anisotropy ratio (1: no better than isotropic)")
    a3.plot(k, loss, "o-", ms=3, label="training loss")
    if test is not None:
        a3.plot(k, test, "s-", ms=3, label="test loss")
    a3.set_xlabel("step k")
    a3.set_ylabel("MSE")
    a3.set_title("training")
    a3.legend(fontsize=7)
    fig.suptitle("Paper 3 Fig. 4: one-hidden-layer ReLU network (d = 300), Adam on SGD mini-batches")
    fig.tight_layout()

    late = k > 0.1 * k.max()
    lower = ratio[late] - 5.0 * np.nan_to_num(ratio_se[late])
    passed = bool(late.any() and np.all(np.isfinite(ratio[late])) and np.all(lower > 1.0))
    check = {"passed": passed,
             "reason": f"Tr(HC)/Tr(HCbar) - 5 se > 1 at every recorded step after 10 % of training: "
                       f"min ratio {np.min(ratio[late]):.3g} (min lower bound {np.min(lower):.3g}) over "
                       f"{int(late.sum())} steps; ratio at the end {ratio[-1]:.3g}"}
    numbers = {"k": k.tolist(), "trace_H_C": hc.tolist(), "trace_H_Cbar": hb.tolist(), "ratio": ratio.tolist(),
               "ratio_se": ratio_se.tolist(), "loss": loss.tolist()}
    print(check["reason"])
    print(save(fig, args.out, numbers=numbers, check=check))


if __name__ == "__main__":
    main()
