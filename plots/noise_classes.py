#!/usr/bin/python3
"""Paper 1 on least squares: GD, SGD and the multiplicative sampling noises from one start.
Left: training loss; middle: held-out test loss (ensemble means with 95 % bands);
right: E theta_0 against the GD iterate, which it equals exactly for every noise whose
sampling is independent across steps (docs/theory.md 1.5).

usage: noise_classes.py --runs LABEL=DIR [...] --out FIGURE.png
"""
import argparse

from common import read_run, save
import matplotlib.pyplot as plt


def band(ax, x, m, se, col, label, ls="-"):
    ax.fill_between(x, [a - 1.96 * b for a, b in zip(m, se)], [a + 1.96 * b for a, b in zip(m, se)],
                    color=col, alpha=0.25, lw=0)
    ax.plot(x, m, ls, color=col, lw=1, label=label)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", nargs="+", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    for i, spec in enumerate(args.runs):
        label, run = spec.rsplit("=", 1)
        s, c = read_run(run)
        col = f"C{i}"
        ind = s.get("indicators", {})
        tr = ind.get("trace_H_C")
        tag = f"{label}" + (f" (Tr(HC) at start {tr:.3g})" if isinstance(tr, float) else "")
        band(axes[0], c["k"], c["loss_mean"], c["loss_se"], col, tag)
        band(axes[1], c["k"], c["test_loss_mean"], c["test_loss_se"], col, label)
        band(axes[2], c["k"], c["theta_0_mean"], c["theta_0_se"], col, label)
        if i == 0:
            gd = [chk for chk in s["checks"] if chk["prediction_kind"] == "gd"]
            axes[2].set_title("E theta_0 (checks against GD: " + ", ".join("pass" if g["passed"] else "FAIL" for g in gd) + ")",
                              fontsize=9)
    for ax, t in zip(axes[:2], ("training loss", "test loss")):
        ax.set_yscale("log")
        ax.set_title(t, fontsize=9)
    for ax in axes:
        ax.set_xlabel("step k")
        ax.legend(fontsize=7)
    print(save(fig, args.out))


if __name__ == "__main__":
    main()
