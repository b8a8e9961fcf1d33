// The logistic and sum-of-quadratics finite sums (docs/theory.md 1.1, 1.5) and SGD's batch-size
// schedule: derivatives against finite differences, the per-sample gradient matrix against
// the full gradient and the weighted forms, reproducible synthetic data, the sampling
// noises' stated covariance, docs/theory.md 1.5 by exact enumeration, and input errors.
// Statistical tolerances are 5 standard errors of the estimator, the standard error
// estimated from the draws themselves (no Gaussianity assumed); seeds are fixed.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <set>

#include "losses/logistic.hpp"
#include "losses/sum_of_quadratics.hpp"
#include "noise/gld.hpp"
#include "noise/sampling.hpp"
#include "scenario/experiment.hpp"
#include "noise_contract_util.hpp"
#include "test_util.hpp"

using namespace sgdnoise;

namespace {
constexpr double kSigmas = 5.0;  // every statistical check: 5 standard errors

std::shared_ptr<const Logistic> small_logistic(double l2 = 0.05, Index n = 12, Index d = 3) {
  Logistic::Synthetic s;
  s.n = n;
  s.d = d;
  s.n_test = 50;
  s.condition = 4.0;
  s.teacher_scale = 1.5;
  s.l2 = l2;
  s.seed = 5;
  return std::make_shared<Logistic>(Logistic::synthetic(s));
}

std::shared_ptr<const SumOfQuadratics> small_soq(Index n = 12, Index d = 3, double spread = 0.7, Index n_test = 50) {
  SumOfQuadratics::Synthetic s;
  s.n = n;
  s.d = d;
  s.n_test = n_test;
  s.condition = 5.0;
  s.spread = spread;
  s.centre_spread = 1.0;
  s.seed = 3;
  return std::make_shared<SumOfQuadratics>(SumOfQuadratics::synthetic(s));
}

// Central differences of the value (gradient) and of the gradient (Hessian); h = 1e-5
// leaves a truncation error of order h^2 |f'''| ~ 1e-10 and a rounding error of order
// 1e-16 / h ~ 1e-11, both well below the 1e-7 tolerance.
void expect_derivatives_match(const Loss& loss, const Vec& theta) { test::expect_derivatives_match(loss, theta); }

// Mean of the per-sample gradients = the gradient; the dense and sparse weighted forms
// equal G(theta) W, batched over trajectories at different points.
void expect_gradient_matrix_consistent(const FiniteSumLoss& loss) {
  const Index d = loss.dim(), n = loss.n_samples(), rows = 7;
  Mat T(rows, d);
  for (Index t = 0; t < rows; ++t) {
    const double td = static_cast<double>(t);
    T.row(t) = Vec::LinSpaced(d, -0.5 + 0.2 * td, 0.8 - 0.1 * td).transpose();
  }
  Mat W(rows, n);
  fill_normals({1, Purpose::sampling, 0}, 0, 0, W);
  IndexBlock idx(rows, 5);
  Mat w(rows, 5);
  for (Index t = 0; t < rows; ++t)
    for (Index j = 0; j < 5; ++j) {
      idx(t, j) = static_cast<std::int32_t>((3 * t + 5 * j) % n);
      w(t, j) = 0.1 * static_cast<double>(j + 1) - 0.05 * static_cast<double>(t);
    }
  Mat G(rows, d), Gd(rows, d), Gs(rows, d);
  loss.gradient(T, G);
  loss.dense_weighted_gradient(T, W, Gd);
  loss.sparse_weighted_gradient(T, idx, w, Gs);
  Vec values(rows);
  loss.value(T, values);
  for (Index t = 0; t < rows; ++t) {
    const Vec theta = T.row(t).transpose();
    const Mat S = loss.sample_gradients(theta);
    ASSERT_EQ(S.rows(), d);
    ASSERT_EQ(S.cols(), n);
    const double scale = 1.0 + S.cwiseAbs().maxCoeff();
    EXPECT_LT((S.rowwise().mean() - G.row(t).transpose()).cwiseAbs().maxCoeff(), 1e-14 * scale);
    EXPECT_LT((S * W.row(t).transpose() - Gd.row(t).transpose()).cwiseAbs().maxCoeff(), 1e-13 * scale);
    Vec sparse = Vec::Zero(d);
    for (Index j = 0; j < 5; ++j) sparse += w(t, j) * S.col(idx(t, j));
    EXPECT_LT((sparse - Gs.row(t).transpose()).cwiseAbs().maxCoeff(), 1e-13 * scale);
    EXPECT_NEAR(values[t], loss.value_at(theta), 1e-14 * (1.0 + std::abs(values[t])));
  }
}

// Empirical mean and covariance of N noisy gradients at theta against grad L and the
// stated C, entry-wise within 5 standard errors (the contract of test_noise_contract.cpp).
void expect_stated_covariance(const NoiseModel& noise, const Loss& loss, const Vec& theta, const Mat& C,
                              std::uint64_t step = 3, Index N = 200000) {
  test::expect_sample_moments(test::draw_gradients(noise, loss, theta, N, step), loss.gradient_at(theta), C, kSigmas,
                              noise.kind());
}
}  // namespace

