// SDE schemes (Euler-Maruyama with Gaussian increments, Milstein, the weak order-2 scheme),
// the stochastic modified equations and the dopri5 flows.
//
// Orders are fitted from exact expectations: on linear SDEs one step of each scheme is an
// affine (OU) or multiplicative (GBM) map of the Gaussian increments, which the tests first
// check against the code path by path (same draws, recomputed from their stream coordinates),
// and whose moments then follow by exact recursion, free of Monte Carlo noise. The strong
// order (Milstein vs Euler-Maruyama on geometric Brownian motion) is Monte Carlo, with the
// exact solution driven by the same Brownian path and a 5-sigma tolerance.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <unsupported/Eigen/MatrixFunctions>

#include "analysis/predictions/quadratic_moments.hpp"
#include "dynamics/ensemble.hpp"
#include "dynamics/flows.hpp"
#include "dynamics/sde_schemes.hpp"
#include "losses/quadratic.hpp"
#include "noise/gaussian.hpp"
#include "scenario/runner.hpp"
#include "test_util.hpp"

using namespace sgdnoise;

namespace {

/// Gradient noise with C(theta) = diag(c_i(theta)) / eta, i.e. D = diag(c_i(theta)): a test
/// model of state-dependent (multiplicative) noise.
class DiagonalStateNoise final : public NoiseModel {
 public:
  using Fn = std::function<Vec(const Vec&)>;  // theta -> diagonal of D
  DiagonalStateNoise(Index d, double eta, Fn f)
      : NoiseModel(NoiseTarget::gradient), d_(d), eta_(eta), f_(std::move(f)) {}
  std::string kind() const override { return "test_diagonal_state"; }
  Index dim() const override { return d_; }
  void add_sample(const StreamCoords& s, RowIds traj, ConstBlockRef X, double scale, BlockRef out) const override {
    Mat Z(X.rows(), d_);
    fill_normals(s, traj, 0, Z);
    for (Index i = 0; i < X.rows(); ++i) {
      const Vec c = f_(X.row(i).transpose()) / eta_;
      out.row(i) += scale * (c.cwiseSqrt().cwiseProduct(Z.row(i).transpose())).transpose();
    }
  }
  std::optional<Mat> covariance(const Vec& theta) const override { return Mat(f_(theta).asDiagonal()) / eta_; }
  bool constant_covariance() const override { return false; }

 private:
  Index d_;
  double eta_;
  Fn f_;
};

/// A full state-dependent covariance D(theta) = eta C(theta) (non-commutative noise).
class FullStateNoise final : public NoiseModel {
 public:
  FullStateNoise(double eta) : NoiseModel(NoiseTarget::gradient), eta_(eta) {}
  std::string kind() const override { return "test_full_state"; }
  Index dim() const override { return 2; }
  void add_sample(const StreamCoords&, RowIds, ConstBlockRef, double, BlockRef) const override {}
  std::optional<Mat> covariance(const Vec& t) const override {
    Mat D(2, 2);
    D << 1.0 + 0.5 * t[1] * t[1], 0.3 * std::tanh(t[0]), 0.3 * std::tanh(t[0]), 0.8 + 0.2 * t[0] * t[0];
    return Mat(D / eta_);
  }
  bool constant_covariance() const override { return false; }

