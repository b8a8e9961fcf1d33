// A sum of indefinite quadratics (a saddle, paper 4's setting, docs/theory.md 1.5 and 5.3) and the
// exact moments of noisy GD on affine-gradient losses (analysis/predictions/affine_moments.hpp):
// derivatives, the stationary point and the absent minimum; the moments against brute-force
// enumeration of every batch sequence (exact, 1e-12) and docs/theory.md 1.5's two-step formula; and
// a simulated ensemble against them within 5 standard errors (fixed seed).
#include <gtest/gtest.h>

#include <cmath>

#include "analysis/predictions/affine_moments.hpp"
#include "losses/sum_of_quadratics.hpp"
#include "noise/gld.hpp"
#include "noise/sampling.hpp"
#include "scenario/runner.hpp"
#include "test_util.hpp"

using namespace sgdnoise;

namespace {
// The saddle of scenarios/paper4_saddle_escape.toml: H_i = Hbar +- D_1, Hbar +- D_2, Hbar =
// diag(-0.5, 1), sum H_i c_i = 0.
std::shared_ptr<const SumOfQuadratics> saddle() {
  const Mat Hbar = Vec(Eigen::Vector2d(-0.5, 1.0)).asDiagonal();
  Mat D1(2, 2), D2(2, 2);
  D1 << 0.4, 0.3, 0.3, 0.0;
  D2 << 0.24, -0.3, -0.3, 0.0;
  Mat c(4, 2);
  c << 1.0, 0.5, 1.0, 0.5, -1.0, -0.5, -1.0, -0.5;
  return std::make_shared<SumOfQuadratics>(std::vector<Mat>{Hbar + D1, Hbar - D1, Hbar + D2, Hbar - D2}, c);
}

// Moments of theta_k over every sequence of k single-sample steps, each sequence weighted by
// its probability: i.i.d. uniform indices (with replacement) or an epoch's distinct indices.
Moments enumerate(const SumOfQuadratics& q, double eta, const Vec& theta0, int k, bool distinct) {
  const Index n = q.n_samples();
  Vec m = Vec::Zero(2);
  Mat M = Mat::Zero(2, 2);
  double total = 0.0;
  std::vector<Index> seq(static_cast<std::size_t>(k), 0);
  for (;;) {
    bool ok = true;
    for (int a = 0; a < k && ok; ++a)
      for (int b = 0; b < a && ok; ++b) ok = !(distinct && seq[a] == seq[b]);
    if (ok) {
      Vec th = theta0;
      for (int a = 0; a < k; ++a)
        th -= eta * q.hessians()[static_cast<std::size_t>(seq[a])] * (th - q.centres().row(seq[a]).transpose());
      m += th;
      M += th * th.transpose();
      total += 1.0;
    }
    int a = 0;
    while (a < k && ++seq[a] == n) seq[a++] = 0;
    if (a == k) break;
  }
  m /= total;
  return {m, M / total - m * m.transpose()};
}
}  // namespace

