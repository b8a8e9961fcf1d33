#pragma once
// `sgdnoise fokker-planck SCENARIO --out FILE.csv`: the stationary density of the
// scenario's continuous dynamics d theta = -grad L dtau + D^{1/2} dW, D = Sigma_step / eta
// (docs/conventions.md), from the finite-volume solver of analysis/predictions/fokker_planck.hpp,
// written as CSV for the plots: "x,density" in 1-D (D(x) may depend on x), "x,y,density"
// in 2-D (constant diagonal D). The numerics live in the solver; this only wires the
// scenario's loss and noise to it.
#include <CLI/CLI.hpp>
#include <string>

#include "app/stationary_density.hpp"
#include "scenario/experiment.hpp"

namespace sgdnoise {

struct FpCommand {
  std::string file;
  std::string out;
  double lo = -2.0, hi = 2.0, ylo = -2.0, yhi = 2.0;
  Index cells = 2000, ycells = 200;
  double memory_limit_bytes = -1.0;  // as build_experiment: < 0 the available memory, 0 no check
};

/// Registers the subcommand's own options (the caller adds --seed, --set, ...).
CLI::App* add_fp_subcommand(CLI::App& app, FpCommand& c);

/// Solves and writes the CSV; returns 0, or 3 when the solver refuses (reason on stderr).
/// Bad input (d > 2, no covariance, non-diagonal D in 2-D, a grid whose estimated memory
/// exceeds the limit) throws InputError.
int run_fp_command(const FpCommand& c, const Experiment& ex);

}  // namespace sgdnoise
