// Escape-time predictions: the exact 1-D mean first-passage time against closed forms,
// its approach to Kramers' rate as the barrier grows, and Eyring-Kramers in d dimensions.
#include <gtest/gtest.h>

#include <cmath>

#include <boost/math/quadrature/gauss_kronrod.hpp>

#include "analysis/predictions/escape_time.hpp"
#include "losses/landscapes.hpp"

using namespace sgdnoise;

namespace {
constexpr double kPi = 3.14159265358979323846;
}

TEST(EscapeTimeMfpt, FreeDiffusionWithReflectingWall) {
  // U = 0, wall at 0: T(x0) = (b^2 - x0^2) / (2 eps).
  MfptProblem p;
  p.potential = [](double) { return 0.0; };
  p.eps = 0.7;
  p.x0 = 0.3;
  p.target = 1.5;
  p.reflecting = 0.0;
  const MfptResult r = mean_first_passage_time_1d(p);
  ASSERT_TRUE(r.ok) << r.reason;
  EXPECT_NEAR(r.value, (1.5 * 1.5 - 0.3 * 0.3) / (2 * 0.7), 1e-10);
}

TEST(EscapeTimeMfpt, LinearPotentialClosedForm) {
  // U = c x pushing towards a wall at 0: T(x0) = (1/c) [(eps/c)(e^{cb/eps} - e^{c x0/eps}) - (b - x0)].
  const double c = 1.0, eps = 0.25, x0 = 0.5, b = 2.0;
  const double exact = (1 / c) * ((eps / c) * (std::exp(c * b / eps) - std::exp(c * x0 / eps)) - (b - x0));
  MfptProblem p;
  p.potential = [c](double x) { return c * x; };
  p.eps = eps;
  p.x0 = x0;
  p.target = b;
  p.reflecting = 0.0;
  const MfptResult r = mean_first_passage_time_1d(p);
  ASSERT_TRUE(r.ok) << r.reason;
  EXPECT_NEAR(r.value / exact, 1.0, 1e-9);
  EXPECT_NEAR(r.barrier_over_eps, c * b / eps, 1e-9);
  // The mirror image: target on the left, wall on the right.
  MfptProblem m = p;
  m.potential = [c](double x) { return -c * x; };
  m.x0 = -x0;
  m.target = -b;
  m.reflecting = 0.0;
  const MfptResult rm = mean_first_passage_time_1d(m);
  ASSERT_TRUE(rm.ok) << rm.reason;
  EXPECT_NEAR(rm.value / exact, 1.0, 1e-9);
}

TEST(EscapeTimeMfpt, HarmonicWithOpenSide) {
  // U = x^2/2 and no wall: the inner integral is sqrt(2 pi eps) Phi(y / sqrt(eps)), so
  // T = (1/eps) int_0^b e^{y^2/(2 eps)} sqrt(2 pi eps) Phi(y/sqrt eps) dy, a single quadrature.
  for (double eps : {1.0, 0.1}) {
    const double b = 1.0;
    auto f = [eps](double y) {
      return std::exp(y * y / (2 * eps)) * std::sqrt(2 * kPi * eps) * 0.5 * std::erfc(-y / std::sqrt(2 * eps));
    };
    const double exact = boost::math::quadrature::gauss_kronrod<double, 61>::integrate(f, 0.0, b, 20, 1e-14) / eps;
    MfptProblem p;
    p.potential = [](double x) { return 0.5 * x * x; };
    p.eps = eps;
    p.x0 = 0.0;
    p.target = b;
    const MfptResult r = mean_first_passage_time_1d(p);
    ASSERT_TRUE(r.ok) << r.reason;
    EXPECT_NEAR(r.value / exact, 1.0, 1e-8) << "eps " << eps;
    EXPECT_LT(r.far_end, -std::sqrt(2 * 46.0 * eps));  // integrated well past the cut
  }
  MfptProblem flat;
  flat.potential = [](double x) { return -x * x; };
  flat.x0 = 0.0;
  flat.target = 1.0;
  const MfptResult bad = mean_first_passage_time_1d(flat);
  EXPECT_FALSE(bad.ok);
  EXPECT_NE(bad.reason.find("confine"), std::string::npos);
}

TEST(EscapeTimeMfpt, DoubleWellApproachesKramers) {
  // U = dU (x^2 - 1)^2: U''(min) = 8 dU, U''(0) = -4 dU. From the left minimum to the right
  // one, T k_Kramers -> 1 as dU/eps grows, with corrections O(eps/dU).
  const DoubleWell well{DoubleWell::Spec{}};
  double previous = 1e9;
  for (double ratio : {4.0, 8.0, 16.0, 32.0}) {
    const double eps = 1.0 / ratio;
    MfptProblem p;
    p.potential = [&](double x) { return well.potential_1d(x); };
    p.eps = eps;
    p.x0 = -1.0;
    p.target = 1.0;
    const MfptResult r = mean_first_passage_time_1d(p);
    ASSERT_TRUE(r.ok) << r.reason;
    EXPECT_NEAR(r.barrier_over_eps, ratio, 1e-6);
    const RatePrediction k = kramers_rate_1d(8.0, -4.0, 1.0, eps);
    ASSERT_TRUE(k.available);
    EXPECT_NEAR(k.barrier_over_eps, ratio, 1e-12);
    const double err = std::abs(r.value * k.rate - 1.0);
    EXPECT_LT(err, previous) << "dU/eps = " << ratio;
    // The first correction is of order eps/dU: (T k - 1) dU/eps stays of order one (~0.4).
    EXPECT_GT(err * ratio, 0.3);
    EXPECT_LT(err * ratio, 0.6);
    previous = err;
  }
  EXPECT_LT(previous, 0.05);
  // Far past double range: T overflows but ln T is still exact; ln T + ln k -> 0.
  MfptProblem p;
  p.potential = [&](double x) { return well.potential_1d(x); };
  p.eps = 1.0 / 2000.0;
  p.x0 = -1.0;
  p.target = 1.0;
  const MfptResult r = mean_first_passage_time_1d(p);
  ASSERT_TRUE(r.ok) << r.reason;
  EXPECT_FALSE(std::isfinite(r.value));
  const RatePrediction k = kramers_rate_1d(8.0, -4.0, 1.0, p.eps);
  EXPECT_EQ(k.rate, 0.0);  // underflows; log_rate carries it
  EXPECT_NEAR(r.log_value + k.log_rate, 0.0, 2e-3);
  EXPECT_NEAR(r.barrier_over_eps, 2000.0, 1e-6);
}

