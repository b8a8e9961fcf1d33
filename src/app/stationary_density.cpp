#include "app/stationary_density.hpp"

#include <algorithm>
#include <cmath>

#include "analysis/predictions/fokker_planck.hpp"
#include "core/errors.hpp"
#include "core/format.hpp"
#include "noise/noise.hpp"

namespace sgdnoise {

namespace {

// D(theta) = Sigma_step / eta of docs/conventions.md at one point.
Mat diffusion_at(const Experiment& ex, const Vec& theta, double eta) {
  const Index d = theta.size();
  if (!ex.noise) return Mat::Zero(d, d);
  const auto S = ex.noise->covariance(theta);
  if (!S) throw InputError(ex.scenario.file(), "noise.kind", "the noise has no covariance: no Fokker-Planck equation");
  return noise_forms(*S, ex.noise->target(), eta).D;
}

}  // namespace

double fp_memory_estimate(Index dim, Index cells, Index ycells) {
  if (dim == 1) return 100.0 * static_cast<double>(cells);
  const double n = static_cast<double>(cells) * static_cast<double>(ycells);
  return 2000.0 * n * std::max(1.0, std::log2(std::max(n, 1.0)) / 17.0);
}

StationaryDensity stationary_density(const Experiment& ex, const DensityGrid& c) {
  if (ex.instances() > 1)
    throw InputError(ex.scenario.file(), "loss.fresh_data",
                     "the stationary density is that of one loss; with fresh data the scenario has " +
                         std::to_string(ex.instances()) + " instances (set loss.fresh_data = \"none\")");
  if (!ex.loss->has_value())
    throw InputError(ex.scenario.file(), "loss", "the density needs L itself: this loss has no value function");
  const Index d = ex.theta0.size();
  const double eta = ex.scenario.get_number("dynamics.eta");
  if (c.hi <= c.lo || (d == 2 && c.yhi <= c.ylo))
    throw InputError("sgdnoise fokker-planck", "--lo/--hi", "the interval is empty");
  if ((d == 1 || d == 2) && c.memory_limit_bytes != 0.0) {
    const double need = fp_memory_estimate(d, c.cells, c.ycells), budget = memory_budget(c.memory_limit_bytes);
    if (need > budget) {
      const std::string grid = d == 1
                                   ? "--cells " + std::to_string(c.cells)
                                   : "--cells " + std::to_string(c.cells) + " x --ycells " + std::to_string(c.ycells);
      throw InputError("sgdnoise fokker-planck", d == 1 ? "--cells" : "--cells/--ycells",
                       grid + " would need about " + format_g(need / 1e9, 3) + " GB, more than the " +
                           format_g(budget / 1e9, 3) +
                           " GB available; use fewer cells, or raise the limit with --memory-limit GB (0 disables "
                           "the check)");
    }
  }
  StationaryDensity out;
  if (d == 1) {
    const auto U = [&](double x) { return ex.loss->value_at(Vec::Constant(1, x)); };
    const auto D = [&](double x) { return diffusion_at(ex, Vec::Constant(1, x), eta)(0, 0); };
    const FpDensity1d r = stationary_density_1d(U, D, c.lo, c.hi, c.cells);
    out.ok = r.ok, out.source = r.source, out.reason = r.reason, out.max_cell_peclet = r.max_cell_peclet;
    out.x = r.x;
    out.density = r.density;
  } else if (d == 2) {
    if (ex.noise && !ex.noise->constant_covariance())
      throw InputError(ex.scenario.file(), "noise.kind", "the 2-D solver needs a constant diffusion");
    const Mat D = diffusion_at(ex, ex.theta0, eta);
    if (std::abs(D(0, 1)) > 1e-14 * (std::abs(D(0, 0)) + std::abs(D(1, 1))))
      throw InputError(ex.scenario.file(), "noise", "the 2-D solver needs a diagonal diffusion");
    const auto U = [&](double x, double y) { return ex.loss->value_at((Vec(2) << x, y).finished()); };
    const FpDensity2d r = stationary_density_2d(U, D(0, 0), D(1, 1), c.lo, c.hi, c.cells, c.ylo, c.yhi, c.ycells);
    out.ok = r.ok, out.source = r.source, out.reason = r.reason, out.max_cell_peclet = r.max_cell_peclet;
    out.x = r.x;
    out.y = r.y;
    out.density = r.density;
  } else {
    throw InputError(ex.scenario.file(), "loss",
                     "the Fokker-Planck solver is for d = 1 or 2, not " + std::to_string(d));
  }
  return out;
}

}  // namespace sgdnoise
