#!/usr/bin/python3
"""sgdnoise against the numpy peers, side by side in one run.

For each workload, alternates `sgdnoise bench --only W --json` and the numpy peer
script (bench/peers, next to this file) ROUNDS times, one thread each, takes medians and
prints the Markdown table of the issue-8 targets with the date, CPU model and threads and the
spread of the rounds (min-max), then the thread scaling (2 threads / 1 thread) beside its
bound on this machine (two independent one-thread processes timed side by side, `bench
--processes 2`, over one) and the cost-growth exponents (log-log slopes of run time against
N and d).

The peers run on the numpy a user would have: Debian's numpy with OpenBLAS's OpenMP build
(`apt-get install libopenblas0-openmp`, selected through LD_LIBRARY_PATH), one BLAS thread,
with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from their environment so that OpenBLAS
detects the CPU itself. The BLAS numpy actually loaded is printed; if it is the reference
BLAS (Netlib's libblas.so.3), the measurements are printed but every ratio is refused.

Then the Hessian-spectrum target: the top 10 eigenvalues of the d = 2000 least-squares
Hessian applied matrix-free, Spectra through sgdnoise (`bench --only spectra`) against
SciPy's eigsh on the same operator (bench/eigsh_peer.py; needs python3-scipy), same k,
ncv and tolerance, alternating; the eigenvalues of the two must agree.

usage: bench/compare.py [--rounds 3] [--bin build-bench/sgdnoise] [--peers DIR (default bench/peers)]
                        [--only w1_d2 ...] [--no-scaling] [--no-growth] [--no-spectra] [--json OUT]
"""
import argparse
import datetime
import json
import math
import os
import statistics
import subprocess
import sys

ap = argparse.ArgumentParser()
ap.add_argument("--rounds", type=int, default=3)
ap.add_argument("--bin", default="build-bench/sgdnoise")
ap.add_argument("--peers", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "peers"))
ap.add_argument("--only", nargs="*", default=None)
ap.add_argument("--no-scaling", action="store_true")
ap.add_argument("--no-growth", action="store_true")
ap.add_argument("--no-spectra", action="store_true")
ap.add_argument("--json", default="")
a = ap.parse_args()

OPENBLAS_DIR = "/usr/lib/x86_64-linux-gnu/openblas-openmp"
if not os.path.isdir(OPENBLAS_DIR):
    sys.exit(f"compare.py: {OPENBLAS_DIR} is missing. The numpy peers must run on the BLAS a user would have, "
             "OpenBLAS's OpenMP build, not Debian's reference BLAS: apt-get install libopenblas0-openmp")
# The peers' environment only: OpenBLAS's OpenMP build, one thread, and no CPU-type or cache-size overrides
# (a user's OpenBLAS detects the CPU itself). sgdnoise runs in the caller's environment.
ENV = dict(os.environ, LD_LIBRARY_PATH=OPENBLAS_DIR, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
           MKL_NUM_THREADS="1")
for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    ENV.pop(var, None)
PY = "/usr/bin/python3"

# Which BLAS numpy loads in the peers' environment: threadpoolctl where it is installed, else the
# libraries mapped into a child python after a matrix product.
BLAS_PROBE = r"""
import json, numpy as np
a = np.ones((64, 64)); a @ a
info = {}
try:
    from threadpoolctl import threadpool_info
    for p in threadpool_info():
        if p.get("user_api") == "blas":
            info = {"via": "threadpoolctl", "internal_api": p.get("internal_api"), "path": p.get("filepath"),
                    "version": p.get("version"), "threads": p.get("num_threads")}
            break
except ImportError:
    pass
if not info:
    with open("/proc/self/maps") as f:
        libs = sorted({ln.split()[-1] for ln in f if "blas" in ln.rsplit("/", 1)[-1]})
    info = {"via": "/proc/self/maps", "path": ", ".join(libs)}
print(json.dumps(info))
"""