TEST(Logistic, StableSoftplusAndSigmoid) {
  for (double z : {-800.0, -40.0, -1e-3, 0.0, 1e-3, 40.0, 800.0}) {
    EXPECT_TRUE(std::isfinite(softplus(z)) && std::isfinite(sigmoid(z))) << z;
    EXPECT_NEAR(sigmoid(z) + sigmoid(-z), 1.0, 1e-15) << z;
    EXPECT_NEAR(softplus(z) - softplus(-z), z, 1e-12 * std::max(1.0, std::abs(z))) << z;  // log(1+e^z) - log(1+e^-z)
  }
  EXPECT_EQ(softplus(800.0), 800.0);
  EXPECT_NEAR(softplus(-40.0), std::exp(-40.0), 1e-30);  // no cancellation in the tail
  EXPECT_NEAR(softplus(0.0), std::log(2.0), 1e-16);
  EXPECT_EQ(sigmoid(-800.0), 0.0);
  EXPECT_NEAR(sigmoid(-40.0), std::exp(-40.0), 1e-30);
}

TEST(Logistic, DerivativesMatchFiniteDifferences) {
  for (double l2 : {0.0, 0.3}) {
    SCOPED_TRACE(l2);
    const auto loss = small_logistic(l2, 30, 4);
    expect_derivatives_match(*loss, Vec::LinSpaced(4, 0.7, -1.2));
    expect_derivatives_match(*loss, Vec::Constant(4, 25.0));  // far out: saturated sigmoids
  }
}

TEST(Logistic, GradientMatrixIsConsistent) {
  expect_gradient_matrix_consistent(*small_logistic(0.0));
  expect_gradient_matrix_consistent(*small_logistic(0.2));
  // The value is the mean of the per-sample losses (L2 term in each).
  const auto loss = small_logistic(0.2);
  const Vec theta = Vec::LinSpaced(3, 0.4, -0.9);
  double direct = 0.0;
  for (Index i = 0; i < loss->n_samples(); ++i) {
    const double z = loss->features().row(i).dot(theta);
    direct += std::log1p(std::exp(z)) - loss->labels()[i] * z + 0.1 * theta.squaredNorm();
  }
  EXPECT_NEAR(loss->value_at(theta), direct / 12.0, 1e-14);
}

TEST(Logistic, SyntheticDataFromTheSeed) {
  Logistic::Synthetic s;
  s.n = 4000;
  s.d = 3;
  s.n_test = 100;
  s.seed = 11;
  const Logistic a = Logistic::synthetic(s), b = Logistic::synthetic(s);
  EXPECT_EQ(a.features(), b.features());
  EXPECT_EQ(a.labels(), b.labels());
  s.seed = 12;
  EXPECT_NE(Logistic::synthetic(s).labels(), a.labels());
  // Labels are Bernoulli(sigmoid(x^T teacher)): sum_i (y_i - p_i) has variance sum p_i (1 - p_i).
  double dev = 0.0, var = 0.0;
  for (Index i = 0; i < s.n; ++i) {
    const double p = sigmoid(a.features().row(i).dot(a.teacher()));
    EXPECT_TRUE(a.labels()[i] == 0.0 || a.labels()[i] == 1.0);
    dev += a.labels()[i] - p;
    var += p * (1.0 - p);
  }
  EXPECT_LT(std::abs(dev), kSigmas * std::sqrt(var));
  EXPECT_TRUE(a.has_test_set());
}

