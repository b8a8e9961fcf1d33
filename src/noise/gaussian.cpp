#include "noise/gaussian.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>

#include "core/kernels.hpp"

namespace sgdnoise {

GaussianNoise GaussianNoise::isotropic(Index d, double variance, NoiseTarget target) {
  if (!(variance >= 0.0)) throw std::invalid_argument("isotropic noise: variance must be >= 0");
  GaussianNoise g(target, Structure::isotropic, d);
  g.stddev_ = Vec::Constant(d, std::sqrt(variance));
  g.S_ = variance * Mat::Identity(d, d);
  g.kind_ = "isotropic";
  return g;
}

GaussianNoise GaussianNoise::diagonal(const Vec& variances, NoiseTarget target) {
  if (!(variances.array() >= 0.0).all()) throw std::invalid_argument("diagonal noise: variances must be >= 0");
  GaussianNoise g(target, Structure::diagonal, variances.size());
  g.stddev_ = variances.array().sqrt();
  g.S_ = variances.asDiagonal();
  g.kind_ = "diagonal";
  return g;
}

GaussianNoise GaussianNoise::from_factor(Mat B, NoiseTarget target) {
  GaussianNoise g(target, Structure::factor, B.rows());
  g.S_ = B * B.transpose();
  g.Bt_ = B.transpose();
  g.B_ = std::move(B);
  return g;
}

void GaussianNoise::add_sample(const StreamCoords& s, RowIds traj, ConstBlockRef, double scale, BlockRef out) const {
  const Index n = out.rows();
  thread_local Mat Z;
  if (Z.rows() != n || Z.cols() != draws()) Z.resize(n, draws());
  fill_normals(s, traj, 0, Z);
  if (structure_ == Structure::factor) {
    Z *= scale;
    rows_times_add(Z, Bt_, out);
    return;
  }
  for (Index j = 0; j < d_; ++j) {
    const double a = scale * stddev_[j];
    const double* z = Z.col(j).data();
    double* o = out.col(j).data();
#pragma omp simd
    for (Index i = 0; i < n; ++i) o[i] += a * z[i];
  }
}

Mat psd_factor(const Mat& S, double rel_tol) {
  if (S.rows() != S.cols()) throw std::invalid_argument("covariance must be square");
  if (!S.allFinite()) throw std::invalid_argument("covariance has non-finite entries");
  const double asym = (S - S.transpose()).cwiseAbs().maxCoeff();
  const double scale = std::max(S.cwiseAbs().maxCoeff(), 1e-300);
  if (asym > 1e-12 * scale) {
    std::ostringstream m;
    m << "covariance is not symmetric (max |S - S^T| = " << asym << ")";
    throw std::invalid_argument(m.str());
  }
  Eigen::SelfAdjointEigenSolver<Mat> es(0.5 * (S + S.transpose()));
  const Vec& w = es.eigenvalues();
  const double tol = rel_tol * std::max(w.cwiseAbs().maxCoeff(), 1e-300);
  if (w.minCoeff() < -tol) {
    std::ostringstream m;
    m << "covariance is not positive semidefinite (smallest eigenvalue " << w.minCoeff() << ")";
    throw std::invalid_argument(m.str());
  }
  Index r = 0;
  for (Index i = 0; i < w.size(); ++i)
    if (w[i] > tol) ++r;
  Mat B(S.rows(), r);
  Index c = 0;
  for (Index i = 0; i < w.size(); ++i)
    if (w[i] > tol) B.col(c++) = es.eigenvectors().col(i) * std::sqrt(w[i]);
  return B;
}

}  // namespace sgdnoise
