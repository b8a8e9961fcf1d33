// Stochastic Lanczos quadrature (analysis/slq.hpp) on quadratics with a known spectrum.
#include <gtest/gtest.h>

#include <cmath>

#include "analysis/slq.hpp"
#include "losses/quadratic.hpp"

namespace sgdnoise {
namespace {

Quadratic known_quadratic(Index d) {
  Vec lambda(d);
  for (Index i = 0; i < d; ++i)  // log-spaced from 10 to 0.01, plus one negative direction
    lambda[i] = 10.0 * std::pow(1e-3, static_cast<double>(i) / static_cast<double>(d - 2));
  lambda[d - 1] = -0.5;
  return Quadratic(lambda, random_orthogonal(d, 33), Vec::Zero(d));
}

// Var(z^T A z) for Rademacher z is 2 (||A||_F^2 - sum_i A_ii^2) (Hutchinson 1990; Avron &
// Toledo 2011): the exact standard error of the P-probe mean.
double hutchinson_se(const Mat& A, Index probes) {
  const double var = 2.0 * (A.squaredNorm() - A.diagonal().squaredNorm());
  return std::sqrt(var / static_cast<double>(probes));
}

TEST(Slq, TracesWithinFiveSigmaAndNodesInsideTheSpectrum) {
  const Index d = 60;
  const Quadratic q = known_quadratic(d);
  const Mat H = q.H();
  const Vec theta = Vec::Zero(d);
  SlqOptions o;
  o.probes = 40;
  o.steps = 20;  // Gauss quadrature is exact for degree <= 2m - 1, so for f = x and x^2
  o.seed = 5;
  const SlqResult r = hessian_slq(q, theta, o);
  EXPECT_EQ(r.operations, o.probes * o.steps);
  const double lmin = -0.5, lmax = 10.0;
  const double tol = 1e-10 * lmax;  // Ritz values lie in [lambda_min, lambda_max] up to rounding
  EXPECT_GE(r.node_min, lmin - tol);
  EXPECT_LE(r.node_max, lmax + tol);
  for (const auto& p : r.probes) EXPECT_NEAR(p.weights.sum(), 1.0, 1e-12);

  // Only Hutchinson's error remains: |estimate - exact| <= 5 sigma (false alarm ~ 6e-7 each).
  const Estimate t1 = r.trace([](double x) { return x; });
  const Estimate t2 = r.trace([](double x) { return x * x; });
  const Mat H2 = H * H;
  EXPECT_LE(std::abs(t1.value - H.trace()), 5.0 * hutchinson_se(H, o.probes)) << t1.value << " vs " << H.trace();
  EXPECT_LE(std::abs(t2.value - H2.trace()), 5.0 * hutchinson_se(H2, o.probes)) << t2.value << " vs " << H2.trace();
  // The reported standard error estimates the exact one: with 40 probes s / sigma of a Gaussian
  // sample lies within [0.5, 1.6] except with probability ~1e-6; [0.4, 2] leaves room for the
  // heavier tails of a quadratic form.
  EXPECT_GT(t1.se, 0.4 * hutchinson_se(H, o.probes));
  EXPECT_LT(t1.se, 2.0 * hutchinson_se(H, o.probes));
  EXPECT_EQ(t1.n, o.probes);

  // The broadened density is a probability density: its trapezoid integral on the grid is 1
  // up to the Gaussian tails beyond 3 sigma (at most 0.3%) and the grid error.
  const double h = r.grid[1] - r.grid[0];
  const double integral = h * (r.density.sum() - 0.5 * (r.density[0] + r.density[r.density.size() - 1]));
  EXPECT_NEAR(integral, 1.0, 0.01);
  EXPECT_TRUE(r.density.allFinite());
  EXPECT_GE(r.density.minCoeff(), 0.0);
}

TEST(Slq, FullLanczosRecoversEveryEigenvalueAndIsDeterministic) {
  const Index d = 30;
  const Quadratic q = known_quadratic(d);
  SlqOptions o;
  o.probes = 3;
  o.steps = 100;  // capped at d: then the nodes are the whole spectrum
  const SlqResult r = hessian_slq(q, Vec::Zero(d), o);
  EXPECT_EQ(r.steps, d);
  Vec want = q.H().selfadjointView<Eigen::Lower>().eigenvalues();  // ascending
  for (const auto& p : r.probes) {
    ASSERT_EQ(p.nodes.size(), d);
    EXPECT_LE((p.nodes - want).cwiseAbs().maxCoeff(), 1e-9 * 10.0);
  }
  const SlqResult again = hessian_slq(q, Vec::Zero(d), o);
  EXPECT_EQ(again.density, r.density);  // bitwise: the probes come from the counter-based stream
  o.seed = 1;
  EXPECT_NE(hessian_slq(q, Vec::Zero(d), o).probes[0].weights, r.probes[0].weights);
}

TEST(Slq, InvariantKrylovSpaceStopsEarlyAndIsExact) {
  // Three distinct eigenvalues: the Krylov space of any probe has dimension <= 3.
  Vec lambda(12);
  lambda << 4, 4, 4, 4, 2, 2, 2, 2, 1, 1, 1, 1;
  const Quadratic q(lambda, random_orthogonal(12, 2), Vec::Zero(12));
  SlqOptions o;
  o.probes = 4;
  o.steps = 10;
  const SlqResult r = hessian_slq(q, Vec::Zero(12), o);
  for (const auto& p : r.probes) {
    EXPECT_TRUE(p.invariant);
    EXPECT_LE(p.nodes.size(), 3);
    for (Index j = 0; j < p.nodes.size(); ++j) {
      const double x = p.nodes[j];
      EXPECT_LT(std::min({std::abs(x - 4.0), std::abs(x - 2.0), std::abs(x - 1.0)}), 1e-10);
    }
  }
  EXPECT_LT(r.operations, o.probes * o.steps);
}

TEST(Slq, RejectsBadOptions) {
  const Quadratic q = known_quadratic(5);
  SlqOptions o;
  o.probes = 0;
  EXPECT_THROW(hessian_slq(q, Vec::Zero(5), o), std::invalid_argument);
  EXPECT_THROW(hessian_slq(q, Vec::Zero(4), SlqOptions{}), std::invalid_argument);
}

}  // namespace
}  // namespace sgdnoise