 private:
  double eta_;
};

class NoCovarianceNoise final : public NoiseModel {
 public:
  NoCovarianceNoise() : NoiseModel(NoiseTarget::gradient) {}
  std::string kind() const override { return "test_heavy"; }
  Index dim() const override { return 1; }
  void add_sample(const StreamCoords&, RowIds, ConstBlockRef, double, BlockRef) const override {}
  std::optional<Mat> covariance(const Vec&) const override { return std::nullopt; }
  bool constant_covariance() const override { return true; }
};

std::shared_ptr<const Quadratic> quadratic(const Vec& lambda, const Mat& U, const Vec& theta_star) {
  return std::make_shared<Quadratic>(lambda, U, theta_star);
}

Mat rotation(double a) {
  Mat U(2, 2);
  U << std::cos(a), -std::sin(a), std::sin(a), std::cos(a);
  return U;
}

Mat ipow(const Mat& A, int k) {
  Mat P = Mat::Identity(A.rows(), A.cols());
  for (int i = 0; i < k; ++i) P = P * A;
  return P;
}

SdeSpec spec_of(SdeScheme s, int m, SdeDrift drift = SdeDrift::gradient) {
  SdeSpec sp;
  sp.scheme = s;
  sp.substeps = m;
  sp.drift = drift;
  sp.kind = to_string(s);
  return sp;
}

/// One unit of k for a single trajectory with index `traj` from theta.
Vec one_step(const Stepper& st, std::uint64_t seed, std::uint64_t traj, const Vec& theta) {
  Mat X = theta.transpose();
  st.advance(seed, 0, traj, X);
  return X.row(0).transpose();
}

// ---- geometric Brownian motion dX = mu X dt + sigma X dW ---------------------------------
constexpr double kMu = 0.5, kSigma = 0.8;

std::shared_ptr<const Quadratic> gbm_loss() {  // L = -mu/2 x^2: drift mu x
  return quadratic(Vec::Constant(1, -kMu), Mat::Identity(1, 1), Vec::Zero(1));
}
std::shared_ptr<const NoiseModel> gbm_noise(double eta) {  // D = sigma^2 x^2
  return std::make_shared<DiagonalStateNoise>(1, eta,
                                              [](const Vec& t) { return Vec(kSigma * kSigma * t.cwiseAbs2()); });
}

/// The one-step multiplier phi = c0 + c1 dW + c2 dW^2 of each scheme on GBM (x > 0):
///   EM       1 + mu h + sigma dW
///   Milstein 1 + mu h + sigma dW + sigma^2/2 (dW^2 - h)
///   weak2    1 + mu h + mu^2 h^2 / 2 + sigma (1 + mu h) dW + sigma^2/2 (dW^2 - h)  (K&P 15.1 by hand)
std::array<double, 3> gbm_phi(SdeScheme s, double h) {
  switch (s) {
    case SdeScheme::euler_maruyama:
      return {1.0 + kMu * h, kSigma, 0.0};
    case SdeScheme::milstein:
      return {1.0 + kMu * h - 0.5 * kSigma * kSigma * h, kSigma, 0.5 * kSigma * kSigma};
    case SdeScheme::weak2:
      return {1.0 + kMu * h + 0.5 * kMu * kMu * h * h - 0.5 * kSigma * kSigma * h, kSigma * (1.0 + kMu * h),
              0.5 * kSigma * kSigma};
  }
  return {};
}

}  // namespace

TEST(SdeSchemes, OneStepOnGbmMatchesTheSchemeFormulaPathByPath) {
  const double h = 0.05;
  const std::uint64_t seed = 11;
  for (SdeScheme s : {SdeScheme::euler_maruyama, SdeScheme::milstein, SdeScheme::weak2}) {
    SdeStepper st(gbm_loss(), gbm_noise(h), h, spec_of(s, 1));
    Mat Z(64, 1);
    fill_normals({seed, Purpose::sde_increment, 0}, 0, 0, Z);
    const auto c = gbm_phi(s, h);
    for (Index i = 0; i < 64; ++i) {
      const double x0 = 1.5;
      const double dw = std::sqrt(h) * Z(i, 0);
      const double expect = x0 * (c[0] + c[1] * dw + c[2] * dw * dw);
      const double got = one_step(st, seed, static_cast<std::uint64_t>(i), Vec::Constant(1, x0))[0];
      // Milstein's L b comes from central differences of b (relative error ~1e-10).
      EXPECT_NEAR(got, expect, s == SdeScheme::milstein ? 1e-8 : 1e-12) << to_string(s) << " path " << i;
    }
  }
}

