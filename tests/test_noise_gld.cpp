// Paper 3's GLD noises and the Gaussian SGD / Fisher noises (noise/gld.hpp; docs/theory.md 4.2,
// 1.2, 3.3). The contract of tests/test_noise_contract.cpp for each model, at two points
// theta in one block (each trajectory's draw must follow the covariance at its own theta):
// unbiased, and the empirical covariance equals the stated C(theta) within 5 standard
// errors per entry, each se estimated from the draws (sd of the centred products /
// sqrt(N)), no Gaussianity assumed. Then each covariance against its definition computed
// independently, the equal-trace properties, and block-split determinism.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "losses/least_squares.hpp"
#include "noise/gld.hpp"
#include "noise/sampling.hpp"
#include "noise_contract_util.hpp"

using namespace sgdnoise;

namespace {

using Type = GldNoise::Type;
using Scheme = SgdSampling::Scheme;

GldNoise::Params params(Scheme scheme = Scheme::with_replacement, Index b = 4) {
  GldNoise::Params p;
  p.scheme = scheme;
  p.batch = b;
  return p;
}

struct Case {
  std::string name;
  std::function<std::shared_ptr<const NoiseModel>(std::shared_ptr<const LeastSquares>)> make;
};

std::vector<Case> all_cases() {
  auto gld = [](Type t, GldNoise::Params p) {
    return [t, p](std::shared_ptr<const LeastSquares> l) { return std::make_shared<GldNoise>(l, t, p); };
  };
  GldNoise::Params c = params();
  c.variance = 0.3;
  GldNoise::Params wor = params(Scheme::without_replacement, 5);
  GldNoise::Params diagf = params();
  diagf.diag_of_fisher = true;
  GldNoise::Params k1 = params(), k2 = params();
  k2.k = 2;
  GldNoise::Params fs = params();
  fs.fisher_scale = 0.7;
  GldNoise::Params toy = params();  // paper 3's 2-D toy protocol: weights, Tr Sigma = 0.01 (docs/theory.md 4.4A)
  toy.k = 3;
  toy.trace = 0.01;
  toy.target = NoiseTarget::weights;
  GldNoise::Params tr = params();
  tr.trace = 1.5;
  return {
      {"const", gld(Type::constant, c)},
      {"dynamic", gld(Type::dynamic, params())},
      {"dynamic_wor", gld(Type::dynamic, wor)},
      {"diag", gld(Type::diag, params())},
      {"diag_fisher", gld(Type::diag, diagf)},
      {"leading_k1", gld(Type::leading, k1)},
      {"leading_k2_wor", gld(Type::leading,
                             [&] {
                               auto p = wor;
                               p.k = 2;
                               return p;
                             }())},
      {"hessian_k2", gld(Type::hessian, k2)},
      {"hessian_toy_weights", gld(Type::hessian, toy)},
      {"first_eigvec", gld(Type::first_eigvec, params())},
      {"gaussian_sgd", gld(Type::gaussian_sgd, params())},
      {"gaussian_sgd_wor", gld(Type::gaussian_sgd, wor)},
      {"gaussian_sgd_trace", gld(Type::gaussian_sgd, tr)},
      {"gaussian_fisher", gld(Type::gaussian_fisher, params())},
      {"gaussian_fisher_scaled", gld(Type::gaussian_fisher, fs)},
      {"gaussian_fisher_diag", gld(Type::gaussian_fisher_diag, params())},
  };
}

class NoiseGldContract : public ::testing::TestWithParam<Case> {};
}  // namespace

TEST_P(NoiseGldContract, UnbiasedWithTheStatedCovarianceAtEachTheta) {
  const auto loss = test::small_least_squares();
  const auto noise = GetParam().make(loss);
  test::expect_contract(*noise, *loss, test::two_points(), 100000);
}

INSTANTIATE_TEST_SUITE_P(NoiseGld, NoiseGldContract, ::testing::ValuesIn(all_cases()),
                         [](const ::testing::TestParamInfo<Case>& i) { return i.param.name; });

