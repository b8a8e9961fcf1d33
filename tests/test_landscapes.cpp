// Toy landscapes: batched values, gradients and Hessians against finite differences
// (on blocks with an outer stride), and their minima and saddles.
#include <gtest/gtest.h>

#include <cmath>

#include "losses/landscapes.hpp"

using namespace sgdnoise;

namespace {

Mat sample_covariance(const Mat& X) {
  const Mat Y = X.rowwise() - X.colwise().mean();
  return Y.transpose() * Y / static_cast<double>(X.rows() - 1);
}

/// Checks L on the rows of X: batched value against value_at, batched gradient against
/// central differences of the value, Hessian against central differences of the gradient.
/// X and G are blocks of larger matrices, so the outer stride is not the row count.
void check_derivatives(const Loss& loss, const Mat& points, double tol) {
  const Index n = points.rows(), d = points.cols();
  Mat big = Mat::Constant(n + 3, d + 1, 1e9);
  big.block(1, 0, n, d) = points;
  const ConstBlockRef X = big.block(1, 0, n, d);
  Mat gbig = Mat::Constant(n + 5, d, -7.0);
  BlockRef G = gbig.block(2, 0, n, d);
  loss.gradient(X, G);
  Vec vals(n);
  loss.value(X, vals);
  const double h = 1e-5;
  for (Index i = 0; i < n; ++i) {
    const Vec x = points.row(i).transpose();
    EXPECT_DOUBLE_EQ(vals[i], loss.value_at(x)) << loss.kind() << " row " << i;
    const Mat H = loss.hessian(x);
    EXPECT_LT((H - H.transpose()).cwiseAbs().maxCoeff(), 1e-12);
    for (Index j = 0; j < d; ++j) {
      Vec xp = x, xm = x;
      xp[j] += h;
      xm[j] -= h;
      const double fd = (loss.value_at(xp) - loss.value_at(xm)) / (2 * h);
      EXPECT_NEAR(G(i, j), fd, tol * (1.0 + std::abs(fd))) << loss.kind() << " row " << i << " coord " << j;
      const Vec col = (loss.gradient_at(xp) - loss.gradient_at(xm)) / (2 * h);
      for (Index r = 0; r < d; ++r)
        EXPECT_NEAR(H(r, j), col[r], tol * (1.0 + std::abs(col[r]))) << loss.kind() << " H(" << r << "," << j << ")";
    }
  }
  // Rows outside the block were not touched.
  EXPECT_EQ(gbig(0, 0), -7.0);
  EXPECT_EQ(gbig(n + 2, d - 1), -7.0);
}

Mat sample_points(Index n, Index d, double lo, double hi, unsigned seed) {
  Mat X(n, d);
  std::uint64_t s = seed;
  for (Index j = 0; j < d; ++j)
    for (Index i = 0; i < n; ++i) {
      s = s * 6364136223846793005ULL + 1442695040888963407ULL;
      X(i, j) = lo + (hi - lo) * static_cast<double>(s >> 11) * 0x1.0p-53;
    }
  return X;
}

void expect_critical(const Loss& loss, const CriticalPoint& p, int index, double tol = 1e-10) {
  EXPECT_LT(loss.gradient_at(p.theta).norm(), tol) << loss.kind();
  EXPECT_NEAR(p.value, loss.value_at(p.theta), 1e-12 * (1 + std::abs(p.value)));
  EXPECT_EQ(p.morse_index, index);
  EXPECT_LT((p.hessian - loss.hessian(p.theta)).cwiseAbs().maxCoeff(), 1e-10);
}

}  // namespace

TEST(LandscapeDoubleWell, DerivativesMatchFiniteDifferences) {
  DoubleWell::Spec s;
  s.barrier = 2.5;
  s.a = 1.3;
  s.transverse = (Vec(2) << 3.0, 0.5).finished();
  check_derivatives(DoubleWell(s), sample_points(6, 3, -2.0, 2.0, 1), 1e-7);
  s.tilt = 0.7;
  check_derivatives(DoubleWell(s), sample_points(6, 3, -2.0, 2.0, 2), 1e-7);
  check_derivatives(DoubleWell(DoubleWell::Spec{}), sample_points(5, 1, -2.0, 2.0, 3), 1e-7);
}