TEST(SdeSchemes, WeakOrderOnGbmFromExactExpectations) {
  // E X_T = x0 (E phi)^n, E X_T^2 = x0^2 (E phi^2)^n with dW ~ N(0, h): E dW^2 = h, E dW^4 = 3h^2.
  const double T = 1.0;
  for (SdeScheme s : {SdeScheme::euler_maruyama, SdeScheme::milstein, SdeScheme::weak2}) {
    std::vector<double> hs, e1, e2;
    for (int n : {8, 16, 32, 64, 128}) {
      const double h = T / n;
      const auto c = gbm_phi(s, h);
      const double m1 = c[0] + c[2] * h;
      const double m2 = c[0] * c[0] + c[1] * c[1] * h + 2.0 * c[0] * c[2] * h + 3.0 * c[2] * c[2] * h * h;
      hs.push_back(h);
      e1.push_back(std::abs(std::pow(m1, n) - std::exp(kMu * T)));
      e2.push_back(std::abs(std::pow(m2, n) - std::exp((2.0 * kMu + kSigma * kSigma) * T)));
    }
    const double nominal = nominal_orders(s).weak;
    const double p1 = test::loglog_slope(hs, e1), p2 = test::loglog_slope(hs, e2);
    std::printf("GBM weak order %-15s E X: %.3f  E X^2: %.3f (nominal %.1f)\n", to_string(s), p1, p2, nominal);
    EXPECT_NEAR(p1, nominal, 0.1) << to_string(s);
    EXPECT_NEAR(p2, nominal, 0.1) << to_string(s);
  }
}

TEST(SdeSchemes, StrongOrderMilsteinVersusEulerOnGbmWithCoupledPaths) {
  // Each scheme and the exact solution x0 exp((mu - sigma^2/2) T + sigma W_T) share W: W_T is the
  // sum of the increments the scheme drew (recomputed from their stream coordinates).
  const double T = 1.0, x0 = 1.0;
  const Index N = 4000;
  const std::uint64_t seed = 5;
  for (SdeScheme s : {SdeScheme::euler_maruyama, SdeScheme::milstein}) {
    std::vector<double> hs, err, rel_se;
    for (int m : {4, 8, 16, 32, 64}) {
      SdeStepper st(gbm_loss(), gbm_noise(T), T, spec_of(s, m));
      Mat X = Mat::Constant(N, 1, x0);
      st.advance(seed, 0, 0, X);
      Vec W = Vec::Zero(N);
      Mat Z(N, 1);
      for (int sub = 0; sub < m; ++sub) {
        fill_normals({seed, Purpose::sde_increment, static_cast<std::uint64_t>(sub)}, 0, 0, Z);
        W += std::sqrt(T / m) * Z.col(0);
      }
      const Vec exact = x0 * ((kMu - 0.5 * kSigma * kSigma) * T + kSigma * W.array()).exp();
      const Vec e = (X.col(0) - exact).cwiseAbs();
      const double mean = e.mean();
      const double se =
          std::sqrt((e.array() - mean).square().sum() / static_cast<double>(N - 1) / static_cast<double>(N));
      hs.push_back(T / m);
      err.push_back(mean);
      rel_se.push_back(se / mean);
    }
    // Standard error of the OLS slope from the relative standard errors of the levels (treated
    // as independent; the levels share draws, which makes this conservative for a contrast).
    double mx = 0;
    for (double h : hs) mx += std::log(h) / static_cast<double>(hs.size());
    double sxx = 0;
    for (double h : hs) sxx += (std::log(h) - mx) * (std::log(h) - mx);
    double var = 0;
    for (std::size_t i = 0; i < hs.size(); ++i) var += std::pow((std::log(hs[i]) - mx) / sxx * rel_se[i], 2);
    const double slope = test::loglog_slope(hs, err), se = std::sqrt(var);
    const double nominal = nominal_orders(s).strong;
    std::printf("GBM strong order %-15s %.3f +- %.3f (nominal %.1f); error at h = 1/64: %.3g\n", to_string(s), slope,
                se, nominal, err.back());
    // 5 sigma of Monte Carlo, plus 0.05 for the pre-asymptotic bend of the error curve.
    EXPECT_NEAR(slope, nominal, 5.0 * se + 0.05) << to_string(s);
  }
}