TEST(SaddleSumOfQuadratics, DerivativesStationaryPointAndNoMinimum) {
  const auto q = saddle();
  test::expect_derivatives_match(*q, Vec(Eigen::Vector2d(0.7, -1.2)));
  const Vec theta(Eigen::Vector2d(0.3, 0.9));
  double direct = 0.0;
  for (Index i = 0; i < 4; ++i) direct += q->sample_loss(theta, i) / 4.0;
  EXPECT_NEAR(q->value_at(theta), direct, 1e-14);
  const Mat G = q->sample_gradients(theta);
  EXPECT_LT((G.rowwise().mean() - q->gradient_at(theta)).cwiseAbs().maxCoeff(), 1e-15);
  ASSERT_TRUE(q->stationary_point().has_value());
  EXPECT_LT(q->stationary_point()->cwiseAbs().maxCoeff(), 1e-15);
  EXPECT_FALSE(q->minimizer().has_value());
  EXPECT_FALSE(q->minimum_value().has_value());
  EXPECT_NE(q->no_minimizer_reason().find("negative eigenvalue -0.5"), std::string::npos) << q->no_minimizer_reason();
  EXPECT_NE(q->no_minimizer_reason().find("saddle"), std::string::npos);
  // Along the negative direction L falls below L(theta_s) without bound.
  EXPECT_LT(q->value_at(Vec(Eigen::Vector2d(10.0, 0.0))), q->value_at(Vec::Zero(2)) - 20.0);

  // PSD but singular with sum H_i c_i outside the range: neither stationary point nor minimum;
  // the value is still exact (gradient at the reference point kept).
  Mat c(1, 2);
  c << 1.0, 1.0;
  Mat H(2, 2);
  H << 1.0, 1.0, 1.0, 1.0;
  const SumOfQuadratics flat({H}, c);
  ASSERT_TRUE(flat.stationary_point().has_value());  // H c = (2, 2) lies in the range of H
  Mat H0(2, 2);
  H0 << 0.0, 0.0, 0.0, 1.0;
  Mat c2(2, 2);
  c2 << 0.0, 1.0, 0.0, -1.0;
  const SumOfQuadratics convex({H0, H0}, c2);  // sum H_i c_i = 0: minimum along a flat line
  EXPECT_TRUE(convex.minimizer().has_value());
  Mat Hs(2, 2), Hn(2, 2);
  Hs << 1.0, 0.0, 0.0, 1.0;
  Hn << -1.0, 0.0, 0.0, -1.0;
  Mat c3(2, 2);
  c3 << 1.0, 0.0, 2.0, 0.0;
  const SumOfQuadratics unbounded({Hs, Hn}, c3);  // Hbar = 0, sum H_i c_i = (-1, 0)
  EXPECT_FALSE(unbounded.stationary_point().has_value());
  EXPECT_NE(unbounded.no_minimizer_reason().find("outside its range"), std::string::npos);
  const Vec t(Eigen::Vector2d(0.4, -0.7));
  EXPECT_NEAR(unbounded.value_at(t), 0.5 * (unbounded.sample_loss(t, 0) + unbounded.sample_loss(t, 1)), 1e-14);
  test::expect_derivatives_match(unbounded, t);

  Mat bad(2, 2);
  bad << 1.0, 0.5, 0.0, -1.0;
  EXPECT_THROW(SumOfQuadratics({bad}, c), std::invalid_argument);     // not symmetric
  EXPECT_THROW(SumOfQuadratics({Hs, Hs}, c), std::invalid_argument);  // 2 Hessians, 1 centre
}