TEST(Logistic, NewtonMinimizerAndSeparableData) {
  const auto loss = small_logistic(0.0, 200, 3);
  ASSERT_TRUE(loss->minimizer().has_value());
  const Vec star = *loss->minimizer();
  EXPECT_LT(loss->gradient_at(star).cwiseAbs().maxCoeff(), 1e-12);
  EXPECT_NEAR(*loss->minimum_value(), loss->value_at(star), 1e-15);
  EXPECT_GT(loss->value_at(star + Vec::Constant(3, 1e-3)), loss->value_at(star));
  // Linearly separable data (y = 1 iff x > 0) and no L2 term: the infimum is not attained.
  Mat X(4, 1);
  X << -2.0, -1.0, 1.0, 2.0;
  Vec y(4);
  y << 0.0, 0.0, 1.0, 1.0;
  EXPECT_FALSE(Logistic(X, y).minimizer().has_value());
  const Logistic reg(X, y, 0.1);
  ASSERT_TRUE(reg.minimizer().has_value());
  EXPECT_LT(std::abs(reg.gradient_at(*reg.minimizer())[0]), 1e-12);
}

TEST(SumOfQuadratics, DerivativesAndMinimizer) {
  const auto loss = small_soq();
  expect_derivatives_match(*loss, Vec::LinSpaced(3, 0.7, -1.2));
  expect_gradient_matrix_consistent(*loss);
  const Vec theta = Vec::LinSpaced(3, 0.3, 0.9);
  double direct = 0.0;
  Mat Hsum = Mat::Zero(3, 3);
  Vec rhs = Vec::Zero(3);
  for (Index i = 0; i < 12; ++i) {
    direct += loss->sample_loss(theta, i) / 12.0;
    const Mat& Hi = loss->hessians()[static_cast<std::size_t>(i)];
    Hsum += Hi;
    rhs += Hi * loss->centres().row(i).transpose();
  }
  EXPECT_NEAR(loss->value_at(theta), direct, 1e-14);
  EXPECT_LT((loss->hessian(theta) - Hsum / 12.0).cwiseAbs().maxCoeff(), 1e-15);
  const Vec star = *loss->minimizer();
  EXPECT_LT((star - Hsum.ldlt().solve(rhs)).cwiseAbs().maxCoeff(), 1e-13);  // (sum H_i)^{-1} sum H_i c_i
  EXPECT_LT(loss->gradient_at(star).cwiseAbs().maxCoeff(), 1e-14);
  double at_star = 0.0;
  for (Index i = 0; i < 12; ++i) at_star += loss->sample_loss(star, i) / 12.0;
  EXPECT_NEAR(*loss->minimum_value(), at_star, 1e-15);
  EXPECT_TRUE(loss->affine_gradient());
}