TEST(SdeSchemes, OneStepOnOuIsTheExpectedAffineMapOfTheIncrements) {
  // 2-D OU with a non-diagonal H and a constant non-commuting D: after m sub-steps from theta,
  //   EM, Milstein: e' = A^m e + sum_s A^{m-1-s} B dW_s,                A = I - hH
  //   weak2:        e' = A2^m e + sum_s A2^{m-1-s} (I - hH/2) B dW_s,   A2 = I - hH + h^2 H^2 / 2
  // (modified drift: H -> H + eta/2 H^2), B the factor the stepper uses.
  const Vec theta_star = (Vec(2) << 0.3, -0.2).finished();
  auto q = quadratic((Vec(2) << 2.0, 0.5).finished(), rotation(0.4), theta_star);
  const double eta = 0.1;
  auto noise = std::make_shared<GaussianNoise>(
      GaussianNoise::from_factor((Mat(2, 2) << 1.0, 0.0, 0.6, 0.8).finished(), NoiseTarget::gradient));
  const int m = 3;
  const double h = eta / m;
  const Mat I = Mat::Identity(2, 2);
  for (SdeDrift drift : {SdeDrift::gradient, SdeDrift::modified}) {
    const Mat H = drift == SdeDrift::gradient ? q->H() : Mat(q->H() + 0.5 * eta * q->H() * q->H());
    for (SdeScheme s : {SdeScheme::euler_maruyama, SdeScheme::milstein, SdeScheme::weak2}) {
      SdeStepper st(q, noise, eta, spec_of(s, m, drift));
      const Mat& B = st.diffusion().constant_factor();
      const Mat A = s == SdeScheme::weak2 ? Mat(I - h * H + 0.5 * h * h * H * H) : Mat(I - h * H);
      const Mat G = s == SdeScheme::weak2 ? Mat(I - 0.5 * h * H) : I;
      for (std::uint64_t traj : {0u, 7u}) {
        const Vec theta = (Vec(2) << 1.0, 2.0).finished();
        Vec expect = ipow(A, m) * (theta - theta_star);
        Mat Z(1, B.cols());
        for (int sub = 0; sub < m; ++sub) {
          fill_normals({3, Purpose::sde_increment, static_cast<std::uint64_t>(sub)}, traj, 0, Z);
          expect += ipow(A, m - 1 - sub) * G * B * (std::sqrt(h) * Z.row(0).transpose());
        }
        const Vec got = one_step(st, 3, traj, theta) - theta_star;
        EXPECT_LT((got - expect).cwiseAbs().maxCoeff(), 1e-13) << to_string(s);
      }
    }
  }
}

TEST(SdeSchemes, WeakOrderOnOuFromExactMomentRecursions) {
  // Mean and covariance of the iterates of the affine maps above (checked against the code),
  // against the exact OU moments at tau = 1 (Gardiner 4.5.6; QuadraticMoments::continuous).
  const Vec theta_star = Vec::Zero(2);
  auto q = quadratic((Vec(2) << 2.0, 0.5).finished(), rotation(0.4), theta_star);
  Mat B(2, 2);
  B << 1.0, 0.0, 0.6, 0.8;
  const Mat D = B * B.transpose();
  const Vec theta0 = (Vec(2) << 1.0, 2.0).finished();
  const Moments exact = QuadraticMoments(*q).continuous(D, theta0, 1.0);
  const Mat H = q->H(), I = Mat::Identity(2, 2);
  for (SdeScheme s : {SdeScheme::euler_maruyama, SdeScheme::weak2}) {
    std::vector<double> hs, err;
    for (int n : {8, 16, 32, 64, 128}) {
      const double h = 1.0 / n;
      const Mat A = s == SdeScheme::weak2 ? Mat(I - h * H + 0.5 * h * h * H * H) : Mat(I - h * H);
      const Mat G = s == SdeScheme::weak2 ? Mat(I - 0.5 * h * H) : I;
      Vec mean = theta0;
      Mat S = Mat::Zero(2, 2);
      for (int k = 0; k < n; ++k) {
        mean = A * mean;
        S = A * S * A.transpose() + h * G * D * G.transpose();
      }
      hs.push_back(h);
      err.push_back(std::max((mean - exact.mean).norm(), (S - exact.cov).norm()));
    }
    const double p = test::loglog_slope(hs, err);
    std::printf("OU weak order %-15s %.3f (nominal %.1f)\n", to_string(s), p, nominal_orders(s).weak);
    EXPECT_NEAR(p, nominal_orders(s).weak, 0.1);
  }
}