// With replacement and Gaussian noise of SGD's covariance: E theta_k = the GD iterate, and
// the covariance equals the enumeration over all n^k index sequences (k = 1, 2, 3). Reshuffling
// (b = 1, n = 4): the enumeration over distinct indices for k <= 4 (one epoch) and docs/theory.md
// 1.5's two-step mean E theta_2 = theta_2^GD - eta^2 / (n - 1) Cov_i(H_i, grad l_i(theta_0)).
TEST(AffineMoments, MatchEnumerationOfEveryBatchSequence) {
  const auto q = saddle();
  const double eta = 0.8;
  const Vec theta0(Eigen::Vector2d(0.3, -0.2));
  using S = SgdSampling::Scheme;
  const auto wr = std::make_shared<SgdSampling>(q, S::with_replacement, 1);
  GldNoise::Params p;
  const auto gauss = std::make_shared<GldNoise>(q, GldNoise::Type::gaussian_sgd, p);
  const auto rr = std::make_shared<SgdSampling>(q, S::reshuffle, 1);
  AffineMoments mw(*q, wr.get(), eta, theta0, 12), mg(*q, gauss.get(), eta, theta0, 12),
      mr(*q, rr.get(), eta, theta0, 12);
  ASSERT_TRUE(mw.available() && mg.available() && mr.available()) << mw.reason() << mg.reason() << mr.reason();
  Vec gd = theta0;
  for (int k = 1; k <= 4; ++k) {
    gd -= eta * q->gradient_at(gd);
    const double tol = 1e-12 * std::max(1.0, mw.at(k).cov.cwiseAbs().maxCoeff());
    if (k <= 3) {
      const Moments e = enumerate(*q, eta, theta0, k, false);
      EXPECT_LT((mw.at(k).mean - e.mean).cwiseAbs().maxCoeff(), 1e-13) << k;
      EXPECT_LT((mw.at(k).cov - e.cov).cwiseAbs().maxCoeff(), tol) << k;
    }
    EXPECT_LT((mw.at(k).mean - gd).cwiseAbs().maxCoeff(), 1e-14) << k;
    EXPECT_LT((mg.at(k).mean - gd).cwiseAbs().maxCoeff(), 1e-14) << k;
    EXPECT_LT((mg.at(k).cov - mw.at(k).cov).cwiseAbs().maxCoeff(), tol) << k;  // same C(theta), b = 1
    const Moments r = enumerate(*q, eta, theta0, k, true);
    EXPECT_LT((mr.at(k).mean - r.mean).cwiseAbs().maxCoeff(), 1e-13) << k;
    EXPECT_LT((mr.at(k).cov - r.cov).cwiseAbs().maxCoeff(), tol) << k;
  }
  // docs/theory.md 1.5: the two-step drift of reshuffling, here nonzero.
  const Mat G = q->sample_gradients(theta0);
  const Vec g = q->gradient_at(theta0);
  const Mat Hbar = q->hessian(theta0);
  Vec cross = Vec::Zero(2);
  for (Index i = 0; i < 4; ++i) cross += (q->hessians()[static_cast<std::size_t>(i)] - Hbar) * (G.col(i) - g) / 4.0;
  Vec gd2 = theta0;
  for (int k = 0; k < 2; ++k) gd2 -= eta * q->gradient_at(gd2);
  const Vec shift = -eta * eta / 3.0 * cross;
  EXPECT_GT(shift.cwiseAbs().maxCoeff(), 1e-2);
  EXPECT_LT((mr.at(2).mean - gd2 - shift).cwiseAbs().maxCoeff(), 1e-14);
  // Across epochs (k = 12, three epochs): the steps of different epochs are independent, so the
  // moments compose; reshuffling keeps a smaller spread than with replacement here.
  EXPECT_LT(mr.at(12).cov.trace(), mw.at(12).cov.trace());

  // Refused where the moments are not exact or would be too costly.
  const auto big = std::make_shared<SumOfQuadratics>(SumOfQuadratics::synthetic({.n = 9,
                                                                                 .d = 2,
                                                                                 .n_test = 0,
                                                                                 .lambda_max = 1.0,
                                                                                 .condition = 2.0,
                                                                                 .spread = 0.5,
                                                                                 .centre_spread = 1.0,
                                                                                 .seed = 1}));
  const auto rr9 = std::make_shared<SgdSampling>(big, S::reshuffle, 1);
  EXPECT_FALSE(AffineMoments(*big, rr9.get(), eta, Vec::Zero(2), 4).available());
  p.trace = 1.0;
  const auto traced = std::make_shared<GldNoise>(q, GldNoise::Type::gaussian_sgd, p);
  EXPECT_FALSE(AffineMoments(*q, traced.get(), eta, theta0, 4).available());
}

// The ensemble against the exact moments through the scenario checks (prediction "exact"),
// 5 se, for with replacement, reshuffling and Gaussian noise (fixed seed).
TEST(AffineMoments, EnsembleMatchesTheExactMoments) {
  const std::string text = R"(name = "saddle"
[loss]
kind = "sum_of_quadratics"
dim = 2
hessians = [[-0.1, 0.3], [0.3, 1.0], [-0.9, -0.3], [-0.3, 1.0], [-0.26, -0.3], [-0.3, 1.0], [-0.74, 0.3], [0.3, 1.0]]
centres = [[1.0, 0.5], [1.0, 0.5], [-1.0, -0.5], [-1.0, -0.5]]
[noise]
kind = "sgd"
batch = 1
[dynamics]
kind = "discrete"
eta = 0.8
steps = 6
trajectories = 20000
start = [0.0, 0.0]
[observe]
mean_coordinates = [0, 1]
covariance_entries = [[0, 0], [0, 1]]
[[checks]]
result = "theta_0"
at_step = 6
[[checks]]
result = "cov_0_0"
at_step = 6
[[checks]]
result = "cov_0_1"
at_step = 3
[[checks]]
result = "cov_trace"
at_step = 5
)";
  for (const std::vector<std::string>& sets : std::vector<std::vector<std::string>>{
           {}, {"noise.sampling=\"reshuffle\""}, {"noise.kind=\"gld\"", "noise.type=\"gaussian_sgd\""}}) {
    const Experiment ex = build_experiment(Scenario::parse(text, "saddle.toml", sets), 1);
    const RunResult r = run_experiment(ex);
    for (const auto& c : r.checks) {
      EXPECT_TRUE(c.predicted.available) << ex.noise->kind() << " " << c.result << ": " << c.predicted.reason;
      EXPECT_TRUE(c.passed) << ex.noise->kind() << " " << c.result << ": " << c.reason;
    }
  }
}