TEST(SumOfQuadratics, SyntheticGeneratorAndTestSet) {
  // Reproducible from the seed; spread 0 gives identical H_i; E H_i = S = diag(1, 1/5)
  // (lambda_max 1, condition 5), checked entry-wise within 5 standard errors over 20000 draws.
  const auto a = small_soq(20000, 2, 0.6, 4000), b = small_soq(20000, 2, 0.6, 4000);
  EXPECT_EQ(a->centres(), b->centres());
  EXPECT_EQ(a->hessians()[17], b->hessians()[17]);
  const auto same = small_soq(5, 2, 0.0);
  for (const Mat& H : same->hessians()) EXPECT_LT((H - same->hessians()[0]).cwiseAbs().maxCoeff(), 1e-15);
  const Mat S = Vec(Eigen::Vector2d(1.0, 0.2)).asDiagonal();
  for (Index i = 0; i < 2; ++i)
    for (Index j = 0; j < 2; ++j) {
      Vec e(20000);
      for (Index k = 0; k < 20000; ++k) e[k] = a->hessians()[static_cast<std::size_t>(k)](i, j);
      const double se = std::sqrt((e.array() - e.mean()).square().sum() / 19999.0 / 20000.0);
      EXPECT_NEAR(e.mean(), S(i, j), kSigmas * se) << i << "," << j;
    }
  // The test set: fresh pairs from the same generator; test_value is their mean loss, and it
  // estimates the population loss 1/2 (theta^T S theta + centre_spread^2 Tr S).
  ASSERT_TRUE(a->has_test_set());
  const Vec theta(Eigen::Vector2d(0.5, -1.0));
  Vec per(4000);
  for (Index i = 0; i < 4000; ++i) {
    const Vec e = theta - a->test_centres().row(i).transpose();
    per[i] = 0.5 * e.dot(a->test_hessians()[static_cast<std::size_t>(i)] * e);
  }
  Mat T = theta.transpose();
  Vec tv(1);
  a->test_value(T, tv);
  EXPECT_NEAR(tv[0], per.mean(), 1e-13);
  const double se = std::sqrt((per.array() - per.mean()).square().sum() / 3999.0 / 4000.0);
  EXPECT_NEAR(tv[0], 0.5 * (theta.dot(S * theta) + S.trace()), kSigmas * se);
  EXPECT_FALSE(SumOfQuadratics(a->hessians(), a->centres()).has_test_set());
}

// Every sampling noise has its stated covariance on both losses (docs/theory.md 1.2), at a
// point away from the minimizer so that F and Sigma_1 differ.
TEST(FiniteSumLosses, SamplingNoisesHaveTheStatedCovariance) {
  using S = SgdSampling::Scheme;
  using M = MultiplicativeNoise::Type;
  const std::vector<std::shared_ptr<const FiniteSumLoss>> losses = {small_logistic(0.1), small_soq()};
  const Vec theta = Vec::LinSpaced(3, 0.8, -0.4);
  for (const auto& loss : losses) {
    SCOPED_TRACE(loss->kind());
    const std::vector<std::shared_ptr<const NoiseModel>> models = {
        std::make_shared<SgdSampling>(loss, S::with_replacement, 4),
        std::make_shared<SgdSampling>(loss, S::without_replacement, 4),
        std::make_shared<SgdSampling>(loss, S::reshuffle, 4),
        std::make_shared<MultiplicativeNoise>(loss, M::gaussian_cov, 1.3),
        std::make_shared<MultiplicativeNoise>(loss, M::bernoulli, 0.3)};
    for (const auto& m : models) expect_stated_covariance(*m, *loss, theta, *m->covariance(theta));
    // With replacement: C = Sigma_1 / b exactly as docs/theory.md 1.2 row 2 states it.
    const Mat C = *models[0]->covariance(theta);
    EXPECT_LT((C - centred_gradient_covariance(loss->sample_gradients(theta)) / 4.0).cwiseAbs().maxCoeff(), 1e-15);
    // A GLD noise builds on the same per-sample gradients.
    GldNoise::Params p;
    p.batch = 4;
    const GldNoise gld(loss, GldNoise::Type::gaussian_sgd, p);
    EXPECT_LT((*gld.covariance(theta) - C).cwiseAbs().maxCoeff(), 1e-14);
  }
}

