#!/usr/bin/python3
"""First passage out of a well: Kaplan-Meier survival with its 95 % band (Greenwood),
against exp(-tau / T) for the exact mean first-passage time T of the continuous
dynamics, and the exponential fit of the run; the summary's numbers in the legend.

usage: escape.py RUN_DIR --out FIGURE.png
"""
import argparse
import math

from common import read_run, save
import matplotlib.pyplot as plt


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("run")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    s, c = read_run(args.run)
    e = s["escape"]
    eta = s["scenario"]["dynamics"]["eta"]
    km = e["kaplan_meier_steps"]
    t = [0.0] + [p["k"] * eta for p in km]
    surv = [1.0] + [p["survival"] for p in km]
    se = [0.0] + [p["se"] for p in km]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.fill_between(t, [a - 1.96 * b for a, b in zip(surv, se)], [a + 1.96 * b for a, b in zip(surv, se)],
                    step="post", color="C0", alpha=0.3, lw=0)
    ax.step(t, surv, where="post", color="C0", label=f"Kaplan-Meier, N = {e['counts']['n']}, censored {e['counts']['censored']}")
    tmax = t[-1]
    grid = [tmax * i / 200 for i in range(201)]
    rate = e["rate_per_tau"].get("value")
    if isinstance(rate, float):
        ax.plot(grid, [math.exp(-rate * x) for x in grid], "C1--", lw=1, label=f"exponential fit, rate {rate:.4f} per tau")
    pred = e.get("predictions", {})
    mfpt = pred.get("mfpt_tau", {}).get("value")
    if isinstance(mfpt, float):
        ax.plot(grid, [math.exp(-x / mfpt) for x in grid], "k:", lw=1.2,
                label=f"exp(-tau / T), exact MFPT T = {mfpt:.1f} (continuous, dL/eps = {pred['barrier_over_eps']:.1f})")
    ax.set_xlabel("tau = k eta")
    ax.set_ylabel("P(not yet escaped)")
    ax.set_ylim(0, 1.02)
    ax.set_title(s["scenario"].get("description", s["scenario"]["name"]), fontsize=9)
    ax.legend(fontsize=8)
    print(save(fig, args.out))


if __name__ == "__main__":
    main()
