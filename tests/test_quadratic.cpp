// The quadratic loss against finite differences, and the exact moment
// predictions against brute-force iteration of the moment recursion.
#include <gtest/gtest.h>

#include "analysis/predictions/quadratic_moments.hpp"
#include "losses/quadratic.hpp"
#include "test_util.hpp"

using namespace sgdnoise;

namespace {
Quadratic make_quadratic(Index d, bool random_basis, std::uint64_t seed = 3) {
  Vec lam = Vec::LinSpaced(d, -0.5, 3.0);
  Vec star = Vec::LinSpaced(d, 0.3, -0.7);
  return Quadratic(lam, random_basis ? random_orthogonal(d, seed) : Mat::Identity(d, d), star, 1.25);
}
}  // namespace

TEST(Quadratic, RandomBasisIsOrthogonal) {
  const Mat U = random_orthogonal(40, 11);
  EXPECT_LT((U.transpose() * U - Mat::Identity(40, 40)).cwiseAbs().maxCoeff(), 1e-13);
  EXPECT_EQ(U, random_orthogonal(40, 11));
  EXPECT_NE(U, random_orthogonal(40, 12));
}

// Central differences have truncation error zero on a quadratic, so the error
// is rounding only: about eps * |L| / h.
TEST(Quadratic, GradientAndHessianMatchFiniteDifferences) {
  for (bool random_basis : {false, true}) {
    const Quadratic q = make_quadratic(7, random_basis);
    Mat X(3, 7);
    for (Index i = 0; i < 3; ++i) {
      const double s = static_cast<double>(i);
      X.row(i) = Vec::LinSpaced(7, -1.0 + s, 2.0 - s).transpose();
    }
    Mat G(3, 7);
    q.gradient(X, G);
    Vec vals(3);
    q.value(X, vals);
    const double h = 1e-4;
    for (Index i = 0; i < 3; ++i) {
      const Vec x = X.row(i).transpose();
      EXPECT_NEAR(vals[i], q.value_at(x), 1e-14 * std::abs(vals[i]));
      for (Index j = 0; j < 7; ++j) {
        Vec xp = x, xm = x;
        xp[j] += h;
        xm[j] -= h;
        const double fd = (q.value_at(xp) - q.value_at(xm)) / (2 * h);
        EXPECT_NEAR(G(i, j), fd, 1e-8) << "row " << i << " coord " << j;
      }
      // Hessian column j by differences of the gradient (exact up to rounding on a quadratic).
      for (Index j = 0; j < 7; ++j) {
        Vec xp = x, xm = x;
        xp[j] += h;
        xm[j] -= h;
        const Vec col = (q.gradient_at(xp) - q.gradient_at(xm)) / (2 * h);
        EXPECT_LT((col - q.hessian(x).col(j)).cwiseAbs().maxCoeff(), 1e-8);
      }
    }
  }
}

// grad L = H (theta - theta*) is affine, as the "gd" and "one_step" predictions assume: the
// gradient at a convex combination is the combination of the gradients.
TEST(Quadratic, ReportsItsAffineGradient) {
  const Quadratic q = make_quadratic(5, true);
  EXPECT_TRUE(q.affine_gradient());
  const Vec a = Vec::LinSpaced(5, -1.0, 2.0), b = Vec::LinSpaced(5, 3.0, 0.5);
  EXPECT_LT((q.gradient_at(0.3 * a + 0.7 * b) - 0.3 * q.gradient_at(a) - 0.7 * q.gradient_at(b)).cwiseAbs().maxCoeff(),
            1e-12);
}

TEST(Quadratic, MinimizerOnlyWhenPositiveDefinite) {
  EXPECT_FALSE(make_quadratic(5, true).minimizer().has_value());
  const Quadratic pd(Vec::Constant(3, 2.0), Mat::Identity(3, 3), Vec::Zero(3));
  ASSERT_TRUE(pd.minimizer().has_value());
  EXPECT_EQ(*pd.minimum_value(), 0.0);
}

