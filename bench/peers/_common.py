"""Helpers shared by the numpy peer workloads (bench/peers/README.md).

Each workload script parses its sizes, calls `configure(args)` BEFORE importing numpy
(BLAS reads its thread count when it is loaded), builds every array, times only the
simulation loop with time.perf_counter() and calls `emit(...)`, which prints one line

    workload=NAME N=... d=... steps=... seconds=... traj_steps_per_s=... [key=value ...]

that bench/compare.py parses.
"""
import argparse
import os
import sys


def parser(doc):
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument("--threads", type=int, default=1, help="BLAS threads (elementwise numpy is single-threaded)")
    p.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    p.add_argument("--seed", type=int, default=12345)
    p.add_argument("--warmup", type=int, default=3, help="untimed steps before the timed loop")
    return p


def configure(args):
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)


def loaded_blas():
    """The BLAS library mapped into this process, by file name (OpenBLAS build or reference)."""
    try:
        with open("/proc/self/maps") as f:
            paths = {ln.split()[-1] for ln in f if "/" in ln}
    except OSError:
        return "unknown"
    # numpy links libblas.so.3, whose symbols win: a libblas.so.3 outside an OpenBLAS directory is
    # Netlib's reference BLAS even if liblapack pulled an OpenBLAS in beside it.
    libblas = [p for p in paths if os.path.basename(p).startswith("libblas.so")]
    for tag in ("openblas-openmp", "openblas-pthread", "openblas-serial"):
        if any(tag in p for p in libblas):
            return tag
    if libblas and not any("openblas" in p for p in libblas):
        return "reference"
    if any("libopenblas" in os.path.basename(p) for p in paths):
        return "openblas"
    return "none"


def emit(workload, N, d, steps, seconds, args, traj_steps=None, **extra):
    done = N * steps if traj_steps is None else traj_steps
    fields = {
        "workload": workload, "N": N, "d": d, "steps": steps, "seconds": f"{seconds:.6f}",
        "traj_steps_per_s": f"{done / seconds:.6g}" if seconds > 0 else "inf",
        "threads": args.threads, "dtype": args.dtype, "blas": loaded_blas(),
    }
    for k, v in extra.items():
        fields[k] = f"{v:.6g}" if isinstance(v, float) else v
    print(" ".join(f"{k}={v}" for k, v in fields.items()))
    sys.stdout.flush()
