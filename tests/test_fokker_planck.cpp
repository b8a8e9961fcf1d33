// Fokker-Planck references: stationary densities against Gibbs (docs/conventions.md: D = 2 eps,
// p ~ exp(-L / eps) = exp(-2 L / D)) and the 1-D state-dependent closed form, the mean
// first-passage time against the exact quadrature of escape_time, each with its grid
// convergence (second order: the error falls about 4x per halving of h).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <functional>
#include <vector>

#include "analysis/predictions/escape_time.hpp"
#include "analysis/predictions/fokker_planck.hpp"
#include "test_util.hpp"

using namespace sgdnoise;

namespace {

/// Composite Simpson on [a, b] with n (even) intervals.
double simpson(const std::function<double(double)>& f, double a, double b, int n = 20000) {
  const double h = (b - a) / n;
  double s = f(a) + f(b);
  for (int i = 1; i < n; ++i) s += (i % 2 ? 4.0 : 2.0) * f(a + i * h);
  return s * h / 3.0;
}

double double_well(double x) { return 0.25 * x * x * x * x - 0.5 * x * x; }

/// max |p_h - p| / max p at the cell centres, p the exact density normalised on [lo, hi].
double density_error(const FpDensity1d& r, const std::function<double(double)>& unnormalised, double lo, double hi) {
  const double Z = simpson(unnormalised, lo, hi);
  double err = 0, pmax = 0;
  for (Index i = 0; i < r.x.size(); ++i) {
    const double p = unnormalised(r.x[i]) / Z;
    err = std::max(err, std::abs(r.density[i] - p));
    pmax = std::max(pmax, p);
  }
  return err / pmax;
}

}  // namespace

TEST(FokkerPlanck, OneDimensionalDensityConvergesToGibbs) {
  // Double well, D = 0.4 (eps = 0.2): stationary p ~ exp(-2 U / D) on the box (zero-flux walls).
  const double D = 0.4, lo = -2.5, hi = 2.5;
  auto gibbs = [&](double x) { return std::exp(-2.0 * double_well(x) / D); };
  std::vector<double> hs, errs;
  for (Index n : {200, 400, 800, 1600}) {
    const FpDensity1d r = stationary_density_1d(
        double_well, [&](double) { return D; }, lo, hi, n);
    ASSERT_TRUE(r.ok) << r.reason;
    hs.push_back(r.h);
    errs.push_back(density_error(r, gibbs, lo, hi));
  }
  const double p = test::loglog_slope(hs, errs);
  std::printf("1-D Gibbs density: errors %.2e .. %.2e, fitted order %.3f\n", errs.front(), errs.back(), p);
  EXPECT_NEAR(p, 2.0, 0.15);
  EXPECT_LT(errs.back(), 1e-4);
  // A grid too coarse for the drift is refused, not returned wrong.
  const FpDensity1d coarse = stationary_density_1d(
      double_well, [&](double) { return D; }, lo, hi, 20);
  EXPECT_FALSE(coarse.ok);
  EXPECT_NE(coarse.reason.find("Peclet"), std::string::npos);
}

TEST(FokkerPlanck, OneDimensionalStateDependentDiffusion) {
  // U = x^2/2, D(x) = d0 + d1 x^2 (Ito): p ~ exp(-int 2U'/D) / D = (d0 + d1 x^2)^{-1 - 1/d1}.
  const double d0 = 0.5, d1 = 0.25, lo = -6.0, hi = 6.0;
  auto U = [](double x) { return 0.5 * x * x; };
  auto D = [&](double x) { return d0 + d1 * x * x; };
  auto exact = [&](double x) { return std::pow(d0 + d1 * x * x, -1.0 - 1.0 / d1); };
  std::vector<double> hs, errs;
  for (Index n : {100, 200, 400, 800}) {
    const FpDensity1d r = stationary_density_1d(U, D, lo, hi, n);
    ASSERT_TRUE(r.ok) << r.reason;
    hs.push_back(r.h);
    errs.push_back(density_error(r, exact, lo, hi));
  }
  const double p = test::loglog_slope(hs, errs);
  std::printf("1-D state-dependent density: errors %.2e .. %.2e, fitted order %.3f\n", errs.front(), errs.back(), p);
  EXPECT_NEAR(p, 2.0, 0.15);
}