def numpy_blas():
    out = subprocess.run([PY, "-c", BLAS_PROBE], check=True, capture_output=True, text=True, env=ENV).stdout
    info = json.loads(out)
    paths = [q.strip() for q in (info.get("path") or "").split(",") if q.strip()]
    api = (info.get("internal_api") or "").lower()
    # numpy links libblas.so.3, whose symbols win: one outside an OpenBLAS directory is Netlib's reference
    # BLAS (Debian's /usr/lib/x86_64-linux-gnu/blas), even when liblapack pulled an OpenBLAS in beside it.
    libblas = [q for q in paths if os.path.basename(q).startswith("libblas.so")]
    if libblas and not any("openblas" in q for q in libblas):
        info["kind"] = "reference"
    elif "openblas" in api or any("openblas" in q for q in paths):
        info["kind"] = "openblas"
    else:
        info["kind"] = "other"
    return info

# name: (label, peer args, peer rate key, target ratio, own-bound kind, bound target)
WORKLOADS = [
    ("w1_d2", "W1 d=2, N=100000", ["w1_diag_quadratic.py", "100000", "2", "1000"], "traj_steps_per_s", 2.8, "normals", 0.7),
    ("w1_d100", "W1 d=100, N=4096", ["w1_diag_quadratic.py", "4096", "100", "1000"], "traj_steps_per_s", 2.8, "normals", 0.7),
    ("w2", "W2 d=100, N=1024 full covariance", ["w2_dense_quadratic_fullcov.py", "1024", "100", "1000"],
     "traj_steps_per_s", 1.7, "gemm", 0.6),
    ("w3_with", "W3 least squares b=32, with replacement", ["w3_lstsq_sgd.py", "256", "1000", "100", "32", "1000",
                                                           "--sampling", "with"], "traj_steps_per_s", 6.0, None, None),
    ("w3_reshuffle", "W3 least squares b=32, reshuffling", ["w3_lstsq_sgd.py", "256", "1000", "100", "32", "1000",
                                                           "--sampling", "without"], "traj_steps_per_s", 6.0, None, None),
    ("w4_1d", "W4 double well 1-D (useful steps)", ["w4_double_well_escape.py", "100000", "--mode", "compact"],
     "useful_traj_steps_per_s", 3.4, "normals", 0.7),
    ("w4_2d", "W4 double well 2-D (useful steps)", ["w4_double_well_escape.py", "100000", "--mode", "compact",
                                                   "--dim", "2"], "useful_traj_steps_per_s", 3.2, "normals", 0.7),
]

NUMPY_NORMALS = r"""
import time, numpy as np
rng = np.random.default_rng(1); buf = np.empty(1 << 20)
rng.standard_normal(out=buf)
t0 = time.perf_counter()
for _ in range(40): rng.standard_normal(out=buf)
print(40 * buf.size / (time.perf_counter() - t0))
"""


def ours(only, threads=1, extra=()):
    out = subprocess.run([a.bin, "bench", "--json", "--threads", str(threads), "--only", only, *extra],
                         check=True, capture_output=True, text=True).stdout
    j = json.loads(out)
    return j, [w for w in j["workloads"] if w["workload"] == only][0]


def peer(args, key):
    """The peer's rate and the BLAS it reported (blas=...)."""
    out = subprocess.run([PY, os.path.join(a.peers, args[0]), *args[1:]], check=True, capture_output=True,
                         text=True, env=ENV).stdout
    line = [ln for ln in out.splitlines() if ln.startswith("workload=")][-1]
    kv = dict(t.split("=", 1) for t in line.split() if "=" in t)
    return float(kv[key]), kv.get("blas", "unknown")


def numpy_normals():
    return float(subprocess.run([PY, "-c", NUMPY_NORMALS], check=True, capture_output=True, text=True,
                                env=ENV).stdout)


def med(v):
    return statistics.median(v)


def fmt(x):
    return f"{x / 1e6:.3g} M" if x >= 1e5 else f"{x:.3g}"