TEST(SdeSchemes, SmeOrdersAgainstExactSgdMoments) {
  // SGD on a quadratic with constant C has exact moments (docs/theory.md 1.4 item 2); SME order 1
  // (OU with H, D = eta C) and order 2 (OU with H + eta/2 H^2, same D; Li, Tai & E 2017, Thm 1)
  // have exact OU moments. E theta and E theta theta^T at tau = 1 converge at order 1 and 2 in eta.
  const Mat U = rotation(0.3);
  const Vec lambda = (Vec(2) << 2.0, 0.7).finished();
  const Vec theta_star = Vec::Zero(2);
  auto q = quadratic(lambda, U, theta_star);
  Mat C(2, 2);
  C << 1.0, 0.4, 0.4, 0.5;
  const Vec theta0 = (Vec(2) << 1.0, -1.5).finished();
  for (int order : {1, 2}) {
    std::vector<double> etas, err;
    for (double eta : {0.1, 0.05, 0.025, 0.0125, 0.00625}) {
      const auto k = static_cast<std::int64_t>(std::llround(1.0 / eta));
      const Moments sgd = QuadraticMoments(*q).discrete(eta, eta * eta * C, theta0, k);
      const Vec lam = order == 1 ? lambda : Vec(lambda.array() + 0.5 * eta * lambda.array().square());
      const Quadratic qm(lam, U, theta_star);
      const Moments sme = QuadraticMoments(qm).continuous(eta * C, theta0, 1.0);
      const Mat m2_sgd = sgd.cov + sgd.mean * sgd.mean.transpose();
      const Mat m2_sme = sme.cov + sme.mean * sme.mean.transpose();
      etas.push_back(eta);
      err.push_back(std::max((sgd.mean - sme.mean).norm(), (m2_sgd - m2_sme).norm()));
    }
    const double p = test::loglog_slope(etas, err);
    std::printf("SME order %d: fitted weak order in eta %.3f\n", order, p);
    EXPECT_NEAR(p, order, 0.1);
  }
  // The stepper's modified drift is -(grad L + eta/2 H grad L).
  const double eta = 0.1;
  SdeStepper st(q, nullptr, eta, spec_of(SdeScheme::weak2, 1, SdeDrift::modified));
  Mat X = theta0.transpose(), Mu(1, 2);
  st.drift(X, Mu);
  const Vec expect = -(q->H() + 0.5 * eta * q->H() * q->H()) * theta0;
  EXPECT_LT((Mu.row(0).transpose() - expect).norm(), 1e-14);
}

