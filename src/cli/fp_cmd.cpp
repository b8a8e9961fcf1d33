#include "cli/fp_cmd.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "cli/cli_checks.hpp"
#include "app/stationary_density.hpp"
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

std::string num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.17g", v);
  return b;
}

}  // namespace

int run_fp_command(const FpCommand& c, const Experiment& ex) {
  if (std::error_code ec; std::filesystem::is_directory(c.out, ec))
    throw InputError(c.out, "--out", "is a directory; give the name of the CSV file to write");
  DensityGrid g;
  g.lo = c.lo, g.hi = c.hi, g.ylo = c.ylo, g.yhi = c.yhi, g.cells = c.cells, g.ycells = c.ycells;
  g.memory_limit_bytes = c.memory_limit_bytes;
  const StationaryDensity r = stationary_density(ex, g);
  if (!r.ok) {
    std::cerr << "sgdnoise fokker-planck: no stationary density: " << r.reason << "\n";
    return 3;
  }
  std::ostringstream csv;
  if (r.y.size() == 0) {
    csv << "x,density\n";
    for (Index i = 0; i < r.x.size(); ++i) csv << num(r.x[i]) << "," << num(r.density(i, 0)) << "\n";
  } else {
    csv << "x,y,density\n";
    for (Index i = 0; i < r.x.size(); ++i)
      for (Index j = 0; j < r.y.size(); ++j)
        csv << num(r.x[i]) << "," << num(r.y[j]) << "," << num(r.density(i, j)) << "\n";
  }
  write_file_atomically(c.out, csv.str());
  std::cout << "wrote " << c.out << " (" << r.source << "; max cell Peclet number " << r.max_cell_peclet << ")\n";
  return 0;
}

}  // namespace sgdnoise
