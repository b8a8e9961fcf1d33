// Paper 3's one-hidden-layer ReLU network (losses/relu_network.hpp; docs/theory.md 4.4B): value,
// gradient and exact Hessian (Gauss-Newton, plus the cross-layer terms when the output layer
// is trained) against finite differences at points away from the kinks, the per-sample
// gradient matrix against the full and weighted gradients, the SGD noise's stated covariance
// within 5 standard errors, the indicator observer, and the scenario wiring.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "analysis/indicator_observer.hpp"
#include "losses/relu_network.hpp"
#include "noise/sampling.hpp"
#include "scenario/experiment.hpp"
#include "noise_contract_util.hpp"
#include "test_util.hpp"

using namespace sgdnoise;

namespace {
constexpr double kSigmas = 5.0;

std::shared_ptr<const ReluNetwork> small_net(bool train_output, Index n = 15, Index width = 6) {
  ReluNetwork::Synthetic s;
  s.n = n;
  s.width = width;
  s.input_dim = 2;
  s.n_test = 40;
  s.init_scale = 1.0;
  s.delta = 1e-3;
  s.train_output = train_output;
  s.seed = 7;
  return std::make_shared<ReluNetwork>(ReluNetwork::synthetic(s));
}

// Smallest distance to a kink along the finite-difference stencil: |u_ij| and the distance
// of z_i to the clip's corners, at theta.
double kink_margin(const ReluNetwork& net, const Vec& theta) {
  const Index m = net.width(), p = net.input_dim();
  const Vec a = net.output_weights(theta);
  double margin = std::numeric_limits<double>::infinity();
  for (Index i = 0; i < net.n_samples(); ++i) {
    double z = 0.0;
    for (Index j = 0; j < m; ++j) {
      double u = theta[p * m + j];
      for (Index k = 0; k < p; ++k) u += theta[k * m + j] * net.inputs()(i, k);
      margin = std::min(margin, std::abs(u));
      z += a[j] * std::max(u, 0.0);
    }
    margin = std::min({margin, std::abs(z - net.delta()), std::abs(z - 1.0 + net.delta())});
  }
  return margin;
}

// A point with several samples inside the clip's range and every kink at least 1e-3 away:
// the initialisation, shrunk towards an output of about 1/2, scanned over a few scales.
Vec smooth_point(const ReluNetwork& net) {
  const Vec init = *net.initial_point();
  for (int s = 0; s < 200; ++s) {
    Vec theta = init * (0.3 + 0.01 * s);
    if (net.train_output()) theta.tail(net.width()) = net.output_weights(init) * (0.5 + 0.003 * s);
    Index inside = 0;
    const Mat G = net.sample_gradients(theta);
    for (Index i = 0; i < G.cols(); ++i) inside += G.col(i).norm() > 0.0;
    if (inside >= 4 && kink_margin(net, theta) > 1e-3) return theta;
  }
  ADD_FAILURE() << "no smooth point found";
  return init;
}

// h = 1e-6: the stencil stays 1e-3 / (|x~| ~ 3) away from every kink, and the loss is
// piecewise quadratic in each coordinate between kinks, so central differences are exact up
// to rounding (~1e-16 / h).
void expect_derivatives_match(const ReluNetwork& net, const Vec& theta) {
  test::expect_derivatives_match(net, theta, {1e-6, 1e-8, 1e-14, 1e-12});
}
}  // namespace

