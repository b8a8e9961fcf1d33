// The geometric minimum action method (gMAM) and the quasi-potential exponent: reversible
// cases against dL, the Ornstein-Uhlenbeck quasi-potential (exact, non-reversible) against
// the Lyapunov solver, and anisotropic noise on the double well.
//
// Tolerances: the action of a converged discrete path is the midpoint rule on N - 1
// segments, second order in the spacing; the path itself is a minimiser, so its own O(h^2)
// error enters the action at O(h^4). Each comparison therefore allows 3x the Richardson
// estimate GmamResult::discretisation_error (|S_N - S_{N/2}| / 3) plus 1e-7 for the
// convergence tolerances, and the N-convergence test checks the error falls like h^2.
#include <gtest/gtest.h>

#include <cmath>

#include <unsupported/Eigen/KroneckerProduct>

#include "analysis/predictions/escape_time.hpp"
#include "analysis/predictions/gmam.hpp"
#include "analysis/predictions/lyapunov.hpp"
#include "losses/landscapes.hpp"

using namespace sgdnoise;

namespace {

DoubleWell well(double barrier, std::vector<double> transverse) {
  DoubleWell::Spec s;
  s.barrier = barrier;
  s.a = 1.0;
  s.transverse = Eigen::Map<const Vec>(transverse.data(), static_cast<Index>(transverse.size()));
  return DoubleWell(s);
}

double allowance(const GmamResult& r) { return 3.0 * r.discretisation_error + 1e-7; }

/// S with J S + S J^T + A = 0 by the Kronecker form (any J with lambda_i + lambda_j != 0; the
/// library's solver wants a stable J, and a saddle's is not).
Mat lyapunov_any(const Mat& J, const Mat& A) {
  const Index d = J.rows();
  const Mat I = Mat::Identity(d, d);
  const Mat K = Eigen::kroneckerProduct(I, J) + Eigen::kroneckerProduct(J, I);
  const Vec s = K.fullPivLu().solve(-Eigen::Map<const Vec>(A.data(), d * d));
  return Eigen::Map<const Mat>(s.data(), d, d);
}

}  // namespace

// 1-D, D = 2 eps: dV = dL to the midpoint rule's error, which falls like h^2 (4x from N = 41 to 81).
TEST(Gmam, ReversibleOneDimensionalWellGivesTheBarrier) {
  const DoubleWell w = well(1.3, {});
  const GmamDrift b = preconditioned_gradient_drift(w);
  const Mat A = 2.0 * Mat::Identity(1, 1);
  GmamOptions coarse;
  coarse.points = 41;
  GmamOptions fine;
  fine.points = 81;
  const GmamResult rc = geometric_minimum_action(b, A, w.left_minimum().theta, w.saddle().theta, coarse);
  const GmamResult rf = geometric_minimum_action(b, A, w.left_minimum().theta, w.saddle().theta, fine);
  ASSERT_TRUE(rc.converged) << rc.reason;
  ASSERT_TRUE(rf.converged) << rf.reason;
  const double ec = std::abs(rc.action - 1.3), ef = std::abs(rf.action - 1.3);
  EXPECT_LT(ef, allowance(rf));
  // The midpoint rule's own error on the straight path, (h^2/24) (L''(min) - L''(saddle)) =
  // (h^2/24) 12 dL: 1.016e-4 at h = 1/80; the path itself is exact (the x_1 axis).
  EXPECT_NEAR(rf.action - 1.3, 12.0 * 1.3 / (24.0 * 80.0 * 80.0), 1e-8);
  EXPECT_NEAR(ec / ef, 4.0, 0.3);  // second order
}

// 2-D well with a transverse curvature, M = I, D = 2 eps I: dV = dL; the path runs from the
// minimum to the saddle, the loss grows along it and the action to each point is the loss
// gained (V = L for a gradient flow).
TEST(Gmam, ReversibleTwoDimensionalWellPathClimbsTheLoss) {
  const DoubleWell w = well(1.0, {4.0});
  const GmamDrift b = preconditioned_gradient_drift(w);
  const Mat A = 2.0 * Mat::Identity(2, 2);
  const GmamResult r = geometric_minimum_action(b, A, w.left_minimum().theta, w.saddle().theta);
  ASSERT_TRUE(r.converged) << r.reason;
  EXPECT_NEAR(r.action, 1.0, allowance(r));
  EXPECT_LT((r.path.row(0).transpose() - w.left_minimum().theta).norm(), 1e-14);
  EXPECT_LT((r.path.row(r.path.rows() - 1).transpose() - w.saddle().theta).norm(), 1e-14);
  Vec L(r.path.rows());
  w.value(r.path, L);
  for (Index i = 1; i < L.size(); ++i) {
    EXPECT_GT(L[i], L[i - 1]) << "at point " << i;
    EXPECT_NEAR(r.cumulative_action[i], L[i] - L[0], allowance(r)) << "at point " << i;
  }
}

