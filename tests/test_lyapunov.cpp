// Dense Lyapunov solvers against brute force and against the eigenbasis closed
// forms of QuadraticMoments (docs/theory.md 1.4, items 1-2), with non-commuting noise.
#include <gtest/gtest.h>

#include <Eigen/Eigenvalues>

#include "analysis/predictions/lyapunov.hpp"
#include "analysis/predictions/quadratic_moments.hpp"
#include "core/rng.hpp"
#include "losses/quadratic.hpp"

namespace sgdnoise {
namespace {

Mat normals(Index rows, Index cols, std::uint64_t seed) {
  Mat Z(rows, cols);
  fill_normals(StreamCoords{seed, Purpose::initial_state, 0}, 0, 0, Z);
  return Z;
}

/// A random PSD matrix B B^T / d; almost surely it commutes with nothing we build.
Mat random_psd(Index d, std::uint64_t seed) {
  const Mat B = normals(d, d, seed);
  return B * B.transpose() / static_cast<double>(d);
}

double spectral_radius(const Mat& A) { return Eigen::EigenSolver<Mat>(A, false).eigenvalues().cwiseAbs().maxCoeff(); }

double rel_err(const Mat& a, const Mat& b) { return (a - b).norm() / b.norm(); }

Quadratic quadratic(const Vec& lambda, std::uint64_t seed) {
  const Index d = lambda.size();
  return Quadratic(lambda, random_orthogonal(d, seed), Vec::Zero(d));
}

TEST(LyapunovDiscrete, MatchesBruteForceIteration) {
  const Index d = 6;
  Mat A = normals(d, d, 11);
  A *= 0.9 / spectral_radius(A);  // non-symmetric, rho(A) = 0.9, complex eigenvalues
  const Mat Q = random_psd(d, 12);
  // Brute force: S_k = sum_{j<k} A^j Q A^jT; the tail after 2000 terms is below
  // 0.81^2000 times a transient factor, far under rounding.
  Mat S = Mat::Zero(d, d);
  for (int k = 0; k < 2000; ++k) S = A * S * A.transpose() + Q;

  const LyapunovResult r = solve_discrete_lyapunov(A, Q);
  ASSERT_TRUE(r.ok) << r.reason;
  EXPECT_TRUE(r.reason.empty());
  // Doubling reaches rho^{2^k} < eps after about log2(log(eps)/log(0.9)) ~ 9 steps.
  EXPECT_LE(r.iterations, 12);
  // Both sides sum O(1/(1 - rho^2)) ~ 5 terms' worth of rounding per entry:
  // a few hundred eps relative covers them with margin.
  EXPECT_LT(rel_err(r.S, S), 1e-12);
  EXPECT_LT((r.S - A * r.S * A.transpose() - Q).norm() / Q.norm(), 1e-12);
}

TEST(LyapunovDiscrete, MatchesQuadraticMomentsStationary) {
  const Index d = 8;
  Vec lambda(d);
  lambda << 0.5, 1.0, 2.0, 3.5, 5.0, 8.0, 12.0, 15.0;  // eta*lambda in (0.05, 1.5)
  const Quadratic q = quadratic(lambda, 21);
  const double eta = 0.1;
  const Mat Sigma_step = random_psd(d, 22) * eta * eta;  // does not commute with H
  const Mat A = Mat::Identity(d, d) - eta * q.H();
  const LyapunovResult r = solve_discrete_lyapunov(A, Sigma_step);
  ASSERT_TRUE(r.ok) << r.reason;
  const QuadraticMoments m(q);
  ASSERT_TRUE(m.discrete_stationary_exists(eta, Sigma_step).exists);
  // The closed form divides by 1 - (1 - eta l_i)(1 - eta l_j) >= 0.0975; the rotations
  // to and from H's eigenbasis add O(d eps). 1e-12 leaves a wide margin over both.
  EXPECT_LT(rel_err(r.S, m.discrete_stationary(eta, Sigma_step)), 1e-12);
}

TEST(LyapunovDiscrete, NoStationaryWhenEtaLambdaAtLeastTwo) {
  const Index d = 4;
  const double eta = 0.1;
  const Mat Q = random_psd(d, 31);
  Vec lambda(d);
  lambda << 1.0, 2.0, 3.0, 25.0;  // eta*lambda = 2.5: rho(A) = 1.5
  const Quadratic q = quadratic(lambda, 32);
  const LyapunovResult r = solve_discrete_lyapunov(Mat::Identity(d, d) - eta * q.H(), Q);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.reason.find("spectral radius of A >= 1"), std::string::npos) << r.reason;
  EXPECT_FALSE(QuadraticMoments(q).discrete_stationary_exists(eta, Q).exists);

