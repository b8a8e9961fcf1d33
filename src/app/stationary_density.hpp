#pragma once
// The stationary Fokker-Planck density of a 1-D or 2-D scenario's SDE
// d theta = -grad L dtau + D^{1/2} dW, D = Sigma_step / eta (docs/conventions.md), from the
// finite-volume solver of analysis/predictions/fokker_planck.hpp: `sgdnoise fokker-planck`
// writes it as CSV, the Python module returns it as arrays. This wires the scenario's loss
// and noise to the solver and checks the grid against the memory budget.
#include <string>

#include "scenario/experiment.hpp"

namespace sgdnoise {

struct DensityGrid {
  double lo = -2.0, hi = 2.0, ylo = -2.0, yhi = 2.0;
  Index cells = 2000, ycells = 200;
  double memory_limit_bytes = -1.0;  // as build_experiment: < 0 the available memory, 0 no check
};

struct StationaryDensity {
  bool ok = false;
  std::string source, reason;  // how it was computed; why there is none
  double max_cell_peclet = 0.0;
  Vec x, y;     // cell centres (y empty in 1-D)
  Mat density;  // x.size() x 1 in 1-D, x.size() x y.size() in 2-D
};

/// Rough peak memory of the solve, in bytes: about 100 bytes per cell in 1-D; in 2-D about
/// 2 kB per cell (the sparse matrix, its LU factors and the CSV text), growing like log n for
/// n = cells * ycells above 2^17 cells (measured: 0.58 GB at 800 x 400).
double fp_memory_estimate(Index dim, Index cells, Index ycells);

/// Bad input (d > 2, no covariance, non-diagonal or non-constant D in 2-D, fresh data, an
/// empty interval, a grid beyond the memory budget) throws InputError; a solver that refuses
/// gives ok = false with its reason.
StationaryDensity stationary_density(const Experiment& ex, const DensityGrid& g);

}  // namespace sgdnoise
