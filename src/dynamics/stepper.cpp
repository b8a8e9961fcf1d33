#include "dynamics/stepper.hpp"

#include <cmath>
#include <stdexcept>

namespace sgdnoise {

namespace {
Mat& gradient_scratch(Index rows, Index cols) {
  thread_local Mat G;
  if (G.rows() != rows || G.cols() != cols) G.resize(rows, cols);
  return G;
}

void gradient_step(const Loss& loss, double h, BlockRef X) {
  Mat& G = gradient_scratch(X.rows(), X.cols());
  loss.gradient(X, G);
  for (Index j = 0; j < X.cols(); ++j) {
    double* x = X.col(j).data();
    const double* g = G.col(j).data();
#pragma omp simd
    for (Index i = 0; i < X.rows(); ++i) x[i] -= h * g[i];
  }
}
}  // namespace

NoisyGD::NoisyGD(std::shared_ptr<const Loss> loss, std::shared_ptr<const NoiseModel> noise, double eta)
    : loss_(std::move(loss)), noise_(std::move(noise)), eta_(eta) {
  if (!(eta_ > 0.0) || !std::isfinite(eta_)) throw std::invalid_argument("step size eta must be positive and finite");
  if (noise_ && noise_->dim() != loss_->dim()) throw std::invalid_argument("noise and loss dimensions differ");
}

void NoisyGD::advance(std::uint64_t seed, std::uint64_t k, std::uint64_t first_traj, BlockRef X) const {
  if (!noise_) {
    gradient_step(*loss_, eta_, X);
    return;
  }
  const StreamCoords coords{seed, Purpose::gradient_noise, k};
  if (noise_->target() == NoiseTarget::gradient) {
    // theta_{k+1} = theta_k - eta g~(theta_k), g~ = grad L + xi, Cov xi = C (CONVENTIONS.md).
    Mat& G = gradient_scratch(X.rows(), X.cols());
    noise_->noisy_gradient(*loss_, coords, first_traj, X, G);
    X -= eta_ * G;
    return;
  }
  // Weight noise: zeta drawn at theta_k, added after the gradient step.
  thread_local Mat zeta;
  if (zeta.rows() != X.rows() || zeta.cols() != X.cols()) zeta.resize(X.rows(), X.cols());
  zeta.setZero();
  noise_->add_sample(coords, first_traj, X, 1.0, zeta);
  gradient_step(*loss_, eta_, X);
  X += zeta;
}

EulerMaruyama::EulerMaruyama(std::shared_ptr<const Loss> loss, std::shared_ptr<const NoiseModel> noise,
                             double eta, int substeps)
    : loss_(std::move(loss)), noise_(std::move(noise)), eta_(eta), m_(substeps) {
  if (!(eta_ > 0.0) || !std::isfinite(eta_)) throw std::invalid_argument("step size eta must be positive and finite");
  if (m_ < 1) throw std::invalid_argument("substeps must be >= 1");
}

void EulerMaruyama::advance(std::uint64_t seed, std::uint64_t k, std::uint64_t first_traj, BlockRef X) const {
  const double dt = eta_ / m_;
  // D^{1/2} dW with D = Sigma_step / eta: a draw of S scaled by sqrt(dt eta) for
  // gradient noise (D = eta C) and by sqrt(dt / eta) for weight noise (D = S / eta).
  const double scale = noise_ ? (noise_->target() == NoiseTarget::gradient ? std::sqrt(dt * eta_)
                                                                           : std::sqrt(dt / eta_))
                              : 0.0;
  thread_local Mat dW;
  for (int s = 0; s < m_; ++s) {
    const std::uint64_t sub = k * static_cast<std::uint64_t>(m_) + static_cast<std::uint64_t>(s);
    if (noise_) {
      if (dW.rows() != X.rows() || dW.cols() != X.cols()) dW.resize(X.rows(), X.cols());
      dW.setZero();
      noise_->add_sample({seed, Purpose::sde_increment, sub}, first_traj, X, scale, dW);
    }
    gradient_step(*loss_, dt, X);
    if (noise_) X += dW;
  }
}

}  // namespace sgdnoise