def spread(v):
    """Median and the range of the rounds: '1.21 M (1.18-1.25 M)'."""
    if len(v) == 1:
        return fmt(v[0])
    return f"{fmt(med(v))} ({fmt(min(v))}–{fmt(max(v))})"


blas = numpy_blas()
refused = None
if blas["kind"] == "reference":
    refused = f"refused: numpy ran on the reference BLAS ({blas['path']}), not OpenBLAS"
print(f"# numpy BLAS in the peers' environment: {blas['kind']} ({blas.get('path')}; via {blas['via']})",
      file=sys.stderr)


sel = [w for w in WORKLOADS if not a.only or w[0] in a.only]
meta = None
res = {}
# The generator and the GEMM rate (the bounds' inputs), alternating with numpy's generator.
gen_ours, gen_np, gemm = [], [], []
for r in range(a.rounds):
    meta, g = ours("normals")
    gen_ours.append(g["normals_per_s"])
    gen_np.append(numpy_normals())
    gemm.append(ours("gemm")[1]["check"])
normal_rate, gemm_gflops = med(gen_ours), med(gemm)
for name, label, pargs, key, target, bound_kind, bound_target in sel:
    o, p, rows, peer_blas = [], [], None, set()
    for r in range(a.rounds):
        _, w = ours(name)
        o.append(w["traj_steps_per_s"])
        rows = w
        rate, used = peer(pargs, key)
        p.append(rate)
        peer_blas.add(used)
        print(f"# {name} round {r + 1}: sgdnoise {o[-1]:.4g}, numpy {p[-1]:.4g} (blas={used})", file=sys.stderr)
    res[name] = {"ours": o, "numpy": p, "row": rows, "blas": sorted(peer_blas)}

date = datetime.date.today().isoformat()
print(f"Measured {date} on {meta['cpu']} ({os.cpu_count()} cores, shared with other jobs), 1 thread each, "
      f"medians of {a.rounds} alternating rounds; sgdnoise {meta['git']} ({meta['compiler'].split()[0]} "
      f"{meta['compiler'].split()[1] if len(meta['compiler'].split()) > 1 else ''}, {meta['build_flags']}), "
      f"normal kernel {meta['normal_kernel']}; numpy's BLAS: {blas['kind']} ({blas.get('path')}"
      f"{', ' + str(blas['version']) if blas.get('version') else ''}; found via {blas['via']}), "
      f"OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for the peers. Rates are medians with the "
      f"range of the rounds in parentheses; the ratio is the ratio of medians, with the range of "
      f"the per-round ratios.\n")
if refused:
    print(f"**Ratios {refused}: install libopenblas0-openmp (apt-get install libopenblas0-openmp).**\n")


def ratio_cell(ours_v, theirs_v, target, why=None):
    if why:
        return why
    r = med(ours_v) / med(theirs_v)
    per = [x / y for x, y in zip(ours_v, theirs_v)]
    rng = f" [{min(per):.2f}–{max(per):.2f}]" if len(per) > 1 else ""
    return f"{r:.2f}{rng} (≥ {target}) {'✓' if r >= target else '✗'}"


print("| workload | sgdnoise traj-steps/s | numpy | ratio (target) | of own bound (target) |")
print("|---|---|---|---|---|")
print(f"| normal generation (normals/s) | {spread(gen_ours)} | {spread(gen_np)} | "
      f"{ratio_cell(gen_ours, gen_np, 3.5, refused)} | — |")