TEST(EscapeTimeKramers, EyringKramersOnSeparableWellsAndPreconditioning) {
  DoubleWell::Spec s;
  s.barrier = 1.5;
  s.transverse = (Vec(2) << 2.0, 0.5).finished();
  const DoubleWell w(s);
  const double eps = 0.1;
  // Separable: the transverse determinants cancel, leaving Kramers' 1-D rate.
  const RatePrediction ek = eyring_kramers_rate(w.left_minimum().hessian, w.saddle().hessian, 1.5, eps);
  const RatePrediction k1 = kramers_rate_1d(8 * 1.5, -4 * 1.5, 1.5, eps);
  ASSERT_TRUE(ek.available) << ek.reason;
  EXPECT_NEAR(ek.rate / k1.rate, 1.0, 1e-12);
  EXPECT_NEAR(ek.barrier_over_eps, 15.0, 1e-12);
  EXPECT_NE(ek.regime.find("asymptotic"), std::string::npos);
  // Preconditioner M = diag(m1, ...): lambda_-(M H_s) = m1 lambda_-(H_s).
  const Mat M = Vec((Vec(3) << 3.0, 0.2, 7.0).finished()).asDiagonal();
  const RatePrediction pk = eyring_kramers_rate(w.left_minimum().hessian, w.saddle().hessian, 1.5, eps, &M);
  ASSERT_TRUE(pk.available) << pk.reason;
  EXPECT_NEAR(pk.rate / ek.rate, 3.0, 1e-12);
  // Given D: D = 2 eps M is reversible (same rate); D anisotropic with M = I is not.
  const RatePrediction dk =
      eyring_kramers_for_diffusion(w.left_minimum().hessian, w.saddle().hessian, 1.5, 2 * eps * M, M);
  ASSERT_TRUE(dk.available) << dk.reason;
  EXPECT_NEAR(dk.rate / pk.rate, 1.0, 1e-12);
  const RatePrediction iso = eyring_kramers_for_diffusion(w.left_minimum().hessian, w.saddle().hessian, 1.5,
                                                          2 * eps * Mat::Identity(3, 3), Mat::Identity(3, 3));
  EXPECT_NEAR(iso.rate / ek.rate, 1.0, 1e-12);
  const RatePrediction no =
      eyring_kramers_for_diffusion(w.left_minimum().hessian, w.saddle().hessian, 1.5, M, Mat::Identity(3, 3));
  EXPECT_FALSE(no.available);
  EXPECT_NE(no.reason.find("non-reversible"), std::string::npos);
}

TEST(EscapeTimeKramers, RefusesWhatIsNotAMinimumAndASaddle) {
  const Mat Hmin = Vec((Vec(2) << 1.0, 2.0).finished()).asDiagonal();
  const Mat Hs = Vec((Vec(2) << -1.0, 2.0).finished()).asDiagonal();
  EXPECT_TRUE(eyring_kramers_rate(Hmin, Hs, 1.0, 0.1).available);
  EXPECT_FALSE(eyring_kramers_rate(Hs, Hs, 1.0, 0.1).available);
  EXPECT_FALSE(eyring_kramers_rate(Hmin, -Hmin, 1.0, 0.1).available);  // index 2
  EXPECT_FALSE(eyring_kramers_rate(Hmin, Hs, -1.0, 0.1).available);
  const RatePrediction weak = kramers_rate_1d(8.0, -4.0, 1.0, 0.5);
  EXPECT_NE(weak.regime.find("weak barrier"), std::string::npos);
  // Mueller-Brown, first minimum to the first saddle: det ratio and lambda_- straight from
  // the Hessians.
  const MuellerBrown mb;
  const auto m = mb.minima()[0];
  const auto s = mb.saddles()[0];
  const RatePrediction r = eyring_kramers_rate(m.hessian, s.hessian, s.value - m.value, 20.0);
  ASSERT_TRUE(r.available) << r.reason;
  Eigen::SelfAdjointEigenSolver<Mat> es(s.hessian);
  const double pref = -es.eigenvalues()[0] / (2 * kPi) * std::sqrt(m.hessian.determinant() / -s.hessian.determinant());
  EXPECT_NEAR(r.prefactor / pref, 1.0, 1e-12);
}
