#!/usr/bin/python3
"""Adaptive multilevel splitting against brute force at Delta L / eps = 20 (issue 17's target:
a rate with relative standard error <= 10 % in under 60 s on 2 cores).

1. Runs scenarios/double_well_ams.toml (1-D double well (x^2 - 1)^2, discrete Langevin chain at
   eta = 0.005, eps = 0.05; 100 replicas, RUNS = 40 runs) ROUNDS times with different seeds through
   the module and records the
   wall time, the rate's relative standard error and the trajectory-steps AMS used (brute-force
   loops included).
2. Measures brute force's own speed on the same chain: trajectory-steps per second of a plain
   run of the same scenario (escape.method = "brute_force", N trajectories, S steps, the escape
   region x >= 0.5 observed every step, nothing escapes at this barrier).
3. Projects brute force's cost for the same relative error r: escape times are close to
   exponential (coefficient of variation 1), so the mean of N_bf = 1/r^2 escape times has
   relative error r, at E[T] / eta steps each: N_bf E[T]/eta trajectory-steps, and the time at
   the measured speed. Prints both costs and their ratios, from one run.

usage: PYTHONPATH=build/python bench/ams_escape.py [--rounds 3] [--threads 2] [--runs 40]
"""
import argparse
import pathlib
import statistics
import time

import sgdnoise

ROOT = pathlib.Path(__file__).resolve().parent.parent


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=40, help="independent AMS runs (escape.runs)")
    ap.add_argument("--bf-trajectories", type=int, default=4000)
    ap.add_argument("--bf-steps", type=int, default=5000)
    args = ap.parse_args()
    sc = sgdnoise.Scenario.from_file(str(ROOT / "scenarios" / "double_well_ams.toml"))
    sc.set("escape.runs", args.runs)
    rows = []
    for r in range(args.rounds):
        t0 = time.perf_counter()
        res = sgdnoise.run(sc, threads=args.threads, seed=20 + r)
        wall = time.perf_counter() - t0
        a = res.summary["escape"]["ams"]
        rate, se = a["rate_per_tau"]["value"], a["rate_per_tau"]["se"]
        rows.append({"wall": wall, "rel_se": se / rate, "steps": a["trajectory_steps"]["total"],
                     "mean_steps": a["mean_time_steps"]["value"], "mean_tau": a["mean_time_tau"]["value"]})
        print(f"AMS round {r}: {wall:.2f} s, rate {rate:.4g} +- {se:.2g} per tau (relative {se / rate:.3f}), "
              f"{rows[-1]['steps']:.3g} trajectory-steps")
    bf = sgdnoise.Scenario.from_file(str(ROOT / "scenarios" / "double_well_ams.toml"))
    bf.set("escape", {"region": "threshold", "coordinate": 0, "value": 0.5, "side": "above"})
    bf.set("dynamics.trajectories", args.bf_trajectories)
    bf.set("dynamics.steps", args.bf_steps)
    t0 = time.perf_counter()
    sgdnoise.run(bf, threads=args.threads)
    bf_wall = time.perf_counter() - t0
    speed = args.bf_trajectories * args.bf_steps / bf_wall
    print(f"brute force on the same chain: {speed:.3g} trajectory-steps/s ({args.threads} threads, "
          f"{args.bf_trajectories} x {args.bf_steps}, escape observed every step)")
    wall = statistics.median(x["wall"] for x in rows)
    rel = statistics.median(x["rel_se"] for x in rows)
    steps = statistics.median(x["steps"] for x in rows)
    mean_steps = statistics.median(x["mean_steps"] for x in rows)
    bf_steps = mean_steps / rel**2
    bf_seconds = bf_steps / speed
    print(f"\nmedian of {args.rounds} rounds: AMS {wall:.2f} s for relative standard error {rel:.3f} "
          f"({'meets' if rel <= 0.10 and wall < 60 else 'misses'} <= 10 % in < 60 s)")
    print(f"brute force for the same error: {1 / rel**2:.0f} escapes x {mean_steps:.3g} steps = {bf_steps:.3g} "
          f"trajectory-steps, {bf_seconds:.3g} s = {bf_seconds / 3.156e7:.3g} years at the measured speed")
    print(f"ratio brute force / AMS: {bf_steps / steps:.3g} in trajectory-steps, {bf_seconds / wall:.3g} in time")


if __name__ == "__main__":
    main()