for name, label, pargs, key, target, bound_kind, bound_target in sel:
    o, row = med(res[name]["ours"]), res[name]["row"]
    why = refused
    if not why and "reference" in res[name]["blas"]:
        why = "refused: this peer ran on the reference BLAS"
    cell = "—"
    if bound_kind == "normals":
        bound = normal_rate / row["normals_per_traj_step"]
        if name.startswith("w4"):  # escaped rows stepped until the next compaction cost too
            bound *= row["traj_steps"] / row["executed_traj_steps"]
        f = o / bound
        cell = f"{f:.2f} of {fmt(bound)} (≥ {bound_target}) {'✓' if f >= bound_target else '✗'}"
    elif bound_kind == "gemm":
        d = row["d"]
        bound = 1.0 / (4.0 * d * d / (gemm_gflops * 1e9) + d / normal_rate)
        f = o / bound
        cell = f"{f:.2f} of {fmt(bound)} (≥ {bound_target}) {'✓' if f >= bound_target else '✗'}"
    print(f"| {label} | {spread(res[name]['ours'])} | {spread(res[name]['numpy'])} | "
          f"{ratio_cell(res[name]['ours'], res[name]['numpy'], target, why)} | {cell} |")
print(f"\nBounds: own normal rate {fmt(normal_rate)}/s ÷ normals per step; W2: 1 / (4 d² flops at Eigen's DGEMM "
      f"rate {gemm_gflops:.1f} GFLOP/s + d normals); W4 counts only steps of live trajectories.")

if not a.no_spectra:
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        xfile = os.path.join(tmp, "X.npy")
        sp_ours, sp_peer, ops_ours, ops_peer, agree = [], [], None, None, 0.0
        for r in range(a.rounds):
            _, w = ours("spectra", 1, ["--write-operator", xfile] if r == 0 else [])
            if not w["converged"]:
                sys.exit("spectra: Lanczos did not converge")
            sp_ours.append(w["seconds"])
            ops_ours = w["operations"]
            out = subprocess.run([PY, os.path.join(os.path.dirname(__file__), "eigsh_peer.py"), xfile, "--k",
                                  str(w["k"]), "--tol", repr(w["tol"]), "--repeats", "1"], check=True,
                                 capture_output=True, text=True, env=ENV).stdout
            kv = dict(t.split("=", 1) for t in out.split() if "=" in t)
            sp_peer.append(float(kv["seconds"]))
            ops_peer = int(kv["operations"])
            theirs = [float(v) for v in kv["eigenvalues"].split(",")]
            agree = max(agree, max(abs(x - y) / abs(y) for x, y in zip(w["eigenvalues"], theirs)))
            print(f"# spectra round {r + 1}: sgdnoise {sp_ours[-1]:.4g} s, eigsh {sp_peer[-1]:.4g} s", file=sys.stderr)
    ratio = med(sp_peer) / med(sp_ours)
    sp_cell = refused or f"{ratio:.2f} {'✓' if ratio >= 1 else '✗'}"
    print(f"\n| Hessian spectrum: top {w['k']} of d = {w['d']} (n = {w['N']}), matrix-free, tol {w['tol']:g} | "
          f"sgdnoise (Spectra) | SciPy eigsh | speed ratio (target ≥ 1) |\n|---|---|---|---|")
    print(f"| seconds (median of {a.rounds}, min–max); operator applications | {med(sp_ours):.3g} s "
          f"({min(sp_ours):.3g}–{max(sp_ours):.3g}); {ops_ours} | {med(sp_peer):.3g} s "
          f"({min(sp_peer):.3g}–{max(sp_peer):.3g}); {ops_peer} | {sp_cell} |")
    print(f"\nLargest relative difference between the two solvers' eigenvalues: {agree:.1e}.")
    res["spectra"] = {"ours": sp_ours, "scipy": sp_peer, "operations": [ops_ours, ops_peer], "max_rel_diff": agree}

