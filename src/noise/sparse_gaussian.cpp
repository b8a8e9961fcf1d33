#include "noise/sparse_gaussian.hpp"

#include <stdexcept>

namespace sgdnoise {

SparseGaussianNoise::SparseGaussianNoise(std::shared_ptr<const FiniteSumLoss> loss, Type type, Index batch,
                                         double sigma)
    : NoiseModel(NoiseTarget::gradient),
      loss_(std::move(loss)),
      type_(type),
      b_(batch),
      sigma_(sigma),
      subset_(loss_, SgdSampling::Scheme::without_replacement, batch) {
  if (!(sigma_ >= 0.0)) throw std::invalid_argument("sigma must be >= 0");
}

std::string SparseGaussianNoise::kind() const {
  return type_ == Type::fisher ? "sparse_gaussian/fisher" : "sparse_gaussian/cov";
}

void SparseGaussianNoise::draw_weights(const StreamCoords& s, RowIds traj, Index rows, Mat& W) const {
  const Index n = loss_->n_samples();
  const double nd = static_cast<double>(n);
  thread_local IndexBlock idx;
  thread_local Mat Z;
  subset_.draw_batch(s, traj, rows, idx);  // Purpose::sampling, draws 0 .. b - 1
  if (Z.rows() != rows || Z.cols() != b_) Z.resize(rows, b_);
  const auto first_free = static_cast<std::uint32_t>(b_ + b_ % 2);  // the next pair of draws
  fill_normals({s.seed, Purpose::sampling, s.step}, traj, first_free, Z);
  if (W.rows() != rows || W.cols() != n) W.resize(rows, n);
  W.setConstant(1.0 / nd);
  for (Index t = 0; t < rows; ++t) {
    double zbar = 0.0;
    if (type_ == Type::cov) {
      for (Index j = 0; j < b_; ++j) zbar += Z(t, j);
      zbar /= static_cast<double>(b_);
    }
    for (Index j = 0; j < b_; ++j) W(t, idx(t, j)) = (1.0 + sigma_ * (Z(t, j) - zbar)) / nd;
  }
}

void SparseGaussianNoise::noisy_gradient(const Loss&, const StreamCoords& s, RowIds traj, ConstBlockRef X,
                                         BlockRef G) const {
  thread_local Mat W;
  draw_weights(s, traj, X.rows(), W);
  loss_->dense_weighted_gradient(X, W, G);
}

void SparseGaussianNoise::add_sample(const StreamCoords& s, RowIds traj, ConstBlockRef X, double scale,
                                     BlockRef out) const {
  add_gradient_deviation(*loss_, s, traj, X, scale, out);
}

SamplingCovariance SparseGaussianNoise::weight_covariance() const {
  const double n = static_cast<double>(loss_->n_samples()), b = static_cast<double>(b_), s2 = sigma_ * sigma_;
  if (type_ == Type::fisher) return {0.0, s2 * b / (n * n * n)};  // (sigma^2 b / n^3) I
  if (b_ == 1) return {0.0, 0.0};                                 // z - zbar = 0 on a one-sample subset
  return {s2 * (b - 1.0) / (n * n * (n - 1.0)), 0.0};             // sigma^2 (b-1) / (n^2 (n-1)) (I - 1 1^T / n)
}

std::optional<Mat> SparseGaussianNoise::covariance(const Vec& theta) const {
  return sampling_covariance_matrix(loss_->sample_gradients(theta), weight_covariance());
}

std::optional<GradientCovarianceOperator> SparseGaussianNoise::covariance_operator(const Vec& theta) const {
  return GradientCovarianceOperator(loss_->sample_gradients(theta), weight_covariance());
}

}  // namespace sgdnoise
