#!/usr/bin/python3
"""E L_k of noisy gradient descent: ensemble mean with a 95 % band against the exact prediction.

usage: expected_loss.py RUN_DIR [RUN_DIR ...] --out FIGURE.png
Each run directory is one curve; its check results are marked at their steps.
"""
import argparse

from common import read_run, save
import matplotlib.pyplot as plt


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--out", required=True)
    ap.add_argument("--result", default="loss")
    args = ap.parse_args()

    fig, (ax, axz) = plt.subplots(2, 1, figsize=(7, 6), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    for i, run in enumerate(args.runs):
        s, c = read_run(run)
        name = s["scenario"]["name"]
        colour = f"C{i}"
        k, mean, se = c["k"], c[f"{args.result}_mean"], c[f"{args.result}_se"]
        exact = c.get(f"{args.result}_exact")
        lo = [m - 1.96 * e for m, e in zip(mean, se)]
        hi = [m + 1.96 * e for m, e in zip(mean, se)]
        ax.fill_between(k, lo, hi, color=colour, alpha=0.25, lw=0)
        ax.plot(k, mean, color=colour, lw=1, label=f"{name}: simulated mean (N={int(c[f'{args.result}_n'][0])}), 95 % band")
        if exact and all(v is not None for v in exact):
            ax.plot(k, exact, color="k", lw=1, ls="--", label="exact prediction" if i == 0 else None)
            z = [(m - p) / e if e > 0 else 0.0 for m, p, e in zip(mean, exact, se)]
            axz.plot(k, z, color=colour, lw=0.8)
        for chk in s.get("checks", []):
            if chk["result"] == args.result:
                ax.plot(chk["k"], chk["measured"]["mean"], "o" if chk["passed"] else "x", color=colour, ms=6)
    ax.set_ylabel(f"E {args.result}")
    ax.set_title("Noisy GD on a quadratic: E L_k, simulation vs exact (docs/theory.md 1.4)")
    ax.legend(fontsize=8)
    for y in (-2, 2):
        axz.axhline(y, color="grey", lw=0.5, ls=":")
    axz.set_ylabel("(mean - exact) / se")
    axz.set_xlabel("step k")
    print(save(fig, args.out))


if __name__ == "__main__":
    main()