TEST(LandscapeDoubleWell, MinimaSaddleAndCurvatures) {
  DoubleWell::Spec s;
  s.barrier = 2.5;
  s.a = 1.3;
  s.transverse = (Vec(1) << 3.0).finished();
  const DoubleWell w(s);
  EXPECT_EQ(w.dim(), 2);
  EXPECT_DOUBLE_EQ(w.left_minimum().theta[0], -1.3);
  EXPECT_DOUBLE_EQ(w.right_minimum().theta[0], 1.3);
  EXPECT_DOUBLE_EQ(w.right_minimum().value, 0.0);
  EXPECT_DOUBLE_EQ(w.saddle().value, 2.5);
  EXPECT_DOUBLE_EQ(w.barrier_from_left(), 2.5);
  // 8 h / a^2 at the minima and -4 h / a^2 at the saddle (8h and -4h for a = 1).
  EXPECT_NEAR(w.right_minimum().hessian(0, 0), 8.0 * 2.5 / (1.3 * 1.3), 1e-12);
  EXPECT_NEAR(w.saddle().hessian(0, 0), -4.0 * 2.5 / (1.3 * 1.3), 1e-12);
  EXPECT_DOUBLE_EQ(w.saddle().hessian(1, 1), 3.0);
  expect_critical(w, w.left_minimum(), 0);
  expect_critical(w, w.right_minimum(), 0);
  expect_critical(w, w.saddle(), 1);
  const DoubleWell unit{DoubleWell::Spec{}};
  EXPECT_DOUBLE_EQ(unit.potential_1d_curvature(1.0), 8.0);
  EXPECT_DOUBLE_EQ(unit.potential_1d_curvature(0.0), -4.0);
}

TEST(LandscapeDoubleWell, TiltedCriticalPointsFoundNumerically) {
  DoubleWell::Spec s;
  s.barrier = 1.0;
  s.tilt = 0.4;
  s.transverse = (Vec(1) << 2.0).finished();
  const DoubleWell w(s);
  expect_critical(w, w.left_minimum(), 0, 1e-12);
  expect_critical(w, w.right_minimum(), 0, 1e-12);
  expect_critical(w, w.saddle(), 1, 1e-12);
  // A tilt +c x_1 with c > 0 lowers the left well and moves the saddle right.
  EXPECT_LT(w.left_minimum().value, w.right_minimum().value);
  EXPECT_GT(w.saddle().theta[0], 0.0);
  EXPECT_GT(w.barrier_from_left(), w.barrier_from_right());
  EXPECT_EQ(*w.minimizer(), w.left_minimum().theta);
  // The three stationary points are the roots of 4x^3 - 4x + c: their sum is 0 (Vieta).
  EXPECT_NEAR(w.left_minimum().theta[0] + w.saddle().theta[0] + w.right_minimum().theta[0], 0.0, 1e-12);
  s.tilt = 8.0 / (3.0 * std::sqrt(3.0)) * 1.0001;
  EXPECT_THROW(DoubleWell{s}, std::invalid_argument);
}

TEST(LandscapeStrictSaddle, DerivativesAndCriticalPoints) {
  StrictSaddle::Spec s;
  s.lambda_minus = 1.5;
  s.beta = 0.6;
  s.lambda = (Vec(2) << 0.3, 4.0).finished();
  const StrictSaddle q(s);
  check_derivatives(q, sample_points(6, 3, -2.5, 2.5, 4), 1e-7);
  const auto sad = q.saddles();
  ASSERT_EQ(sad.size(), 1u);
  EXPECT_EQ(sad[0].theta, Vec::Zero(3));
  EXPECT_EQ(sad[0].value, 0.0);
  expect_critical(q, sad[0], 1);
  EXPECT_DOUBLE_EQ(sad[0].hessian(0, 0), -1.5);
  for (const auto& m : q.minima()) {
    expect_critical(q, m, 0);
    EXPECT_NEAR(std::abs(m.theta[0]), std::sqrt(1.5 / 0.6), 1e-14);
    EXPECT_NEAR(m.value, -1.5 * 1.5 / (4 * 0.6), 1e-14);
    EXPECT_NEAR(m.hessian(0, 0), 2 * 1.5, 1e-12);
  }
  EXPECT_NEAR(*q.minimum_value(), -1.5 * 1.5 / 2.4, 1e-14);
}