// docs/theory.md 1.5 on a sum of quadratics with different H_i, by exact enumeration (n = 5,
// d = 2, eta = 0.3, b = 1, two steps): with replacement E theta_2 is the GD iterate; random
// reshuffling (two distinct indices) follows the two-step product formula
// E[(I - eta H_j)(I - eta H_i)] = I - 2 eta Hbar + eta^2 (Hbar^2 - Cov_H / (n - 1)), and its
// affine part moves E theta_2 by -eta^2 / (n - 1) Cov_i(H_i, grad l_i(theta_0)). Identical
// H_i move nothing. The simulated means agree with the enumerations within 5 se.
TEST(SumOfQuadratics, SamplingOrderAndTheMeanIterate) {
  const double eta = 0.3;
  const Index n = 5;
  const Vec theta0(Eigen::Vector2d(1.0, -2.0));
  for (double spread : {0.9, 0.0}) {
    SCOPED_TRACE(spread);
    const auto loss = small_soq(n, 2, spread, 0);
    const auto& H = loss->hessians();
    auto step = [&](const Vec& th, Index i) -> Vec {
      return th - eta * H[static_cast<std::size_t>(i)] * (th - loss->centres().row(i).transpose());
    };
    Vec with = Vec::Zero(2), without = Vec::Zero(2);
    Mat pair_product = Mat::Zero(2, 2);
    const Mat I = Mat::Identity(2, 2);
    const double nn = static_cast<double>(n);
    for (Index i = 0; i < n; ++i)
      for (Index j = 0; j < n; ++j) {
        with += step(step(theta0, i), j) / (nn * nn);
        if (i == j) continue;
        without += step(step(theta0, i), j) / (nn * (nn - 1.0));
        pair_product +=
            (I - eta * H[static_cast<std::size_t>(j)]) * (I - eta * H[static_cast<std::size_t>(i)]) / (nn * (nn - 1.0));
      }
    Vec gd = theta0;
    for (int k = 0; k < 2; ++k) gd -= eta * loss->gradient_at(gd);
    EXPECT_LT((with - gd).cwiseAbs().maxCoeff(), 1e-14);

    const Mat Hbar = loss->hessian(theta0);
    Mat second = Mat::Zero(2, 2), cross = Mat::Zero(2, 1);
    const Mat Gm = loss->sample_gradients(theta0);
    const Vec grad = loss->gradient_at(theta0);
    for (Index i = 0; i < n; ++i) {
      second += H[static_cast<std::size_t>(i)] * H[static_cast<std::size_t>(i)] / nn;
      cross += (H[static_cast<std::size_t>(i)] - Hbar) * (Gm.col(i) - grad) / nn;
    }
    const Mat cov_H = second - Hbar * Hbar;
    EXPECT_LT(
        (pair_product - (I - 2 * eta * Hbar + eta * eta * (Hbar * Hbar - cov_H / (nn - 1.0)))).cwiseAbs().maxCoeff(),
        1e-14);
    const Vec shift = -eta * eta / (nn - 1.0) * cross.col(0);
    EXPECT_LT((without - gd - shift).cwiseAbs().maxCoeff(), 1e-14);
    if (spread > 0.0)
      EXPECT_GT(shift.cwiseAbs().maxCoeff(), 1e-3);
    else
      EXPECT_LT(shift.cwiseAbs().maxCoeff(), 1e-15);

    const Index N = 200000;
    for (const auto& [scheme, expect] :
         {std::pair{SgdSampling::Scheme::with_replacement, with}, std::pair{SgdSampling::Scheme::reshuffle, without}}) {
      const SgdSampling noise(loss, scheme, 1);
      Mat T = theta0.transpose().replicate(N, 1);
      Mat G(N, 2);
      for (std::uint64_t k = 0; k < 2; ++k) {
        noise.noisy_gradient(*loss, {31, Purpose::gradient_noise, k}, 0, T, G);
        T -= eta * G;
      }
      for (Index c = 0; c < 2; ++c) {
        const double m = T.col(c).mean();
        const double se =
            std::sqrt((T.col(c).array() - m).square().sum() / static_cast<double>(N - 1) / static_cast<double>(N));
        EXPECT_NEAR(m, expect[c], kSigmas * se + 1e-14) << noise.kind() << " coordinate " << c;
      }
    }
  }
}