// Each covariance against its definition (docs/theory.md 4.2 Table 1, 1.2, 3.3), computed here
// from SgdSampling's C_sgd, the empirical Fisher and the Hessian.
TEST(NoiseGldDefinitions, EachCovarianceIsItsDefinition) {
  const auto loss = test::small_least_squares();
  for (const Scheme scheme : {Scheme::with_replacement, Scheme::without_replacement}) {
    const Index b = 5;
    const SgdSampling sgd(loss, scheme, b);
    for (const Vec& theta : test::two_points()) {
      const Mat Csgd = *sgd.covariance(theta);
      const double t = Csgd.trace();
      const Mat F = empirical_fisher(loss->sample_gradients(theta));
      const double cb = sgd_covariance_factor(scheme, 12, b);
      const Mat H = loss->hessian(theta);
      Eigen::SelfAdjointEigenSolver<Mat> eh(H), ec(Csgd);
      const Vec u1 = eh.eigenvectors().col(2), v1 = ec.eigenvectors().col(2);
      auto cov = [&](Type type, auto&& tweak) {
        GldNoise::Params p = params(scheme, b);
        tweak(p);
        return *GldNoise(loss, type, p).covariance(theta);
      };
      auto none = [](GldNoise::Params&) {};
      const double tol = 1e-12 * Csgd.norm();
      EXPECT_LT((cov(Type::dynamic, none) - t / 3.0 * Mat::Identity(3, 3)).norm(), tol);
      EXPECT_LT((cov(Type::diag, none) - Mat(Csgd.diagonal().asDiagonal())).norm(), tol);
      const Mat Cdf = cov(Type::diag, [](auto& p) { p.diag_of_fisher = true; });
      EXPECT_LT((Cdf - cb * Mat(F.diagonal().asDiagonal())).norm(), tol);
      EXPECT_LT((cov(Type::leading, [](auto& p) { p.k = 3; }) - Csgd).norm(), tol);
      EXPECT_LT((cov(Type::leading, none) - ec.eigenvalues()[2] * v1 * v1.transpose()).norm(), tol);
      EXPECT_LT((cov(Type::hessian, [](auto& p) { p.k = 3; }) - t / H.trace() * H).norm(), tol);
      EXPECT_LT((cov(Type::hessian, none) - t * u1 * u1.transpose()).norm(), tol);
      EXPECT_LT((cov(Type::first_eigvec, none) - t * u1 * u1.transpose()).norm(), tol);
      EXPECT_LT((cov(Type::gaussian_sgd, none) - Csgd).norm(), tol);
      EXPECT_LT((cov(Type::gaussian_fisher, none) - cb * F).norm(), tol);
      EXPECT_LT((cov(Type::gaussian_fisher_diag, none) - cb * Mat(F.diagonal().asDiagonal())).norm(), tol);
      // The trace option rescales the same matrix to the given trace (docs/theory.md 4.4A).
      const Mat Ct = cov(Type::diag, [](auto& p) { p.trace = 0.01; });
      EXPECT_NEAR(Ct.trace(), 0.01, 1e-15);
      EXPECT_LT((Ct - 0.01 / t * Mat(Csgd.diagonal().asDiagonal())).norm(), 1e-14);
      const Mat Cc = cov(Type::constant, [](auto& p) {
        p.variance = 5.0;
        p.trace = 0.6;
      });
      EXPECT_LT((Cc - 0.2 * Mat::Identity(3, 3)).norm(), 1e-15);
    }
  }
}

