// The matrix-free gradient-noise covariance C = G Cov(V) G^T (noise/covariance_operator.hpp):
// its products, trace and norm equal the noise models' dense covariance(), which equals the
// docs/theory.md 1.2 table; Spectra's Lanczos on it finds the dense eigenpairs.
#include <gtest/gtest.h>

#include <Eigen/Eigenvalues>
#include <functional>
#include <memory>

#include "analysis/eigenpairs.hpp"
#include "losses/least_squares.hpp"
#include "noise/gld.hpp"
#include "noise/large_batch.hpp"
#include "noise/sampling.hpp"

namespace sgdnoise {
namespace {

std::shared_ptr<const LeastSquares> lstsq(Index d, Index n) {
  LeastSquares::Synthetic s;
  s.n = n;
  s.d = d;
  s.n_test = 0;
  s.condition = 20.0;
  s.seed = 7;
  return std::make_shared<LeastSquares>(LeastSquares::synthetic(s));
}

struct Case {
  std::string name;
  std::shared_ptr<const NoiseModel> noise;
  std::function<Mat(const Mat& G)> paper;  // C from docs/theory.md 1.2, written out independently
};

std::vector<Case> cases(const std::shared_ptr<const LeastSquares>& ls) {
  const double n = static_cast<double>(ls->n_samples());
  const Index b = 10;
  const double bd = static_cast<double>(b), sigma = 1.7, p = 0.2;
  using S = SgdSampling::Scheme;
  GldNoise::Params gp;
  gp.batch = b;
  GldNoise::Params gt = gp;
  gt.trace = 0.3;
  LargeBatchFisherNoise::Params lb;
  lb.large_batch = 40;
  lb.small_batch = b;
  lb.scale = 0.01;
  return {
      {"sgd_with_replacement", std::make_shared<SgdSampling>(ls, S::with_replacement, b),
       [=](const Mat& G) { return Mat(centred_gradient_covariance(G) / bd); }},
      {"sgd_without_replacement", std::make_shared<SgdSampling>(ls, S::without_replacement, b),
       [=](const Mat& G) { return Mat((n - bd) / (bd * (n - 1.0)) * centred_gradient_covariance(G)); }},
      {"multiplicative_gaussian_fisher",
       std::make_shared<MultiplicativeNoise>(ls, MultiplicativeNoise::Type::gaussian_fisher, sigma),
       [=](const Mat& G) { return Mat(sigma * sigma / n * empirical_fisher(G)); }},
      {"multiplicative_gaussian_cov",
       std::make_shared<MultiplicativeNoise>(ls, MultiplicativeNoise::Type::gaussian_cov, sigma),
       [=](const Mat& G) { return Mat(sigma * sigma / n * centred_gradient_covariance(G)); }},
      {"multiplicative_bernoulli", std::make_shared<MultiplicativeNoise>(ls, MultiplicativeNoise::Type::bernoulli, p),
       [=](const Mat& G) { return Mat((1.0 - p) / (p * n) * empirical_fisher(G)); }},
      {"gld_gaussian_sgd", std::make_shared<GldNoise>(ls, GldNoise::Type::gaussian_sgd, gp),
       [=](const Mat& G) { return Mat(centred_gradient_covariance(G) / bd); }},
      {"gld_gaussian_fisher", std::make_shared<GldNoise>(ls, GldNoise::Type::gaussian_fisher, gp),
       [=](const Mat& G) { return Mat(empirical_fisher(G) / bd); }},
      {"gld_gaussian_fisher_trace", std::make_shared<GldNoise>(ls, GldNoise::Type::gaussian_fisher, gt),
       [=](const Mat& G) {
         const Mat F = empirical_fisher(G);
         return Mat(0.3 * F / F.trace());
       }},
      {"large_batch_full_fisher",
       std::make_shared<LargeBatchFisherNoise>(ls, LargeBatchFisherNoise::Added::full_fisher, lb),
       [=](const Mat& G) { return Mat(centred_gradient_covariance(G) / 40.0 + 0.01 * empirical_fisher(G)); }},
  };
}

// Away from the minimizer, so that the mean gradient does not vanish and F != Sigma_1.
Vec test_point(const LeastSquares& ls) { return *ls.minimizer() + Vec::LinSpaced(ls.dim(), -0.5, 0.5); }

// Products and traces are sums of O(n d) terms of size ~ ||C||: rounding ~ n eps ||C||, so
// 1e-12 relative to ||C|| is a safe bound at n = 200.
constexpr double kRel = 1e-12;

TEST(CovarianceOperator, ProductsTraceAndNormEqualDenseCovariance) {
  for (const auto& [d, n] : {std::pair<Index, Index>{50, 200}, std::pair<Index, Index>{50, 30}}) {
    const auto ls = lstsq(d, n);
    const Vec theta = test_point(*ls);
    const Mat G = ls->sample_gradients(theta);
    for (const auto& c : cases(ls)) {
      SCOPED_TRACE(c.name + " n=" + std::to_string(n));
      const auto op = c.noise->covariance_operator(theta);
      ASSERT_TRUE(op.has_value());
      const Mat C = *c.noise->covariance(theta);
      const Mat P = c.paper(G);
      const double scale = C.norm();
      ASSERT_GT(scale, 0.0);
      EXPECT_LE((C - P).norm(), kRel * scale) << "dense covariance() differs from docs/theory.md 1.2";
      // The one definition of Cov(V): G Cov(V) G^T with the n x n matrix written out.
      if (c.name.rfind("gld_gaussian_fisher_trace", 0) != 0) {
        const Mat via_weights = G * weight_covariance(n, op->coefficients()) * G.transpose();
        EXPECT_LE((via_weights - C).norm(), kRel * scale);
      }
      for (int j = 0; j < 3; ++j) {
        const Vec v = Vec::LinSpaced(d, -1.0, 1.0 + j).array().sin();
        EXPECT_LE((op->apply(v) - C * v).norm(), kRel * scale * v.norm());
      }
      EXPECT_NEAR(op->trace(), C.trace(), kRel * std::abs(C.trace()));
      EXPECT_NEAR(op->frobenius_norm(), C.norm(), kRel * scale);
      EXPECT_LE((op->dense() - C).norm(), kRel * scale);
    }
  }
}

TEST(CovarianceOperator, NoOperatorForNoisesThatDoNotReweightGradients) {
  const auto ls = lstsq(5, 20);
  GldNoise::Params gp;
  gp.batch = 2;
  gp.variance = 1.0;
  const Vec theta = Vec::Zero(5);
  EXPECT_FALSE(GldNoise(ls, GldNoise::Type::constant, gp).covariance_operator(theta).has_value());
  LargeBatchFisherNoise::Params lb;
  lb.large_batch = 4;
  lb.small_batch = 2;
  EXPECT_FALSE(
      LargeBatchFisherNoise(ls, LargeBatchFisherNoise::Added::diag_fisher, lb).covariance_operator(theta).has_value());
}

TEST(CovarianceOperator, SpectraEigenpairsEqualDense) {
  const auto ls = lstsq(50, 200);
  const Vec theta = test_point(*ls);
  for (const auto& c : cases(ls)) {
    SCOPED_TRACE(c.name);
    const auto op = c.noise->covariance_operator(theta);
    const Mat C = *c.noise->covariance(theta);
    Eigen::SelfAdjointEigenSolver<Mat> es(C);
    const Vec& all = es.eigenvalues();  // ascending
    const double top = all[49];
    for (const bool largest : {true, false}) {
      const Eigenpairs e = lanczos_eigenpairs(*op, 5, largest);
      ASSERT_TRUE(e.converged) << e.reason;
      EXPECT_EQ(e.method, "spectra_lanczos");
      EXPECT_GT(e.operations, 0);
      ASSERT_EQ(e.values.size(), 5);
      for (Index i = 0; i < 5; ++i) {
        const double want = largest ? all[49 - i] : all[i];
        // Spectra's tolerance 1e-10 on the Ritz residual bounds the eigenvalue error by
        // ~1e-10 |lambda| (and by 1e-10 * eps^{2/3}-floor near 0); 1e-8 ||C||_2 is loose.
        EXPECT_NEAR(e.values[i], want, 1e-8 * top) << (largest ? "top " : "bottom ") << i;
        const Vec u = e.vectors.col(i);
        EXPECT_NEAR(u.norm(), 1.0, 1e-10);
        EXPECT_LE((C * u - e.values[i] * u).norm(), 1e-6 * top);
      }
    }
    const Eigenpairs dense = dense_eigenpairs(C, 3, true);
    EXPECT_TRUE(dense.converged);
    EXPECT_NEAR(dense.values[0], top, 1e-12 * top);
  }
}

}  // namespace
}  // namespace sgdnoise
