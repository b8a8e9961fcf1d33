// Hessian spectra: Spectra's Lanczos against the dense symmetric eigensolver.
#include <gtest/gtest.h>

#include <Eigen/Eigenvalues>
#include <algorithm>

#include "analysis/spectrum.hpp"
#include "losses/quadratic.hpp"

namespace sgdnoise {
namespace {

Quadratic random_basis_quadratic(const Vec& lambda, std::uint64_t seed) {
  const Index d = lambda.size();
  return Quadratic(lambda, random_orthogonal(d, seed), Vec::Zero(d));
}

/// A spectrum with both signs, like a Hessian at a saddle: a few outliers on top of
/// a bulk, so the extremes at both ends are separated by more than rounding.
Vec saddle_spectrum(Index d) {
  Vec l(d);
  for (Index i = 0; i < d; ++i) l[i] = -1.0 + 3.0 * static_cast<double>(i) / static_cast<double>(d - 1);
  l[d - 1] = 50.0;
  l[d - 2] = 20.0;
  l[d - 3] = 10.0;
  l[0] = -5.0;
  return l;
}

TEST(Spectrum, LanczosMatchesDenseTopAndBottom) {
  const Index d = 200;
  const Quadratic q = random_basis_quadratic(saddle_spectrum(d), 91);
  const Vec theta = Vec::Zero(d);
  const Vec all = Eigen::SelfAdjointEigenSolver<Mat>(q.H(), Eigen::EigenvaluesOnly).eigenvalues();  // ascending
  const double scale = all.cwiseAbs().maxCoeff();

  const SpectrumResult top = top_eigenvalues(q, theta, 5, true);
  ASSERT_TRUE(top.converged) << top.reason;
  EXPECT_EQ(top.method, "spectra_lanczos");
  EXPECT_GT(top.operations, 0);
  EXPECT_GT(top.iterations, 0);
  ASSERT_EQ(top.eigenvalues.size(), 5);
  // Spectra's residual test is tol * |theta| = 1e-10 |theta|; for a symmetric matrix the
  // Ritz value error is at most the residual (and ~ residual^2 / gap), so 1e-8 * ||H||
  // bounds it with margin over the dense solver's own O(d eps ||H||) error.
  for (Index i = 0; i < 5; ++i) EXPECT_NEAR(top.eigenvalues[i], all[d - 1 - i], 1e-8 * scale) << i;

  const SpectrumResult bottom = top_eigenvalues(q, theta, 5, false);
  ASSERT_TRUE(bottom.converged) << bottom.reason;
  EXPECT_EQ(bottom.method, "spectra_lanczos");
  ASSERT_EQ(bottom.eigenvalues.size(), 5);
  for (Index i = 0; i < 5; ++i) EXPECT_NEAR(bottom.eigenvalues[i], all[i], 1e-8 * scale) << i;
}

TEST(Spectrum, DensePathForSmallDimension) {
  Vec lambda(10);
  lambda << 3.0, -1.0, 0.5, 7.0, 2.0, 0.0, 1.5, -2.5, 4.0, 6.0;
  const Quadratic q = random_basis_quadratic(lambda, 92);
  Vec sorted = lambda;
  std::sort(sorted.begin(), sorted.end());
  const SpectrumResult top = top_eigenvalues(q, Vec::Zero(10), 3, true);
  EXPECT_EQ(top.method, "dense");
  ASSERT_TRUE(top.converged);
  ASSERT_EQ(top.eigenvalues.size(), 3);
  // Dense eigenvalues of U diag(l) U^T are exact up to O(d eps max|l|).
  for (Index i = 0; i < 3; ++i) EXPECT_NEAR(top.eigenvalues[i], sorted[9 - i], 1e-12);
  const SpectrumResult bottom = top_eigenvalues(q, Vec::Zero(10), 10, false);
  ASSERT_EQ(bottom.eigenvalues.size(), 10);
  for (Index i = 0; i < 10; ++i) EXPECT_NEAR(bottom.eigenvalues[i], sorted[i], 1e-12);
}

TEST(Spectrum, DensePathWhenKNearD) {
  const Index d = 40;
  const Quadratic q = random_basis_quadratic(saddle_spectrum(d), 93);
  const SpectrumResult r = top_eigenvalues(q, Vec::Zero(d), static_cast<int>(d - 1), true);
  EXPECT_EQ(r.method, "dense");
  EXPECT_TRUE(r.converged);
  EXPECT_EQ(r.eigenvalues.size(), d - 1);
  EXPECT_NEAR(r.eigenvalues[0], 50.0, 1e-12);
}

TEST(Spectrum, InvalidArguments) {
  const Quadratic q = random_basis_quadratic(saddle_spectrum(40), 94);
  EXPECT_THROW(top_eigenvalues(q, Vec::Zero(40), 0, true), std::invalid_argument);
  EXPECT_THROW(top_eigenvalues(q, Vec::Zero(40), 41, true), std::invalid_argument);
  EXPECT_THROW(top_eigenvalues(q, Vec::Zero(39), 2, true), std::invalid_argument);
}

}  // namespace
}  // namespace sgdnoise