// Paper 3's equal-trace comparison (docs/theory.md 4.2, 1.4 item 3): dynamic, Hessian and 1st
// eigvec (and diag, leading with k = d, Gaussian SGD) have SGD's trace at theta; then
// Tr(H C_first) / Tr(H C_dynamic) = d lambda_1 / Tr H and, for C ~ H,
// Tr(H C_hessian) / Tr(H C_dynamic) = d Tr(H^2) / (Tr H)^2.
TEST(NoiseGldEqualTrace, DynamicHessianAndFirstEigvecHaveSgdTrace) {
  const auto loss = test::small_least_squares(20, 3);
  for (const Scheme scheme : {Scheme::with_replacement, Scheme::without_replacement}) {
    const SgdSampling sgd(loss, scheme, 6);
    for (int r = 0; r < 5; ++r) {
      Mat z(1, 3);
      fill_normals({77, Purpose::initial_state, 0}, static_cast<std::uint64_t>(r), 0, z);
      const Vec theta = z.row(0).transpose();
      const double t = sgd.covariance(theta)->trace();
      ASSERT_GT(t, 0.0);
      auto trace_of = [&](Type type, Index k) {
        GldNoise::Params p = params(scheme, 6);
        p.k = k;
        return GldNoise(loss, type, p).covariance(theta)->trace();
      };
      for (const auto& [type, k] : std::vector<std::pair<Type, Index>>{{Type::dynamic, 1},
                                                                       {Type::hessian, 1},
                                                                       {Type::hessian, 2},
                                                                       {Type::hessian, 3},
                                                                       {Type::first_eigvec, 1},
                                                                       {Type::diag, 1},
                                                                       {Type::leading, 3},
                                                                       {Type::gaussian_sgd, 1}})
        EXPECT_NEAR(trace_of(type, k), t, 1e-12 * t) << "type " << static_cast<int>(type) << " k " << k;
      const Mat H = loss->hessian(theta);
      Eigen::SelfAdjointEigenSolver<Mat> eh(H);
      GldNoise::Params p = params(scheme, 6);
      const double dyn = (H * *GldNoise(loss, Type::dynamic, p).covariance(theta)).trace();
      const double first = (H * *GldNoise(loss, Type::first_eigvec, p).covariance(theta)).trace();
      p.k = 3;
      const double hess = (H * *GldNoise(loss, Type::hessian, p).covariance(theta)).trace();
      EXPECT_NEAR(first / dyn, 3.0 * eh.eigenvalues()[2] / H.trace(), 1e-12);
      EXPECT_NEAR(hess / dyn, 3.0 * (H * H).trace() / (H.trace() * H.trace()), 1e-12);
      EXPECT_GE(first, hess);
      EXPECT_GE(hess, dyn);
    }
  }
}

// docs/conventions.md, determinism: a trajectory's draw depends on its coordinates only, not
// on the block it is drawn in (rows 0..99 at once versus rows 37..99 with traj = 37).
TEST(NoiseGldDeterminism, SameDrawsWhateverTheBlockSplit) {
  const auto loss = test::small_least_squares();
  Mat X(100, 3);
  fill_normals({5, Purpose::initial_state, 0}, 0, 0, X);  // a different theta per trajectory
  for (const Case& c : all_cases()) {
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
    // A different step gives different draws.
    Mat other = Mat::Zero(100, 3);
    noise->add_sample({2024, Purpose::gradient_noise, 18}, 0, X, 0.5, other);
    EXPECT_GT((other - all).cwiseAbs().maxCoeff(), 0.0);
  }
}

TEST(NoiseGldContractEdges, ZeroNoiseIsPlainGradientDescent) {
  const auto loss = test::small_least_squares();
  const Vec theta = test::two_points()[0];
  const Vec grad = loss->gradient_at(theta);
  GldNoise::Params zero = params();
  zero.fisher_scale = 0.0;
  const std::vector<std::shared_ptr<const NoiseModel>> silent = {
      std::make_shared<GldNoise>(loss, Type::constant, params()),  // variance 0
      std::make_shared<GldNoise>(loss, Type::gaussian_fisher, zero),
      std::make_shared<GldNoise>(loss, Type::gaussian_fisher_diag, zero),
      std::make_shared<GldNoise>(loss, Type::dynamic, params(Scheme::without_replacement, 12)),  // b = n
      std::make_shared<GldNoise>(loss, Type::hessian, params(Scheme::without_replacement, 12)),
      std::make_shared<GldNoise>(loss, Type::gaussian_sgd, params(Scheme::without_replacement, 12))};
  const Mat X = theta.transpose().replicate(50, 1);
  for (const auto& noise : silent) {
    SCOPED_TRACE(noise->kind());
    EXPECT_LT(noise->covariance(theta)->cwiseAbs().maxCoeff(), 1e-15);
    Mat G(50, 3);
    noise->noisy_gradient(*loss, {1, Purpose::gradient_noise, 0}, 0, X, G);
    for (Index t = 0; t < 50; ++t) EXPECT_LT((G.row(t).transpose() - grad).cwiseAbs().maxCoeff(), 1e-13);
  }
  EXPECT_THROW(GldNoise(loss, Type::leading,
                        [] {
                          auto p = params();
                          p.k = 4;
                          return p;
                        }()),
               std::invalid_argument);
  EXPECT_THROW(GldNoise(loss, Type::dynamic, params(Scheme::without_replacement, 13)), std::invalid_argument);
  EXPECT_THROW(GldNoise(loss, Type::constant,
                        [] {
                          auto p = params();
                          p.variance = -1.0;
                          return p;
                        }()),
               std::invalid_argument);
}
