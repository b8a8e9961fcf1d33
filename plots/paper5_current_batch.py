#!/usr/bin/python3
"""Paper 5 (Gupta): the simultaneous-update penalty on the current batch, another batch and
the full loss, against the batch size (docs/theory.md 1.6, 6.2).

Reads the JSON of `sgdnoise batch-penalty` (analysis/batch_penalty.hpp): per batch size b,
the mean over batches (with its standard error) of the penalty of one SGD step on batch B,
measured on the loss of B, of an independent batch B' and of all samples, and the exact
expectations 1/2 eta^2 E_B[sum_{i != j} (H_B)_ij (g_B)_i (g_B)_j] (current) and
1/2 eta^2 sum_{i != j} Hbar_ij E_B[(g_B)_i (g_B)_j] (another batch, full loss).
Check recorded in the figure's JSON: every measured mean (and the paired difference current -
another) within 5 se (+ the rounding allowance) of its expectation, and at the smallest b the
current batch paying more than another batch by more than 5 se of the paired difference.

usage: paper5_current_batch.py REPORT.json --out FIGURE.png
"""
import argparse
import json

from common import save
import matplotlib.pyplot as plt
import numpy as np

KINDS = [("current", "current batch B (measured on L_B)", "C3"), ("another", "another batch B' (on L_B')", "C0"),
         ("full", "full loss L", "C2")]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("report")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    with open(args.report) as f:
        rep = json.load(f)
    rows = sorted(rep["rows"], key=lambda r: r["batch"])
    b = np.array([r["batch"] for r in rows], dtype=float)

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(13, 5))
    for i, (key, label, col) in enumerate(KINDS):
        m = np.array([r[key]["mean"] for r in rows])
        se = np.array([r[key]["se"] for r in rows])
        pred = np.array([r[key]["predicted"] for r in rows])
        shift = 1.0 + 0.04 * (i - 1)  # side by side at one b
        a1.errorbar(b * shift, m, yerr=5 * se, fmt="o", color=col, ms=4, capsize=2, label=label + ", 5 se")
        a1.plot(b, pred, "-" if key != "full" else ":", color=col, lw=1, label="expected" if i == 0 else None)
    a1.axhline(0.0, color="k", lw=0.5)
    a1.set_xscale("log")
    # Another batch's penalty may be of either sign and near 0: linear within 1e-3 of the largest.
    a1.set_yscale("symlog", linthresh=1e-3 * max(abs(r["current"]["mean"]) for r in rows))
    a1.set_xlabel("batch size b")
    a1.set_ylabel("mean penalty 1/2 eta^2 sum_{i!=j} H_ij g_i g_j")
    a1.set_title(f"penalty of one simultaneous step (eta = {rep['eta']:g}, {rep['sampling'].replace('_', ' ')}, "
                 f"{rep['batches']} batches)", fontsize=9)
    a1.legend(fontsize=7)

    d = np.array([r["current_minus_another"]["mean"] for r in rows])
    dse = np.array([r["current_minus_another"]["se"] for r in rows])
    dp = np.array([r["current_minus_another"]["predicted"] for r in rows])
    a2.errorbar(b, d, yerr=5 * dse, fmt="o", color="C3", capsize=3, label="measured, paired over B, 5 se")
    a2.plot(b, dp, "k-", lw=1, label="expected: covariance of H_B with g_B g_B^T")
    a2.plot(b, dp[0] * b[0] / b, "k:", lw=0.8, label="1/b (reference)")
    a2.set_xscale("log")
    a2.set_yscale("log")
    a2.set_xlabel("batch size b")
    a2.set_ylabel("current - another batch")
    a2.set_title("the current batch pays more; the excess falls with b")
    a2.legend(fontsize=7)
    fig.suptitle(f"Paper 5: the penalty is largest on the batch being used ({rep['loss']}, n = {rep['n']}, "
                 f"d = {rep['d']}; docs/theory.md 1.6, 6.2)")
    fig.tight_layout(rect=(0, 0, 1, 0.94))

    comps = [(r["batch"], k, r[k]) for r in rows for k in ("current", "another", "full", "current_minus_another")]
    failed = [f"b = {bb} {k}: {e['mean']:.4g} +- {e['se']:.2g} against {e['predicted']:.4g}" for bb, k, e in comps
              if not e["passed"]]
    first = rows[0]["current_minus_another"]
    excess = first["mean"] > 5 * first["se"]
    check = {"passed": bool(not failed and excess),
             "reason": f"{len(comps) - len(failed)}/{len(comps)} mean penalties within 5 se of their expectation"
                       + (" (" + "; ".join(failed) + ")" if failed else "")
                       + f"; at b = {rows[0]['batch']} current - another = {first['mean']:.4g} +- {first['se']:.2g} "
                       f"(> 5 se required: {excess})"}
    numbers = {"eta": rep["eta"], "sampling": rep["sampling"], "n": rep["n"], "d": rep["d"],
               "batches_per_size": rep["batches"],
               "rows": [{"batch": r["batch"], **{k: r[k] for k in ("current", "another", "full", "current_minus_another")}}
                        for r in rows]}
    print(save(fig, args.out, numbers=numbers, check=check))


if __name__ == "__main__":
    main()
