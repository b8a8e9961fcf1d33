// Large-batch SGD with Fisher noise (paper 2, docs/theory.md 3.3), label-noise SGD on least
// squares and symmetric alpha-stable noise (noise/large_batch.hpp, noise/heavy_tail.hpp).
// Models with a covariance get the contract of tests/test_noise_contract.cpp at two points
// theta in one block: unbiased, empirical covariance within 5 se per entry of the stated
// C(theta), each se estimated from the draws (sd of the centred products / sqrt(N)).
// Alpha-stable noise has no covariance for alpha < 2: its contract is its characteristic
// function (docs/conventions.md, heavy tails).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "losses/least_squares.hpp"
#include "noise/gld.hpp"
#include "noise/heavy_tail.hpp"
#include "noise/large_batch.hpp"
#include "noise/sampling.hpp"
#include "noise_contract_util.hpp"

using namespace sgdnoise;

namespace {

using Scheme = SgdSampling::Scheme;
using Added = LargeBatchFisherNoise::Added;
using LabelDraw = LabelNoiseSgd::LabelDraw;

LargeBatchFisherNoise::Params lb(Scheme scheme, Index B, Index b, std::optional<double> scale = std::nullopt) {
  LargeBatchFisherNoise::Params p;
  p.scheme = scheme;
  p.large_batch = B;
  p.small_batch = b;
  p.scale = scale;
  return p;
}

struct Case {
  std::string name;
  std::function<std::shared_ptr<const NoiseModel>(std::shared_ptr<const LeastSquares>)> make;
};

std::vector<Case> all_cases() {
  auto large = [](Added a, LargeBatchFisherNoise::Params p) {
    return [a, p](std::shared_ptr<const LeastSquares> l) { return std::make_shared<LargeBatchFisherNoise>(l, a, p); };
  };
  auto label = [](Scheme s, LabelDraw draw) {
    return [s, draw](std::shared_ptr<const LeastSquares> l) {
      return std::make_shared<LabelNoiseSgd>(l, s, 4, 1.5, draw);
    };
  };
  return {
      {"large_batch_full", large(Added::full_fisher, lb(Scheme::with_replacement, 6, 2))},
      {"large_batch_diag", large(Added::diag_fisher, lb(Scheme::with_replacement, 6, 2))},
      {"large_batch_full_wor", large(Added::full_fisher, lb(Scheme::without_replacement, 6, 3))},
      {"large_batch_diag_wor", large(Added::diag_fisher, lb(Scheme::without_replacement, 8, 3))},
      {"large_batch_full_fixed_scale", large(Added::full_fisher, lb(Scheme::with_replacement, 6, 2, 0.2))},
      {"label_noise_per_sample", label(Scheme::with_replacement, LabelDraw::per_sample)},
      {"label_noise_per_slot", label(Scheme::with_replacement, LabelDraw::per_slot)},
      {"label_noise_wor", label(Scheme::without_replacement, LabelDraw::per_sample)},
      {"label_noise_reshuffle", label(Scheme::reshuffle, LabelDraw::per_sample)},
      {"alpha_stable_2",
       [](std::shared_ptr<const LeastSquares>) {
         return std::make_shared<AlphaStableNoise>(3, 2.0, 0.6, NoiseTarget::gradient);
       }},
  };
}

class NoiseMoreContract : public ::testing::TestWithParam<Case> {};
}  // namespace

TEST_P(NoiseMoreContract, UnbiasedWithTheStatedCovarianceAtEachTheta) {
  const auto loss = test::small_least_squares();
  const auto noise = GetParam().make(loss);
  test::expect_contract(*noise, *loss, test::two_points(), 100000);
}

INSTANTIATE_TEST_SUITE_P(NoiseMore, NoiseMoreContract, ::testing::ValuesIn(all_cases()),
                         [](const ::testing::TestParamInfo<Case>& i) { return i.param.name; });