TEST(FokkerPlanck, MeanFirstPassageTimeMatchesTheExactQuadrature) {
  // Tilted double well, eps = 0.2 (D = 2 eps): escape from the left well over the barrier to
  // x = 0.5 with a wall at -2.5, and the mirrored problem (target on the left).
  auto U = [](double x) { return double_well(x) + 0.1 * x; };
  const double eps = 0.2;
  struct Case {
    double x0, target, wall;
  };
  for (const Case c : {Case{-1.0, 0.5, -2.5}, Case{1.0, -0.5, 2.5}}) {
    MfptProblem q;
    q.potential = U;
    q.eps = eps;
    q.x0 = c.x0;
    q.target = c.target;
    q.reflecting = c.wall;
    const MfptResult exact = mean_first_passage_time_1d(q);
    ASSERT_TRUE(exact.ok) << exact.reason;
    FpMfptProblem1d p;
    p.potential = U;
    p.diffusion = [&](double) { return 2.0 * eps; };
    p.x0 = c.x0;
    p.target = c.target;
    p.reflecting = c.wall;
    std::vector<double> hs, errs;
    for (Index n : {200, 400, 800, 1600}) {
      const FpMfpt1d r = mean_first_passage_time_fp_1d(p, n);
      ASSERT_TRUE(r.ok) << r.reason;
      hs.push_back(r.h);
      errs.push_back(std::abs(r.value - exact.value) / exact.value);
    }
    const double order = test::loglog_slope(hs, errs);
    std::printf("1-D MFPT x0 = %g: exact %.6g, relative errors %.2e .. %.2e, fitted order %.3f\n", c.x0, exact.value,
                errs.front(), errs.back(), order);
    EXPECT_NEAR(order, 2.0, 0.2);
    EXPECT_LT(errs.back(), 1e-4);
  }
}

TEST(FokkerPlanck, TwoDimensionalDensityConvergesToGibbs) {
  // U = (x^2 - 1)^2 / 4 + y^2 / 2 with isotropic D = 1: p ~ exp(-2U) (separable, so the box
  // normalisation is a product of 1-D integrals).
  const double D = 1.0, xl = -2.0, xh = 2.0, yl = -3.0, yh = 3.0;
  auto Ux = [](double x) { return 0.25 * (x * x - 1.0) * (x * x - 1.0); };
  auto Uy = [](double y) { return 0.5 * y * y; };
  const double Zx = simpson([&](double x) { return std::exp(-2.0 * Ux(x) / D); }, xl, xh);
  const double Zy = simpson([&](double y) { return std::exp(-2.0 * Uy(y) / D); }, yl, yh);
  std::vector<double> hs, errs;
  for (Index n : {32, 64, 128}) {
    const FpDensity2d r =
        stationary_density_2d([&](double x, double y) { return Ux(x) + Uy(y); }, D, D, xl, xh, n, yl, yh, n);
    ASSERT_TRUE(r.ok) << r.reason;
    EXPECT_LT(r.residual, 1e-10);
    double err = 0, pmax = 0;
    for (Index i = 0; i < n; ++i)
      for (Index j = 0; j < n; ++j) {
        const double p = std::exp(-2.0 * (Ux(r.x[i]) + Uy(r.y[j])) / D) / (Zx * Zy);
        err = std::max(err, std::abs(r.density(i, j) - p));
        pmax = std::max(pmax, p);
      }
    hs.push_back(r.hx);
    errs.push_back(err / pmax);
  }
  const double p = test::loglog_slope(hs, errs);
  std::printf("2-D Gibbs density: errors %.2e .. %.2e, fitted order %.3f\n", errs.front(), errs.back(), p);
  EXPECT_NEAR(p, 2.0, 0.2);
}
