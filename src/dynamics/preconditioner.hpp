#pragma once
// A constant symmetric positive definite preconditioner M of the drift: the dynamics
//   discrete:  theta_{k+1} = theta_k - eta M g_k + zeta_k   (g_k the gradient, noisy for gradient noise)
//   SDE:       d theta = -M grad L dtau + D^{1/2} dW
// Gradient noise passes through M with the gradient (preconditioned SGD: Sigma_step = eta^2 M C M);
// weight noise is added as drawn. With D = 2 eps M the SDE is reversible with Gibbs measure
// e^{-L/eps}: the drift -M grad L = (1/2) D grad log e^{-L/eps} (Pavliotis 2014, sec. 4.6), and
// the Eyring-Kramers law holds with lambda_- the negative eigenvalue of M H at the saddle
// (Berglund 2011, arXiv:1106.5799, sec. 3; analysis/predictions/escape_time.hpp).
#include <string>

#include "core/types.hpp"

namespace sgdnoise {

class Preconditioner {
 public:
  /// Throws std::invalid_argument with the reason unless M is square, finite, symmetric
  /// (|M - M^T| <= 1e-12 |M|) and positive definite (Cholesky succeeds).
  explicit Preconditioner(Mat M);
  static Preconditioner diagonal(const Vec& m);

  Index dim() const { return M_.rows(); }
  const Mat& matrix() const { return M_; }
  /// True when every off-diagonal entry is exactly zero: M acts coordinate-wise.
  bool is_diagonal() const { return diagonal_; }
  /// A factor L with L L^T = M (lower Cholesky factor; diagonal when M is).
  const Mat& cholesky() const { return L_; }
  /// M^{-1}.
  Mat inverse() const;
  /// G.row(i) <- (M G.row(i)^T)^T = G.row(i) M for every row (M symmetric), in place, with
  /// the fixed-order kernel of core/kernels.hpp (no allocation after the first call per thread).
  void apply(BlockRef G) const;

 private:
  Mat M_, L_;
  Vec diag_;
  bool diagonal_ = false;
};

}  // namespace sgdnoise
