#include "dynamics/stepper.hpp"

#include <cmath>
#include <numbers>
#include <stdexcept>

#include "core/diagonal_step.hpp"
#include "losses/quadratic.hpp"
#include "noise/gaussian.hpp"

namespace sgdnoise {

namespace {
Mat& gradient_scratch(Index rows, Index cols) {
  thread_local Mat G;
  if (G.rows() != rows || G.cols() != cols) G.resize(rows, cols);
  return G;
}

}  // namespace

void gradient_step(const Loss& loss, const Preconditioner* M, double h, BlockRef X) {
  Mat& G = gradient_scratch(X.rows(), X.cols());
  loss.gradient(X, G);
  if (M) M->apply(G);
  for (Index j = 0; j < X.cols(); ++j) {
    double* x = X.col(j).data();
    const double* g = G.col(j).data();
#pragma omp simd
    for (Index i = 0; i < X.rows(); ++i) x[i] -= h * g[i];
  }
}

double OptimizerConfig::eta_at(double eta, std::int64_t k) const {
  switch (schedule) {
    case Schedule::constant:
      return eta;
    case Schedule::step:
      return decay_every > 0 ? eta * std::pow(decay, static_cast<double>(k / decay_every)) : eta;
    case Schedule::cosine:
      if (horizon <= 0) return eta;
      return k >= horizon
                 ? 0.0
                 : 0.5 * eta *
                       (1.0 + std::cos(std::numbers::pi * static_cast<double>(k) / static_cast<double>(horizon)));
  }
  return eta;
}

NoisyGD::NoisyGD(std::shared_ptr<const Loss> loss, std::shared_ptr<const NoiseModel> noise, double eta,
                 OptimizerConfig opt, std::shared_ptr<const Preconditioner> preconditioner)
    : loss_(std::move(loss)), noise_(std::move(noise)), eta_(eta), opt_(opt), M_(std::move(preconditioner)) {
  if (!(eta_ > 0.0) || !std::isfinite(eta_)) throw std::invalid_argument("step size eta must be positive and finite");
  if (noise_ && noise_->dim() != loss_->dim()) throw std::invalid_argument("noise and loss dimensions differ");
  if (opt_.order == OptimizerConfig::Order::sequential && opt_.kind != OptimizerConfig::Kind::sgd)
    throw std::invalid_argument("the sequential update order is defined for plain (noisy) GD only");
  if (M_ && M_->dim() != loss_->dim()) throw std::invalid_argument("preconditioner and loss dimensions differ");
  if (M_ && !opt_.plain())
    throw std::invalid_argument(
        "a preconditioner is defined for the plain simultaneous step (optimizer sgd, no weight decay, no schedule)");
  const auto* q = dynamic_cast<const Quadratic*>(loss_.get());
  const auto* g = dynamic_cast<const GaussianNoise*>(noise_.get());
  if (g && g->target() == NoiseTarget::weights && g->structure() != GaussianNoise::Structure::factor && opt_.plain() &&
      !M_) {
    diag_sigma_ = g->stddev();
    if (q && q->axis_aligned()) {
      diagonal_fused_ = true;
      diag_lambda_ = q->eigenvalues();  // axis-aligned: H = diag(lambda), lambda_j on coordinate j
      diag_center_ = q->stationary_point();
    } else {
      weight_noise_fused_ = true;
    }
  }
}

std::string NoisyGD::kind() const {
  if (M_) return "discrete+preconditioned";  // opt_.plain() by construction
  if (opt_.plain()) return "discrete";
  std::string k = "discrete/";
  k += opt_.kind == OptimizerConfig::Kind::adam       ? "adam"
       : opt_.kind == OptimizerConfig::Kind::momentum ? "momentum"
                                                      : "sgd";
  if (opt_.order == OptimizerConfig::Order::sequential) k += "+sequential";
  if (opt_.weight_decay != 0.0) k += "+weight_decay";
  if (opt_.schedule != OptimizerConfig::Schedule::constant) k += "+schedule";
  return k;
}

Index NoisyGD::extra_columns() const {
  const Index d = loss_->dim();
  switch (opt_.kind) {
    case OptimizerConfig::Kind::sgd:
      return 0;
    case OptimizerConfig::Kind::momentum:
      return d;
    case OptimizerConfig::Kind::adam:
      return 2 * d;
  }
  return 0;
}

void NoisyGD::gradient(const StreamCoords& coords, RowIds traj, ConstBlockRef theta, BlockRef G) const {
  if (noise_ && noise_->target() == NoiseTarget::gradient)
    noise_->noisy_gradient(*loss_, coords, traj, theta, G);
  else
    loss_->gradient(theta, G);
  if (opt_.weight_decay != 0.0) G += opt_.weight_decay * theta;
}

void NoisyGD::advance(std::uint64_t seed, std::uint64_t k, RowIds traj, BlockRef X) const {
  const Index d = loss_->dim(), n = X.rows();
  const StreamCoords coords{seed, Purpose::gradient_noise, k};
  const double h = opt_.eta_at(eta_, static_cast<std::int64_t>(k));
  auto theta = X.leftCols(d);
  if (diagonal_fused_) {  // the same bits as the generic path below, in one pass
    diagonal_noisy_step({diag_lambda_.data(), diag_center_.data(), diag_sigma_.data(), h}, coords, traj, theta);
    return;
  }
  if (weight_noise_fused_) {  // the same bits as the generic path: zeta drawn and added in the update's pass
    Mat& G = gradient_scratch(n, d);
    loss_->gradient(theta, G);
    weight_noise_step({nullptr, nullptr, diag_sigma_.data(), h}, G, coords, traj, theta);
    return;
  }
  // Weight noise is drawn at theta_k, before the update moves it.
  thread_local Mat zeta;
  const bool weight_noise = noise_ && noise_->target() == NoiseTarget::weights;
  if (weight_noise) {
    if (zeta.rows() != n || zeta.cols() != d) zeta.resize(n, d);
    zeta.setZero();
    noise_->add_sample(coords, traj, theta, 1.0, zeta);
  }
  Mat& G = gradient_scratch(n, d);
  if (opt_.order == OptimizerConfig::Order::sequential) {
    // Gauss-Seidel: coordinate i moves using the gradient at the point where
    // coordinates < i have already moved (docs/theory.md 1.6).
    for (Index i = 0; i < d; ++i) {
      gradient(coords, traj, theta, G);
      theta.col(i) -= h * G.col(i);
    }
  } else {
    gradient(coords, traj, theta, G);
    if (M_) M_->apply(G);  // M g~: gradient noise is preconditioned with the gradient
    switch (opt_.kind) {
      case OptimizerConfig::Kind::sgd:
        if (weight_noise) {  // one pass, the same operations as the two below
          theta = (theta - h * G) + zeta;
          return;
        }
        theta -= h * G;
        break;
      case OptimizerConfig::Kind::momentum: {
        auto v = X.middleCols(d, d);
        v = opt_.momentum * v + G;
        theta -= h * v;
        break;
      }
      case OptimizerConfig::Kind::adam: {
        auto m = X.middleCols(d, d);
        auto v = X.middleCols(2 * d, d);
        m = opt_.beta1 * m + (1.0 - opt_.beta1) * G;
        v = opt_.beta2 * v + (1.0 - opt_.beta2) * G.cwiseAbs2();
        const double kk = static_cast<double>(k + 1);
        const double c1 = 1.0 - std::pow(opt_.beta1, kk), c2 = 1.0 - std::pow(opt_.beta2, kk);
        theta.array() -= h * (m.array() / c1) / ((v.array() / c2).sqrt() + opt_.epsilon);
        break;
      }
    }
  }
  if (weight_noise) theta += zeta;
}

}  // namespace sgdnoise
