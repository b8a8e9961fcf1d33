#!/usr/bin/python3
"""Paper 5 (Gupta): the penalty of updating every weight at once (docs/theory.md 1.6, 6.2).

From sweeps of scenarios/paper5_sequential_gap.toml over (eta, update order) and over
(d, update order): the measured gap L(w_seq) - L(w_sim) after one step against the
prediction 1/2 eta^2 sum_{i != j} H_ij g_i g_j (g, H at the start, from each point's
summary.json), and the ratio, which must tend to 1 as eta -> 0.
Check recorded in the figure's JSON: |ratio - 1| at the smallest eta is below 0.05 and
shrinks with eta (the O(eta) remainder of the expansion).

usage: paper5.py ETA_SWEEP_DIR WIDTH_SWEEP_DIR --out FIGURE.png
"""
import argparse
import json
import os

from common import save
import matplotlib.pyplot as plt
import numpy as np


def pairs(sweep_dir, key):
    """{value of key: (gap measured, gap predicted)} from the simultaneous/sequential pairs."""
    with open(os.path.join(sweep_dir, "sweep.json")) as f:
        sw = json.load(f)
    runs = {}
    for p in sw["points"]:
        o = p["overrides"]
        x = float(o[key])
        with open(os.path.join(sweep_dir, p["dir"], "summary.json")) as f:
            s = json.load(f)
        runs.setdefault(x, {})[o["dynamics.update_order"]] = s
    out = {}
    for x, r in sorted(runs.items()):
        sim, seq = r["simultaneous"], r["sequential"]
        eta = sim["scenario"]["dynamics"]["eta"]
        g = np.array(sim["start"]["gradient"])
        H = np.array(sim["start"]["hessian"])
        loss = lambda s: next(v["mean"] for v in s["results"] if v["name"] == "loss")
        measured = loss(seq) - loss(sim)
        predicted = 0.5 * eta**2 * (g @ H @ g - np.sum(np.diag(H) * g**2))
        out[x] = (measured, predicted)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("eta_sweep")
    ap.add_argument("width_sweep")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    by_eta = pairs(args.eta_sweep, "dynamics.eta")
    by_d = pairs(args.width_sweep, "loss.dim")

    fig, (a1, a2, a3) = plt.subplots(1, 3, figsize=(14, 4))
    etas = np.array(sorted(by_eta))
    meas = np.array([by_eta[e][0] for e in etas])
    pred = np.array([by_eta[e][1] for e in etas])
    a1.loglog(etas, np.abs(meas), "o", label="|measured gap| L(w_seq) - L(w_sim)")
    a1.loglog(etas, np.abs(pred), "-", label="|1/2 eta^2 sum_{i!=j} H_ij g_i g_j|")
    a1.set_xlabel("eta")
    a1.set_ylabel("loss gap after one step")
    a1.set_title("gap against eta")
    a1.legend(fontsize=7)
    ratio = meas / pred
    a2.semilogx(etas, ratio, "o-")
    a2.axhline(1.0, color="k", lw=0.6, ls="--")
    a2.set_xlabel("eta")
    a2.set_ylabel("measured / predicted")
    a2.set_title("ratio -> 1 as eta -> 0 (remainder O(eta))")
    ds = np.array(sorted(by_d))
    a3.plot(ds, [by_d[d][0] for d in ds], "o", label="measured (eta = 0.05)")
    a3.plot(ds, [by_d[d][1] for d in ds], "-", label="predicted")
    a3.set_xlabel("number of weights d")
    a3.set_ylabel("loss gap after one step")
    a3.set_title("larger models pay more")
    a3.legend(fontsize=7)
    fig.suptitle("Simultaneous against sequential updates (paper 5; docs/theory.md 1.6)")
    fig.tight_layout()
    dev = np.abs(ratio - 1.0)
    small = dev[np.argsort(etas)]
    passed = bool(small[0] < 0.05 and np.all(np.diff(small[:4]) > 0))
    check = {"passed": passed,
             "reason": f"|ratio - 1| = {small[0]:.4f} at eta = {etas.min():g} (< 0.05 required), "
                       f"shrinking over the four smallest eta: {np.all(np.diff(small[:4]) > 0)}"}
    numbers = {"eta": etas.tolist(), "measured": meas.tolist(), "predicted": pred.tolist(), "ratio": ratio.tolist(),
               "d": ds.tolist(), "measured_d": [by_d[d][0] for d in ds], "predicted_d": [by_d[d][1] for d in ds]}
    print(save(fig, args.out, numbers=numbers, check=check))


if __name__ == "__main__":
    main()
