#!/usr/bin/python3
"""Moments of theta_k along a run: E L_k, Tr Cov theta_k and ||Cov theta_k||_F, each
simulated (mean with a 95 % band) against the exact prediction, with the stationary
(Lyapunov) values of the run's checks as horizontal lines.

usage: moments.py RUN_DIR --out FIGURE.png
"""
import argparse

from common import read_run, save
import matplotlib.pyplot as plt

PANELS = [("loss", "E L_k"), ("cov_trace", "Tr Cov theta_k"), ("cov_frobenius", "||Cov theta_k||_F")]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("run")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    s, c = read_run(args.run)
    fig, axes = plt.subplots(1, len(PANELS), figsize=(13, 3.8))
    for ax, (name, label) in zip(axes, PANELS):
        k, m, se = c["k"], c[f"{name}_mean"], c[f"{name}_se"]
        ax.fill_between(k, [a - 1.96 * b for a, b in zip(m, se)], [a + 1.96 * b for a, b in zip(m, se)],
                        color="C0", alpha=0.3, lw=0, label="simulation, 95 % band")
        ax.plot(k, m, color="C0", lw=0.8)
        ex = c.get(f"{name}_exact")
        if ex and all(v is not None for v in ex):
            ax.plot(k, ex, "k--", lw=1, label="exact S_k")
        for chk in s["checks"]:
            if chk["result"] == name and chk["prediction_kind"].endswith("stationary") and "value" in chk["prediction"]:
                ax.axhline(chk["prediction"]["value"], color="C3", lw=1, ls=":", label="discrete Lyapunov")
        ax.set_xlabel("step k")
        ax.set_title(label)
        ax.legend(fontsize=7)
    fig.suptitle(s["scenario"].get("description", s["scenario"]["name"]), fontsize=9)
    print(save(fig, args.out))


if __name__ == "__main__":
    main()
