#!/usr/bin/python3
"""Paper 3, docs/theory.md 4.3 (P-b): the anisotropy ratio Tr(H Sigma) / Tr(H Sigma_bar) of
H-aligned noise against dimension D for ill-conditioned spiked spectra (lambda_1 = 1, the
rest D^{-p}), with the lower bound a D lambda_1^2 / (Tr H)^2 (a = 1 for Sigma proportional
to H) and its large-D rate D^{2p - 1}. Each point is `sgdnoise indicators` on
scenarios/anisotropy_dim.toml with loss.dim and loss.eigenvalues overridden.
Check recorded in the figure's JSON: the ratio is at least the bound at every (D, p)
(an inequality, so the tolerance is rounding only: 1e-9 relative).

usage: anisotropy_dim.py --sgdnoise BIN --runs DIR --out FIGURE.png
"""
import argparse
import json
import os
import subprocess

from common import save
import matplotlib.pyplot as plt
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIMS = [10, 30, 100, 300, 1000]
POWERS = [0.6, 0.75, 0.9]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sgdnoise", required=True)
    ap.add_argument("--runs", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.runs, exist_ok=True)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    rows, ok = [], True
    for i, p in enumerate(POWERS):
        ratios, bounds = [], []
        for D in DIMS:
            lam = [1.0] + [D ** -p] * (D - 1)
            out = os.path.join(args.runs, f"D{D}_p{p}.json")
            subprocess.run([args.sgdnoise, "indicators", os.path.join(ROOT, "scenarios", "anisotropy_dim.toml"),
                            "--set", f"loss.dim={D}", "--set", "loss.eigenvalues=[" + ",".join(map(repr, lam)) + "]",
                            "--at", "minimum", "--top-k", "1", "--slq-probes", "1", "--slq-steps", "2",
                            "--json", out], check=True, stdout=subprocess.DEVNULL)
            with open(out) as f:
                ind = json.load(f)["indicators"]
            ratio = ind["anisotropy_ratio"]
            bound = D * 1.0 / sum(lam) ** 2
            ok = ok and ratio >= bound * (1 - 1e-9)
            ratios.append(ratio)
            bounds.append(bound)
            rows.append({"D": D, "p": p, "anisotropy_ratio": ratio, "bound": bound})
        ax.loglog(DIMS, ratios, "o-", color=f"C{i}", label=f"H-aligned noise, p = {p}")
        ax.loglog(DIMS, bounds, ":", color=f"C{i}", label=f"bound D / (Tr H)^2, p = {p}")
        ax.loglog(DIMS, [ratios[-1] * (D / DIMS[-1]) ** (2 * p - 1) for D in DIMS], "--", color=f"C{i}", lw=0.6,
                  label=f"slope 2p - 1 = {2 * p - 1:.1f}")
    ax.set_xlabel("dimension D")
    ax.set_ylabel("Tr(H Sigma) / Tr(H Sigma_bar)")
    ax.set_title("Anisotropic noise beats isotropic noise of equal trace (paper 3, P-b)", fontsize=9)
    ax.legend(fontsize=6, ncol=3)
    check = {"passed": bool(ok), "reason": "ratio >= a D lambda_1^2 / (Tr H)^2 at every D and p" if ok
             else "the ratio fell below the bound at some (D, p)"}
    print(save(fig, args.out, numbers={"points": rows}, check=check))


if __name__ == "__main__":
    main()