if not a.no_scaling:
    # The bound: the same workload in two independent one-thread processes timed side by side
    # (sgdnoise bench --processes 2): what the two cores deliver together with nothing shared
    # but the hardware. Rounds alternate 1 thread, 2 threads, 2 processes.
    print("\n| thread scaling | 2 threads / 1 thread (target ≥ 1.8) | 2 processes / 1 (the machine's bound) "
          "| threads / bound |\n|---|---|---|---|")
    res["scaling"] = {}
    for name in ["normals", "w1_d2", "w1_d100", "w2", "w3_with", "w3_reshuffle", "w4_1d", "w4_2d"]:
        one, two, procs = [], [], []
        for r in range(a.rounds):
            one.append(ours(name, 1)[1]["traj_steps_per_s"])
            two.append(ours(name, 2)[1]["traj_steps_per_s"])
            procs.append(ours(name, 1, ["--processes", "2"])[1]["traj_steps_per_s"])
        s2, sp = med(two) / med(one), med(procs) / med(one)
        r2 = [t / o for t, o in zip(two, one)]
        rp = [p / o for p, o in zip(procs, one)]
        print(f"| {name} | {s2:.2f} [{min(r2):.2f}–{max(r2):.2f}] {'✓' if s2 >= 1.8 else '✗'} | {sp:.2f} "
              f"[{min(rp):.2f}–{max(rp):.2f}] | {s2 / sp:.2f} |")
        res["scaling"][name] = {"one": one, "two_threads": two, "two_processes": procs}
    # Every core but one busy (sgdnoise bench starts the busy processes itself): 2 threads
    # must never be slower than 1 on the same loaded machine.
    loaded = [ours("loaded_escape", 2)[1]["check"] for r in range(a.rounds)]
    print(f"| loaded_escape: other core busy, escape scenario observed every step | {med(loaded):.2f} "
          f"({min(loaded):.2f}–{max(loaded):.2f}) {'✓' if min(loaded) >= 1.0 else '✗'} (target ≥ 1) |")
    res["loaded_escape_speedup"] = loaded
    loaded_w4 = [ours("loaded_w4_1d", 2)[1]["check"] for r in range(a.rounds)]
    # Never slower: the median at least 1, less the rounds' own relative spread (the governor
    # may run the loaded regions on one thread, so 1 is the expected value, not a floor).
    spread = (max(loaded_w4) - min(loaded_w4)) / med(loaded_w4)
    print(f"| loaded_w4_1d: other core busy, W4 1-D escape run (287 parallel regions) | {med(loaded_w4):.2f} "
          f"({min(loaded_w4):.2f}–{max(loaded_w4):.2f}) {'✓' if med(loaded_w4) >= 1.0 - spread else '✗'} (target: "
          f"never slower: median ≥ 1 − the rounds' spread, {1.0 - spread:.2f}) |")
    res["loaded_w4_1d_speedup"] = loaded_w4


def slope(xs, ys):
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    return sum((x - mx) * (y - my) for x, y in zip(lx, ly)) / sum((x - mx) ** 2 for x in lx)


if not a.no_growth:
    print("\n| cost growth (seconds ∝ size^p, one run per size) | sizes | exponent p (expected) |\n|---|---|---|")
    runs = [("w1_d100", "--trajectories", [1024, 4096, 16384], ["--steps", "200"], "N, W1 d=100", 1),
            ("w1_d100", "--dim", [25, 50, 100, 200], ["--steps", "200"], "d, W1 diagonal", 1),
            ("w2", "--dim", [50, 100, 200], ["--steps", "200"], "d, W2 dense", 2)]
    for name, opt, sizes, extra, label, expect in runs:
        t = [ours(name, 1, [opt, str(s), *extra])[1]["seconds"] for s in sizes]
        print(f"| {label} | {sizes} | {slope(sizes, t):.2f} ({expect}) |")
    ws = [ours("w4_1d", 1, ["--trajectories", str(n)])[1] for n in [10000, 30000, 100000]]
    print(f"| W4 1-D: seconds against live trajectory-steps | N = 1e4, 3e4, 1e5 | "
          f"{slope([w['traj_steps'] for w in ws], [w['seconds'] for w in ws]):.2f} (1); executed / live steps "
          f"{ws[-1]['executed_traj_steps'] / ws[-1]['traj_steps']:.3f} |")

if a.json:
    with open(a.json, "w") as f:
        json.dump({"meta": meta, "results": res, "normal_rate": normal_rate, "numpy_normals": gen_np,
                   "gemm_gflops": gemm, "numpy_blas": blas, "ratios_refused": refused}, f, indent=1)
