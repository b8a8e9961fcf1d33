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

// ---- State-dependent diffusion A(x) ----

namespace {

/// L = (x^2 - 1)^2 + (kappa/2) (y - c (x^2 - 1))^2: minima (+-1, 0) with L = 0, the saddle
/// (0, -c) with L = 1; the valley y = c (x^2 - 1) couples the coordinates.
class CurvedWell : public Loss {
 public:
  static constexpr double kappa = 2.0, c = 0.5;
  std::string kind() const override { return "curved_well"; }
  Index dim() const override { return 2; }
  static double at(const Vec& t) {
    const double r = t[1] - c * (t[0] * t[0] - 1.0);
    return std::pow(t[0] * t[0] - 1.0, 2) + 0.5 * kappa * r * r;
  }
  static Vec grad(const Vec& t) {
    const double x = t[0], r = t[1] - c * (x * x - 1.0);
    return (Vec(2) << 4.0 * x * (x * x - 1.0) - 2.0 * c * kappa * x * r, kappa * r).finished();
  }
  void value(ConstBlockRef X, Eigen::Ref<Vec> out) const override {
    for (Index i = 0; i < X.rows(); ++i) out[i] = at(X.row(i).transpose());
  }
  void gradient(ConstBlockRef X, BlockRef G) const override {
    for (Index i = 0; i < X.rows(); ++i) G.row(i) = grad(X.row(i).transpose()).transpose();
  }
  Mat hessian(const Vec& t) const override {
    const double x = t[0], r = t[1] - c * (x * x - 1.0);
    Mat H(2, 2);
    H << 12.0 * x * x - 4.0 - 2.0 * c * kappa * r + 4.0 * c * c * kappa * x * x, -2.0 * c * kappa * x,
        -2.0 * c * kappa * x, kappa;
    return H;
  }
  static CriticalPoint point(double x, double y) {
    CriticalPoint p;
    p.theta = (Vec(2) << x, y).finished();
    p.value = at(p.theta);
    return p;
  }
};

}  // namespace

// 1-D, b = -U', U = (x^2 - 1)^2, A(x) = 1 + x^2: the geometric action uphill is
// int 2 |U'| / a dx, so V(x) - V(-1) = 4 [x^2 - 2 ln(1 + x^2) - 1 + 2 ln 2] in closed form
// (u = x^2), V(0) - V(-1) = 8 ln 2 - 4, at every point of the path; with d_x A given and by
// central differences.
TEST(Gmam, StateDependentOneDimensionalQuasiPotentialIsExact) {
  GmamDrift b;
  b.dim = 1;
  b.drift = [](ConstBlockRef X, BlockRef B) { B = -4.0 * X.array() * (X.array().square() - 1.0); };
  b.jacobian_vector = [](const Vec& x, const Vec& v) -> Vec { return -(12.0 * x[0] * x[0] - 4.0) * v; };
  b.jacobian_transpose_vector = b.jacobian_vector;
  GmamDiffusion a;
  a.dim = 1;
  a.shape = [](const Vec& x) -> Mat { return Mat::Constant(1, 1, 1.0 + x[0] * x[0]); };
  GmamDiffusion a_given = a;
  a_given.shape_derivative = [](const Vec& x, Index) -> Mat { return Mat::Constant(1, 1, 2.0 * x[0]); };
  auto V = [](double x) { return 4.0 * (x * x - 2.0 * std::log1p(x * x) - 1.0 + 2.0 * std::log(2.0)); };
  for (const GmamDiffusion* diffusion : {&a, &a_given}) {
    const GmamResult r = geometric_minimum_action(b, *diffusion, Vec::Constant(1, -1.0), Vec::Zero(1));
    ASSERT_TRUE(r.converged) << r.reason;
    EXPECT_NEAR(r.action, 8.0 * std::log(2.0) - 4.0, allowance(r));
    for (Index i = 0; i < r.path.rows(); ++i) EXPECT_NEAR(r.cumulative_action[i], V(r.path(i, 0)), allowance(r));
  }
}

