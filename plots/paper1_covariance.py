#!/usr/bin/python3
"""Paper 1 (Wu et al.): each sampling noise's covariance against its formula (docs/theory.md 1.2).

One step from theta_0 on least squares: Cov theta_1 / eta^2 = C(theta_0) exactly, so the
ensemble's Tr Cov theta_1 / eta^2 and ||Cov theta_1||_F / eta^2 (with 95 % intervals) are
set beside Tr C and ||C||_F of each noise's stated covariance. The checks are the runs' own
5-sigma "one_step" checks (shown as pass/FAIL).

usage: paper1_covariance.py --runs LABEL=RUN_DIR ... --out FIGURE.png
"""
import argparse

from common import read_run, save
import matplotlib.pyplot as plt
import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", nargs="+", required=True, help="LABEL=RUN_DIR")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    runs = [r.rsplit("=", 1) for r in args.runs]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    numbers = []
    for ax, result, title in ((axes[0], "cov_trace", "Tr C"), (axes[1], "cov_frobenius", "||C||_F")):
        for i, (label, run) in enumerate(runs):
            s, _ = read_run(run)
            eta2 = s["scenario"]["dynamics"]["eta"] ** 2
            chk = next(c for c in s["checks"] if c["result"] == result)
            m, se = chk["measured"]["mean"] / eta2, chk["measured"]["se"] / eta2
            pred = chk["prediction"]["value"] / eta2
            ax.bar(i - 0.2, m, width=0.4, color="C0", alpha=0.7, label="simulated (95 %)" if i == 0 else None)
            ax.errorbar(i - 0.2, m, yerr=1.96 * se, color="k", capsize=3)
            ax.bar(i + 0.2, pred, width=0.4, color="C1", alpha=0.7, label="formula" if i == 0 else None)
            ax.text(i, max(m, pred) * 1.03, "pass" if chk["passed"] else "FAIL", ha="center", fontsize=7)
            numbers.append({"noise": label, "result": result, "measured": m, "se": se, "predicted": pred,
                            "z": chk.get("z"), "passed": chk["passed"]})
        ax.set_xticks(range(len(runs)))
        ax.set_xticklabels([r[0] for r in runs], rotation=25, ha="right", fontsize=8)
        ax.set_ylabel(f"{title} (Cov theta_1 / eta^2)")
        ax.set_title(f"{title}: one step from theta_0, N = {s['scenario']['dynamics']['trajectories']}", fontsize=9)
        ax.legend(fontsize=7)
    fig.suptitle("Paper 1: the covariance of each sampling noise against its formula (docs/theory.md 1.2)")
    fig.tight_layout()
    print(save(fig, args.out, numbers={"bars": numbers}))


if __name__ == "__main__":
    main()
