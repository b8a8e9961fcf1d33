#!/usr/bin/python3
"""Paper 3 (Zhu et al. 2019) Figure 2 on the 2-D sharp-and-flat toy (docs/theory.md 4.4A).

Left: the escape success rate of each dynamics with its 95 % Wilson interval under the
paper's protocol, fresh data for every repeat -- first passage into the flat basin's
half-plane w_0 + w_1 <= 0 within the 500 steps (solid), and the paper's own final-state test
w_T[0] < -0.5 and w_T[1] < -0.5 (hatched, from final_states.npy) -- and, with --one-dataset,
the first passage when every repeat shares one data set (open bars); each method labelled
with the indicator Tr(H Sigma_step) at the start (data_seed's instance).
Right: contours of the loss with a few sample trajectories of each dynamics.

The trajectories are exact replays: trajectory j at step k of a run is the final state of
the same scenario run for k steps (counter-based random streams, docs/conventions.md), so a
second sweep with a few trajectories keeps their sample paths ([observe] paths_first, paths.npz
of each point); the script checks that their last states equal those of the main sweep.

usage: paper3_fig2.py SWEEP_DIR --out FIGURE.png [--one-dataset DIR] [--run] [--sgdnoise build/sgdnoise] [--threads T]
  SWEEP_DIR from: sgdnoise sweep scenarios/paper3_fig2.toml --list scenarios/paper3_fig2.sweep --save-states
  DIR from the same with --set loss.fresh_data=none (one data set for every repeat)
  the trajectories go to SWEEP_DIR-trajectories (made when missing, or with --run).
"""
import argparse
import json
import math
import os
import subprocess
import tempfile

from common import save
import matplotlib.pyplot as plt
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCENARIO = os.path.join(ROOT, "scenarios", "paper3_fig2.toml")
LIST = os.path.join(ROOT, "scenarios", "paper3_fig2.sweep")
# Colours and markers of the paper's code (docs/theory.md 4.4A).
STYLE = {"GD": ("b", "_"), "const": ("g", "*"), "diag": ("c", "s"), "leading": ("m", "^"),
         "hessian": ("y", "|"), "first_eigvec": ("dimgray", "v")}
NAMES = {"GD": "GD", "const": "GLD const", "diag": "GLD diag", "leading": "GLD leading",
         "hessian": "GLD Hessian", "first_eigvec": "GLD 1st eigvec"}
N_PATHS = 3
STEP_EVERY = 5


