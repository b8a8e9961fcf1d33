#pragma once
// A loss given as a polynomial, L(theta) = sum_m c_m prod_j theta_j^{e_mj} (the scenario kind
// "polynomial"), so that a new toy landscape needs no code: value, gradient and dense Hessian
// exact (no differencing), batched over rows. Where the user gives starting guesses of its
// minima and index-1 saddles, each is refined by Newton's method on grad L = 0 with the exact
// Hessian, and the landscape offers them as CriticalPoints (basin escape regions, ...), like
// the built-in landscapes (landscapes.hpp).
//
// Evaluation. The derivatives are polynomials too: at construction every monomial's first and
// second derivatives are expanded into terms (coefficient c_m e_mj, resp. c_m e_mj (e_mk -
// delta_jk), and the lowered exponents), so evaluation never differentiates. Per block of rows
// the powers theta_j^p, p = 1 .. max_m e_mj, are built once by repeated multiplication (no
// pow()), and each term is the product of its coefficient and its powers, summed in the given
// order; every loop runs over rows (contiguous in the column-major ensemble). A row's arithmetic
// does not depend on the other rows, so batch and pointwise evaluation agree bit for bit
// (docs/conventions.md, determinism).
//
// Accuracy. A sum of monomials is evaluated with an error bounded by a few ulps of
// sum_m |c_m prod_j theta_j^{e_mj}|, not of |L|: near a zero of L where the terms cancel (a
// double well (x^2 - 1)^2 = x^4 - 2 x^2 + 1 near x = +-1) the relative error of L grows like
// that ratio (Higham, Accuracy and Stability of Numerical Algorithms, 2nd ed., sec. 5.1 and
// 4.2). absolute_terms() gives those sums, which the Newton refinement uses to decide that a
// gradient is zero within its rounding error.
#include <string>
#include <vector>

#include "losses/landscapes.hpp"
#include "losses/loss.hpp"

namespace sgdnoise {

class Polynomial : public Loss {
 public:
  /// coefficients: c_1 .. c_M, M >= 1; exponents: M x d, d >= 1, integers in [0, kMaxExponent]
  /// given as doubles (checked: std::invalid_argument otherwise).
  Polynomial(Vec coefficients, const Mat& exponents);
  /// The largest exponent: bounds the power table, kMaxExponent doubles per variable and row.
  static constexpr int kMaxExponent = 64;

  std::string kind() const override { return "polynomial"; }
  Index dim() const override { return dim_; }
  void value(ConstBlockRef X, Eigen::Ref<Vec> out) const override;
  void gradient(ConstBlockRef X, BlockRef G) const override;
  Mat hessian(const Vec& theta) const override;

  Index monomials() const { return coefficients_.size(); }
  const Vec& coefficients() const { return coefficients_; }
  /// M x d.
  const Eigen::MatrixXi& exponents() const { return exponents_; }

  /// At theta: the sums of the absolute values of the terms of L (entry 0) and of each
  /// dL/dtheta_j (entries 1 .. d), the scales of their rounding errors (header).
  Vec absolute_terms(const Vec& theta) const;

  /// Newton's method on grad L = 0 with the exact Hessian, from `guess`.
  struct Refinement {
    bool converged = false;
    int iterations = 0;
    CriticalPoint point;  // the last iterate, its value, Hessian and Morse index
    Vec eigenvalues;      // of the Hessian there, ascending
    std::string reason;   // why it did not converge
  };
  /// Converged when every |dL/dtheta_j| is within kGradientUlps ulps of its absolute terms (zero
  /// up to rounding), or when a Newton step moves theta by at most 4 ulps of max(1, |theta|_inf).
  /// Fails on a singular or non-finite Hessian, a non-finite iterate, or after kMaxIterations.
  /// Newton converges only linearly to a degenerate critical point (x^4 at 0); it may still meet
  /// the step test there, with Hessian eigenvalues that are tiny but not zero, and the caller's
  /// sign test of the eigenvalues then accepts it.
  Refinement refine(Vec guess) const;
  static constexpr int kMaxIterations = 100;
  static constexpr double kGradientUlps = 64.0;

 private:
  /// Terms of one polynomial: term t is coef[t] * prod_{c in cols[begin[t] .. begin[t+1])} P(:, c),
  /// P the table of powers (column offset_[j] + p - 1 holds theta_j^p).
  struct Terms {
    std::vector<double> coef;
    std::vector<int> begin{0};
    std::vector<int> cols;
    void add(double c, const Eigen::RowVectorXi& e, const std::vector<int>& offset);
  };
  /// Rows per block of the power table.
  static constexpr Index kChunk = 64;
  /// The powers of rows r0 .. r0 + rows of X into P (rows x n_powers_, column-major).
  void fill_powers(ConstBlockRef X, Index r0, Index rows, double* P) const;
  /// out[r] = the sum of t's terms at the rows of P (rows of them); absolute: of their |values|.
  static void evaluate(const Terms& t, const double* P, Index rows, double* tmp, double* out, bool absolute = false);

  Index dim_;
  Vec coefficients_;
  Eigen::MatrixXi exponents_;
  std::vector<int> offset_;  // offset_[j]: the column of theta_j^1 in the power table
  Index n_powers_ = 0;
  Terms value_;
  std::vector<Terms> gradient_;  // d of them
  std::vector<Terms> hessian_;   // (j, k), k >= j, at j * d + k
};

/// A polynomial with its refined minima and index-1 saddles (scenario keys loss.minima and
/// loss.saddles). minimizer() and minimum_value() are the lowest of the given minima.
class PolynomialLandscape final : public Polynomial, public CriticalPoints {
 public:
  PolynomialLandscape(Polynomial p, std::vector<CriticalPoint> minima, std::vector<CriticalPoint> saddles);
  std::optional<Vec> minimizer() const override;
  std::optional<double> minimum_value() const override;
  std::vector<CriticalPoint> minima() const override { return minima_; }
  std::vector<CriticalPoint> saddles() const override { return saddles_; }

 private:
  std::vector<CriticalPoint> minima_, saddles_;
};

}  // namespace sgdnoise
