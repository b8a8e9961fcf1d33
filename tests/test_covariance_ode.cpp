// The Odeint covariance ODE against the closed form S(tau) = int_0^tau e^{-Hs} D e^{-Hs} ds
// of QuadraticMoments::continuous (docs/theory.md 1.4 item 1), with H and D not commuting.
#include <gtest/gtest.h>

#include <Eigen/Eigenvalues>
#include <vector>

#include "analysis/predictions/covariance_ode.hpp"
#include "analysis/predictions/lyapunov.hpp"
#include "analysis/predictions/quadratic_moments.hpp"
#include "core/rng.hpp"
#include "losses/quadratic.hpp"

namespace sgdnoise {
namespace {

Mat random_psd(Index d, std::uint64_t seed) {
  Mat B(d, d);
  fill_normals(StreamCoords{seed, Purpose::initial_state, 0}, 0, 0, B);
  return B * B.transpose() / static_cast<double>(d);
}

double rel_err(const Mat& a, const Mat& b) { return (a - b).norm() / b.norm(); }

// Tolerances: local error 1e-12 (abs and rel) per step for Dormand-Prince 5(4); over
// a few hundred steps of a contracting linear system the global error stays within
// ~1e-10 of ||S||, so 1e-8 relative is a safe bound that still catches any error in
// the right-hand side (a wrong sign or transpose gives O(1)).
constexpr double kTol = 1e-12;
constexpr double kRel = 1e-8;

class CovarianceOde : public ::testing::Test {
 protected:
  CovarianceOde()
      : lambda_(make_lambda()), q_(lambda_, random_orthogonal(5, 71), Vec::Zero(5)), D_(random_psd(5, 72)) {}
  static Vec make_lambda() {
    Vec l(5);
    l << 0.3, 1.0, 2.5, 4.0, 7.0;
    return l;
  }
  Vec lambda_;
  Quadratic q_;
  Mat D_;
  std::vector<double> times_{0.1, 0.5, 2.0, 5.0};
};

TEST_F(CovarianceOde, MatchesClosedFormFromZero) {
  const QuadraticMoments m(q_);
  const Mat zero = Mat::Zero(5, 5);
  for (double tau : times_) {
    const CovarianceOdeResult r = integrate_covariance(q_.H(), D_, zero, tau, kTol, kTol);
    ASSERT_TRUE(r.ok) << r.reason;
    EXPECT_GT(r.steps, 0u);
    EXPECT_LT(rel_err(r.S, m.continuous(D_, q_.stationary_point(), tau).cov), kRel) << "tau = " << tau;
  }
}

TEST_F(CovarianceOde, SeriesMatchesClosedForm) {
  const QuadraticMoments m(q_);
  const CovarianceOdeSeries r = integrate_covariance_at(q_.H(), D_, Mat::Zero(5, 5), times_, kTol, kTol);
  ASSERT_TRUE(r.ok) << r.reason;
  ASSERT_EQ(r.S.size(), times_.size());
  EXPECT_EQ(r.times, times_);
  for (std::size_t i = 0; i < times_.size(); ++i)
    EXPECT_LT(rel_err(r.S[i], m.continuous(D_, q_.stationary_point(), times_[i]).cov), kRel) << "tau = " << times_[i];
}

TEST_F(CovarianceOde, NonZeroStartDecaysAsPropagator) {
  // S(tau) = e^{-H tau} S0 e^{-H tau} + (closed form from S(0) = 0): the ODE is linear.
  const Mat S0 = random_psd(5, 73);
  const QuadraticMoments m(q_);
  for (double tau : times_) {
    const Mat E =
        q_.eigenvectors() * (-tau * lambda_.array()).exp().matrix().asDiagonal() * q_.eigenvectors().transpose();
    const Mat exact = E * S0 * E + m.continuous(D_, q_.stationary_point(), tau).cov;
    const CovarianceOdeResult r = integrate_covariance(q_.H(), D_, S0, tau, kTol, kTol);
    ASSERT_TRUE(r.ok) << r.reason;
    EXPECT_LT(rel_err(r.S, exact), kRel) << "tau = " << tau;
  }
}

TEST(CovarianceOdeGeneral, ApproachesLyapunovForNonSymmetricDrift) {
  const Index d = 4;
  Mat H(d, d);
  fill_normals(StreamCoords{81, Purpose::initial_state, 0}, 0, 0, H);
  const double min_re = Eigen::EigenSolver<Mat>(H, false).eigenvalues().real().minCoeff();
  H += (1.0 - min_re) * Mat::Identity(d, d);  // slowest real part 1
  const Mat D = random_psd(d, 82);
  const LyapunovResult st = solve_continuous_lyapunov(H, D);
  ASSERT_TRUE(st.ok) << st.reason;
  // At tau = 40 the transient is ~ e^{-80} (times a non-normal factor), far below kRel.
  const CovarianceOdeResult r = integrate_covariance(H, D, Mat::Zero(d, d), 40.0, kTol, kTol);
  ASSERT_TRUE(r.ok) << r.reason;
  EXPECT_LT(rel_err(r.S, st.S), kRel);
}

TEST(CovarianceOdeGeneral, EdgeCasesAndInvalidArguments) {
  const Mat H = Mat::Identity(2, 2), D = Mat::Identity(2, 2), S0 = 3.0 * Mat::Identity(2, 2);
  const CovarianceOdeResult r = integrate_covariance(H, D, S0, 0.0);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.steps, 0u);
  EXPECT_EQ(r.S, S0);
  EXPECT_THROW(integrate_covariance(H, D, S0, -1.0), std::invalid_argument);
  EXPECT_THROW(integrate_covariance(H, D, Mat::Identity(3, 3), 1.0), std::invalid_argument);
  EXPECT_THROW(integrate_covariance(H, D, S0, 1.0, 0.0, 1e-10), std::invalid_argument);
  EXPECT_THROW(integrate_covariance_at(H, D, S0, {1.0, 0.5}), std::invalid_argument);
  const CovarianceOdeSeries s = integrate_covariance_at(H, D, S0, {0.0, 1.0, 1.0});
  ASSERT_TRUE(s.ok) << s.reason;
  ASSERT_EQ(s.S.size(), 3u);
  EXPECT_EQ(s.S[0], S0);
  EXPECT_EQ(s.S[1], s.S[2]);
}

}  // namespace
}  // namespace sgdnoise
