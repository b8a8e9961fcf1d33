#include "losses/least_squares.hpp"

#include <cmath>
#include <stdexcept>

#include "core/kernels.hpp"
#include "core/rng.hpp"

namespace sgdnoise {

namespace {
Mat& scratch(int which, Index rows, Index cols) {
  thread_local Mat buf[3];
  Mat& m = buf[which];
  if (m.rows() != rows || m.cols() != cols) m.resize(rows, cols);
  return m;
}
}  // namespace

LeastSquares::LeastSquares(Mat X, Vec y, Mat Xtest, Vec ytest)
    : X_(std::move(X)), Xrow_(X_), y_(std::move(y)), Xtest_(std::move(Xtest)), ytest_(std::move(ytest)) {
  if (X_.rows() != y_.size()) throw std::invalid_argument("least squares: features and labels differ in length");
  if (X_.rows() < 1 || X_.cols() < 1) throw std::invalid_argument("least squares: no data");
  if (Xtest_.rows() != ytest_.size() || (Xtest_.rows() > 0 && Xtest_.cols() != X_.cols()))
    throw std::invalid_argument("least squares: test set does not match the training set");
  Xt_ = X_.transpose();
  Xtest_t_ = Xtest_.transpose();
  const double n = static_cast<double>(X_.rows());
  H_ = X_.transpose() * X_ / n;
  // Minimum-norm minimizer (complete orthogonal decomposition handles rank deficiency).
  theta_min_ = X_.completeOrthogonalDecomposition().solve(y_);
  min_value_ = 0.5 * (X_ * theta_min_ - y_).squaredNorm() / n;
}

LeastSquares LeastSquares::synthetic(const Synthetic& s) {
  if (s.n < 1 || s.d < 1 || s.n_test < 0) throw std::invalid_argument("least squares: sizes must be positive");
  Vec scale(s.d);
  for (Index j = 0; j < s.d; ++j) {
    const double t = s.d == 1 ? 0.0 : static_cast<double>(j) / static_cast<double>(s.d - 1);
    scale[j] = std::sqrt(std::pow(1.0 / s.condition, t));  // feature variances log-spaced 1 .. 1/condition
  }
  // Draws from the counter-based stream keyed by the data seed: trajectory index 0 =
  // teacher, 1 = training features, 2 = training label noise, 3/4 = test features/noise.
  auto normals = [&](std::uint64_t which, Index rows, Index cols) {
    Mat Z(rows, cols);
    if (Z.size() > 0) fill_normals({s.seed, Purpose::initial_state, which}, 0, 0, Z);
    return Z;
  };
  const Vec teacher = normals(0, 1, s.d).row(0).transpose() / std::sqrt(static_cast<double>(s.d));
  Mat X = normals(1, s.n, s.d) * scale.asDiagonal();
  Vec y = X * teacher + s.label_noise * normals(2, s.n, 1).col(0);
  Mat Xt = normals(3, s.n_test, s.d) * scale.asDiagonal();
  Vec yt = Xt * teacher + s.label_noise * normals(4, s.n_test, 1).col(0);
  return LeastSquares(std::move(X), std::move(y), std::move(Xt), std::move(yt));
}

void LeastSquares::half_mse(const Mat& X, const Vec& y, const Mat& Xt, ConstBlockRef T, Eigen::Ref<Vec> out) {
  const Index rows = T.rows(), n = X.rows();
  Mat& R = scratch(0, rows, n);
  rows_times(T, Xt, R);  // R(t, i) = x_i^T theta_t
  for (Index t = 0; t < rows; ++t) out[t] = 0.0;
  for (Index i = 0; i < n; ++i) {
    const double yi = y[i];
    const double* r = R.col(i).data();
    for (Index t = 0; t < rows; ++t) {
      const double e = r[t] - yi;
      out[t] += e * e;
    }
  }
  out *= 0.5 / static_cast<double>(n);
}

void LeastSquares::value(ConstBlockRef T, Eigen::Ref<Vec> out) const { half_mse(X_, y_, Xt_, T, out); }
void LeastSquares::test_value(ConstBlockRef T, Eigen::Ref<Vec> out) const {
  half_mse(Xtest_, ytest_, Xtest_t_, T, out);
}

void LeastSquares::dense_weighted_gradient(ConstBlockRef T, ConstBlockRef W, BlockRef G) const {
  const Index rows = T.rows(), n = n_samples();
  Mat& R = scratch(1, rows, n);
  rows_times(T, Xt_, R);  // residuals before the label
  for (Index i = 0; i < n; ++i) {
    const double yi = y_[i];
    double* r = R.col(i).data();
    const double* w = W.col(i).data();
#pragma omp simd
    for (Index t = 0; t < rows; ++t) r[t] = (r[t] - yi) * w[t];
  }
  rows_times(R, X_, G);  // G(t, :) = sum_i W(t,i) r_i(t) x_i^T
}

void LeastSquares::gradient(ConstBlockRef T, BlockRef G) const {
  const Index rows = T.rows(), n = n_samples();
  Mat& W = scratch(2, rows, n);
  W.setConstant(1.0 / static_cast<double>(n));
  dense_weighted_gradient(T, W, G);
}

void LeastSquares::sparse_weighted_gradient(ConstBlockRef T, const IndexBlock& idx, ConstBlockRef w, BlockRef G) const {
  const Index rows = T.rows(), d = dim(), m = idx.cols();
  thread_local Vec theta, g;
  theta.resize(d);
  g.resize(d);
  for (Index t = 0; t < rows; ++t) {
    theta = T.row(t).transpose();
    g.setZero();
    for (Index j = 0; j < m; ++j) {
      const Index i = idx(t, j);
      const double* x = Xrow_.row(i).data();
      double r = -y_[i];
      for (Index c = 0; c < d; ++c) r += x[c] * theta[c];
      r *= w(t, j);
      for (Index c = 0; c < d; ++c) g[c] += r * x[c];
    }
    G.row(t) = g.transpose();
  }
}

Mat LeastSquares::sample_gradients(const Vec& theta) const {
  const Vec r = X_ * theta - y_;
  return Xt_ * r.asDiagonal();  // column i: x_i r_i
}

}  // namespace sgdnoise