// Through the saddle to the other minimum: the downhill half costs nothing.
TEST(Gmam, PathThroughTheSaddleCostsTheBarrierOnly) {
  const DoubleWell w = well(0.8, {2.0});
  const GmamResult r = geometric_minimum_action(preconditioned_gradient_drift(w), 2.0 * Mat::Identity(2, 2),
                                                w.left_minimum().theta, w.right_minimum().theta);
  ASSERT_TRUE(r.converged) << r.reason;
  EXPECT_NEAR(r.action, 0.8, allowance(r));
}

// D = 2 eps M with a non-diagonal SPD M, drift -M grad L: still reversible, dV = dL, and the
// exponent equals Eyring-Kramers' dL/eps. The minimiser is the steepest ascent in the metric
// M^{-1}, which leaves the x_1 axis (the unstable direction of M H_s is not e_1).
TEST(Gmam, ReversibleWithAMatrixGivesTheBarrier) {
  const DoubleWell w = well(1.0, {4.0});
  Mat M(2, 2);
  M << 0.8, 1.2, 1.2, 3.2;
  const double eps = 0.2;
  GmamResult r;
  const RatePrediction q = quasi_potential_rate(w, w.left_minimum(), w.saddle(), 2.0 * eps * M, M, {}, &r);
  ASSERT_TRUE(q.available) << q.reason;
  EXPECT_TRUE(q.exponent_only);
  EXPECT_NEAR(q.eps, eps, 1e-14);
  EXPECT_NEAR(q.barrier, 1.0, allowance(r));
  const RatePrediction ek = eyring_kramers_for_diffusion(w.left_minimum().hessian, w.saddle().hessian,
                                                         w.barrier_from_left(), 2.0 * eps * M, M);
  ASSERT_TRUE(ek.available);
  EXPECT_NEAR(q.barrier_over_eps, ek.barrier_over_eps, allowance(r) / eps);
  EXPECT_NEAR(q.log_rate, -ek.barrier_over_eps, allowance(r) / eps);
  EXPECT_GT(r.path.col(1).cwiseAbs().maxCoeff(), 0.05);  // bent, not the straight segment
  EXPECT_EQ(q.note, "exponent only: dV from gMAM (Heymann & Vanden-Eijnden 2008); prefactor not computed");
}

// Ornstein-Uhlenbeck d x = -H x dtau + (eps A)^{1/2} dW: the stationary density is
// N(0, eps Sigma) with H Sigma + Sigma H^T = A, so V(x) = x^T Sigma^{-1} x / 2 exactly. Non-reversible
// for A not proportional to a metric that makes H self-adjoint: here a symmetric H with a
// non-diagonal A, and a non-normal H with A = I.
TEST(Gmam, OrnsteinUhlenbeckQuasiPotentialIsExact) {
  Mat H1(2, 2), A1(2, 2), H2(2, 2);
  H1 << 2.0, 0.5, 0.5, 1.0;
  A1 << 1.0, 0.6, 0.6, 0.5;
  H2 << 1.0, 2.0, 0.0, 1.5;
  const Vec x1 = (Vec(2) << 1.0, -0.7).finished();
  for (const auto& [H, A] : {std::pair{H1, A1}, std::pair{H2, Mat(Mat::Identity(2, 2))}}) {
    const LyapunovResult ly = solve_continuous_lyapunov(H, A);
    ASSERT_TRUE(ly.ok) << ly.reason;
    const double V = 0.5 * x1.dot(ly.S.ldlt().solve(x1));
    GmamOptions explicit_stiff;  // the scheme without the block-implicit stiff part agrees
    explicit_stiff.implicit_max_dim = 0;
    const GmamResult r0 = geometric_minimum_action(linear_drift(-H), A, Vec::Zero(2), x1, explicit_stiff);
    ASSERT_TRUE(r0.converged) << r0.reason;
    EXPECT_NEAR(r0.action, V, allowance(r0));
    const GmamResult r = geometric_minimum_action(linear_drift(-H), A, Vec::Zero(2), x1);
    ASSERT_TRUE(r.converged) << r.reason;
    EXPECT_NEAR(r.action, V, allowance(r)) << "H = " << H << "\nA = " << A;
    EXPECT_LT(r.discretisation_error, 1e-3 * V);
    // The action along the path is V at each point: the path is an uphill minimiser.
    for (Index i = 0; i < r.path.rows(); i += 10) {
      const Vec x = r.path.row(i).transpose();
      EXPECT_NEAR(r.cumulative_action[i], 0.5 * x.dot(ly.S.ldlt().solve(x)), allowance(r));
    }
  }
}

