#include "cli/fp_cmd.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "cli/cli_checks.hpp"
#include "analysis/predictions/fokker_planck.hpp"
#include "core/format.hpp"
#include "io/durable.hpp"

namespace sgdnoise {

CLI::App* add_fp_subcommand(CLI::App& app, FpCommand& c) {
  auto* s = app.add_subcommand("fokker-planck",
                               "Stationary Fokker-Planck density of a 1-D or 2-D scenario's SDE, written as CSV");
  s->add_option("scenario", c.file, "Scenario file (TOML)")->required();
  s->add_option("--out", c.out, "CSV file to write (atomically)")->required();
  s->add_option("--lo", c.lo, "Lower end of the x interval")->capture_default_str();
  s->add_option("--hi", c.hi, "Upper end of the x interval")->capture_default_str();
  s->add_option("--cells", c.cells, "Cells in x")->transform(count_at_least(1))->capture_default_str();
  s->add_option("--ylo", c.ylo, "Lower end of the y interval (2-D)")->capture_default_str();
  s->add_option("--yhi", c.yhi, "Upper end of the y interval (2-D)")->capture_default_str();
  s->add_option("--ycells", c.ycells, "Cells in y (2-D; x uses --cells)")->transform(count_at_least(1));
  return s;
}

namespace {

// D(theta) = Sigma_step / eta of docs/conventions.md at one point.
Mat diffusion_at(const Experiment& ex, const Vec& theta, double eta) {
  const Index d = theta.size();
  if (!ex.noise) return Mat::Zero(d, d);
  const auto S = ex.noise->covariance(theta);
  if (!S) throw InputError(ex.scenario.file(), "noise.kind", "the noise has no covariance: no Fokker-Planck equation");
  return noise_forms(*S, ex.noise->target(), eta).D;
}

std::string num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.17g", v);
  return b;
}

}  // namespace

double fp_memory_estimate(Index dim, Index cells, Index ycells) {
  if (dim == 1) return 100.0 * static_cast<double>(cells);
  const double n = static_cast<double>(cells) * static_cast<double>(ycells);
  return 2000.0 * n * std::max(1.0, std::log2(std::max(n, 1.0)) / 17.0);
}

int run_fp_command(const FpCommand& c, const Experiment& ex) {
  if (std::error_code ec; std::filesystem::is_directory(c.out, ec))
    throw InputError(c.out, "--out", "is a directory; give the name of the CSV file to write");
  if (ex.instances() > 1)
    throw InputError(ex.scenario.file(), "loss.fresh_data",
                     "the stationary density is that of one loss; with fresh data the scenario has " +
                         std::to_string(ex.instances()) + " instances (set loss.fresh_data = \"none\")");
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
  std::ostringstream csv;
  std::string source, reason;
  bool ok = false;
  double peclet = 0.0;
  if (d == 1) {
    const auto U = [&](double x) { return ex.loss->value_at(Vec::Constant(1, x)); };
    const auto D = [&](double x) { return diffusion_at(ex, Vec::Constant(1, x), eta)(0, 0); };
    const FpDensity1d r = stationary_density_1d(U, D, c.lo, c.hi, c.cells);
    ok = r.ok, source = r.source, reason = r.reason, peclet = r.max_cell_peclet;
    csv << "x,density\n";
    if (ok)
      for (Index i = 0; i < r.x.size(); ++i) csv << num(r.x[i]) << "," << num(r.density[i]) << "\n";
  } else if (d == 2) {
    if (ex.noise && !ex.noise->constant_covariance())
      throw InputError(ex.scenario.file(), "noise.kind", "the 2-D solver needs a constant diffusion");
    const Mat D = diffusion_at(ex, ex.theta0, eta);
    if (std::abs(D(0, 1)) > 1e-14 * (std::abs(D(0, 0)) + std::abs(D(1, 1))))
      throw InputError(ex.scenario.file(), "noise", "the 2-D solver needs a diagonal diffusion");
    const auto U = [&](double x, double y) { return ex.loss->value_at((Vec(2) << x, y).finished()); };
    const FpDensity2d r = stationary_density_2d(U, D(0, 0), D(1, 1), c.lo, c.hi, c.cells, c.ylo, c.yhi, c.ycells);
    ok = r.ok, source = r.source, reason = r.reason, peclet = r.max_cell_peclet;
    csv << "x,y,density\n";
    if (ok)
      for (Index i = 0; i < r.x.size(); ++i)
        for (Index j = 0; j < r.y.size(); ++j)
          csv << num(r.x[i]) << "," << num(r.y[j]) << "," << num(r.density(i, j)) << "\n";
  } else {
    throw InputError(ex.scenario.file(), "loss",
                     "the Fokker-Planck solver is for d = 1 or 2, not " + std::to_string(d));
  }
  if (!ok) {
    std::cerr << "sgdnoise fokker-planck: no stationary density: " << reason << "\n";
    return 3;
  }
  write_file_atomically(c.out, csv.str());
  std::cout << "wrote " << c.out << " (" << source << "; max cell Peclet number " << peclet << ")\n";
  return 0;
}

}  // namespace sgdnoise
