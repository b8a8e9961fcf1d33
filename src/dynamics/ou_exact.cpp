#include "dynamics/ou_exact.hpp"

#include <cmath>
#include <stdexcept>

#include "core/series.hpp"
#include "core/kernels.hpp"
#include "noise/gaussian.hpp"

namespace sgdnoise {

Mat ou_covariance(const Quadratic& q, const Mat& D, double tau) {
  const Vec& lam = q.eigenvalues();
  const Mat& U = q.eigenvectors();
  const Index d = lam.size();
  const Mat Dt = U.transpose() * D * U;
  Mat St(d, d);
  for (Index j = 0; j < d; ++j)
    for (Index i = 0; i < d; ++i)
      St(i, j) = Dt(i, j) == 0.0 ? 0.0 : Dt(i, j) * exponential_integral(lam[i] + lam[j], tau);
  return U * St * U.transpose();
}

OUExact::OUExact(std::shared_ptr<const Quadratic> q, std::shared_ptr<const NoiseModel> noise, double eta)
    : q_(std::move(q)), eta_(eta) {
  if (!(eta_ > 0.0) || !std::isfinite(eta_)) throw std::invalid_argument("step size eta must be positive and finite");
  const Index d = q_->dim();
  const Mat S = noise ? *noise->covariance(q_->stationary_point()) : Mat::Zero(d, d);
  const NoiseForms f = noise_forms(S, noise ? noise->target() : NoiseTarget::gradient, eta_);
  Mat T, Q;
  const Vec& lam = q_->eigenvalues();
  const Mat& U = q_->eigenvectors();
  T = U * (-eta_ * lam.array()).exp().matrix().asDiagonal().toDenseMatrix() * U.transpose();
  Q = ou_covariance(*q_, f.D, eta_);
  Tt_ = T.transpose();
  Lt_ = psd_factor(0.5 * (Q + Q.transpose()), 1e-12).transpose();
}

void OUExact::advance(std::uint64_t seed, std::uint64_t k, RowIds traj, BlockRef X) const {
  const Index n = X.rows(), d = X.cols();
  thread_local Mat Y, Z;
  if (Y.rows() != n || Y.cols() != d) Y.resize(n, d);
  if (Z.rows() != n || Z.cols() != Lt_.rows()) Z.resize(n, Lt_.rows());
  Y = X.rowwise() - q_->stationary_point().transpose();
  rows_times(Y, Tt_, X);
  X.rowwise() += q_->stationary_point().transpose();
  fill_normals({seed, Purpose::ou_exact, k}, traj, 0, Z);
  rows_times_add(Z, Lt_, X);
}

}  // namespace sgdnoise