TEST(QuadraticMoments, GeometricSumIsExactEverywhere) {
  for (double r : {-1.5, -1.0, -0.3, 0.0, 0.2, 0.999999, 1.0, 1.000001, 1.7}) {
    for (std::int64_t k : {0, 1, 2, 7, 40}) {
      double direct = 0.0, p = 1.0;
      for (std::int64_t j = 0; j < k; ++j) {
        direct += p;
        p *= r;
      }
      EXPECT_NEAR(geometric_sum(r, k), direct, 1e-12 * std::max(1.0, std::abs(direct))) << "r " << r << " k " << k;
    }
  }
}

// E L_k and Cov theta_k from the per-eigenpair sums against brute-force
// iteration of mean_{k+1} = A mean_k, S_{k+1} = A S_k A^T + Q, for step sizes
// whose eta*lambda covers negative values, (0, 2), exactly 2 and beyond.
TEST(QuadraticMoments, DiscreteMatchesBruteForceRecursion) {
  const Index d = 6;
  const Quadratic q = make_quadratic(d, true);
  const Mat Q = test::random_psd(d, 3, 5);  // rank 3, does not commute with H
  const Vec theta0 = Vec::LinSpaced(d, 1.0, 2.0);
  const QuadraticMoments qm(q);
  for (double eta : {0.1, 0.5, 2.0 / 3.0, 0.9}) {  // eta * 3.0 = 2 exactly at eta = 2/3
    const Mat A = Mat::Identity(d, d) - eta * q.H();
    Vec m = theta0 - q.stationary_point();
    Mat S = Mat::Zero(d, d);
    for (std::int64_t k = 0; k <= 30; ++k) {
      const Moments p = qm.discrete(eta, Q, theta0, k);
      const double scale = std::max(1.0, S.cwiseAbs().maxCoeff());
      ASSERT_LT((p.cov - S).cwiseAbs().maxCoeff(), 1e-11 * scale) << "eta " << eta << " k " << k;
      ASSERT_LT((p.mean - q.stationary_point() - m).cwiseAbs().maxCoeff(), 1e-11 * std::max(1.0, m.norm()));
      const double el = q.offset() + 0.5 * m.dot(q.H() * m) + 0.5 * (q.H() * S).trace();
      ASSERT_NEAR(qm.expected_loss(p), el, 1e-11 * std::max(1.0, std::abs(el)));
      m = A * m;
      S = A * S * A.transpose() + Q;
    }
  }
}

TEST(QuadraticMoments, ClosedFormsOfPapersSection14) {
  // From theta*, k = 1 gives 1/2 Tr(H Sigma_step) exactly, and E L(tau) = L* + 1/4 Tr[(I - e^{-2H tau}) D].
  const Index d = 5;
  const Quadratic q(Vec::LinSpaced(d, 0.2, 2.0), random_orthogonal(d, 2), Vec::Zero(d));
  const Mat Q = test::random_psd(d, d, 8);
  const QuadraticMoments qm(q);
  EXPECT_NEAR(qm.expected_loss(qm.discrete(0.3, Q, Vec::Zero(d), 1)), 0.5 * (q.H() * Q).trace(), 1e-14);
  for (double tau : {0.01, 1.0, 10.0}) {
    const Mat E = q.eigenvectors() * (-2.0 * tau * q.eigenvalues().array()).exp().matrix().asDiagonal() *
                  q.eigenvectors().transpose();
    const double closed = 0.25 * ((Mat::Identity(d, d) - E) * Q).trace();
    EXPECT_NEAR(qm.expected_loss(qm.continuous(Q, Vec::Zero(d), tau)), closed, 1e-13);
  }
  // Stationary discrete value (1/(2 eta)) Tr[(2I - eta H)^{-1} Sigma_step].
  const double eta = 0.4;
  const Mat M = (2.0 * Mat::Identity(d, d) - eta * q.H()).inverse();
  const Mat S = qm.discrete_stationary(eta, Q);
  EXPECT_NEAR(0.5 * (q.H() * S).trace(), (M * Q).trace() / (2 * eta), 1e-13);
  EXPECT_TRUE(qm.discrete_stationary_exists(eta, Q).exists);
  EXPECT_FALSE(qm.discrete_stationary_exists(1.0, Q).exists);  // eta * 2.0 = 2
}
