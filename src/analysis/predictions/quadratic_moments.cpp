#include "analysis/predictions/quadratic_moments.hpp"

#include "dynamics/ou_exact.hpp"

#include <cmath>
#include <limits>
#include <sstream>

namespace sgdnoise {

Moments QuadraticMoments::discrete(double h, const Mat& Q, const Vec& theta0, std::int64_t k) const {
  const Vec& lam = q_.eigenvalues();
  const Index d = lam.size();
  const Vec a = (1.0 - h * lam.array()).matrix();
  const Mat Qt = to_eigen(Q);
  Mat St(d, d);
  for (Index j = 0; j < d; ++j)
    for (Index i = 0; i < d; ++i) St(i, j) = Qt(i, j) == 0.0 ? 0.0 : Qt(i, j) * geometric_sum(a[i] * a[j], k);
  Vec e0 = q_.eigenvectors().transpose() * (theta0 - q_.stationary_point());
  for (Index i = 0; i < d; ++i) e0[i] *= std::pow(a[i], static_cast<double>(k));
  return {q_.stationary_point() + q_.eigenvectors() * e0, from_eigen(St)};
}

namespace {
// Largest |Q~_ii| below which a direction counts as "not reached by the noise".
double reach_tol(const Mat& Qt) { return 1e-14 * std::max(Qt.diagonal().cwiseAbs().maxCoeff(), 1e-300); }
}  // namespace

Existence QuadraticMoments::discrete_stationary_exists(double h, const Mat& Q) const {
  const Vec& lam = q_.eigenvalues();
  const Mat Qt = to_eigen(Q);
  const double tol = reach_tol(Qt);
  for (Index i = 0; i < lam.size(); ++i) {
    const double hl = h * lam[i];
    if (Qt(i, i) > tol && !(hl > 0.0 && hl < 2.0)) {
      std::ostringstream m;
      m << "no discrete stationary covariance: eta*lambda_" << i << " = " << hl
        << " is outside (0, 2) in a direction the noise reaches";
      return {false, m.str()};
    }
  }
  return {};
}

Mat QuadraticMoments::discrete_stationary(double h, const Mat& Q) const {
  const Vec& lam = q_.eigenvalues();
  const Mat Qt = to_eigen(Q);
  const Index d = lam.size();
  Mat St = Mat::Zero(d, d);
  for (Index j = 0; j < d; ++j)
    for (Index i = 0; i < d; ++i) {
      if (Qt(i, j) == 0.0) continue;
      const double r = (1.0 - h * lam[i]) * (1.0 - h * lam[j]);
      St(i, j) = std::abs(r) < 1.0 ? Qt(i, j) / (1.0 - r) : std::numeric_limits<double>::quiet_NaN();
    }
  return from_eigen(St);
}

Moments QuadraticMoments::continuous(const Mat& D, const Vec& theta0, double tau) const {
  const Vec& lam = q_.eigenvalues();
  const Index d = lam.size();
  Vec e0 = q_.eigenvectors().transpose() * (theta0 - q_.stationary_point());
  for (Index i = 0; i < d; ++i) e0[i] *= std::exp(-lam[i] * tau);
  return {q_.stationary_point() + q_.eigenvectors() * e0, ou_covariance(q_, D, tau)};
}

Existence QuadraticMoments::continuous_stationary_exists(const Mat& D) const {
  const Vec& lam = q_.eigenvalues();
  const Mat Dt = to_eigen(D);
  const double tol = reach_tol(Dt);
  for (Index i = 0; i < lam.size(); ++i)
    if (Dt(i, i) > tol && !(lam[i] > 0.0)) {
      std::ostringstream m;
      m << "no continuous stationary covariance: lambda_" << i << " = " << lam[i]
        << " is not positive in a direction the noise reaches";
      return {false, m.str()};
    }
  return {};
}

Mat QuadraticMoments::continuous_stationary(const Mat& D) const {
  const Vec& lam = q_.eigenvalues();
  const Mat Dt = to_eigen(D);
  const Index d = lam.size();
  Mat St = Mat::Zero(d, d);
  for (Index j = 0; j < d; ++j)
    for (Index i = 0; i < d; ++i) {
      if (Dt(i, j) == 0.0) continue;
      const double s = lam[i] + lam[j];
      St(i, j) = s > 0.0 ? Dt(i, j) / s : std::numeric_limits<double>::quiet_NaN();
    }
  return from_eigen(St);
}

double QuadraticMoments::expected_loss(const Moments& m) const {
  const Vec e = m.mean - q_.stationary_point();
  return q_.offset() + 0.5 * e.dot(q_.H() * e) + 0.5 * (q_.H().cwiseProduct(m.cov)).sum();
}

}  // namespace sgdnoise
