#pragma once
// Extreme eigenvalues of the Hessian at one point.
//
// Large d: implicitly restarted Lanczos (Spectra's SymEigsSolver) on a matrix-free
// operator built from Loss::hessian_vector, so only Hessian-vector products are
// needed. Small d, or nearly the whole spectrum: the dense symmetric eigensolver
// on Loss::hessian. Every result says which method ran, whether it converged and
// how many operator applications it took (STYLE.md, Spectra's ritual).
#include <string>

#include "core/types.hpp"
#include "losses/loss.hpp"

namespace sgdnoise {

/// y = H(theta) x through Loss::hessian_vector, with Spectra's operator contract
/// (Scalar, rows(), cols(), perform_op). Holds references: loss and theta must outlive it.
class HessianOperator {
 public:
  using Scalar = double;
  HessianOperator(const Loss& loss, const Vec& theta) : loss_(loss), theta_(theta) {}
  Index rows() const { return theta_.size(); }
  Index cols() const { return theta_.size(); }
  void perform_op(const double* x_in, double* y_out) const;

 private:
  const Loss& loss_;
  const Vec& theta_;
};

struct SpectrumResult {
  Vec eigenvalues;  // descending for the top k, ascending for the bottom k
  bool converged = false;
  std::string method;    // "spectra_lanczos" or "dense"
  Index iterations = 0;  // Lanczos restarts (0 for dense)
  Index operations = 0;  // Hessian-vector products (0 for dense)
  std::string reason;    // why not converged; empty otherwise
};

/// At most this dimension, top_eigenvalues uses the dense solver: below it a dense eigensolve
/// (O(d^3), a few microseconds) beats Lanczos bookkeeping, and it keeps Spectra's requirement
/// nev < ncv <= d comfortable.
inline constexpr Index kDenseSpectrumMaxDim = 32;

/// The k largest (largest = true) or smallest eigenvalues of the Hessian of loss at
/// theta, by algebraic value. Lanczos stops when every Ritz pair's residual is below
/// tol * max(eps^{2/3}, |ritz value|) (Spectra's criterion), or after maxit restarts.
/// Dense when d <= 32 or k >= d - 1. Throws std::invalid_argument when k < 1, k > d,
/// or theta's size is not loss.dim().
SpectrumResult top_eigenvalues(const Loss& loss, const Vec& theta, int k, bool largest, double tol = 1e-10,
                               int maxit = 1000);

}  // namespace sgdnoise