// b = -grad L with A(x) = 2 (1 + L(x)) I on the curved well: b = -(A/2) grad V with
// V = ln(1 + L) solves H(x, grad V) = 0, so dV = ln(1 + L(saddle)) - ln(1 + L(min)) = ln 2 and the
// action to each point of the minimiser is ln(1 + L) there. The minimiser's tangent is -b
// (lambda phi' = b + A grad V), here grad L: the curve bends towards the valley, off the straight
// segment. quasi_potential_rate with D(x) = eps A(x) (central differences) agrees, with
// eps = tr D(min) / (2 tr I) = that eps. (Here grad A is parallel to grad L and the d_k A terms
// vanish on the minimiser; the next test is one where they do not.)
TEST(Gmam, StateDependentCurvedWellGivesTheLogBarrier) {
  const CurvedWell w;
  const GmamDrift b = preconditioned_gradient_drift(w);
  GmamDiffusion A;
  A.dim = 2;
  A.shape = [](const Vec& x) -> Mat { return 2.0 * (1.0 + CurvedWell::at(x)) * Mat::Identity(2, 2); };
  A.shape_derivative = [](const Vec& x, Index k) -> Mat { return 2.0 * CurvedWell::grad(x)[k] * Mat::Identity(2, 2); };
  const CriticalPoint lo = CurvedWell::point(-1.0, 0.0), s = CurvedWell::point(0.0, -CurvedWell::c);
  const GmamResult r = geometric_minimum_action(b, A, lo.theta, s.theta);
  ASSERT_TRUE(r.converged) << r.reason;
  EXPECT_NEAR(r.action, std::log(2.0), allowance(r));
  for (Index i = 0; i < r.path.rows(); ++i)
    EXPECT_NEAR(r.cumulative_action[i], std::log1p(CurvedWell::at(r.path.row(i).transpose())), allowance(r))
        << "point " << i;
  // Off the straight segment y = -c (x + 1) towards the valley y = c (x^2 - 1), and cheaper than it.
  const Index mid = r.path.rows() / 2;
  EXPECT_LT(r.path(mid, 1), -CurvedWell::c * (r.path(mid, 0) + 1.0) - 0.01);
  Mat seg(101, 2);
  for (Index i = 0; i < 101; ++i) {
    const double u = static_cast<double>(i) / 100.0;
    seg.row(i) = ((1.0 - u) * lo.theta + u * s.theta).transpose();
  }
  EXPECT_GT(geometric_action(b, A, seg), std::log(2.0) + 0.01);

  const double eps = 0.05;
  GmamResult rq;
  const RatePrediction q = quasi_potential_rate(
      w, lo, s, [&](const Vec& x) -> Mat { return eps * A.shape(x); }, Mat::Identity(2, 2), {}, &rq);
  ASSERT_TRUE(q.available) << q.reason;
  EXPECT_TRUE(q.exponent_only);
  EXPECT_NEAR(q.eps, eps, 1e-15);
  EXPECT_NEAR(q.barrier, std::log(2.0), allowance(rq));
  EXPECT_NEAR(q.log_rate, -std::log(2.0) / eps, allowance(rq) / eps);
  EXPECT_NE(q.note.find("state-dependent diffusion"), std::string::npos) << q.note;
  EXPECT_NE(q.source.find("state-dependent diffusion"), std::string::npos) << q.source;
}

// A state-dependent mobility, b = -m(x) grad L with A(x) = 2 m(x) I and m = 1 + (x - y)^2 on the
// curved well: b = -(A/2) grad L, so V = L and dV = 1, and the minimiser's tangent -b is along
// grad L: the same curve as for the constant b = -grad L, A = 2I. Here grad m is not parallel to
// grad L, so the d_k A terms do not vanish on the path: without them gMAM settles on another curve
// (3e-2 away, its action 2e-3 too high, ten times the allowance). The two discrete minimisers of
// one curve differ by O(h^2), h = 1/100.
TEST(Gmam, StateDependentMobilityKeepsTheLossAsQuasiPotential) {
  const CurvedWell w;
  auto m = [](const Vec& x) { return 1.0 + std::pow(x[0] - x[1], 2); };
  auto grad_m = [](const Vec& x) { return (Vec(2) << 2.0 * (x[0] - x[1]), -2.0 * (x[0] - x[1])).finished(); };
  GmamDrift b;
  b.dim = 2;
  b.drift = [&](ConstBlockRef X, BlockRef B) {
    for (Index i = 0; i < X.rows(); ++i) {
      const Vec x = X.row(i).transpose();
      B.row(i) = -m(x) * CurvedWell::grad(x).transpose();
    }
  };
  b.jacobian = [&](const Vec& x) -> Mat {
    return -(CurvedWell::grad(x) * grad_m(x).transpose() + m(x) * w.hessian(x));
  };
  b.jacobian_vector = [&](const Vec& x, const Vec& v) -> Vec { return b.jacobian(x) * v; };
  b.jacobian_transpose_vector = [&](const Vec& x, const Vec& v) -> Vec { return b.jacobian(x).transpose() * v; };
  GmamDiffusion A;
  A.dim = 2;
  A.shape = [&](const Vec& x) -> Mat { return 2.0 * m(x) * Mat::Identity(2, 2); };
  const CriticalPoint lo = CurvedWell::point(-1.0, 0.0), s = CurvedWell::point(0.0, -CurvedWell::c);
  const GmamResult r = geometric_minimum_action(b, A, lo.theta, s.theta);
  const GmamResult r0 =
      geometric_minimum_action(preconditioned_gradient_drift(w), 2.0 * Mat::Identity(2, 2), lo.theta, s.theta);
  ASSERT_TRUE(r.converged) << r.reason;
  ASSERT_TRUE(r0.converged) << r0.reason;
  EXPECT_NEAR(r.action, 1.0, allowance(r));
  for (Index i = 0; i < r.path.rows(); ++i)
    EXPECT_NEAR(r.cumulative_action[i], CurvedWell::at(r.path.row(i).transpose()), allowance(r)) << "point " << i;
  const double h = 1.0 / static_cast<double>(r.path.rows() - 1);
  EXPECT_LT((r.path - r0.path).cwiseAbs().maxCoeff(), h * h);
}