TEST(SdeSchemes, MilsteinAcceptsDiagonalAndRefusesNonCommutativeNoise) {
  const double eta = 0.1;
  auto loss = quadratic((Vec(2) << 1.0, 2.0).finished(), Mat::Identity(2, 2), Vec::Zero(2));
  // Diagonal noise in K&P's sense: b_kk depends on theta_k only. Commutative.
  auto diag = std::make_shared<DiagonalStateNoise>(
      2, eta, [](const Vec& t) { return Vec((1.0 + t.array().square()).matrix()); });
  SdeStepper ok(loss, diag, eta, spec_of(SdeScheme::milstein, 1), Vec::Zero(2));
  EXPECT_LT(ok.commutativity_defect((Vec(2) << 0.4, -1.2).finished()), 1e-7);
  // One Milstein step equals the diagonal formula y + a h + b dW + 1/2 b b' (dW^2 - h).
  const Vec y = (Vec(2) << 0.4, -1.2).finished();
  Mat Z(1, 2);
  fill_normals({9, Purpose::sde_increment, 0}, 4, 0, Z);
  const Vec got = one_step(ok, 9, 4, y);
  for (Index k = 0; k < 2; ++k) {
    const double b = std::sqrt(1.0 + y[k] * y[k]), db = y[k] / b, dw = std::sqrt(eta) * Z(0, k);
    const double a = -(k == 0 ? 1.0 : 2.0) * y[k];
    EXPECT_NEAR(got[k], y[k] + a * eta + b * dw + 0.5 * b * db * (dw * dw - eta), 1e-9);
  }
  // Diagonal D whose entries depend on the other coordinate: not commutative.
  auto cross = std::make_shared<DiagonalStateNoise>(
      2, eta, [](const Vec& t) { return Vec((Vec(2) << 1.0 + t[1] * t[1], 1.0 + t[0] * t[0]).finished()); });
  try {
    SdeStepper bad(loss, cross, eta, spec_of(SdeScheme::milstein, 1), Vec::Zero(2));
    FAIL() << "non-commutative noise accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("commutative"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)SdeStepper(loss, std::make_shared<FullStateNoise>(eta), eta, spec_of(SdeScheme::milstein, 1)),
               std::invalid_argument);
  // The weak scheme takes it; noise without a covariance is refused by every scheme.
  EXPECT_NO_THROW((void)SdeStepper(loss, std::make_shared<FullStateNoise>(eta), eta, spec_of(SdeScheme::weak2, 1)));
  EXPECT_THROW((void)SdeStepper(quadratic(Vec::Ones(1), Mat::Identity(1, 1), Vec::Zero(1)),
                                std::make_shared<NoCovarianceNoise>(), eta, spec_of(SdeScheme::euler_maruyama, 1)),
               std::invalid_argument);
}

TEST(SdeSchemes, StateDependentEulerUsesTheSquareRootOfDAtEachPoint) {
  // b(theta) b(theta)^T = D(theta) per trajectory: one EM step from theta is y + a h + D(y)^{1/2} dW.
  const double eta = 0.05;
  auto loss = quadratic((Vec(2) << 1.0, 2.0).finished(), rotation(0.2), Vec::Zero(2));
  auto noise = std::make_shared<FullStateNoise>(eta);
  SdeStepper st(loss, noise, eta, spec_of(SdeScheme::euler_maruyama, 1));
  for (const Vec& y : {Vec((Vec(2) << 0.5, -1.0).finished()), Vec((Vec(2) << -2.0, 0.3).finished())}) {
    Mat b;
    st.diffusion().factor(y, b);
    EXPECT_LT((b * b.transpose() - eta * *noise->covariance(y)).norm(), 1e-12);
    Mat Z(1, 2);
    fill_normals({2, Purpose::sde_increment, 0}, 1, 0, Z);
    const Vec expect = y - eta * loss->H() * y + b * (std::sqrt(eta) * Z.row(0).transpose());
    EXPECT_LT((one_step(st, 2, 1, y) - expect).norm(), 1e-13);
  }
}

TEST(SdeSchemes, Weak2WithNonCommutativeNoiseMatchesEulerMomentsInTheLimit) {
  // A Monte Carlo consistency check of the multi-noise weak-2 path (V draws, cross terms):
  // its one-unit mean and covariance agree, within 5 sigma, with a fine Euler-Maruyama run
  // (weak error ~ dt) of the same SDE.
  const double eta = 0.2;
  auto loss = quadratic((Vec(2) << 1.0, 0.5).finished(), rotation(0.2), Vec::Zero(2));
  auto noise = std::make_shared<FullStateNoise>(eta);
  const Index N = 10000;
  const Vec y = (Vec(2) << 0.8, -0.6).finished();
  auto moments = [&](SdeScheme s, int m, Vec& mean, Vec& var) {
    SdeStepper st(loss, noise, eta, spec_of(s, m));
    Mat X = y.transpose().replicate(N, 1);
    st.advance(21, 0, 0, X);
    mean = X.colwise().mean().transpose();
    var = (X.rowwise() - mean.transpose()).array().square().colwise().sum().transpose() / static_cast<double>(N - 1);
  };
  Vec m2, v2, me, ve;
  moments(SdeScheme::weak2, 2, m2, v2);
  moments(SdeScheme::euler_maruyama, 16, me, ve);
  for (Index k = 0; k < 2; ++k) {
    const double se = std::sqrt((v2[k] + ve[k]) / static_cast<double>(N));
    EXPECT_NEAR(m2[k], me[k], 5.0 * se);
    EXPECT_NEAR(v2[k], ve[k], 5.0 * std::sqrt(2.0 / static_cast<double>(N)) * (v2[k] + ve[k]));
  }
}