TEST(BatchSchedule, BatchSizeAndCovarianceFollowTheStep) {
  const auto loss = small_soq();  // n = 12
  const Vec theta = Vec::LinSpaced(3, 0.8, -0.4);
  BatchSchedule sch;
  sch.kind = BatchSchedule::Kind::step;
  sch.growth = 2;
  sch.every = 3;
  const SgdSampling wo(loss, SgdSampling::Scheme::without_replacement, 2, sch);
  const std::vector<Index> expected = {2, 2, 2, 4, 4, 4, 8, 8, 8, 12, 12, 12, 12};  // capped at n
  for (std::uint64_t k = 0; k < expected.size(); ++k) {
    EXPECT_EQ(wo.batch_at(k), expected[k]) << "step " << k;
    IndexBlock idx;
    wo.draw_batch({5, Purpose::gradient_noise, k}, 0, 3, idx);
    EXPECT_EQ(idx.cols(), expected[k]) << "step " << k;
  }
  const Mat S1 = centred_gradient_covariance(loss->sample_gradients(theta));
  for (std::uint64_t k : {0u, 4u, 7u}) {
    const double b = static_cast<double>(expected[k]), n = 12.0;
    const Mat C = *wo.covariance_at_step(theta, k);
    EXPECT_LT((C - (n - b) / (b * (n - 1.0)) * S1).cwiseAbs().maxCoeff(), 1e-15) << "step " << k;
    expect_stated_covariance(wo, *loss, theta, C, k, 100000);
  }
  EXPECT_LT(wo.covariance_at_step(theta, 10)->cwiseAbs().maxCoeff(), 1e-15);  // b = n: no noise
  EXPECT_LT((*wo.covariance(theta) - *wo.covariance_at_step(theta, 0)).cwiseAbs().maxCoeff(), 1e-15);
  // With replacement the cap may exceed n.
  sch.cap = 40;
  const SgdSampling with(loss, SgdSampling::Scheme::with_replacement, 5, sch);
  EXPECT_EQ(with.batch_at(3), 10);
  EXPECT_EQ(with.batch_at(6), 20);
  EXPECT_EQ(with.batch_at(9), 40);
  EXPECT_EQ(with.batch_at(1000000), 40);
  EXPECT_LT((*with.covariance_at_step(theta, 7) - S1 / 20.0).cwiseAbs().maxCoeff(), 1e-15);
  expect_stated_covariance(with, *loss, theta, *with.covariance_at_step(theta, 7), 7, 100000);
  EXPECT_THROW(SgdSampling(loss, SgdSampling::Scheme::reshuffle, 2, sch), std::invalid_argument);  // cap 40 > n
}

// Reshuffling under a batch schedule: the epoch numbering follows its definition (a change
// of b starts a new epoch), and within an epoch no sample is used twice.
TEST(BatchSchedule, ReshufflingEpochsRestartWhenTheBatchChanges) {
  const auto loss = small_soq();  // n = 12
  BatchSchedule sch;
  sch.kind = BatchSchedule::Kind::step;
  sch.growth = 2;
  sch.every = 4;
  const SgdSampling rr(loss, SgdSampling::Scheme::reshuffle, 2, sch);
  std::uint64_t epoch = 0;
  Index pos = -1, prev_b = 0;
  std::map<std::uint64_t, std::set<std::int32_t>> used;
  for (std::uint64_t k = 0; k < 60; ++k) {
    const Index b = rr.batch_at(k);
    if (k > 0 && (b != prev_b || k % sch.every == 0 || pos + 1 == 12 / b)) {
      ++epoch;
      pos = 0;
    } else {
      pos = k == 0 ? 0 : pos + 1;
    }
    prev_b = b;
    const auto at = rr.epoch_position(k);
    EXPECT_EQ(at.epoch, epoch) << "step " << k;
    EXPECT_EQ(at.position, pos) << "step " << k;
    EXPECT_EQ(at.batch, b) << "step " << k;
    IndexBlock idx;
    rr.draw_batch({9, Purpose::gradient_noise, k}, 4, 1, idx);
    for (Index j = 0; j < idx.cols(); ++j) EXPECT_TRUE(used[epoch].insert(idx(0, j)).second) << "step " << k;
  }
  EXPECT_EQ(rr.epoch_position(3).epoch, 0u);  // phase 0: b = 2, 4 of 6 batches, then cut
  EXPECT_EQ(rr.epoch_position(4).epoch, 1u);  // phase 1: b = 4, epochs of 3 batches
  EXPECT_EQ(rr.epoch_position(7).epoch, 2u);
  // A constant schedule numbers epochs as floor(k / floor(n / b)), as before schedules.
  const SgdSampling plain(loss, SgdSampling::Scheme::reshuffle, 5);
  EXPECT_EQ(plain.epoch_position(7).epoch, 3u);
  EXPECT_EQ(plain.epoch_position(7).position, 1);
}

