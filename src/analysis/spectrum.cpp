#include "analysis/spectrum.hpp"

#include <Spectra/SymEigsSolver.h>

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <sstream>
#include <stdexcept>

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

  // ncv Lanczos vectors: about twice nev, at least 20, is Spectra's recommended
  // trade-off between restarts and memory; nev < ncv <= d holds because nev <= d - 2.
  const Index ncv = std::min(d, std::max<Index>(2 * nev + 1, 20));
  HessianOperator op(loss, theta);
  Spectra::SymEigsSolver<HessianOperator> eigs(op, nev, ncv);
  eigs.init();  // Spectra's fixed-seed start vector: results are deterministic
  const Spectra::SortRule rule = largest ? Spectra::SortRule::LargestAlge : Spectra::SortRule::SmallestAlge;
  // The last argument orders the output: descending for the top, ascending for the bottom.
  const Index nconv = eigs.compute(rule, maxit, tol, rule);

  SpectrumResult r;
  r.method = "spectra_lanczos";
  r.iterations = eigs.num_iterations();
  r.operations = eigs.num_operations();
  r.converged = eigs.info() == Spectra::CompInfo::Successful;
  r.eigenvalues = eigs.eigenvalues();  // the converged ones only
  if (!r.converged) {
    std::ostringstream m;
    m << "Lanczos did not converge: " << nconv << " of " << nev << " eigenvalues after " << r.iterations
      << " restarts (maxit " << maxit << ", tol " << tol << ")";
    r.reason = m.str();
  }
  return r;
}

}  // namespace sgdnoise