// The default scale matches the small-batch covariance's trace at every theta (header of
// noise/large_batch.hpp; docs/theory.md 3.3): Tr C = Tr C_sgd(b), full and diagonal alike; near
// the minimizer (grad L = 0) s = c_b - c_B, the recalled 1/M_S - 1/M_L with replacement.
TEST(NoiseMoreLargeBatch, TraceMatchesTheSmallBatch) {
  const auto loss = test::small_least_squares(20, 3);
  for (const Scheme scheme : {Scheme::with_replacement, Scheme::without_replacement}) {
    const SgdSampling small(loss, scheme, 3);
    const SgdSampling big(loss, scheme, 10);
    const LargeBatchFisherNoise full(loss, Added::full_fisher, lb(scheme, 10, 3));
    const LargeBatchFisherNoise diag(loss, Added::diag_fisher, lb(scheme, 10, 3));
    for (int r = 0; r < 5; ++r) {
      Mat z(1, 3);
      fill_normals({78, Purpose::initial_state, 0}, static_cast<std::uint64_t>(r), 0, z);
      const Vec theta = z.row(0).transpose();
      const double t = small.covariance(theta)->trace();
      const Mat Cf = *full.covariance(theta), Cd = *diag.covariance(theta);
      EXPECT_NEAR(Cf.trace(), t, 1e-12 * t);
      EXPECT_NEAR(Cd.trace(), t, 1e-12 * t);
      // Off the diagonal, the diagonal-Fisher model is the large batch's sampling noise alone.
      const Mat Cb = *big.covariance(theta);
      for (Index i = 0; i < 3; ++i)
        for (Index j = 0; j < 3; ++j)
          if (i != j) {
            EXPECT_NEAR(Cd(i, j), Cb(i, j), 1e-14);
          }
      const Mat F = empirical_fisher(loss->sample_gradients(theta));
      EXPECT_LT((Cf - Cb - full.added_scale(theta) * F).norm(), 1e-13);
    }
    const Vec star = *loss->minimizer();
    EXPECT_NEAR(full.added_scale(star), full.small_batch_factor() - full.large_batch_factor(), 1e-10);
  }
  const LargeBatchFisherNoise wr(loss, Added::full_fisher, lb(Scheme::with_replacement, 10, 3));
  EXPECT_NEAR(wr.small_batch_factor() - wr.large_batch_factor(), 1.0 / 3.0 - 1.0 / 10.0, 1e-15);
  EXPECT_THROW(LargeBatchFisherNoise(loss, Added::full_fisher, lb(Scheme::with_replacement, 3, 10)),
               std::invalid_argument);
  EXPECT_THROW(LargeBatchFisherNoise(loss, Added::full_fisher, lb(Scheme::reshuffle, 10, 3)), std::invalid_argument);
}

// With s = 0 the model is SGD with batch B: the same batches (purpose `sampling`), bit for bit.
TEST(NoiseMoreLargeBatch, ZeroScaleIsLargeBatchSgd) {
  const auto loss = test::small_least_squares();
  Mat X(64, 3);
  fill_normals({5, Purpose::initial_state, 0}, 0, 0, X);
  for (const Scheme scheme : {Scheme::with_replacement, Scheme::without_replacement}) {
    const SgdSampling big(loss, scheme, 6);
    for (const Added a : {Added::full_fisher, Added::diag_fisher}) {
      const LargeBatchFisherNoise noise(loss, a, lb(scheme, 6, 2, 0.0));
      Mat g1(64, 3), g2(64, 3);
      noise.noisy_gradient(*loss, {9, Purpose::gradient_noise, 4}, 10, X, g1);
      big.noisy_gradient(*loss, {9, Purpose::gradient_noise, 4}, 10, X, g2);
      EXPECT_TRUE((g1.array() == g2.array()).all());
      EXPECT_LT((*noise.covariance(X.row(0).transpose()) - *big.covariance(X.row(0).transpose())).norm(), 1e-15);
    }
  }
}

// delta = 0 is plain SGD with the same batches, bit for bit.
TEST(NoiseMoreLabelNoise, ZeroDeltaIsSgd) {
  const auto loss = test::small_least_squares();
  Mat X(64, 3);
  fill_normals({5, Purpose::initial_state, 0}, 0, 0, X);
  for (const Scheme scheme : {Scheme::with_replacement, Scheme::without_replacement, Scheme::reshuffle}) {
    const SgdSampling sgd(loss, scheme, 4);
    const LabelNoiseSgd noise(loss, scheme, 4, 0.0);
    Mat g1(64, 3), g2(64, 3);
    noise.noisy_gradient(*loss, {9, Purpose::gradient_noise, 4}, 10, X, g1);
    sgd.noisy_gradient(*loss, {9, Purpose::gradient_noise, 4}, 10, X, g2);
    EXPECT_TRUE((g1.array() == g2.array()).all());
    EXPECT_LT((*noise.covariance(X.row(0).transpose()) - *sgd.covariance(X.row(0).transpose())).norm(), 1e-15);
  }
}