TEST(LandscapeMuellerBrown, DerivativesAndPublishedCriticalPoints) {
  const MuellerBrown mb;
  check_derivatives(mb, sample_points(8, 2, -1.2, 1.2, 5), 1e-6);
  check_derivatives(MuellerBrown(0.01), sample_points(4, 2, -1.0, 1.5, 6), 1e-6);
  EXPECT_TRUE(mb.refined());
  // Published approximate locations and values (Mueller & Brown 1979).
  const double mins[3][3] = {{-0.558, 1.442, -146.700}, {0.623, 0.028, -108.167}, {-0.050, 0.467, -80.768}};
  const double sads[2][3] = {{-0.822, 0.624, -40.665}, {0.212, 0.293, -72.249}};
  const auto m = mb.minima();
  const auto s = mb.saddles();
  ASSERT_EQ(m.size(), 3u);
  ASSERT_EQ(s.size(), 2u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_NEAR(m[i].theta[0], mins[i][0], 1.5e-3);
    EXPECT_NEAR(m[i].theta[1], mins[i][1], 1.5e-3);
    EXPECT_NEAR(m[i].value, mins[i][2], 2e-2);
    expect_critical(mb, m[i], 0, 1e-8);
  }
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_NEAR(s[i].theta[0], sads[i][0], 1.5e-3);
    EXPECT_NEAR(s[i].theta[1], sads[i][1], 1.5e-3);
    EXPECT_NEAR(s[i].value, sads[i][2], 2e-2);
    expect_critical(mb, s[i], 1, 1e-8);
  }
  EXPECT_EQ(*mb.minimum_value(), m[0].value);
}

TEST(LandscapeSharpFlat2D, DerivativesAwayFromTheRidge) {
  const SharpFlat2D toy = SharpFlat2D::synthetic({100, 1e-2, 17});
  // Points well inside one basin or the other, so that no sample changes branch within
  // the finite-difference step.
  const Mat P = (Mat(5, 2) << 1.0, 1.0, 0.95, 1.08, 1.1, 0.9, -1.0, -1.0, -0.3, -0.6).finished();
  check_derivatives(toy, P, 1e-6);
}

TEST(LandscapeSharpFlat2D, PaperGeometry) {
  // docs/theory.md 4.4A: sharp Hessian eigenvalues 20 (k1) and 200 (k2), flat 2I.
  const SharpFlat2D toy = SharpFlat2D::synthetic({100, 1e-2, 3});
  const Vec w0 = SharpFlat2D::paper_start();
  Eigen::SelfAdjointEigenSolver<Mat> es(toy.hessian(w0));
  EXPECT_NEAR(es.eigenvalues()[0], 20.0, 1e-12);
  EXPECT_NEAR(es.eigenvalues()[1], 200.0, 1e-12);
  EXPECT_NEAR(std::abs(es.eigenvectors()(0, 1)), std::sqrt(0.5), 1e-12);
  EXPECT_NEAR(std::abs(es.eigenvectors()(0, 1) - es.eigenvectors()(1, 1)), 0.0, 1e-12);  // k2 = (1, 1)/sqrt 2
  EXPECT_LT((toy.hessian(-w0) - 2.0 * Mat::Identity(2, 2)).cwiseAbs().maxCoeff(), 1e-12);
  // Minima at mu + xbar, gradient zero, flat one lower (global).
  const Vec xbar = toy.data().colwise().mean().transpose();
  EXPECT_LT((toy.sharp_minimum().theta - (w0 + xbar)).norm(), 1e-15);
  EXPECT_LT((toy.flat_minimum().theta - (-w0 + xbar)).norm(), 1e-15);
  expect_critical(toy, toy.sharp_minimum(), 0, 1e-12);
  expect_critical(toy, toy.flat_minimum(), 0, 1e-12);
  EXPECT_EQ(*toy.minimizer(), toy.flat_minimum().theta);
  EXPECT_LT(toy.flat_minimum().value, 0.01);
  EXPECT_LT(toy.sharp_minimum().value, 0.1);
  EXPECT_TRUE(toy.saddles().empty());
  // Without data, the pass along -k2 from mu1 is at 2 sqrt(2)/11 with loss 800/121, where both
  // branches are equal.
  const SharpFlat2D clean(Mat::Zero(1, 2));
  const Vec k2 = Vec::Constant(2, std::sqrt(0.5));
  const Vec pass = w0 - SharpFlat2D::kPassDistance * k2;
  const double fs = 100.0 * SharpFlat2D::kPassDistance * SharpFlat2D::kPassDistance;
  const double ff = (pass + w0).squaredNorm();
  EXPECT_NEAR(fs, SharpFlat2D::kBarrier, 1e-12);
  EXPECT_NEAR(ff, SharpFlat2D::kBarrier, 1e-12);
  EXPECT_NEAR(clean.value_at(pass), SharpFlat2D::kBarrier, 1e-12);
}

