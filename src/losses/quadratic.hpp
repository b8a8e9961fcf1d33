#pragma once
// L(theta) = L* + 1/2 (theta - theta*)^T H (theta - theta*), H = U diag(lambda) U^T.
//
// The spectrum is explicit; the basis U is the identity ("axis") or a Haar-random
// orthogonal matrix drawn from a counter-based stream (QR of a Gaussian matrix with
// the sign of R's diagonal fixed; Mezzadri 2007). Eigenvalues may be negative or
// zero (saddles, flat directions); then minimizer() is empty.
#include "losses/loss.hpp"

namespace sgdnoise {

class Quadratic final : public Loss {
 public:
  /// eigenvalues: lambda (any order, stored as given); basis: d x d orthogonal U
  /// (columns are eigenvectors); theta_star: the stationary point.
  Quadratic(Vec eigenvalues, Mat basis, Vec theta_star, double offset = 0.0);

  std::string kind() const override { return "quadratic"; }
  Index dim() const override { return lambda_.size(); }
  void value(ConstBlockRef X, Eigen::Ref<Vec> out) const override;
  void gradient(ConstBlockRef X, BlockRef G) const override;
  Mat hessian(const Vec&) const override { return H_; }
  Vec hessian_vector(const Vec&, const Vec& v) const override { return H_ * v; }
  std::optional<Vec> minimizer() const override;
  std::optional<double> minimum_value() const override;
  /// grad L = H (theta - theta*) is affine: the "gd" and "one_step" predictions apply.
  bool affine_gradient() const override { return true; }

  const Vec& eigenvalues() const { return lambda_; }
  const Mat& eigenvectors() const { return U_; }
  const Mat& H() const { return H_; }
  const Vec& stationary_point() const { return theta_star_; }
  double offset() const { return offset_; }
  bool axis_aligned() const { return axis_aligned_; }

 private:
  Vec lambda_;
  Mat U_, H_;
  Vec theta_star_;
  double offset_;
  bool axis_aligned_;
};

/// A d x d Haar-random orthogonal matrix from the stream keyed by seed.
Mat random_orthogonal(Index d, std::uint64_t seed);

}  // namespace sgdnoise