// The label term's covariance depends on how eps is drawn: per sample (repeats of an index
// in a with-replacement batch share eps_i) kappa = (n + b - 1)/(n b), per slot kappa = 1/b
// (header of noise/heavy_tail.hpp). The draws distinguish the two: the per-sample
// ensemble's covariance is far outside 5 se of the per-slot formula.
TEST(NoiseMoreLabelNoise, TheDrawConventionMatters) {
  const auto loss = test::small_least_squares();
  const LabelNoiseSgd per_sample(loss, Scheme::with_replacement, 4, 3.0, LabelDraw::per_sample);
  const LabelNoiseSgd per_slot(loss, Scheme::with_replacement, 4, 3.0, LabelDraw::per_slot);
  EXPECT_DOUBLE_EQ(per_sample.label_factor(), 15.0 / 48.0);
  EXPECT_DOUBLE_EQ(per_slot.label_factor(), 0.25);
  const Vec theta = test::two_points()[0];
  const Index N = 200000;
  const Mat X = theta.transpose().replicate(N, 1);
  Mat G(N, 3);
  per_sample.noisy_gradient(*loss, {3, Purpose::gradient_noise, 0}, 0, X, G);
  const Mat Y = G.rowwise() - G.colwise().mean();
  const Mat wrong = *per_slot.covariance(theta);
  double worst = 0.0;  // the largest |empirical - per-slot| in units of se
  for (Index i = 0; i < 3; ++i) {
    const Vec prod = Y.col(i).cwiseProduct(Y.col(i));
    const double Nd = static_cast<double>(N);
    const double se = std::sqrt((prod.array() - prod.mean()).square().sum() / (Nd - 1.0) / Nd);
    worst = std::max(worst, std::abs(prod.sum() / static_cast<double>(N - 1) - wrong(i, i)) / se);
  }
  EXPECT_GT(worst, 20.0);
}

// docs/conventions.md heavy tails: E cos(t X) = exp(-|gamma t|^alpha) within 5 se at several t,
// and E sin(t X) = 0 (symmetry), pooling the d i.i.d. coordinates.
TEST(NoiseMoreAlphaStable, CharacteristicFunction) {
  const double gamma = 0.7;
  const Index rows = 100000, d = 4;
  for (const double alpha : {0.8, 1.0, 1.2, 1.5, 2.0}) {
    SCOPED_TRACE("alpha " + std::to_string(alpha));
    const AlphaStableNoise noise(d, alpha, gamma, NoiseTarget::gradient);
    if (alpha < 2.0)
      EXPECT_FALSE(noise.covariance(Vec::Zero(d)).has_value());
    else
      EXPECT_LT((*noise.covariance(Vec::Zero(d)) - 2.0 * gamma * gamma * Mat::Identity(d, d)).norm(), 1e-15);
    Mat Z = Mat::Zero(rows, d);
    noise.add_sample({11, Purpose::gradient_noise, 2}, 0, Mat::Zero(rows, d), 1.0, Z);
    ASSERT_TRUE(Z.allFinite());
    const Eigen::ArrayXd x = Z.reshaped().array();
    const double N = static_cast<double>(x.size());
    for (const double t : {0.2, 0.5, 1.0, 2.0, 4.0}) {
      const Eigen::ArrayXd c = (t * x).cos(), s = (t * x).sin();
      const double se_c = std::sqrt((c - c.mean()).square().sum() / (N - 1.0) / N);
      const double se_s = std::sqrt((s - s.mean()).square().sum() / (N - 1.0) / N);
      EXPECT_NEAR(c.mean(), noise.characteristic_function(t), 5.0 * se_c) << "t " << t;
      EXPECT_NEAR(s.mean(), 0.0, 5.0 * se_s) << "t " << t;
    }
  }
  EXPECT_THROW(AlphaStableNoise(2, 2.5, 1.0, NoiseTarget::gradient), std::invalid_argument);
  EXPECT_THROW(AlphaStableNoise(2, 0.0, 1.0, NoiseTarget::gradient), std::invalid_argument);
}

// docs/conventions.md, determinism: rows 0..99 at once versus rows 37..99 with traj = 37.
TEST(NoiseMoreDeterminism, SameDrawsWhateverTheBlockSplit) {
  const auto loss = test::small_least_squares();
  Mat X(100, 3);
  fill_normals({5, Purpose::initial_state, 0}, 0, 0, X);
  std::vector<Case> cases = all_cases();
  cases.push_back({"alpha_stable_1.5", [](std::shared_ptr<const LeastSquares>) {
                     return std::make_shared<AlphaStableNoise>(3, 1.5, 0.6, NoiseTarget::weights);
                   }});
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const auto noise = c.make(loss);
    const StreamCoords s{2024, Purpose::gradient_noise, 17};
    Mat all = Mat::Zero(100, 3), part = Mat::Zero(63, 3);
    noise->add_sample(s, 0, X, 0.5, all);
    noise->add_sample(s, 37, X.bottomRows(63), 0.5, part);
    EXPECT_TRUE((all.bottomRows(63).array() == part.array()).all());
    Mat g_all(100, 3), g_part(63, 3);
    noise->noisy_gradient(*loss, s, 0, X, g_all);
    noise->noisy_gradient(*loss, s, 37, X.bottomRows(63), g_part);
    EXPECT_TRUE((g_all.bottomRows(63).array() == g_part.array()).all());
    Mat other = Mat::Zero(100, 3);
    noise->add_sample({2024, Purpose::gradient_noise, 18}, 0, X, 0.5, other);
    EXPECT_GT((other - all).cwiseAbs().maxCoeff(), 0.0);
  }
}
