#!/usr/bin/python3
"""Paper 3's indicator on a quadratic: E L rising from the minimum under noises of equal
trace. For each noise shape: the discrete dynamics (exact discrete prediction, solid) and
the continuous dynamics sampled by the exact OU step and by fine-dt Euler-Maruyama
(continuous prediction, dashed), against tau = k eta. The legend gives Tr(HC) and the
anisotropy ratio Tr(HC)/Tr(HC_iso) from each run's summary.

usage: indicator.py --runs NAME=DIR [NAME=DIR ...] --out FIGURE.png
       (DIR is the discrete run; DIR_ou and DIR_em, when present, are the continuous ones)
"""
import argparse
import os

from common import read_run, save
import matplotlib.pyplot as plt


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", nargs="+", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    fig, (ax, axs) = plt.subplots(1, 2, figsize=(12, 4.5))
    for i, spec in enumerate(args.runs):
        label, run = spec.rsplit("=", 1)
        col = f"C{i}"
        s, c = read_run(run)
        ind = s.get("indicators", {})
        ratio = ind.get("anisotropy_ratio")
        tag = f"{label}: Tr(HC) = {ind.get('trace_H_C', float('nan')):.3g}"
        if isinstance(ratio, float):
            tag += f", ratio {ratio:.2f}"
        for a in (ax, axs):
            a.errorbar(c["tau"], c["loss_mean"], yerr=[1.96 * e for e in c["loss_se"]], fmt="o", ms=2.5, color=col,
                       lw=0.6, label=f"{tag} (discrete)" if a is ax else None)
            a.plot(c["tau"], c["loss_exact"], "-", color=col, lw=1)
        for suffix, marker, what in (("_ou", "s", "exact OU"), ("_em", "^", "Euler-Maruyama")):
            if os.path.isdir(run + suffix):
                _, cc = read_run(run + suffix)
                for a in (ax, axs):
                    a.plot(cc["tau"], cc["loss_mean"], marker, ms=2.5, color=col, mfc="none", lw=0,
                           label=f"{label} ({what})" if a is ax else None)
                    a.plot(cc["tau"], cc["loss_exact"], "--", color=col, lw=1)
    ax.set_xlabel("tau = k eta")
    ax.set_ylabel("E L - L*")
    ax.set_title("E L from the minimum, equal trace (solid: discrete, dashed: continuous)", fontsize=9)
    ax.legend(fontsize=7)
    axs.set_xlim(0, 1.0)
    axs.set_ylim(bottom=0)
    axs.set_xlabel("tau = k eta")
    axs.set_title("early times: slope 1/2 Tr(HD) = (eta/2) Tr(HC)", fontsize=9)
    print(save(fig, args.out))


if __name__ == "__main__":
    main()
