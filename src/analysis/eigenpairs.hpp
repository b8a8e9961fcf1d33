#pragma once
// Extreme eigenpairs of a symmetric operator, with Spectra's ritual and an honest status
// (STYLE.md): construct -> init() -> compute(rule, maxit, tol) -> check info() -> read the
// results with num_iterations() / num_operations(). Any type with Spectra's operator
// contract (Scalar, rows(), perform_op) works: HessianOperator (spectrum.hpp), the
// matrix-free gradient-noise covariance (noise/covariance_operator.hpp), or
// Spectra::DenseSymMatProd for a dense matrix. top_eigenvalues (spectrum.hpp) is the
// eigenvalue-only Hessian special case.
#include <Spectra/SymEigsSolver.h>

#include <algorithm>
#include <sstream>
#include <stdexcept>
#include <string>

#include "core/types.hpp"

namespace sgdnoise {

struct Eigenpairs {
  Vec values;   // descending for the top k, ascending for the bottom k
  Mat vectors;  // d x (number of values), unit columns
  bool converged = false;
  std::string method;    // "spectra_lanczos" or "dense"
  Index iterations = 0;  // Lanczos restarts (0 for dense)
  Index operations = 0;  // operator applications (0 for dense)
  std::string reason;    // why not converged; empty otherwise
};

/// The k largest (largest = true) or smallest eigenpairs of the dense symmetric M, by
/// algebraic value (Eigen's SelfAdjointEigenSolver).
Eigenpairs dense_eigenpairs(const Mat& M, Index k, bool largest);

/// The k largest or smallest eigenpairs of op by implicitly restarted Lanczos (Spectra's
/// SymEigsSolver), with ncv = min(d, max(2k + 1, 20)) Lanczos vectors. Needs 1 <= k <= d - 2
/// (Spectra's nev < ncv <= d); throws std::invalid_argument otherwise. Converged when every
/// Ritz pair's residual is below tol * max(eps^{2/3}, |Ritz value|) (Spectra's criterion).
template <class Op>
Eigenpairs lanczos_eigenpairs(const Op& op, Index k, bool largest, double tol = 1e-10, Index maxit = 1000) {
  const Index d = op.rows();
  if (k < 1 || k > d - 2) throw std::invalid_argument("lanczos_eigenpairs: k must be in [1, d - 2]");
  if (!(tol > 0.0) || maxit < 1) throw std::invalid_argument("lanczos_eigenpairs: tol > 0 and maxit >= 1");
  const Index ncv = std::min(d, std::max<Index>(2 * k + 1, 20));
  Spectra::SymEigsSolver<Op> eigs(const_cast<Op&>(op), k, ncv);  // Spectra only reads op
  eigs.init();  // Spectra's fixed-seed start vector: results are deterministic
  const Spectra::SortRule rule = largest ? Spectra::SortRule::LargestAlge : Spectra::SortRule::SmallestAlge;
  // The last argument orders the output: descending for the top, ascending for the bottom.
  const Index nconv = eigs.compute(rule, maxit, tol, rule);
  Eigenpairs r;
  r.method = "spectra_lanczos";
  r.iterations = eigs.num_iterations();
  r.operations = eigs.num_operations();
  r.converged = eigs.info() == Spectra::CompInfo::Successful;
  r.values = eigs.eigenvalues();  // the converged ones only
  r.vectors = eigs.eigenvectors();
  if (!r.converged) {
    std::ostringstream m;
    m << "Lanczos did not converge: " << nconv << " of " << k << " eigenpairs after " << r.iterations
      << " restarts (maxit " << maxit << ", tol " << tol << ")";
    r.reason = m.str();
  }
  return r;
}

}  // namespace sgdnoise
