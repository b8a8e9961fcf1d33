// The two-layer tanh network (losses/tanh_network.hpp): layout, data and initialisation; value,
// gradient and exact Hessian (Gauss-Newton plus the residual-weighted second derivatives)
// against central differences; the per-sample gradient matrix against the full and weighted
// gradients; the scenario wiring.
#include <gtest/gtest.h>

#include <cmath>

#include "losses/tanh_network.hpp"
#include "scenario/experiment.hpp"
#include "test_util.hpp"

using namespace sgdnoise;

namespace {
TanhNetwork small_net(Index n = 12, Index p = 3, Index m = 4) {
  TanhNetwork::Synthetic s;
  s.n = n;
  s.input_dim = p;
  s.width = m;
  s.n_test = 20;
  s.teacher_width = 3;
  s.label_noise = 0.1;
  s.init_scale = 1.0;
  s.seed = 5;
  return TanhNetwork::synthetic(s);
}
}  // namespace

TEST(TanhNetwork, LayoutDataAndInitialisation) {
  const TanhNetwork net = small_net();
  EXPECT_EQ(net.dim(), (3 + 2) * 4);
  EXPECT_EQ(net.n_samples(), 12);
  EXPECT_TRUE(net.has_test_set());
  const Vec init = *net.initial_point();
  EXPECT_TRUE(init.segment(3 * 4, 4).isZero());  // biases start at 0
  EXPECT_GT(init.head(3 * 4).cwiseAbs().maxCoeff(), 0.0);
  EXPECT_GT(init.tail(4).cwiseAbs().maxCoeff(), 0.0);
  // L at theta = init by hand, from the layout theta[k m + j] = w_jk, theta[p m + j] = b_j, then a.
  const Index m = 4, p = 3;
  double sum = 0.0;
  for (Index i = 0; i < net.n_samples(); ++i) {
    double fi = 0.0;
    for (Index j = 0; j < m; ++j) {
      double u = init[p * m + j];
      for (Index k = 0; k < p; ++k) u += init[k * m + j] * net.inputs()(i, k);
      fi += init[(p + 1) * m + j] * std::tanh(u);
    }
    sum += 0.5 * (fi - net.labels()[i]) * (fi - net.labels()[i]);
  }
  EXPECT_NEAR(net.value_at(init), sum / 12.0, 1e-14);
  // Without label noise the training labels have unit sample standard deviation.
  TanhNetwork::Synthetic s;
  s.n = 50;
  s.n_test = 0;
  const TanhNetwork clean = TanhNetwork::synthetic(s);
  const Vec& y = clean.labels();
  EXPECT_NEAR(std::sqrt((y.array() - y.mean()).square().sum() / 49.0), 1.0, 1e-12);
  EXPECT_FALSE(clean.has_test_set());
  EXPECT_THROW(TanhNetwork::synthetic({0, 2, 3, 0, 1, 1.0, 0.0, 1.0, 0}), std::invalid_argument);
  EXPECT_THROW(TanhNetwork::synthetic({5, 2, 3, 0, 1, -1.0, 0.0, 1.0, 0}), std::invalid_argument);
}

// tanh is smooth, so central differences with h = 1e-5 are accurate to O(h^2) ~ 1e-10 times the
// third derivatives (O(1) here) plus rounding ~ 1e-16 / h: 1e-8 leaves a margin of 10 both ways.
TEST(TanhNetwork, DerivativesMatchFiniteDifferences) {
  const TanhNetwork net = small_net();
  const Vec init = *net.initial_point();
  Vec theta = init;
  theta.segment(3 * 4, 4) = Vec::LinSpaced(4, -0.5, 0.7);  // nonzero biases
  test::expect_derivatives_match(net, theta, {1e-5, 1e-8, 1e-15, 1e-13});
  test::expect_derivatives_match(net, 2.0 * theta, {1e-5, 1e-8, 1e-15, 1e-13});  // saturated units
  // Away from an interpolating minimum H is indefinite: the residual term matters.
  Eigen::SelfAdjointEigenSolver<Mat> es(net.hessian(theta));
  EXPECT_LT(es.eigenvalues().minCoeff(), 0.0);
}

TEST(TanhNetwork, GradientMatrixIsConsistent) {
  const TanhNetwork net = small_net();
  const Index d = net.dim(), n = net.n_samples();
  Mat T(2, d);
  T.row(0) = net.initial_point()->transpose();
  T.row(1) = 1.5 * T.row(0);
  Mat G(2, d), Gd(2, d), Gs(2, d);
  net.gradient(T, G);
  const Mat W = Mat::Constant(2, n, 1.0 / static_cast<double>(n));
  net.dense_weighted_gradient(T, W, Gd);
  IndexBlock idx(2, 3);
  idx << 0, 5, 5, 11, 2, 7;
  Mat w(2, 3);
  w << 0.5, -1.0, 2.0, 0.25, 1.0, 3.0;
  net.sparse_weighted_gradient(T, idx, w, Gs);
  for (Index t = 0; t < 2; ++t) {
    const Mat S = net.sample_gradients(T.row(t).transpose());
    const double scale = 1.0 + S.cwiseAbs().maxCoeff();
    EXPECT_LT((S.rowwise().mean() - G.row(t).transpose()).cwiseAbs().maxCoeff(), 1e-14 * scale);
    EXPECT_LT((Gd.row(t) - G.row(t)).cwiseAbs().maxCoeff(), 1e-14 * scale);
    Vec sparse = Vec::Zero(d);
    for (Index j = 0; j < 3; ++j) sparse += w(t, j) * S.col(idx(t, j));
    EXPECT_LT((sparse - Gs.row(t).transpose()).cwiseAbs().maxCoeff(), 1e-14 * scale);
  }
}

TEST(TanhNetwork, ScenarioBuildsWithItsInitialisation) {
  const Experiment ex = build_experiment(Scenario::parse(R"(name = "tanh"
[loss]
kind = "tanh_network"
samples = 30
input_dim = 3
width = 5
[noise]
kind = "sgd"
batch = 4
[dynamics]
kind = "discrete"
eta = 0.1
steps = 10
trajectories = 2
start_at = "initial"
)",
                                                         "tanh.toml"),
                                         1);
  EXPECT_EQ(ex.loss->dim(), 25);
  EXPECT_EQ(ex.loss->kind(), "tanh_network");
  EXPECT_EQ(ex.theta0, *ex.loss->initial_point());
  ASSERT_TRUE(ex.finite_sum);
}