TEST(SdeSchemes, IdenticalAcrossBlockSplitsAndThreads) {
  const double eta = 0.1;
  auto loss = quadratic((Vec(2) << 1.0, 0.5).finished(), rotation(0.2), Vec::Zero(2));
  auto diag = std::make_shared<DiagonalStateNoise>(
      2, eta, [](const Vec& t) { return Vec((1.0 + t.array().square()).matrix()); });
  auto full = std::make_shared<FullStateNoise>(eta);
  std::vector<std::unique_ptr<Stepper>> steppers;
  steppers.push_back(std::make_unique<SdeStepper>(loss, full, eta, spec_of(SdeScheme::euler_maruyama, 2)));
  steppers.push_back(std::make_unique<SdeStepper>(loss, diag, eta, spec_of(SdeScheme::milstein, 2)));
  steppers.push_back(std::make_unique<SdeStepper>(loss, full, eta, spec_of(SdeScheme::weak2, 2)));
  steppers.push_back(std::make_unique<SdeStepper>(loss, full, eta, spec_of(SdeScheme::weak2, 2, SdeDrift::modified)));
  steppers.push_back(std::make_unique<FlowStepper>(loss, eta, FlowKind::modified));
  for (const auto& st : steppers) {
    const Index N = 37, d = 2;
    Mat X0 = Mat::Zero(N, d + st->extra_columns());
    for (Index i = 0; i < N; ++i) X0.row(i).head(d) << 1.0 + 0.01 * static_cast<double>(i), -0.5;
    std::vector<Mat> finals;
    const std::vector<std::pair<Index, int>> splits = {{N, 1}, {1, 1}, {5, 2}, {13, 2}};
    for (auto [block, threads] : splits) {
      EnsembleSpec spec;
      spec.seed = 77;
      spec.steps = 6;
      spec.every = 3;
      spec.block = block;
      spec.threads = threads;
      finals.push_back(run_ensemble(*st, X0, spec, {}).final_state);
    }
    for (std::size_t i = 1; i < finals.size(); ++i)
      EXPECT_EQ(0, std::memcmp(finals[0].data(), finals[i].data(),
                               sizeof(double) * static_cast<std::size_t>(finals[0].size())))
          << st->kind() << " split " << i;
  }
}

TEST(Flows, Dopri5GradientAndModifiedFlowsMatchTheMatrixExponential) {
  const Vec theta_star = (Vec(3) << 0.5, -1.0, 2.0).finished();
  Mat U = Eigen::HouseholderQR<Mat>(test::random_psd(3, 3, 4)).householderQ();
  auto q = quadratic((Vec(3) << 3.0, 1.0, 0.2).finished(), U, theta_star);
  const Vec theta0 = (Vec(3) << 1.0, 1.0, 1.0).finished();
  const double eta = 0.1;
  std::vector<double> times;
  for (int k = 1; k <= 20; ++k) times.push_back(k * eta);
  for (FlowKind kind : {FlowKind::gradient, FlowKind::modified}) {
    const Mat H = kind == FlowKind::gradient ? q->H() : Mat(q->H() + 0.5 * eta * q->H() * q->H());
    const FlowSeries r = integrate_flow_at(*q, kind, eta, theta0, times);
    ASSERT_TRUE(r.ok) << r.reason;
    for (std::size_t i = 0; i < times.size(); ++i) {
      const Vec exact = theta_star + Mat((-times[i] * H).exp()) * (theta0 - theta_star);
      EXPECT_LT((r.theta[i] - exact).norm(), 1e-8) << "tau = " << times[i];
    }
    // The stepper, observed at tau = k eta through the ensemble driver.
    FlowStepper st(q, eta, kind);
    Mat X = Mat::Zero(3, 4);
    X.leftCols(3) = theta0.transpose().replicate(3, 1);
    EnsembleSpec spec;
    spec.steps = 20;
    const RunRecord rec = run_ensemble(st, X, spec, {});
    const Vec exact = theta_star + Mat((-2.0 * H).exp()) * (theta0 - theta_star);
    for (Index i = 0; i < 3; ++i) EXPECT_LT((rec.final_state.row(i).transpose() - exact).norm(), 1e-8);
  }
}