def wilson(k, n, z=1.959963984540054):
    """Wilson score interval (Wilson 1927), as src/analysis/escape.cpp."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return (max(0.0, centre - half), min(1.0, centre + half))


def loss_no_data(w0, w1):
    """The per-sample loss at x = 0 (docs/theory.md 4.4A); the data (scale 1e-2) barely move it."""
    c = s = 1 / math.sqrt(2)
    a0, a1 = w0 - 1, w1 - 1
    sharp = 10 * (c * a0 - s * a1) ** 2 + 100 * (c * a0 + s * a1) ** 2
    flat = (w0 + 1) ** 2 + (w1 + 1) ** 2
    return np.minimum(sharp, flat)


def run(cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sweep")
    ap.add_argument("--out", required=True)
    ap.add_argument("--one-dataset", help="sweep directory of the same sweep with loss.fresh_data=none")
    ap.add_argument("--run", action="store_true", help="run both sweeps first (replacing their directories)")
    ap.add_argument("--sgdnoise", default=os.path.join(ROOT, "build", "sgdnoise"))
    ap.add_argument("--threads", default=str(os.cpu_count() or 1))
    args = ap.parse_args()
    traj_dir = args.sweep.rstrip("/") + "-trajectories"
    if args.run:
        run([args.sgdnoise, "sweep", SCENARIO, "--list", LIST, "--out", args.sweep, "--force", "--save-states",
             "--threads", args.threads])
        if args.one_dataset:
            run([args.sgdnoise, "sweep", SCENARIO, "--list", LIST, "--set", "loss.fresh_data=none", "--out",
                 args.one_dataset, "--force", "--threads", args.threads])
    tj = os.path.join(traj_dir, "sweep.json")
    if args.run or not os.path.exists(tj) or os.path.getmtime(tj) < os.path.getmtime(
            os.path.join(args.sweep, "sweep.json")):
        with open(LIST) as f:
            rows = [l for l in f if not l.lstrip().startswith("trend ")]
        with tempfile.NamedTemporaryFile("w", suffix=".sweep", delete=False) as tf:
            tf.writelines(rows)
        try:
            # One run per dynamics with N_PATHS trajectories, each keeping its sample paths
            # ([observe] paths_first: paths.npz, every STEP_EVERY steps).
            run([args.sgdnoise, "sweep", SCENARIO, "--list", tf.name,
                 "--set", f"dynamics.trajectories={N_PATHS}", "--set", "escape.region=none",
                 "--set", f"observe.every={STEP_EVERY}", "--set", f"observe.paths_first={N_PATHS}",
                 "--out", traj_dir, "--force"])
        finally:
            os.unlink(tf.name)

    with open(os.path.join(args.sweep, "sweep.json")) as f:
        sw = json.load(f)
    methods, rows = [], []
    print(f"{'method':<16} {'Tr(H Sigma_step)':>16} {'escape P (first passage)':>30} {'paper test w_T < -0.5':>30}")
    for p in sw["points"]:
        c = p["columns"]
        label = p["label"]
        fs = os.path.join(args.sweep, p["dir"], "final_states.npy")
        final = np.load(fs) if os.path.exists(fs) else None
        paper = None
        if final is not None:
            k = int(np.sum((final[:, 0] < -0.5) & (final[:, 1] < -0.5)))
            paper = (k / len(final),) + wilson(k, len(final))
        methods.append(label)
        rows.append((c.get("trace_H_Sigma_step", 0.0), c["escape_probability"], c["escape_probability_lo"],
                     c["escape_probability_hi"], paper, final))
        pp = f"{paper[0]:.3f} [{paper[1]:.3f}, {paper[2]:.3f}]" if paper else "(no final_states.npy)"
        print(f"{NAMES.get(label, label):<16} {rows[-1][0]:16.3f} "
              f"{c['escape_probability']:.3f} [{c['escape_probability_lo']:.3f}, {c['escape_probability_hi']:.3f}]"
              f" ({c['escape_escaped']}/{c['escape_n']})".rjust(30) + f" {pp:>30}")
    for t in sw.get("trends", []):
        print(f"trend {t['trend']} (fresh data): {'pass' if t['passed'] else 'FAIL'} ({t['reason']})")
    one, one_trends = {}, []
    if args.one_dataset:
        with open(os.path.join(args.one_dataset, "sweep.json")) as f:
            so = json.load(f)
        for p in so["points"]:
            c = p["columns"]
            one[p["label"]] = (c["escape_probability"], c["escape_probability_lo"], c["escape_probability_hi"],
                               c["escape_escaped"], c["escape_n"])
        one_trends = so.get("trends", [])
        print("one data set for every repeat (loss.fresh_data = none):")
        for m, o in one.items():
            print(f"  {NAMES.get(m, m):<16} {o[0]:.3f} [{o[1]:.3f}, {o[2]:.3f}] ({o[3]}/{o[4]})")
        for t in one_trends:
            print(f"trend {t['trend']} (one data set): {'pass' if t['passed'] else 'FAIL'} ({t['reason']})")

    fig, (ax, bx) = plt.subplots(1, 2, figsize=(13, 5.2), gridspec_kw={"width_ratios": [1.1, 1]})
    x = np.arange(len(methods))
    has_paper = all(r[4] for r in rows)
    has_one = all(m in one for m in methods)
    nbars = 1 + has_paper + has_one
    w = 0.8 / nbars
    for i, (m, r) in enumerate(zip(methods, rows)):
        col = STYLE.get(m, ("k", "o"))[0]
        left = x[i] - 0.4 + w / 2
        ax.bar(left, r[1], w, color=col, alpha=0.8, yerr=[[max(0.0, r[1] - r[2])], [max(0.0, r[3] - r[1])]],
               capsize=3, label="fresh data: first passage to w0 + w1 <= 0" if i == 0 else None)
        top = r[3]
        if has_paper:
            pr = r[4]
            ax.bar(left + w, pr[0], w, color=col, alpha=0.35, hatch="//", edgecolor="k",
                   yerr=[[max(0.0, pr[0] - pr[1])], [max(0.0, pr[2] - pr[0])]], capsize=3,
                   label="fresh data: paper's test w_T[0], w_T[1] < -0.5" if i == 0 else None)
            top = max(top, pr[2])
        if has_one:
            o = one[m]
            ax.bar(left + (nbars - 1) * w, o[0], w, facecolor="white", edgecolor=col, linewidth=1.5,
                   yerr=[[max(0.0, o[0] - o[1])], [max(0.0, o[2] - o[0])]], capsize=3,
                   label="one data set for all repeats: first passage" if i == 0 else None)
            top = max(top, o[2])
        ax.text(x[i], min(1.0, top) + 0.03, f"Tr(HS)={r[0]:.2f}", ha="center", fontsize=7)
    ax.set_xticks(x, [NAMES.get(m, m) for m in methods], rotation=20, fontsize=8)
    ax.set_ylim(0, 1.12)
    ax.set_ylabel("success rate (95 % Wilson interval)")
    n = rows[0][5].shape[0] if rows[0][5] is not None else "?"
    ax.set_title(f"escape from the sharp minimum, {n} repeats each\nfresh data per repeat, Tr Sigma_step = 0.01",
                 fontsize=9)
    ax.legend(fontsize=7, loc="upper left")

    g = np.arange(-1.4, 1.6, 0.02)
    W0, W1 = np.meshgrid(g, g)
    bx.contour(W0, W1, loss_no_data(W0, W1), levels=8, colors="0.6", linewidths=0.7)
    if os.path.exists(os.path.join(traj_dir, "sweep.json")):
        with open(os.path.join(traj_dir, "sweep.json")) as f:
            tw = json.load(f)
        for p in tw["points"]:
            label = p["label"].split(" ")[0]
            z = np.load(os.path.join(traj_dir, p["dir"], "paths.npz"))
            col, mk = STYLE.get(label, ("k", "o"))
            arr = z["theta"]  # observation steps x paths x 2
            main_final = rows[methods.index(label)][5] if label in methods else None
            if main_final is not None and int(z["k"][-1]) == 500:
                assert np.array_equal(arr[-1], main_final[list(z["ids"])]), f"replay of {label} differs from the sweep"
            for j in range(arr.shape[1]):
                bx.plot(arr[:, j, 0], arr[:, j, 1], "-", color=col, lw=0.6, alpha=0.7)
                bx.plot(arr[::2, j, 0], arr[::2, j, 1], mk, color=col, ms=3, alpha=0.8,
                        label=NAMES.get(label, label) if j == 0 else None)
    bx.plot([1], [1], "k+", ms=10)
    bx.set_xlim(-1.4, 1.6)
    bx.set_ylim(-1.4, 1.6)
    bx.set_aspect("equal")
    bx.set_title(f"loss contours and {N_PATHS} sample paths per dynamics (500 steps, every {2 * STEP_EVERY}th marked)",
                 fontsize=9)
    bx.legend(fontsize=7, loc="lower right")
    numbers = {m: {"trace_H_Sigma_step": r[0], "escape_probability": r[1], "wilson_95": [r[2], r[3]],
                   "paper_final_state_test": list(r[4]) if r[4] else None,
                   "one_dataset": ({"escape_probability": one[m][0], "wilson_95": [one[m][1], one[m][2]],
                                    "escaped": one[m][3], "n": one[m][4]} if m in one else None)}
               for m, r in zip(methods, rows)}
    numbers["protocol"] = "fresh data for every repeat (docs/theory.md 4.4A); one_dataset: loss.fresh_data = none"
    trends = [("fresh data", t) for t in sw.get("trends", [])] + [("one data set", t) for t in one_trends]
    check = {"passed": bool(trends) and all(t["passed"] for _, t in trends),
             "reason": "; ".join(f"{p}: {t['trend']}: {t['reason']}" for p, t in trends) or "no trend in the sweep"}
    print(save(fig, args.out, numbers=numbers, check=check))


if __name__ == "__main__":
    main()