  // eta*lambda = 2 exactly: rho(A) = 1 up to rounding of the basis, so the solver
  // fails either at the radius check or at the iteration cap, never with ok.
  lambda[3] = 20.0;
  const Quadratic q2 = quadratic(lambda, 32);
  const LyapunovResult r2 = solve_discrete_lyapunov(Mat::Identity(d, d) - eta * q2.H(), Q);
  EXPECT_FALSE(r2.ok);
  EXPECT_FALSE(r2.reason.empty());
}

TEST(LyapunovContinuous, MatchesKroneckerSolve) {
  const Index d = 6;
  // A non-symmetric H with complex eigenvalues, shifted so every real part is >= 0.5.
  Mat H = normals(d, d, 41);
  const double min_re = Eigen::EigenSolver<Mat>(H, false).eigenvalues().real().minCoeff();
  H += (0.5 - min_re) * Mat::Identity(d, d);
  const Mat D = random_psd(d, 42);
  // Brute force: vec(H S + S H^T) = (I (x) H + H (x) I) vec S, one dense LU solve.
  Mat K = Mat::Zero(d * d, d * d);
  for (Index j = 0; j < d; ++j)
    for (Index i = 0; i < d; ++i)
      for (Index k = 0; k < d; ++k) {
        K(j * d + i, j * d + k) += H(i, k);  // (H S)_ij = sum_k H_ik S_kj
        K(j * d + i, k * d + i) += H(j, k);  // (S H^T)_ij = sum_k S_ik H_jk
      }
  const Vec s = K.partialPivLu().solve(D.reshaped());
  const Mat S_kron = s.reshaped(d, d);

  const LyapunovResult r = solve_continuous_lyapunov(H, D);
  ASSERT_TRUE(r.ok) << r.reason;
  // Both are backward stable solves of a system whose condition number is about
  // ||H|| / min Re(lambda_i + lambda_j) ~ 10: 1e-12 relative is ~ 50x their rounding.
  EXPECT_LT(rel_err(r.S, S_kron), 1e-12);
  EXPECT_LT((H * r.S + r.S * H.transpose() - D).norm() / D.norm(), 1e-12);
}

TEST(LyapunovContinuous, MatchesQuadraticMomentsStationary) {
  const Index d = 8;
  Vec lambda(d);
  lambda << 0.3, 0.7, 1.0, 2.0, 4.0, 6.0, 9.0, 20.0;
  const Quadratic q = quadratic(lambda, 51);
  const Mat D = random_psd(d, 52);
  const LyapunovResult r = solve_continuous_lyapunov(q.H(), D);
  ASSERT_TRUE(r.ok) << r.reason;
  // Condition ~ lambda_max / lambda_min ~ 70: 1e-12 is still > 10x the rounding.
  EXPECT_LT(rel_err(r.S, QuadraticMoments(q).continuous_stationary(D)), 1e-12);
  // docs/theory.md 1.4 item 1: Tr(H S) = Tr(D) / 2 at stationarity.
  EXPECT_NEAR((q.H() * r.S).trace(), 0.5 * D.trace(), 1e-12 * D.trace());
}

TEST(LyapunovContinuous, NoStationaryWithNegativeEigenvalue) {
  Vec lambda(4);
  lambda << -1.0, 0.5, 2.0, 3.0;
  const Quadratic q = quadratic(lambda, 61);
  const Mat D = random_psd(4, 62);
  const LyapunovResult r = solve_continuous_lyapunov(q.H(), D);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.reason.find("non-positive real part"), std::string::npos) << r.reason;
  EXPECT_FALSE(QuadraticMoments(q).continuous_stationary_exists(D).exists);
}

TEST(LyapunovContinuous, SingularWhenEigenvalueSumVanishes) {
  // Stable in exact arithmetic, but 2 * 1e-20 is zero next to ||H|| = 1.
  Mat H = Mat::Zero(2, 2);
  H(0, 0) = 1.0;
  H(1, 1) = 1e-20;
  const LyapunovResult r = solve_continuous_lyapunov(H, Mat::Identity(2, 2));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.reason.find("singular"), std::string::npos) << r.reason;
}

TEST(LyapunovSolvers, RejectMismatchedSizes) {
  EXPECT_THROW(solve_discrete_lyapunov(Mat::Identity(2, 2), Mat::Identity(3, 3)), std::invalid_argument);
  EXPECT_THROW(solve_continuous_lyapunov(Mat::Identity(2, 3), Mat::Identity(2, 2)), std::invalid_argument);
}

}  // namespace
}  // namespace sgdnoise