TEST(Flows, ModifiedFlowTracksGradientDescentToSecondOrder) {
  // GD's iterates follow the modified flow to O(eta^2) and the gradient flow to O(eta) over fixed tau.
  auto q = quadratic((Vec(2) << 2.0, 0.6).finished(), rotation(0.7), Vec::Zero(2));
  const Vec theta0 = (Vec(2) << 1.0, -1.0).finished();
  for (FlowKind kind : {FlowKind::gradient, FlowKind::modified}) {
    std::vector<double> etas, err;
    for (double eta : {0.1, 0.05, 0.025, 0.0125}) {
      const auto k = static_cast<int>(std::lround(1.0 / eta));
      Vec gd = theta0;
      for (int j = 0; j < k; ++j) gd -= eta * q->gradient_at(gd);
      const FlowSeries r = integrate_flow_at(*q, kind, eta, theta0, {1.0});
      ASSERT_TRUE(r.ok);
      etas.push_back(eta);
      err.push_back((r.theta[0] - gd).norm());
    }
    const double p = test::loglog_slope(etas, err);
    std::printf("GD against the %s flow: fitted order in eta %.3f\n",
                kind == FlowKind::gradient ? "gradient" : "modified", p);
    EXPECT_NEAR(p, kind == FlowKind::gradient ? 1.0 : 2.0, 0.1);
  }
}

TEST(SdeSchemes, EveryKindBuildsFromAScenario) {
  std::ifstream in(test::source_path("scenarios/quadratic_isotropic.toml"));
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  auto build = [&](std::vector<std::string> sets, const std::string& noise = "") {
    std::string t = text;
    if (!noise.empty()) {
      const auto a = t.find("[noise]"), b = t.find("[dynamics]");
      t.replace(a, b - a, "[noise]\n" + noise + "\n");
    }
    sets.push_back("dynamics.trajectories=16");
    return build_experiment(Scenario::parse(t, "quadratic_isotropic.toml", sets), 1);
  };
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"dynamics.kind=sde_euler_maruyama", "dynamics.increments=gaussian"}, "sde_euler_maruyama+gaussian"},
      {{"dynamics.kind=sde_milstein"}, "sde_milstein"},
      {{"dynamics.kind=sde_weak2", "dynamics.substeps=2"}, "sde_weak2"},
      {{"dynamics.kind=sme", "dynamics.order=1"}, "sme1/weak2"},
      {{"dynamics.kind=sme", "dynamics.order=2", "dynamics.integrator=euler_maruyama"}, "sme2/euler_maruyama"}};
  for (const auto& [sets, kind] : cases) {
    Experiment ex = build(sets);
    EXPECT_EQ(ex.stepper->kind(), kind);
    const RunResult r = run_experiment(ex);
    EXPECT_EQ(r.record.status, RunStatus::completed) << kind;
  }
  for (const char* flow : {"gradient_flow", "modified_flow"}) {
    Experiment ex = build({std::string("dynamics.kind=") + flow}, "kind = \"none\"");
    EXPECT_EQ(ex.stepper->kind(), flow);
    EXPECT_EQ(run_experiment(ex).record.status, RunStatus::completed);
    EXPECT_THROW(build({std::string("dynamics.kind=") + flow}), InputError);
  }
  EXPECT_THROW(build({"dynamics.kind=sme", "dynamics.order=3"}), InputError);
}
