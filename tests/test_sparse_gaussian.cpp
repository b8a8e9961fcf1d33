// Paper 1's sparse Gaussian noise (noise/sparse_gaussian.hpp): its weights have the stated
// Cov(V), its noisy gradients the stated C = G Cov(V) G^T, and a run is bitwise the same on
// 1 and 2 threads.
//
// Standard error of a sample covariance entry. With Y = g - E g, the estimate
// S_ij = (1/(N-1)) sum_t (g_ti - gbar_i)(g_tj - gbar_j) equals the mean of the N independent
// products Y_ti Y_tj up to O(1/N), so by the CLT its variance is
// (E[Y_i^2 Y_j^2] - C_ij^2) / N: the variance of one product over N. The product's variance
// is estimated from the same draws, so se_ij = sd_t(Y_ti Y_tj) / sqrt(N) with no Gaussian
// assumption (the weights are not Gaussian: B is random). test::expect_sample_moments
// checks every entry of the mean and of the covariance within 5 of those standard errors.
#include <gtest/gtest.h>

#include <cstring>

#include "noise/sparse_gaussian.hpp"
#include "noise_contract_util.hpp"
#include "scenario/runner.hpp"

using namespace sgdnoise;

namespace {
const double kSigma = 1.3;
}  // namespace

// docs/theory.md 1.2: Cov(V) as stated, checked entry by entry on the weights themselves
// (n = 12, so 78 entries), and each row has exactly b weights off 1/n (B without replacement).
TEST(SparseGaussian, WeightsHaveTheStatedCovariance) {
  const auto loss = test::small_least_squares();
  const Index n = 12, b = 4, N = 200000;
  for (auto type : {SparseGaussianNoise::Type::fisher, SparseGaussianNoise::Type::cov}) {
    const SparseGaussianNoise noise(loss, type, b, kSigma);
    SCOPED_TRACE(noise.kind());
    Mat W;
    noise.draw_weights({77, Purpose::gradient_noise, 5}, 0, N, W);
    test::expect_sample_moments(W, Vec::Constant(n, 1.0 / 12.0), weight_covariance(n, noise.weight_covariance()), 5.0);
    for (Index t = 0; t < 100; ++t) EXPECT_EQ((W.row(t).array() != 1.0 / 12.0).count(), b);
  }
}

// The stated C against the closed forms (sigma^2 b / n^2) F and sigma^2 (b-1)/(n(n-1)) Sigma_1,
// the empirical covariance of the noisy gradients against it, and b = n against the dense
// Gaussian types of docs/theory.md 1.2 (rows 4, 5).
TEST(SparseGaussian, GradientNoiseHasTheStatedCovariance) {
  const auto loss = test::small_least_squares();
  const double n = 12.0, s2 = kSigma * kSigma;
  const Vec theta = Vec::LinSpaced(3, 0.8, -0.4);
  const Mat G = loss->sample_gradients(theta);
  for (Index b : {1, 4, 12}) {
    const SparseGaussianNoise fisher(loss, SparseGaussianNoise::Type::fisher, b, kSigma);
    const SparseGaussianNoise cov(loss, SparseGaussianNoise::Type::cov, b, kSigma);
    const double bd = static_cast<double>(b);
    EXPECT_LT((*fisher.covariance(theta) - s2 * bd / (n * n) * empirical_fisher(G)).cwiseAbs().maxCoeff(), 1e-13);
    EXPECT_LT((*cov.covariance(theta) - s2 * (bd - 1.0) / (n * (n - 1.0)) * centred_gradient_covariance(G))
                  .cwiseAbs()
                  .maxCoeff(),
              1e-13);
  }
  const SparseGaussianNoise fisher_n(loss, SparseGaussianNoise::Type::fisher, 12, kSigma);
  const SparseGaussianNoise cov_n(loss, SparseGaussianNoise::Type::cov, 12, kSigma);
  const MultiplicativeNoise dense_fisher(loss, MultiplicativeNoise::Type::gaussian_fisher, kSigma);
  const MultiplicativeNoise dense_cov(loss, MultiplicativeNoise::Type::gaussian_cov, kSigma);
  EXPECT_LT((*fisher_n.covariance(theta) - *dense_fisher.covariance(theta)).cwiseAbs().maxCoeff(), 1e-13);
  EXPECT_LT((*cov_n.covariance(theta) - *dense_cov.covariance(theta)).cwiseAbs().maxCoeff(), 1e-13);

  for (auto type : {SparseGaussianNoise::Type::fisher, SparseGaussianNoise::Type::cov}) {
    const SparseGaussianNoise noise(loss, type, 4, kSigma);
    SCOPED_TRACE(noise.kind());
    test::expect_contract(noise, *loss, test::two_points(), 200000);
  }
}

// A run through the scenario (the registered kind) on 1 and 2 threads and two block sizes:
// the same bits.
TEST(SparseGaussian, ThreadsAndBlocksGiveIdenticalResults) {
  const std::string text = R"(name = "sparse_gaussian_threads"
seed = 3
[loss]
kind = "least_squares"
dim = 3
samples = 40
test_samples = 0
[noise]
kind = "sparse_gaussian"
type = "cov"
batch = 7
sigma = 2.0
[dynamics]
kind = "discrete"
eta = 0.1
steps = 12
trajectories = 301
start = [1.0, -1.0, 0.5]
)";
  auto run = [&](int threads, Index block) {
    Experiment ex = build_experiment(Scenario::parse(text, "sparse_gaussian.toml"), threads);
    ex.spec.block = block;
    return run_experiment(ex).record;
  };
  const RunRecord a = run(1, 256), b = run(2, 13);
  ASSERT_EQ(a.final_state.size(), b.final_state.size());
  EXPECT_EQ(0, std::memcmp(a.final_state.data(), b.final_state.data(), sizeof(double) * a.final_state.size()));
  EXPECT_GT((a.final_state.rowwise() - a.final_state.row(0)).cwiseAbs().maxCoeff(), 0.0);  // the noise is there
}