TEST(ReluNetwork, LayoutDataAndInitialisation) {
  const auto net = small_net(false);
  EXPECT_EQ(net->dim(), 3 * 6);
  EXPECT_EQ(small_net(true)->dim(), 4 * 6);
  EXPECT_EQ(net->n_samples(), 15);
  EXPECT_TRUE(net->has_test_set());
  for (Index i = 0; i < net->n_samples(); ++i) {
    EXPECT_LE(std::abs(net->inputs()(i, 0)), 2.0);
    EXPECT_EQ(net->labels()[i], net->inputs()(i, 0) >= net->inputs()(i, 1) ? 1.0 : 0.0);
  }
  const Vec a = net->output_weights(*net->initial_point());
  EXPECT_EQ(a.head(3), Vec::Ones(3));
  EXPECT_EQ(a.tail(3), -Vec::Ones(3));
  // Same seed, same data and initialisation.
  EXPECT_EQ(*small_net(false)->initial_point(), *net->initial_point());
  // theta[k m + j] = w_jk, theta[p m + j] = b_j: a network with only unit 0 active and
  // weights (1, -1), bias 0.25 outputs clip(x_1 - x_2 + 0.25).
  Vec theta = Vec::Zero(net->dim());
  theta[0] = 1.0;
  theta[6] = -1.0;
  theta[12] = 0.25;
  const double x1 = net->inputs()(0, 0), x2 = net->inputs()(0, 1);
  const double f = std::clamp(std::max(x1 - x2 + 0.25, 0.0), 1e-3, 1.0 - 1e-3);
  EXPECT_NEAR(net->sample_gradients(theta)(12, 0), (f > 1e-3 && f < 1.0 - 1e-3) ? 2.0 * (f - net->labels()[0]) : 0.0,
              1e-15);
}

TEST(ReluNetwork, DerivativesMatchFiniteDifferencesAwayFromKinks) {
  for (bool train : {false, true}) {
    SCOPED_TRACE(train ? "trained output layer" : "fixed output layer");
    const auto net = small_net(train);
    const Vec theta = smooth_point(*net);
    expect_derivatives_match(*net, theta);
    const Mat H = net->hessian(theta);
    if (!train) {
      // Fixed output layer: H is the Gauss-Newton matrix, positive semidefinite.
      EXPECT_GT(Eigen::SelfAdjointEigenSolver<Mat>(H).eigenvalues().minCoeff(), -1e-12);
    }
  }
}

TEST(ReluNetwork, GradientMatrixIsConsistent) {
  for (bool train : {false, true}) {
    const auto net = small_net(train);
    const Index d = net->dim(), n = net->n_samples(), rows = 5;
    const Vec base = smooth_point(*net);
    Mat T(rows, d);
    for (Index t = 0; t < rows; ++t) T.row(t) = (base * (1.0 + 0.05 * static_cast<double>(t))).transpose();
    Mat W(rows, n);
    fill_normals({1, Purpose::sampling, 0}, 0, 0, W);
    IndexBlock idx(rows, 4);
    Mat w(rows, 4);
    for (Index t = 0; t < rows; ++t)
      for (Index j = 0; j < 4; ++j) {
        idx(t, j) = static_cast<std::int32_t>((3 * t + 5 * j) % n);
        w(t, j) = 0.1 * static_cast<double>(j + 1) - 0.05 * static_cast<double>(t);
      }
    Mat G(rows, d), Gd(rows, d), Gs(rows, d);
    net->gradient(T, G);
    net->dense_weighted_gradient(T, W, Gd);
    net->sparse_weighted_gradient(T, idx, w, Gs);
    Vec values(rows), tv(rows);
    net->value(T, values);
    net->test_value(T, tv);
    for (Index t = 0; t < rows; ++t) {
      const Vec theta = T.row(t).transpose();
      const Mat S = net->sample_gradients(theta);
      ASSERT_EQ(S.rows(), d);
      ASSERT_EQ(S.cols(), n);
      const double scale = 1.0 + S.cwiseAbs().maxCoeff();
      EXPECT_LT((S.rowwise().mean() - G.row(t).transpose()).cwiseAbs().maxCoeff(), 1e-14 * scale);
      EXPECT_LT((S * W.row(t).transpose() - Gd.row(t).transpose()).cwiseAbs().maxCoeff(), 1e-13 * scale);
      Vec sparse = Vec::Zero(d);
      for (Index j = 0; j < 4; ++j) sparse += w(t, j) * S.col(idx(t, j));
      EXPECT_LT((sparse - Gs.row(t).transpose()).cwiseAbs().maxCoeff(), 1e-13 * scale);
      EXPECT_DOUBLE_EQ(values[t], net->value_at(theta));
      EXPECT_GE(tv[t], 0.0);
    }
  }
}