// Anisotropic noise on the separable double well (M = I): with a diagonal D the minimiser
// stays on the x_1 axis, where the dynamics is 1-D with diffusion D_11, so dV/eps = 2 dL / D_11
// exactly. Noise aligned with H_min = diag(8, 4) and isotropic noise of equal trace give
// different exponents; a rotated D bends the path and lowers the action below the straight
// segment's.
TEST(Gmam, AnisotropicNoiseChangesTheExponent) {
  const DoubleWell w = well(1.0, {4.0});
  const Mat I = Mat::Identity(2, 2);
  const double t = 0.6;  // tr D
  const Mat D_iso = 0.5 * t * I;
  const Mat D_h = t / 12.0 * w.left_minimum().hessian;  // diag(8, 4) t / 12
  GmamResult r_iso, r_h;
  const RatePrediction iso = quasi_potential_rate(w, w.left_minimum(), w.saddle(), D_iso, I, {}, &r_iso);
  const RatePrediction hal = quasi_potential_rate(w, w.left_minimum(), w.saddle(), D_h, I, {}, &r_h);
  ASSERT_TRUE(iso.available) << iso.reason;
  ASSERT_TRUE(hal.available) << hal.reason;
  EXPECT_NEAR(iso.barrier_over_eps, 2.0 / D_iso(0, 0), allowance(r_iso) / iso.eps);
  EXPECT_NEAR(hal.barrier_over_eps, 2.0 / D_h(0, 0), allowance(r_h) / hal.eps);
  EXPECT_GT(iso.barrier_over_eps - hal.barrier_over_eps, 1.0);  // 6.67 against 5

  const double c = std::cos(0.6), s = std::sin(0.6);
  Mat R(2, 2);
  R << c, -s, s, c;
  const Mat D_rot = R * D_h * R.transpose();
  GmamResult r_rot;
  const RatePrediction rot = quasi_potential_rate(w, w.left_minimum(), w.saddle(), D_rot, I, {}, &r_rot);
  ASSERT_TRUE(rot.available) << rot.reason;
  const Mat A_rot = D_rot / rot.eps;
  const Mat straight = (Mat(2, 2) << -1.0, 0.0, 0.0, 0.0).finished();
  Mat seg(101, 2);
  for (Index i = 0; i < 101; ++i) {
    const double u = static_cast<double>(i) / 100.0;
    seg.row(i) = (1.0 - u) * straight.row(0) + u * straight.row(1);
  }
  const double straight_action = geometric_action(preconditioned_gradient_drift(w), A_rot, seg);
  EXPECT_LT(rot.barrier, straight_action - 0.01);
  EXPECT_GT(r_rot.path.col(1).cwiseAbs().maxCoeff(), 0.01);
  EXPECT_GT(std::abs(rot.barrier_over_eps - iso.barrier_over_eps), 0.5);
}

