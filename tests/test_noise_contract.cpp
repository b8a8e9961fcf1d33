// The sampling noises' identities (docs/theory.md 1.2, 1.5): zero noise gives plain GD, the
// covariances of 1.2 relate as stated, reshuffling uses every sample once per epoch, and the
// sampling order moves the mean iterate. The covariance contract of every noise kind is
// tests/test_kind_contracts.cpp.
#include <gtest/gtest.h>

#include <cmath>

#include "losses/least_squares.hpp"
#include "noise/sampling.hpp"
#include "noise_contract_util.hpp"
#include "test_util.hpp"

using namespace sgdnoise;

// Unbiased draws with the stated covariance, for every registered noise kind and each of its
// example instances (SGD's three schemes, the three multiplicative types, the Gaussian forms,
// ...): tests/test_kind_contracts.cpp, instantiated from the kind registry.

TEST(NoiseContract, ZeroNoiseIsPlainGradientDescent) {
  const auto loss = test::small_least_squares();
  const Vec theta = Vec::LinSpaced(3, 0.8, -0.4);
  const Vec grad = loss->gradient_at(theta);
  using M = MultiplicativeNoise::Type;
  const std::vector<std::shared_ptr<const NoiseModel>> silent = {
      std::make_shared<MultiplicativeNoise>(loss, M::gaussian_fisher, 0.0),
      std::make_shared<MultiplicativeNoise>(loss, M::gaussian_cov, 0.0),
      std::make_shared<MultiplicativeNoise>(loss, M::bernoulli, 1.0),
      std::make_shared<SgdSampling>(loss, SgdSampling::Scheme::without_replacement, 12),  // b = n
      std::make_shared<SgdSampling>(loss, SgdSampling::Scheme::reshuffle, 12)};
  for (const auto& noise : silent) {
    SCOPED_TRACE(noise->kind());
    EXPECT_LT(noise->covariance(theta)->cwiseAbs().maxCoeff(), 1e-15);
    const Mat G = test::draw_gradients(*noise, *loss, theta, 50);
    for (Index t = 0; t < 50; ++t) EXPECT_LT((G.row(t).transpose() - grad).cwiseAbs().maxCoeff(), 1e-13);
  }
}

// docs/theory.md 1.2: the Gaussian Cov type with sigma^2 = n / b has SGD-with-replacement's
// covariance at every theta; the Fisher type equals the Cov type where grad L = 0.
TEST(NoiseContract, SectionOnePointTwoIdentities) {
  const auto loss = test::small_least_squares();
  const double n = 12.0, b = 4.0;
  const Vec theta = Vec::LinSpaced(3, 0.8, -0.4);
  const SgdSampling sgd(loss, SgdSampling::Scheme::with_replacement, 4);
  const MultiplicativeNoise cov(loss, MultiplicativeNoise::Type::gaussian_cov, std::sqrt(n / b));
  const MultiplicativeNoise fisher(loss, MultiplicativeNoise::Type::gaussian_fisher, std::sqrt(n / b));
  EXPECT_LT((*sgd.covariance(theta) - *cov.covariance(theta)).cwiseAbs().maxCoeff(), 1e-14);
  EXPECT_GT((*fisher.covariance(theta) - *cov.covariance(theta)).cwiseAbs().maxCoeff(), 1e-3);
  const Vec star = *loss->minimizer();
  EXPECT_LT((*fisher.covariance(star) - *cov.covariance(star)).cwiseAbs().maxCoeff(), 1e-13);
  // Bernoulli with p = b/n: ((n - b)/(b n)) F.
  const MultiplicativeNoise bern(loss, MultiplicativeNoise::Type::bernoulli, b / n);
  const Mat F = empirical_fisher(loss->sample_gradients(theta));
  EXPECT_LT((*bern.covariance(theta) - (n - b) / (b * n) * F).cwiseAbs().maxCoeff(), 1e-14);
}

TEST(NoiseContract, ReshufflingUsesEverySampleOncePerEpoch) {
  const auto loss = test::small_least_squares();
  const SgdSampling rr(loss, SgdSampling::Scheme::reshuffle, 4);
  for (std::uint64_t epoch = 0; epoch < 3; ++epoch) {
    std::vector<int> seen(12, 0);
    IndexBlock idx;
    for (std::uint64_t k = 3 * epoch; k < 3 * epoch + 3; ++k) {
      rr.draw_batch({5, Purpose::gradient_noise, k}, 7, 2, idx);
      for (Index j = 0; j < 4; ++j) ++seen[static_cast<std::size_t>(idx(1, j))];
    }
    for (int c : seen) EXPECT_EQ(c, 1) << "epoch " << epoch;
  }
  // Without replacement inside a batch: no repeated index.
  const SgdSampling wo(loss, SgdSampling::Scheme::without_replacement, 6);
  IndexBlock idx;
  wo.draw_batch({5, Purpose::gradient_noise, 0}, 0, 1000, idx);
  for (Index t = 0; t < 1000; ++t) {
    std::vector<int> seen(12, 0);
    for (Index j = 0; j < 6; ++j) ASSERT_EQ(++seen[static_cast<std::size_t>(idx(t, j))], 1);
  }
}

// docs/theory.md 1.5 by exact enumeration (n = 4, d = 2, eta = 0.3, b = 1): with replacement
// E theta_2 is the GD iterate exactly; reshuffling's E theta_2 (ordered distinct pairs)
// differs, and the simulated ensemble means agree with each enumeration within 5 se.
TEST(NoiseContract, SamplingOrderAndTheMeanIterate) {
  const auto loss = test::small_least_squares(4, 2);
  const double eta = 0.3;
  const Vec theta0(Vec::LinSpaced(2, 1.0, -2.0));
  const Mat& X = loss->features();
  const Vec& y = loss->labels();
  auto step = [&](const Vec& th, Index i) -> Vec {
    return th - eta * X.row(i).transpose() * (X.row(i).dot(th) - y[i]);
  };
  Vec with = Vec::Zero(2), without = Vec::Zero(2);
  for (Index i = 0; i < 4; ++i)
    for (Index j = 0; j < 4; ++j) {
      with += step(step(theta0, i), j) / 16.0;
      if (i != j) without += step(step(theta0, i), j) / 12.0;
    }
  Vec gd = theta0;
  for (int k = 0; k < 2; ++k) gd -= eta * loss->gradient_at(gd);
  EXPECT_LT((with - gd).cwiseAbs().maxCoeff(), 1e-13);
  EXPECT_GT((without - gd).cwiseAbs().maxCoeff(), 1e-3);

  const Index N = 400000;
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
      EXPECT_NEAR(m, expect[c], 5.0 * se) << noise.kind() << " coordinate " << c;
    }
  }
}
