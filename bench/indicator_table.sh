#!/usr/bin/env bash
# Paper 3's indicators for every noise model with a covariance, at equal trace, on one
# least-squares problem (scenarios/lstsq_paper1_noises.toml: d = 10, n = 200).
# Prints a Markdown table: noise, Tr C, Tr(HC), ||C||_F, anisotropy ratio, alignment.
#
# The common trace T is SGD's own, Tr C_sgd (with replacement, b = 10) at the point. Each model
# is brought to T as follows (column "normalised"):
#   trace     the scenario's noise.trace (gld, gaussian): C rescaled to T at every theta;
#   variance  isotropic: variance = T / d;
#   sigma, p  multiplicative noises (no trace key): C is linear in sigma^2 and in (1 - p) / p,
#             so one run at sigma = 1 (p = 1/2) gives the factor, and a second run uses it;
#   matched   large_batch_fisher's default s matches Tr C_sgd at small_batch = 10 by construction;
#   no        SGD without replacement / reshuffling (integer batch: Tr = (n - b)/(n - 1) T) and
#             label noise (C = c_b Sigma_1 + delta^2 kappa H exceeds T for any delta > 0 at b = 10).
# alpha_stable (alpha < 2) has no covariance and is left out (its indicators are undefined).
#
# usage: bench/indicator_table.sh [AT] [CLI]   AT: minimum (default), start, or x1,...,x10
#        CLI: the sgdnoise binary (default ./build-ind/sgdnoise; run from the repository root)
set -euo pipefail
at=${1:-minimum}
cli=${2:-./build-ind/sgdnoise}
base=scenarios/lstsq_paper1_noises.toml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A copy of the base scenario with its [noise] table replaced by the lines given (one per argument).
scenario_with_noise() {
  local f="$tmp/s$RANDOM.toml"
  awk '/^\[noise\]/{skip=1; next} /^\[/{skip=0} !skip' "$base" >"$f"
  { echo "[noise]"; printf '%s\n' "$@"; } >>"$f"
  echo "$f"
}

# indicators JSON of a scenario at the point (small SLQ: only the C indicators are used here).
run_json() { "$cli" indicators "$1" --at "$at" --top-k 1 --slq-probes 2 --slq-steps 5 --json -; }
field() { jq -r "$1" <<<"$2"; }
num() { jq -r "if (.|type) == \"number\" then . else \"undefined\" end" <<<"$1"; }

rows=()
add_row() {  # label normalised json
  local j=$3 i
  i=$(jq -c .indicators <<<"$j")
  rows+=("| $1 | $2 | $(printf '%.6g' "$(num "$(jq .trace_C <<<"$i")")") | $(printf '%.6g' "$(num "$(jq .trace_H_C <<<"$i")")") | $(printf '%.6g' "$(num "$(jq .frobenius_C <<<"$i")")") | $(printf '%.4g' "$(num "$(jq .anisotropy_ratio <<<"$i")")") | $(printf '%.4g' "$(num "$(jq .alignment <<<"$i")")") |")
}

j=$(run_json "$(scenario_with_noise 'kind = "sgd"' 'sampling = "with_replacement"' 'batch = 10')")
T=$(field .indicators.trace_C "$j")
d=$(field .d "$j")
add_row "sgd, with replacement, b = 10 (reference)" "reference" "$j"
for s in without_replacement reshuffle; do
  add_row "sgd, $s, b = 10" "no" "$(run_json "$(scenario_with_noise 'kind = "sgd"' "sampling = \"$s\"" 'batch = 10')")"
done

for t in gaussian_cov gaussian_fisher; do
  t1=$(field .indicators.trace_C "$(run_json "$(scenario_with_noise 'kind = "multiplicative"' "type = \"$t\"" 'sigma = 1.0')")")
  sigma=$(python3 -c "import math; print(repr(math.sqrt($T / $t1)))")
  add_row "multiplicative $t (sigma = $(printf '%.4g' "$sigma"))" "sigma" \
    "$(run_json "$(scenario_with_noise 'kind = "multiplicative"' "type = \"$t\"" "sigma = $sigma")")"
done
t_half=$(field .indicators.trace_C "$(run_json "$(scenario_with_noise 'kind = "multiplicative"' 'type = "bernoulli"' 'p = 0.5')")")
p=$(python3 -c "print(repr(1.0 / (1.0 + $T / $t_half)))")  # (1 - p) / p = T / Tr C(p = 1/2)
add_row "multiplicative bernoulli (p = $(printf '%.4g' "$p"))" "p" \
  "$(run_json "$(scenario_with_noise 'kind = "multiplicative"' 'type = "bernoulli"' "p = $p")")"

for t in const dynamic diag diag_fisher leading hessian first_eigvec gaussian_sgd gaussian_fisher gaussian_fisher_diag; do
  extra=()
  case $t in const) extra=('variance = 1.0') ;; leading | hessian) extra=('k = 3') ;; esac
  add_row "gld $t${extra:+ (${extra[*]})}" "trace" \
    "$(run_json "$(scenario_with_noise 'kind = "gld"' "type = \"$t\"" 'batch = 10' "trace = $T" "${extra[@]}")")"
done

add_row "isotropic (variance = T / d)" "variance" \
  "$(run_json "$(scenario_with_noise 'kind = "isotropic"' "variance = $(python3 -c "print(repr($T / $d))")")")"
for form in hessian_power top_eigenvector random; do
  add_row "gaussian $form" "trace" \
    "$(run_json "$(scenario_with_noise 'kind = "gaussian"' "covariance = \"$form\"" "trace = $T" 'seed = 1')")"
done
for a in full_fisher diag_fisher; do
  add_row "large_batch_fisher $a (B = 100, b = 10)" "matched" \
    "$(run_json "$(scenario_with_noise 'kind = "large_batch_fisher"' "added = \"$a\"" 'large_batch = 100' 'small_batch = 10')")"
done
add_row "label_noise (b = 10, delta = 0.5)" "no" \
  "$(run_json "$(scenario_with_noise 'kind = "label_noise"' 'batch = 10' 'delta = 0.5')")"

echo "Indicators at $at of $base (d = $d, n = 200); common trace T = Tr C_sgd = $(printf '%.6g' "$T")."
echo
echo "| noise | normalised | Tr C | Tr(HC) | ‖C‖_F | anisotropy ratio | alignment |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