// A constant A through the state-dependent form (its central differences vanish exactly) gives
// the constant form's path and action, on a non-reversible case (b = -M grad L, A not
// proportional to M).
TEST(Gmam, StateDependentFormReproducesTheConstantCase) {
  const DoubleWell w = well(1.0, {4.0});
  Mat M(2, 2), A(2, 2);
  M << 0.8, 1.2, 1.2, 3.2;
  A << 3.0, -1.0, -1.0, 2.0;
  const GmamDrift b = preconditioned_gradient_drift(w, M);
  GmamDiffusion field;
  field.dim = 2;
  field.shape = [A](const Vec&) -> Mat { return A; };
  const GmamResult r0 = geometric_minimum_action(b, A, w.left_minimum().theta, w.saddle().theta);
  const GmamResult r1 = geometric_minimum_action(b, field, w.left_minimum().theta, w.saddle().theta);
  ASSERT_TRUE(r0.converged) << r0.reason;
  ASSERT_TRUE(r1.converged) << r1.reason;
  EXPECT_NEAR(r1.action / r0.action, 1.0, 1e-10);
  EXPECT_LT((r1.path - r0.path).cwiseAbs().maxCoeff(), 1e-8);
  EXPECT_NEAR(geometric_action(b, field, r0.path), r0.action, 1e-12 * r0.action);
}

// A(x) singular at the minimum (SGD noise vanishing at an interpolating minimum) or indefinite
// in a band the path crosses: unavailable, the reason naming the point.
TEST(Gmam, StateDependentRefusesNoiseThatIsNotPositiveDefinite) {
  const CurvedWell w;
  const CriticalPoint lo = CurvedWell::point(-1.0, 0.0), s = CurvedWell::point(0.0, -CurvedWell::c);
  const RatePrediction q = quasi_potential_rate(
      w, lo, s, [](const Vec& x) -> Mat { return 0.1 * CurvedWell::at(x) * Mat::Identity(2, 2); }, Mat::Identity(2, 2));
  EXPECT_FALSE(q.available);
  EXPECT_NE(q.reason.find("not symmetric positive definite at the minimum x = (-1, 0)"), std::string::npos) << q.reason;

  GmamDiffusion band;
  band.dim = 2;
  band.shape = [](const Vec& x) -> Mat {
    return (Vec(2) << 2.0, 2.0 * (std::abs(x[0] + 0.5) - 0.1)).finished().asDiagonal();
  };
  const GmamResult r = geometric_minimum_action(preconditioned_gradient_drift(w), band, lo.theta, s.theta);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.reason.find("not symmetric positive definite at x = (-0.6, -0.2) (point 40 of the path)"),
            std::string::npos)
      << r.reason;
  GmamResult rq;
  const RatePrediction qb = quasi_potential_rate(
      w, lo, s, [&](const Vec& x) -> Mat { return band.shape(x); }, Mat::Identity(2, 2), {}, &rq);
  EXPECT_FALSE(qb.available);
  EXPECT_NE(qb.reason.find("gMAM: the diffusion shape A(x) is not symmetric positive definite at x = (-0.6"),
            std::string::npos)
      << qb.reason;
}
