#!/usr/bin/python3
"""A double well written in Python against the built-in `double_well`, through the module.

Runs scenarios/double_well_escape.toml (discrete Langevin, isotropic weight noise, 1-D
double well; escaped trajectories kept in the batch so both runs do the same work) with
N trajectories on 1 thread, alternating the built-in loss and the same loss as a
sgdnoise.Loss.from_python callable, ROUNDS times, and prints the medians of
trajectory-steps/s, their ratio (target >= 0.5), and the Python loss's overhead per call:
(time of the Python run - time of the built-in run) / number of gradient calls, i.e. the
conversion of the block to numpy and back, the interpreter and numpy's own work.

usage: PYTHONPATH=build/python bench/python_loss.py [--rounds 5] [--n 10000 100000] [--steps 200]
"""
import argparse
import pathlib
import statistics
import time

import numpy as np

import sgdnoise

ROOT = pathlib.Path(__file__).resolve().parent.parent


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--n", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--steps", type=int, default=200)
    a = ap.parse_args()
    calls = [0]

    def grad(X):
        calls[0] += 1
        return 4.0 * X * (X * X - 1.0)

    loss = sgdnoise.Loss.from_python("bench_double_well", 1, grad=grad, value=lambda X: ((X * X - 1.0) ** 2)[:, 0],
                                     minimizer=[1.0])
    print(f"# Python loss against the built-in double_well, 1 thread, {a.rounds} rounds, {a.steps} steps "
          f"(sgdnoise {sgdnoise.__version__})")
    print("| N | built-in (traj-steps/s) | Python (traj-steps/s) | ratio (min-max) | overhead per call |")
    print("|---|---|---|---|---|")
    for n in a.n:
        base = sgdnoise.Scenario.from_file(ROOT / "scenarios/double_well_escape.toml")
        base.set("dynamics.trajectories", n).set("dynamics.steps", a.steps).set("escape.stop_escaped", False)
        base.set("observe.every", a.steps)
        py = base.copy().set("loss", loss)
        tb, tp, ratios, per_call = [], [], [], []
        for _ in range(a.rounds):
            t0 = time.perf_counter()
            rb = sgdnoise.run(base, threads=1, progress=False)
            t1 = time.perf_counter()
            calls[0] = 0
            rp = sgdnoise.run(py, threads=1, progress=False)
            t2 = time.perf_counter()
            assert np.array_equal(rb.final_states, rp.final_states), "the Python loss must give the same states"
            tb.append(t1 - t0)
            tp.append(t2 - t1)
            ratios.append((t1 - t0) / (t2 - t1))
            per_call.append(((t2 - t1) - (t1 - t0)) / max(calls[0], 1))
        work = n * a.steps
        print(f"| {n:,} | {work / statistics.median(tb):.3g} | {work / statistics.median(tp):.3g} | "
              f"{statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f}) | "
              f"{statistics.median(per_call) * 1e6:.0f} us |")


if __name__ == "__main__":
    main()
