#pragma once
// A finite sum of quadratics with heterogeneous per-sample Hessians (docs/theory.md 1.1, 1.5):
//
//   l_i(theta) = 1/2 (theta - c_i)^T H_i (theta - c_i),  H_i symmetric (PSD or not),
//   grad l_i   = H_i (theta - c_i),   L = (1/n) sum_i l_i,   H = Hbar = (1/n) sum_i H_i,
//   theta_s    = (sum_i H_i)^{-1} sum_i H_i c_i   (minimum-norm where Hbar is singular),
//
// theta_s is the stationary point; it is the minimizer theta* only when Hbar is PSD. With an
// indefinite Hbar it is a saddle, L is unbounded below and minimizer() is empty (paper 4's
// saddle escape, docs/theory.md 5.3: indefinite H_i that differ make the noise covariance vary
// along the negative-curvature direction).
//
// so grad L is affine and L itself is the quadratic 1/2 theta^T Hbar theta - theta^T bbar +
// kbar, b_i = H_i c_i, k_i = 1/2 c_i^T H_i c_i. With identical H_i the sampling order
// changes no first moment; with different H_i random reshuffling moves E theta_k away from
// GD (docs/theory.md 1.5): over two steps of one epoch with single samples,
//   E[(I - eta H_j)(I - eta H_i)] = I - 2 eta Hbar + eta^2 [Hbar^2 - Cov_H / (n - 1)],
// and for this affine map E theta_2 - theta_2^GD = -eta^2 / (n - 1) Cov_i(H_i, grad l_i(theta_0))
// with Cov_i(H_i, g_i) = (1/n) sum_i (H_i - Hbar)(g_i - grad L) (our extension of 1.5 to the
// affine part, checked by enumeration in tests/test_finite_sum_losses.cpp).
//
// Synthetic problems: a base Hessian S = diag(lambda_max .. lambda_max / condition, log-
// spaced), H_i = S^{1/2} M_i S^{1/2} with M_i = (1 - spread) I + spread Z_i Z_i^T / d, Z_i a
// d x d standard normal matrix: E M_i = I, so E H_i = S; spread = 0 gives identical H_i,
// spread = 1 Wishart-distributed ones. Centres c_i ~ N(0, centre_spread^2 I). The held-out
// test set is n_test fresh pairs (H_i, c_i) from the same generator, and test_value the mean of
// their l_i: a Monte Carlo estimate of the population loss E l(theta) of this generator.
// Problems given explicitly have no test set.
#include <vector>

#include "losses/loss.hpp"

namespace sgdnoise {

class SumOfQuadratics final : public FiniteSumLoss {
 public:
  /// hessians[i] = H_i (d x d, symmetric, possibly indefinite), centres.row(i) = c_i; the
  /// test pair may be empty. Throws std::invalid_argument on mismatched sizes, a non-finite
  /// or a non-symmetric H_i.
  SumOfQuadratics(std::vector<Mat> hessians, Mat centres, std::vector<Mat> test_hessians = {},
                  Mat test_centres = Mat());

  struct Synthetic {
    Index n = 10, d = 2, n_test = 0;
    double lambda_max = 1.0, condition = 10.0, spread = 0.5, centre_spread = 1.0;
    std::uint64_t seed = 0;
  };
  static SumOfQuadratics synthetic(const Synthetic& s);

  std::string kind() const override { return "sum_of_quadratics"; }
  Index dim() const override { return centres_.cols(); }
  Index n_samples() const override { return centres_.rows(); }
  void value(ConstBlockRef T, Eigen::Ref<Vec> out) const override;
  void gradient(ConstBlockRef T, BlockRef G) const override;
  Mat hessian(const Vec&) const override { return Hbar_; }
  Vec hessian_vector(const Vec&, const Vec& v) const override { return Hbar_ * v; }
  std::optional<Vec> minimizer() const override;
  std::optional<double> minimum_value() const override;
  /// Why minimizer() is empty (the error of dynamics.start_at = "minimum"); empty if it is not.
  std::string no_minimizer_reason() const;
  /// theta_s with grad L(theta_s) = 0 (the minimizer, or a saddle when Hbar is indefinite);
  /// empty where none exists (Hbar singular, bbar outside its range).
  std::optional<Vec> stationary_point() const;
  bool affine_gradient() const override { return true; }
  bool has_test_set() const override { return !test_H_.empty(); }
  void test_value(ConstBlockRef T, Eigen::Ref<Vec> out) const override;

  void sparse_weighted_gradient(ConstBlockRef T, const IndexBlock& idx, ConstBlockRef w, BlockRef G) const override;
  void dense_weighted_gradient(ConstBlockRef T, ConstBlockRef W, BlockRef G) const override;
  Mat sample_gradients(const Vec& theta) const override;
  /// l_i = 1/2 (theta - c_i)^T H_i (theta - c_i) and its Hessian H_i.
  std::optional<Vec> sample_values(const Vec& theta) const override;
  std::optional<Mat> sample_hessian(const Vec& theta, Index i) const override;

  const std::vector<Mat>& hessians() const { return H_; }
  const Mat& centres() const { return centres_; }
  const std::vector<Mat>& test_hessians() const { return test_H_; }
  const Mat& test_centres() const { return test_centres_; }
  /// One sample's loss at one point (the reference for the batched code).
  double sample_loss(const Vec& theta, Index i) const;

 private:
  std::vector<Mat> H_;
  Mat centres_;
  Mat B_;     // column i: b_i = H_i c_i (d x n)
  Mat Hbar_;  // (1/n) sum_i H_i
  Vec bbar_;  // (1/n) sum_i b_i
  std::vector<Mat> test_H_;
  Mat test_centres_;
  Mat test_A_;  // the test loss as 1/2 theta^T A theta - theta^T a + kappa
  Vec test_a_;
  double test_kappa_ = 0.0;
  Vec theta_ref_;  // minimum-norm least-squares solution of Hbar theta = bbar
  Vec grad_ref_;   // grad L(theta_ref_): zero when theta_ref_ is stationary
  double value_ref_ = 0.0;
  double lambda_min_ = 0.0;  // smallest eigenvalue of Hbar
  bool stationary_ = true, convex_ = true;
};

}  // namespace sgdnoise
