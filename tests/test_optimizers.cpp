// Optimizers on top of noisy GD: momentum and Adam against a plain scalar reference,
// schedules, and paper 5's sequential-update gap (docs/theory.md 1.6).
#include <gtest/gtest.h>

#include <cmath>

#include "dynamics/stepper.hpp"
#include "losses/quadratic.hpp"
#include "test_util.hpp"

using namespace sgdnoise;

namespace {
std::shared_ptr<const Quadratic> quad(Index d) {
  return std::make_shared<Quadratic>(Vec::LinSpaced(d, 2.0, 0.3), random_orthogonal(d, 5),
                                     Vec::LinSpaced(d, 0.1, -0.2));
}
}  // namespace

TEST(Optimizers, MomentumAndAdamMatchAReferenceLoop) {
  const auto q = quad(3);
  const Vec x0 = Vec::Constant(3, 1.0);
  for (auto kind : {OptimizerConfig::Kind::momentum, OptimizerConfig::Kind::adam}) {
    OptimizerConfig opt;
    opt.kind = kind;
    opt.weight_decay = 0.01;
    const double eta = 0.05;
    NoisyGD step(q, nullptr, eta, opt);
    Mat X = Mat::Zero(1, 3 + step.extra_columns());
    X.leftCols(3) = x0.transpose();
    Vec th = x0, m = Vec::Zero(3), v = Vec::Zero(3);
    for (std::uint64_t k = 0; k < 50; ++k) {
      step.advance(1, k, 0, X);
      const Vec g = q->H() * (th - q->stationary_point()) + opt.weight_decay * th;
      if (kind == OptimizerConfig::Kind::momentum) {
        m = opt.momentum * m + g;
        th -= eta * m;
      } else {
        m = opt.beta1 * m + (1 - opt.beta1) * g;
        v = opt.beta2 * v + (1 - opt.beta2) * g.cwiseAbs2();
        const double t = static_cast<double>(k + 1);
        const Vec mh = m / (1 - std::pow(opt.beta1, t)), vh = v / (1 - std::pow(opt.beta2, t));
        th -= eta * (mh.array() / (vh.array().sqrt() + opt.epsilon)).matrix();
      }
      ASSERT_LT((X.row(0).head(3).transpose() - th).cwiseAbs().maxCoeff(), 1e-12) << "step " << k;
    }
  }
}

TEST(Optimizers, Schedules) {
  OptimizerConfig o;
  o.schedule = OptimizerConfig::Schedule::step;
  o.decay = 0.5;
  o.decay_every = 10;
  EXPECT_EQ(o.eta_at(1.0, 9), 1.0);
  EXPECT_EQ(o.eta_at(1.0, 10), 0.5);
  EXPECT_EQ(o.eta_at(1.0, 25), 0.25);
  o.schedule = OptimizerConfig::Schedule::cosine;
  o.horizon = 100;
  EXPECT_NEAR(o.eta_at(2.0, 50), 1.0, 1e-15);
  EXPECT_EQ(o.eta_at(2.0, 100), 0.0);
}

// docs/theory.md 1.6: L(w_seq) - L(w_sim) = eta^2 g^T L_H g + O(eta^3), L_H the strictly lower
// triangular part of H; on a quadratic the ratio of the observed gap to this prediction
// tends to 1 at rate O(eta).
TEST(Optimizers, SequentialUpdateGapMatchesPaperFive) {
  const auto q = quad(6);
  const Vec w = Vec::LinSpaced(6, 1.0, -1.5);
  const Vec g = q->gradient_at(w);
  const Mat LH = q->H().triangularView<Eigen::StrictlyLower>();
  double previous = INFINITY;
  for (double eta : {0.02, 0.01, 0.005, 0.0025}) {
    OptimizerConfig seq;
    seq.order = OptimizerConfig::Order::sequential;
    NoisyGD s(q, nullptr, eta, seq), p(q, nullptr, eta);
    Mat Xs = w.transpose(), Xp = w.transpose();
    s.advance(1, 0, 0, Xs);
    p.advance(1, 0, 0, Xp);
    const double gap = q->value_at(Xs.row(0).transpose()) - q->value_at(Xp.row(0).transpose());
    const double predicted = eta * eta * g.dot(LH * g);
    const double err = std::abs(gap / predicted - 1.0);
    // First-order convergence: halving eta halves the relative error (the next term is
    // O(eta^3) against the O(eta^2) gap).
    if (std::isfinite(previous)) {
      EXPECT_NEAR(previous / err, 2.0, 0.1) << "eta " << eta;
    }
    previous = err;
  }
  EXPECT_LT(previous, 0.01);
}