namespace {
const char* kLogistic = R"(name = "fs"
[loss]
kind = "logistic"
dim = 2
samples = 30
test_samples = 10
[dynamics]
kind = "discrete"
eta = 0.1
steps = 2
trajectories = 4
start = [0.1, 0.2]
)";

Experiment build(const std::string& text, const std::string& file, const std::vector<std::string>& sets = {}) {
  return build_experiment(Scenario::parse(text, file, sets), 1);
}

void expect_input_error(const std::string& text, const std::string& file, const std::vector<std::string>& sets,
                        const std::string& key, const std::string& reason) {
  try {
    build(text, file, sets);
    ADD_FAILURE() << "accepted: " << key;
  } catch (const InputError& e) {
    EXPECT_EQ(e.key(), key) << e.what();
    EXPECT_NE(std::string(e.what()).find(reason), std::string::npos) << e.what();
  }
}
}  // namespace

TEST(FiniteSumLosses, ScenarioKindsBuildAndRun) {
  const Experiment lg = build(std::string(kLogistic) + "[noise]\nkind = \"sgd\"\nbatch = 5\n", "fs.toml");
  EXPECT_EQ(lg.loss->kind(), "logistic");
  EXPECT_TRUE(lg.loss->has_test_set());
  const std::string soq = R"(name = "soq"
[loss]
kind = "sum_of_quadratics"
dim = 2
samples = 6
[noise]
kind = "sgd"
sampling = "reshuffle"
batch = 2
batch_schedule = "step"
batch_every = 3
[dynamics]
kind = "discrete"
eta = 0.1
steps = 2
trajectories = 4
start = [0.1, 0.2]
)";
  const Experiment q = build(soq, "soq.toml");
  EXPECT_EQ(q.loss->kind(), "sum_of_quadratics");
  EXPECT_EQ(dynamic_cast<const SgdSampling&>(*q.noise).batch_at(3), 4);
  for (const char* noise :
       {"kind = \"multiplicative\"\ntype = \"bernoulli\"\np = 0.3\n", "kind = \"gld\"\ntype = \"diag\"\nbatch = 3\n",
        "kind = \"large_batch_fisher\"\nadded = \"diag_fisher\"\nlarge_batch = 4\nsmall_batch = 2\n"}) {
    const Experiment e = build(std::string(kLogistic) + "[noise]\n" + noise, "fs.toml");
    EXPECT_TRUE(e.noise->covariance(e.theta0).has_value()) << noise;
  }
  // Explicit quadratics.
  const Experiment ex = build(soq, "soq.toml",
                              {"loss.hessians=[[2.0,0.0],[0.0,1.0],[1.0,0.0],[0.0,3.0]]",
                               "loss.centres=[[1.0,0.0],[0.0,1.0]]", "noise.batch_schedule=\"constant\""});
  EXPECT_LT((*ex.loss->minimizer() - Vec(Eigen::Vector2d(2.0 / 3.0, 0.75))).cwiseAbs().maxCoeff(), 1e-15);
}

