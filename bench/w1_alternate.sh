#!/usr/bin/env bash
# W1 (d = 100, N = 4096, 1000 steps), sgdnoise and the numpy peer alternating, 1 thread each.
# Prints trajectory-steps per second of each round and the median ratio.
# usage: bench/w1_alternate.sh [ROUNDS]   (from the repository root, after .ci/build)
set -euo pipefail
rounds=${1:-3}
peers=bench/peers
export LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
out=$(mktemp -d)
ours=(); theirs=()
for r in $(seq "$rounds"); do
  t0=$(date +%s.%N)
  ./build/sgdnoise run bench/w1_d100.toml --out "$out/r$r" --threads 1 >/dev/null
  t1=$(date +%s.%N)
  ours+=("$(echo "4096*1000/($t1-$t0)" | bc -l)")
  theirs+=("$(/usr/bin/python3 $peers/w1_diag_quadratic.py 4096 100 1000 | sed -n 's/.*traj_steps_per_s=\([0-9.e+]*\).*/\1/p')")
  echo "round $r: sgdnoise ${ours[-1]} traj-steps/s (whole process), numpy ${theirs[-1]} traj-steps/s (loop only)"
done
rm -rf "$out"
/usr/bin/python3 - "${ours[*]}" "${theirs[*]}" <<'PY'
import statistics, sys
a = [float(x) for x in sys.argv[1].split()]; b = [float(x) for x in sys.argv[2].split()]
print(f"median sgdnoise {statistics.median(a):.3g}, numpy {statistics.median(b):.3g}, ratio {statistics.median(a)/statistics.median(b):.2f}")
PY