TEST(LandscapeSharpFlat2D, DataFromSeedAndGradientNoiseAtStart) {
  const SharpFlat2D a = SharpFlat2D::synthetic({50, 1e-2, 9});
  EXPECT_EQ(a.data(), SharpFlat2D::synthetic({50, 1e-2, 9}).data());
  EXPECT_NE(a.data(), SharpFlat2D::synthetic({50, 1e-2, 10}).data());
  // Cov(x) = 1e-4 (10 k1k1^T + k2k2^T) = 1e-4 [[5.5, 4.5], [4.5, 5.5]] (sign: k1 = (c, -s)).
  const SharpFlat2D big = SharpFlat2D::synthetic({20000, 1e-2, 1});
  const Mat C = sample_covariance(big.data());
  const Mat Cx = 1e-4 * (Mat(2, 2) << 5.5, -4.5, -4.5, 5.5).finished();
  EXPECT_LT((C - Cx).cwiseAbs().maxCoeff(), 5 * 1e-4 * 10.0 * std::sqrt(2.0 / 20000.0));
  // At w0 the per-sample gradient covariance is H Cov(x) H = 0.4 k1k1^T + 4 k2k2^T (docs/theory.md 4.4A).
  const Mat Gs = big.sample_gradients(SharpFlat2D::paper_start());
  const Mat S = sample_covariance(Gs.transpose());
  const Mat expected = (Mat(2, 2) << 2.2, 1.8, 1.8, 2.2).finished();
  EXPECT_LT((S - expected).cwiseAbs().maxCoeff(), 5 * 4.0 * std::sqrt(2.0 / 20000.0));
}

TEST(LandscapeSharpFlat2D, PerSampleAndWeightedGradients) {
  const SharpFlat2D toy = SharpFlat2D::synthetic({30, 1e-2, 5});
  const Index n = toy.n_samples();
  // Points on both sides and near the ridge: the per-sample forms must agree with the mean.
  const Mat X = (Mat(4, 2) << 1.0, 1.0, 0.8, 0.7, -0.9, -1.1, 0.2, 0.1).finished();
  Mat G(4, 2), Gd(4, 2), Gs(4, 2);
  toy.gradient(X, G);
  Mat W = Mat::Constant(4, n, 1.0 / static_cast<double>(n));
  toy.dense_weighted_gradient(X, W, Gd);
  EXPECT_LT((G - Gd).cwiseAbs().maxCoeff(), 1e-12);
  IndexBlock idx(4, 3);
  Mat w(4, 3);
  for (Index t = 0; t < 4; ++t)
    for (Index j = 0; j < 3; ++j) {
      idx(t, j) = static_cast<std::int32_t>((7 * t + 11 * j) % n);
      w(t, j) = 0.5 + static_cast<double>(j);
    }
  toy.sparse_weighted_gradient(X, idx, w, Gs);
  for (Index t = 0; t < 4; ++t) {
    const Vec x = X.row(t).transpose();
    const Mat S = toy.sample_gradients(x);
    EXPECT_LT((S.rowwise().mean() - G.row(t).transpose()).norm(), 1e-12);
    Vec manual = Vec::Zero(2);
    double mean_loss = 0.0;
    for (Index j = 0; j < 3; ++j) {
      Vec g;
      toy.sample_loss(x, idx(t, j), &g);
      manual += w(t, j) * g;
    }
    for (Index i = 0; i < n; ++i) mean_loss += toy.sample_loss(x, i) / static_cast<double>(n);
    EXPECT_LT((manual - Gs.row(t).transpose()).norm(), 1e-12);
    EXPECT_NEAR(mean_loss, toy.value_at(x), 1e-12);
  }
}
