#include "dynamics/strong_coupling.hpp"

#include <cmath>
#include <stdexcept>

namespace sgdnoise {

StrongCoupling::StrongCoupling(std::shared_ptr<const FiniteSumLoss> loss,
                               std::shared_ptr<const MultiplicativeNoise> noise, double eta, int substeps)
    : loss_(std::move(loss)), noise_(std::move(noise)), eta_(eta), m_(substeps) {
  if (!(eta_ > 0.0) || !std::isfinite(eta_)) throw std::invalid_argument("step size eta must be positive and finite");
  if (m_ < 1) throw std::invalid_argument("substeps must be >= 1");
  if (!noise_ || !noise_->gaussian())
    throw std::invalid_argument(
        "the strong coupling needs Gaussian multiplicative noise (type gaussian_cov or gaussian_fisher): its step is "
        "driven by a standard normal vector that the SDE's Brownian increments can supply");
  if (noise_->dim() != loss_->dim()) throw std::invalid_argument("noise and loss dimensions differ");
}

void StrongCoupling::multiplicative_step(double h, double sigma, Mat& Z, BlockRef Y) const {
  thread_local Mat G;
  if (G.rows() != Y.rows() || G.cols() != Y.cols()) G.resize(Y.rows(), Y.cols());
  noise_->weights_from_normals(sigma, Z);
  loss_->dense_weighted_gradient(Y, Z, G);
  Y -= h * G;
}

void StrongCoupling::advance(std::uint64_t seed, std::uint64_t k, RowIds traj, BlockRef X) const {
  const Index d = loss_->dim(), rows = X.rows(), n = loss_->n_samples();
  const auto M = static_cast<std::uint64_t>(m_);
  const double dt = eta_ / m_;
  const double sigma = noise_->strength();
  // One sub-step of the reference is a multiplicative step of size dt with sigma sqrt(M) (the
  // header); the half reference's sub-step has size 2 dt and sigma sqrt(M / 2).
  const double sigma_ref = sigma * std::sqrt(static_cast<double>(m_));
  const double sigma_half = sigma * std::sqrt(static_cast<double>(m_ / 2));
  const double inv_sqrt2 = 1.0 / std::sqrt(2.0);
  thread_local Mat xi, sum, pair, Z;
  for (Mat* m : {&xi, &sum, &pair, &Z})
    if (m->rows() != rows || m->cols() != n) m->resize(rows, n);
  auto theta = X.leftCols(d);
  auto ref = X.middleCols(d, d);
  auto half = X.middleCols(2 * d, d);
  sum.setZero();
  for (std::uint64_t s = 0; s < M; ++s) {
    fill_normals({seed, Purpose::sde_increment, k * M + s}, traj, 0, xi);
    sum += xi;
    Z = xi;
    multiplicative_step(dt, sigma_ref, Z, ref);
    if (!half_reference()) continue;
    if (s % 2 == 0) {
      pair = xi;
    } else {
      // (xi_{2j} + xi_{2j+1}) / sqrt 2: the half reference's normal for its sub-step j.
      pair += xi;
      Z = pair * inv_sqrt2;
      multiplicative_step(2.0 * dt, sigma_half, Z, half);
    }
  }
  // z_k = sum_s xi_s / sqrt(M) (for M = 2 the same operations as the half reference's Z).
  if (M == 2)
    Z = sum * inv_sqrt2;
  else
    Z = sum / std::sqrt(static_cast<double>(m_));
  multiplicative_step(eta_, sigma, Z, theta);
}

}  // namespace sgdnoise