TEST(FiniteSumLosses, BadInputNamesTheKey) {
  const auto dir = test::fresh_dir("finite-sum");
  const std::string file = (dir / "s.toml").string();
  std::ofstream(dir / "three.csv") << "1,2,1\n3,4,0\n";
  std::ofstream(dir / "labels.csv") << "1,2,1\n3,0.5\n";
  std::ofstream(dir / "nonbinary.csv") << "1,2,1\n3,4,-1\n";
  expect_input_error(kLogistic, file, {"loss.dim=3", "loss.data_file=\"three.csv\""}, "loss.data_file",
                     "expected 4 columns");
  expect_input_error(kLogistic, file, {"loss.data_file=\"nonbinary.csv\""}, "loss.data_file", "labels must be 0 or 1");
  expect_input_error(kLogistic, file, {"loss.data_file=\"labels.csv\""}, "loss.data_file", "");  // ragged
  expect_input_error(kLogistic, file, {"loss.l2=-0.1"}, "loss.l2", ">= 0");
  const std::string soq =
      std::string(kLogistic).replace(std::string(kLogistic).find("logistic"), 8, "sum_of_quadratics");
  expect_input_error(soq, file, {"loss.test_samples=0", "loss.hessian_spread=1.5"}, "loss.hessian_spread", "<= 1");
  expect_input_error(soq, file, {"loss.test_samples=0", "loss.hessians=[[1,0],[0,1]]", "loss.centres=[[1,0],[0,1]]"},
                     "loss.hessians", "expected 4 rows");
  // Indefinite H_i are accepted (a saddle, paper 4), but then there is no minimum to start from.
  EXPECT_NO_THROW(build(soq, file, {"loss.test_samples=0", "loss.hessians=[[1,0],[0,-1]]", "loss.centres=[[1,0]]"}));
  expect_input_error(soq, file,
                     {"loss.test_samples=0", "loss.hessians=[[1,0],[0,-1]]", "loss.centres=[[1,0]]",
                      "dynamics.start=[]", "dynamics.start_at=\"minimum\""},
                     "dynamics.start_at", "negative eigenvalue -1");
  expect_input_error(soq, file,
                     {"loss.test_samples=0", "loss.hessians=[[1,0],[0,1],[-1,0],[0,-1]]", "loss.centres=[[1,0],[2,0]]",
                      "dynamics.start=[]", "dynamics.start_at=\"minimum\""},
                     "dynamics.start_at", "outside its range");
  expect_input_error(soq, file, {"loss.test_samples=0", "loss.hessians=[[1,2],[0,-1]]", "loss.centres=[[1,0]]"},
                     "loss.hessians", "is not symmetric");
  expect_input_error(soq, file, {"loss.test_samples=0", "loss.hessians=[[1,0,0],[0,-1,0]]", "loss.centres=[[1,0]]"},
                     "loss.hessians", "expected 2 rows of 2 numbers");
  expect_input_error(soq, file, {"loss.test_samples=0", "loss.centres=[[1,0]]"}, "loss.hessians", "required");
  const std::string sgd = std::string(kLogistic) + "[noise]\nkind = \"sgd\"\nbatch = 5\n";
  expect_input_error(sgd, file, {"noise.batch_schedule=\"step\""}, "noise.batch_every", "required");
  expect_input_error(sgd, file, {"noise.batch_schedule=\"step\"", "noise.batch_every=2", "noise.batch_max=3"},
                     "noise.batch_max", "below");
  expect_input_error(
      sgd, file,
      {"noise.batch_schedule=\"step\"", "noise.batch_every=2", "noise.batch_max=31", "noise.sampling=\"reshuffle\""},
      "noise.batch_max", "exceeds");
  expect_input_error(sgd, file,
                     {"noise.batch_schedule=\"step\"", "noise.batch_every=2", "dynamics.kind=\"sde_euler_maruyama\""},
                     "noise.batch_schedule", "discrete");
  const std::string quadratic = R"(name = "q"
[loss]
kind = "quadratic"
dim = 2
eigenvalues = [1.0, 2.0]
[noise]
kind = "sgd"
batch = 5
[dynamics]
kind = "discrete"
eta = 0.1
steps = 2
trajectories = 4
)";
  expect_input_error(quadratic, file, {}, "noise.kind", "least_squares, logistic, sum_of_quadratics");
}
