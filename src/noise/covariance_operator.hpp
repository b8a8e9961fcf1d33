#pragma once
// The gradient-noise covariance of a re-weighting noise as a matrix-free operator.
//
// Every sampling scheme of docs/theory.md 1.2 writes the stochastic gradient as G(theta) W with
// E W = 1/n, so the noise is G V (V = W - 1/n) and C = G Cov(V) G^T (paper 1, Wu et al. 2020;
// docs/theory.md 1.2). For every scheme in sgdnoise Cov(V) has the form
//
//   Cov(V) = a (I - 1 1^T / n) + b I,                                   (*)
//
// and since (I - 1 1^T / n) is a projector, G (I - 1 1^T / n) G^T = Y Y^T with Y = G - mean
// column (the centred gradients), so
//
//   C = a Y Y^T + b G G^T,   C v = a Y (Y^T v) + b G (G^T v)    (O(n d) per product).
//
// (*) is the one definition of Cov(V): the noise models' dense covariance() and this
// operator are both built from it (sampling_covariance_matrix and GradientCovarianceOperator).
// The centred form Y Y^T is used rather than G G^T - (G 1)(G 1)^T / n, which cancels
// catastrophically where the mean gradient dominates the spread.
#include "core/types.hpp"

namespace sgdnoise {

/// The coefficients of Cov(V) = centred (I - 1 1^T / n) + uncentred I, (*) above.
struct SamplingCovariance {
  double centred = 0.0;
  double uncentred = 0.0;
};

/// Cov(V) itself, n x n (for tests and for reading the table of docs/theory.md 1.2).
Mat weight_covariance(Index n, const SamplingCovariance& v);

/// C = G Cov(V) G^T as a dense d x d matrix, from the d x n gradient matrix G.
Mat sampling_covariance_matrix(const Mat& G, const SamplingCovariance& v);

/// C = G Cov(V) G^T applied without forming d x d, with Spectra's operator contract
/// (Scalar, rows(), cols(), perform_op), so SymEigsSolver reads its eigenpairs directly.
/// Holds copies of the centred and/or plain gradient matrices: O(n d) memory.
class GradientCovarianceOperator {
 public:
  using Scalar = double;
  GradientCovarianceOperator(const Mat& G, const SamplingCovariance& v);

  Index rows() const { return d_; }
  Index cols() const { return d_; }
  /// y_out = C x_in; O(n d).
  void perform_op(const double* x_in, double* y_out) const;
  Vec apply(const Vec& x) const;

  /// Tr C = a ||Y||_F^2 + b ||G||_F^2, O(n d).
  double trace() const;
  /// ||C||_F: from the n x n Gram matrices (O(n^2 d)) when n < d, else from the d x d matrix.
  double frobenius_norm() const;
  /// The dense d x d matrix (for small d and tests).
  Mat dense() const;
  /// The operator of f C (e.g. 1 / eta^2 to turn Sigma_step into C).
  void scale(double f);
  const SamplingCovariance& coefficients() const { return v_; }

 private:
  Index d_ = 0;
  SamplingCovariance v_;
  Mat Y_;  // centred gradients (empty when v_.centred == 0)
  Mat G_;  // gradients (empty when v_.uncentred == 0)
};

}  // namespace sgdnoise