TEST(ReluNetwork, SgdNoiseHasTheStatedCovariance) {
  // The SGD noise contract on the network: empirical mean and covariance of N noisy
  // gradients against grad L and C = Sigma_1 / b (with replacement) or (n - b)/(b (n - 1))
  // Sigma_1 (without), entry-wise within 5 standard errors.
  const auto net = small_net(false, 12, 3);
  const Vec theta = smooth_point(*net);
  const Index N = 100000;
  for (auto scheme : {SgdSampling::Scheme::with_replacement, SgdSampling::Scheme::without_replacement}) {
    const SgdSampling noise(net, scheme, 3);
    const Mat C = *noise.covariance(theta);
    test::expect_sample_moments(test::draw_gradients(noise, *net, theta, N), net->gradient_at(theta), C, kSigmas,
                                noise.kind());
  }
}

TEST(ReluNetwork, IndicatorObserverRecordsTraceHCAndItsIsotropicTwin) {
  const auto net = small_net(false);
  const Vec theta = smooth_point(*net);
  auto noise = std::make_shared<SgdSampling>(net, SgdSampling::Scheme::with_replacement, 2);
  IndicatorObserver at_mean(net, noise, 0.1, 0), over(net, noise, 0.1, 2);
  Mat X(3, net->dim());
  X.row(0) = theta.transpose();
  X.row(1) = theta.transpose();
  X.row(2) = theta.transpose();
  std::vector<Observation> out;
  at_mean.observe(0, X, {}, 1, out);
  const Mat C = *noise->covariance(theta), H = net->hessian(theta);
  const double d = static_cast<double>(net->dim());
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].name, "trace_H_C");
  EXPECT_NEAR(out[0].est.value, (H * C).trace(), 1e-12 * (1.0 + std::abs((H * C).trace())));
  EXPECT_EQ(out[0].est.se, 0.0);
  EXPECT_EQ(out[1].name, "trace_H_Cbar");
  EXPECT_NEAR(out[1].est.value, H.trace() * C.trace() / d, 1e-12 * (1.0 + H.trace() * C.trace()));
  EXPECT_NEAR(out[3].est.value, out[0].est.value / out[1].est.value, 1e-12 * std::abs(out[3].est.value));
  out.clear();
  over.observe(0, X, {}, 1, out);
  EXPECT_NEAR(out[0].est.value, (H * C).trace(), 1e-12 * (1.0 + std::abs((H * C).trace())));
  EXPECT_NEAR(out[0].est.se, 0.0, 1e-12);
}

TEST(ReluNetwork, ScenarioBuildsRunsAndRefusesIndicatorsWithoutCovariance) {
  const std::string base = R"(name = "net"
[loss]
kind = "relu_network"
samples = 40
test_samples = 20
width = 8
[dynamics]
kind = "discrete"
optimizer = "adam"
eta = 0.01
steps = 20
trajectories = 2
start_at = "initial"
[observe]
every = 10
indicators = "trajectories"
indicator_trajectories = 2
)";
  const Experiment ex = build_experiment(Scenario::parse(base + "[noise]\nkind = \"sgd\"\nbatch = 4\n", "net.toml"), 1);
  EXPECT_EQ(ex.loss->dim(), 24);
  EXPECT_EQ(ex.theta0, *ex.loss->initial_point());
  std::vector<std::string> names;
  for (const auto& o : ex.observers)
    for (const auto& n : o->names()) names.push_back(n);
  EXPECT_NE(std::find(names.begin(), names.end(), "trace_H_Cbar"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "test_loss"), names.end());
  try {
    build_experiment(Scenario::parse(base + "[noise]\nkind = \"alpha_stable\"\nalpha = 1.5\n", "net.toml"), 1);
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("observe.indicators"), std::string::npos) << e.what();
  }
  try {
    build_experiment(Scenario::parse(base, "net.toml"), 1);
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("observe.indicators"), std::string::npos) << e.what();
  }
}