// A drift that is not a gradient in any metric but keeps the Gibbs density: b = -(I + K) grad L
// with K antisymmetric and A = 2I. Then V = L (<K grad L, grad L> = 0 solves the Hamilton-Jacobi
// equation), so dV = dL, although the minimiser is not the steepest-ascent path: it runs against
// the rotated drift b' = -(I - K) grad L, off the x_1 axis.
TEST(Gmam, NonReversibleDriftWithGibbsDensityGivesTheBarrier) {
  const DoubleWell w = well(1.0, {4.0});
  Mat IK(2, 2);
  IK << 1.0, 1.5, -1.5, 1.0;
  const GmamResult r = geometric_minimum_action(preconditioned_gradient_drift(w, IK), 2.0 * Mat::Identity(2, 2),
                                                w.left_minimum().theta, w.saddle().theta);
  ASSERT_TRUE(r.converged) << r.reason;
  EXPECT_NEAR(r.action, 1.0, allowance(r));
  EXPECT_GT(r.path.col(1).cwiseAbs().maxCoeff(), 0.05);
  Vec L(r.path.rows());
  w.value(r.path, L);
  for (Index i = 0; i < L.size(); i += 10) EXPECT_NEAR(r.cumulative_action[i], L[i] - L[0], allowance(r));
}

// Non-reversible and nonlinear (drift -M grad L, isotropic noise): near either end the
// quasi-potential is the quadratic form of the linearisation, V - V(c) = (1/2) x^T S^{-1} x with
// J S + S J^T + A = 0, J = -M H(c) (a minimum's S is the stationary covariance; a saddle's has
// one negative eigenvalue). The action along the path agrees to relative order |x| (the cubic
// term of V).
TEST(Gmam, NonReversibleWellMatchesTheLinearisationsAtBothEnds) {
  const DoubleWell w = well(1.0, {4.0});
  Mat M(2, 2);
  M << 0.8, 1.2, 1.2, 3.2;
  const Mat A = 4.0 * Mat::Identity(2, 2);
  const GmamResult r =
      geometric_minimum_action(preconditioned_gradient_drift(w, M), A, w.left_minimum().theta, w.saddle().theta);
  ASSERT_TRUE(r.converged) << r.reason;
  const Mat Sm = lyapunov_any(-M * w.left_minimum().hessian, A);
  const Mat Ss = lyapunov_any(-M * w.saddle().hessian, A);
  const Index n = r.path.rows();
  for (Index i = 1; i <= 5; ++i) {
    const Vec x = r.path.row(i).transpose() - w.left_minimum().theta;
    const double q = 0.5 * x.dot(Sm.fullPivLu().solve(x));
    EXPECT_NEAR(r.cumulative_action[i] / q, 1.0, x.norm()) << "point " << i;
    const Vec y = r.path.row(n - 1 - i).transpose() - w.saddle().theta;
    const double qs = 0.5 * y.dot(Ss.fullPivLu().solve(y));
    EXPECT_NEAR((r.cumulative_action[n - 1 - i] - r.action) / qs, 1.0, y.norm()) << "point " << n - 1 - i;
  }
}

// Ten coordinates, stiff (transverse curvatures 0.5 to 20, a non-diagonal M), D = 2 eps M:
// dV = dL; the block-implicit step converges in a few hundred steps (the explicit one needs
// tens of thousands here).
TEST(Gmam, StiffTenDimensionalWell) {
  std::vector<double> kappa(9);
  for (std::size_t i = 0; i < kappa.size(); ++i) kappa[i] = 0.5 + 19.5 * static_cast<double>(i) / 8.0;
  const DoubleWell w = well(1.0, kappa);
  Mat M = Mat::Identity(10, 10);
  for (Index i = 0; i + 1 < 10; ++i) M(i, i + 1) = M(i + 1, i) = 0.3;
  GmamOptions opt;
  opt.points = 61;
  const GmamResult r = geometric_minimum_action(preconditioned_gradient_drift(w, M), 2.0 * M, w.left_minimum().theta,
                                                w.saddle().theta, opt);
  ASSERT_TRUE(r.converged) << r.reason;
  EXPECT_NEAR(r.action, 1.0, allowance(r));
  EXPECT_LT(r.iterations, 2000);
}

// Bad input is unavailable with a reason, never a number.
TEST(Gmam, RefusesDegenerateNoise) {
  const DoubleWell w = well(1.0, {4.0});
  Mat D = Mat::Zero(2, 2);
  D(0, 0) = 0.3;
  const RatePrediction q = quasi_potential_rate(w, w.left_minimum(), w.saddle(), D, Mat::Identity(2, 2));
  EXPECT_FALSE(q.available);
  EXPECT_NE(q.reason.find("positive definite"), std::string::npos) << q.reason;
}
