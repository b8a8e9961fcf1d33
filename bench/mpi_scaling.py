#!/usr/bin/python3
"""Strong scaling of `mpirun -n P sgdnoise run` from 1 to P ranks on this machine
(docs/scaling.md). Each workload runs under mpirun with 1 and with P ranks (1 thread per rank),
alternating, ROUNDS times; prints the median wall times (mpirun's start included, measured
alone as `mpirun -n P true`), the speed-up and the efficiency t1 / (P tP), from one run.

Workloads:
  W1      bench/w1_d100.toml: isotropic weight noise on a d = 100 quadratic, 4096
          trajectories, --steps steps, observed at the start and the end;
  escape  scenarios/double_well_escape.toml with 4000 trajectories and 20000 steps, observed
          every step (first passages at step resolution; one gather per step), escaped
          trajectories leaving the batch: one run split across the ranks;
  escape-sweep  the same scenario swept over 8 points (4 noise levels x 2 step sizes, 2000
          trajectories, 20000 steps each): the points shared among the ranks.

usage: bench/mpi_scaling.py [--ranks 2] [--rounds 3] [--steps 3000]   (on an otherwise idle machine)
"""
import argparse
import os
import pathlib
import statistics
import subprocess
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--sgdnoise", default=str(ROOT / "build" / "sgdnoise"))
    args = ap.parse_args()
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    work = {
        "W1": ["bench/w1_d100.toml", "--set", f"dynamics.steps={args.steps}"],
        "escape": ["scenarios/double_well_escape.toml", "--set", "dynamics.trajectories=4000",
                   "--set", "dynamics.steps=20000"],
        "escape-sweep": ["scenarios/double_well_escape.toml", "--grid", "noise.variance=0.004,0.005,0.006,0.007",
                         "--grid", "dynamics.eta=0.01,0.0101", "--set", "dynamics.trajectories=2000",
                         "--set", "dynamics.steps=20000"],
    }

    def mpirun(n, cmd):
        t0 = time.perf_counter()
        subprocess.run(["mpirun", "-q", "--oversubscribe", "-n", str(n)] + cmd, cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - t0

    start = {n: statistics.median(mpirun(n, ["true"]) for _ in range(3)) for n in (1, args.ranks)}
    print(f"mpirun's own start: {start[1]:.2f} s (1 rank), {start[args.ranks]:.2f} s ({args.ranks} ranks)")
    print(f"{'workload':12} {'t(1) s':>8} {f't({args.ranks}) s':>8} {'speed-up':>9} {'efficiency':>11}")
    with tempfile.TemporaryDirectory() as out:
        for name, scen in work.items():
            times = {1: [], args.ranks: []}
            for _ in range(args.rounds):
                for n in (1, args.ranks):
                    cmd = "sweep" if name.endswith("sweep") else "run"
                    times[n].append(mpirun(n, [args.sgdnoise, cmd] + scen +
                                           ["--out", f"{out}/{name}-{n}", "--force", "--threads", "1"]))
            t1, tp = statistics.median(times[1]), statistics.median(times[args.ranks])
            print(f"{name:12} {t1:8.2f} {tp:8.2f} {t1 / tp:9.2f} {t1 / (args.ranks * tp):11.2f}"
                  f"   (spread t(1) {min(times[1]):.2f}-{max(times[1]):.2f},"
                  f" t({args.ranks}) {min(times[args.ranks]):.2f}-{max(times[args.ranks]):.2f})")


if __name__ == "__main__":
    main()
