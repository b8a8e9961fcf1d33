// End-to-end: `sgdnoise fokker-planck` (1-D and 2-D stationary densities against the Gibbs
// density exp(-U / eps), D = 2 eps, Gardiner 5.2.2; exit codes on bad input).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <vector>

#include "test_util.hpp"

using namespace sgdnoise;
namespace fs = std::filesystem;

namespace {

// D = Sigma_step / eta = 0.07 / 0.05 = 1.4: eps = 0.7.
const char* kWell = R"(name = "fpwell"
seed = 1
[loss]
kind = "double_well"
barrier = 1.0
tilt = 0.25
[noise]
kind = "isotropic"
on = "weights"
variance = 0.07
[dynamics]
kind = "discrete"
eta = 0.05
steps = 1
trajectories = 1
start = [-1.0]
)";

// Replaces the first `from` in `s` by `to` (the test's own scenario edits).
void sub(std::string& s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  ASSERT_NE(at, std::string::npos) << from;
  s.replace(at, from.size(), to);
}

std::vector<std::vector<double>> read_csv(const fs::path& p) {
  std::ifstream in(p);
  std::string line;
  std::getline(in, line);  // header
  std::vector<std::vector<double>> rows;
  while (std::getline(in, line)) {
    std::vector<double> r;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) r.push_back(std::stod(cell));
    rows.push_back(r);
  }
  return rows;
}

}  // namespace

TEST(CliFokkerPlanck, OneDimensionalDensityIsGibbs) {
  const fs::path dir = test::fresh_dir("cli-fp1");
  const fs::path sc = test::write_text(dir, "s.toml", kWell);
  const auto r = test::run_cli("fokker-planck " + sc.string() + " --out " + (dir / "p.csv").string() +
                               " --lo -2.5 --hi 2.5 --cells 1000");
  ASSERT_EQ(r.code, 0) << r.output;
  const auto rows = read_csv(dir / "p.csv");
  ASSERT_EQ(rows.size(), 1000u);
  std::vector<double> gibbs;
  double z = 0.0;
  const double h = 5.0 / 1000;
  for (const auto& row : rows) {
    const double x = row[0], u = (x * x - 1) * (x * x - 1) + 0.25 * x;
    gibbs.push_back(std::exp(-u / 0.7));
    z += gibbs.back() * h;
  }
  double worst = 0.0, peak = 0.0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    worst = std::max(worst, std::abs(rows[i][1] - gibbs[i] / z));
    peak = std::max(peak, gibbs[i] / z);
  }
  EXPECT_LT(worst / peak, 1e-4);
  fs::remove_all(dir);
}

TEST(CliFokkerPlanck, TwoDimensionalDensityIsGibbsAndBadInputIsRefused) {
  const fs::path dir = test::fresh_dir("cli-fp2");
  std::string two = kWell;
  sub(two, "tilt = 0.25", "tilt = 0.25\ntransverse = [2.0]");
  sub(two, "start = [-1.0]", "start = [-1.0, 0.0]");
  const fs::path sc = test::write_text(dir, "s.toml", two);
  const auto r = test::run_cli("fokker-planck " + sc.string() + " --out " + (dir / "p.csv").string() +
                               " --lo -2.5 --hi 2.5 --cells 250 --ylo -3 --yhi 3 --ycells 60");
  ASSERT_EQ(r.code, 0) << r.output;
  const auto rows = read_csv(dir / "p.csv");
  ASSERT_EQ(rows.size(), 15000u);
  double z = 0.0, peak = 0.0, worst = 0.0;
  std::vector<double> gibbs;
  for (const auto& row : rows) {
    const double x = row[0], y = row[1], u = (x * x - 1) * (x * x - 1) + 0.25 * x + y * y;
    gibbs.push_back(std::exp(-u / 0.7));
    z += gibbs.back() * 0.02 * 0.1;
  }
  for (std::size_t i = 0; i < rows.size(); ++i) {
    worst = std::max(worst, std::abs(rows[i][2] - gibbs[i] / z));
    peak = std::max(peak, gibbs[i] / z);
  }
  EXPECT_LT(worst / peak, 1e-2);  // second order in h = 0.02, 0.1

  // Non-diagonal constant diffusion in 2-D, and d = 3: bad input (exit 2), nothing written.
  std::string full = two;
  sub(full, "kind = \"isotropic\"\non = \"weights\"\nvariance = 0.07",
      "kind = \"gaussian\"\ncovariance = \"matrix\"\nmatrix = [[1.0, 0.5], [0.5, 1.0]]");
  const auto f = test::run_cli("fokker-planck " + test::write_text(dir, "f.toml", full).string() + " --out " +
                               (dir / "f.csv").string());
  EXPECT_EQ(f.code, 2) << f.output;
  EXPECT_FALSE(fs::exists(dir / "f.csv"));
  std::string three = two;
  sub(three, "transverse = [2.0]", "transverse = [2.0, 1.0]");
  sub(three, "start = [-1.0, 0.0]", "start = [-1.0, 0.0, 0.0]");
  const auto t = test::run_cli("fokker-planck " + test::write_text(dir, "t.toml", three).string() + " --out " +
                               (dir / "t.csv").string());
  EXPECT_EQ(t.code, 2) << t.output;
  fs::remove_all(dir);
}
