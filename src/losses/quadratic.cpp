#include "losses/quadratic.hpp"

#include <stdexcept>

#include "core/kernels.hpp"
#include "core/rng.hpp"

namespace sgdnoise {

Quadratic::Quadratic(Vec eigenvalues, Mat basis, Vec theta_star, double offset)
    : lambda_(std::move(eigenvalues)), U_(std::move(basis)), theta_star_(std::move(theta_star)), offset_(offset) {
  const Index d = lambda_.size();
  if (U_.rows() != d || U_.cols() != d || theta_star_.size() != d)
    throw std::invalid_argument("quadratic: eigenvalues, basis and minimum disagree in dimension");
  H_ = U_ * lambda_.asDiagonal() * U_.transpose();
  H_ = 0.5 * (H_ + H_.transpose()).eval();  // exactly symmetric
  axis_aligned_ = U_.isApprox(Mat::Identity(d, d), 0.0);
  if (axis_aligned_) H_ = lambda_.asDiagonal();
}

namespace {
// Per-thread scratch, resized only when the block shape changes: no allocation
// in the step loop once the first step has run.
Mat& scratch(int which, Index rows, Index cols) {
  thread_local Mat buf[2];
  Mat& m = buf[which];
  if (m.rows() != rows || m.cols() != cols) m.resize(rows, cols);
  return m;
}
}  // namespace

void Quadratic::value(ConstBlockRef X, Eigen::Ref<Vec> out) const {
  const Index n = X.rows(), d = dim();
  Mat& Y = scratch(0, n, d);
  Y = X.rowwise() - theta_star_.transpose();
  Mat& G = scratch(1, n, d);
  if (axis_aligned_)
    rows_times_diag(Y, lambda_, G);
  else
    rows_times(Y, H_, G);
  for (Index i = 0; i < n; ++i) out[i] = offset_;
  for (Index j = 0; j < d; ++j)
    for (Index i = 0; i < n; ++i) out[i] += 0.5 * Y(i, j) * G(i, j);
}

void Quadratic::gradient(ConstBlockRef X, BlockRef G) const {
  Mat& Y = scratch(0, X.rows(), X.cols());
  Y = X.rowwise() - theta_star_.transpose();
  if (axis_aligned_)
    rows_times_diag(Y, lambda_, G);
  else
    rows_times(Y, H_, G);
}

std::optional<Vec> Quadratic::minimizer() const {
  if ((lambda_.array() > 0.0).all()) return theta_star_;
  return std::nullopt;
}

std::optional<double> Quadratic::minimum_value() const {
  if ((lambda_.array() >= 0.0).all()) return offset_;
  return std::nullopt;
}

Mat random_orthogonal(Index d, std::uint64_t seed) {
  Mat Z(d, d);
  StreamCoords s{seed, Purpose::initial_state, 0};
  fill_normals(s, 0, 0, Z);
  Eigen::HouseholderQR<Mat> qr(Z);
  Mat Q = qr.householderQ();
  const Mat R = qr.matrixQR().triangularView<Eigen::Upper>();
  for (Index j = 0; j < d; ++j)
    if (R(j, j) < 0.0) Q.col(j) = -Q.col(j);
  return Q;
}

}  // namespace sgdnoise
