#include "noise/covariance_operator.hpp"

#include <cmath>
#include <stdexcept>

namespace sgdnoise {

Mat weight_covariance(Index n, const SamplingCovariance& v) {
  const double nd = static_cast<double>(n);
  Mat M = Mat::Constant(n, n, -v.centred / nd);
  M.diagonal().array() += v.centred + v.uncentred;
  return M;
}

Mat sampling_covariance_matrix(const Mat& G, const SamplingCovariance& v) {
  Mat C = Mat::Zero(G.rows(), G.rows());
  if (v.centred != 0.0) {
    const Mat Y = G.colwise() - G.rowwise().mean();
    C.selfadjointView<Eigen::Lower>().rankUpdate(Y, v.centred);
  }
  if (v.uncentred != 0.0) C.selfadjointView<Eigen::Lower>().rankUpdate(G, v.uncentred);
  return C.selfadjointView<Eigen::Lower>();
}

GradientCovarianceOperator::GradientCovarianceOperator(const Mat& G, const SamplingCovariance& v)
    : d_(G.rows()), v_(v) {
  if (!std::isfinite(v.centred) || !std::isfinite(v.uncentred))
    throw std::invalid_argument("GradientCovarianceOperator: non-finite Cov(V) coefficients");
  if (v_.centred != 0.0) Y_ = G.colwise() - G.rowwise().mean();
  if (v_.uncentred != 0.0) G_ = G;
}

void GradientCovarianceOperator::perform_op(const double* x_in, double* y_out) const {
  const Eigen::Map<const Vec> x(x_in, d_);
  Eigen::Map<Vec> y(y_out, d_);
  y.setZero();
  if (Y_.size() > 0) y.noalias() += v_.centred * (Y_ * (Y_.transpose() * x));
  if (G_.size() > 0) y.noalias() += v_.uncentred * (G_ * (G_.transpose() * x));
}

Vec GradientCovarianceOperator::apply(const Vec& x) const {
  if (x.size() != d_) throw std::invalid_argument("GradientCovarianceOperator: vector of the wrong size");
  Vec y(d_);
  perform_op(x.data(), y.data());
  return y;
}

double GradientCovarianceOperator::trace() const {
  double t = 0.0;
  if (Y_.size() > 0) t += v_.centred * Y_.squaredNorm();
  if (G_.size() > 0) t += v_.uncentred * G_.squaredNorm();
  return t;
}

double GradientCovarianceOperator::frobenius_norm() const {
  const Index n = Y_.size() > 0 ? Y_.cols() : G_.cols();
  if (n >= d_) return dense().norm();
  // ||C||_F^2 = Tr C^2 = a^2 ||Y^T Y||^2 + 2 a b ||Y^T G||^2 + b^2 ||G^T G||^2 (Tr(AB) = Tr(BA)).
  double s = 0.0;
  if (Y_.size() > 0) s += v_.centred * v_.centred * (Y_.transpose() * Y_).squaredNorm();
  if (G_.size() > 0) s += v_.uncentred * v_.uncentred * (G_.transpose() * G_).squaredNorm();
  if (Y_.size() > 0 && G_.size() > 0) s += 2.0 * v_.centred * v_.uncentred * (Y_.transpose() * G_).squaredNorm();
  return std::sqrt(s);
}

Mat GradientCovarianceOperator::dense() const {
  Mat C = Mat::Zero(d_, d_);
  if (Y_.size() > 0) C.selfadjointView<Eigen::Lower>().rankUpdate(Y_, v_.centred);
  if (G_.size() > 0) C.selfadjointView<Eigen::Lower>().rankUpdate(G_, v_.uncentred);
  return C.selfadjointView<Eigen::Lower>();
}

void GradientCovarianceOperator::scale(double f) {
  if (!std::isfinite(f)) throw std::invalid_argument("GradientCovarianceOperator: non-finite scale");
  v_.centred *= f;
  v_.uncentred *= f;
}

}  // namespace sgdnoise
