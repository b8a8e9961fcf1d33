#include "analysis/spectrum.hpp"

#include <Eigen/Eigenvalues>
#include <stdexcept>

#include "analysis/eigenpairs.hpp"

namespace sgdnoise {

void HessianOperator::perform_op(const double* x_in, double* y_out) const {
  const Index d = rows();
  const Vec x = Eigen::Map<const Vec>(x_in, d);
  Eigen::Map<Vec>(y_out, d) = loss_.hessian_vector(theta_, x);
}

namespace {

SpectrumResult dense_spectrum(const Loss& loss, const Vec& theta, Index k, bool largest) {
  Eigen::SelfAdjointEigenSolver<Mat> es(loss.hessian(theta), Eigen::EigenvaluesOnly);
  SpectrumResult r;
  r.method = "dense";
  if (es.info() != Eigen::Success) {
    r.reason = "dense symmetric eigensolver did not converge";
    return r;
  }
  const Vec& all = es.eigenvalues();  // ascending
  r.eigenvalues = largest ? Vec(all.tail(k).reverse()) : Vec(all.head(k));
  r.converged = true;
  return r;
}

}  // namespace

SpectrumResult top_eigenvalues(const Loss& loss, const Vec& theta, int k, bool largest, double tol, int maxit) {
  const Index d = loss.dim();
  if (theta.size() != d) throw std::invalid_argument("top_eigenvalues: theta's size differs from the loss's dimension");
  if (k < 1 || k > d) throw std::invalid_argument("top_eigenvalues: k must be in [1, d]");
  if (!(tol > 0.0) || maxit < 1) throw std::invalid_argument("top_eigenvalues: tol must be positive and maxit >= 1");
  const Index nev = k;
  if (d <= kDenseSpectrumMaxDim || nev >= d - 1) return dense_spectrum(loss, theta, nev, largest);

  const Eigenpairs e = lanczos_eigenpairs(HessianOperator(loss, theta), nev, largest, tol, maxit);
  SpectrumResult r;
  r.method = e.method;
  r.iterations = e.iterations;
  r.operations = e.operations;
  r.converged = e.converged;
  r.eigenvalues = e.values;
  r.reason = e.reason;
  return r;
}

}  // namespace sgdnoise
