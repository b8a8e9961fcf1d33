#pragma once
// Gaussian noise with a constant covariance S, drawn as B z with z ~ N(0, I_r)
// and S = B B^T. Isotropic (S = sigma^2 I) and diagonal S keep their structure so
// that drawing costs d operations instead of d r.
#include <string>

#include "noise/noise.hpp"

namespace sgdnoise {

class GaussianNoise final : public NoiseModel {
 public:
  enum class Structure { isotropic, diagonal, factor };

  static GaussianNoise isotropic(Index d, double variance, NoiseTarget target);
  static GaussianNoise diagonal(const Vec& variances, NoiseTarget target);
  /// S = B B^T with B d x r.
  static GaussianNoise from_factor(Mat B, NoiseTarget target);

  std::string kind() const override { return kind_; }
  void set_kind(std::string k) { kind_ = std::move(k); }
  Index dim() const override { return d_; }
  void add_sample(const StreamCoords& s, RowIds traj, ConstBlockRef X, double scale, BlockRef out) const override;
  std::optional<Mat> covariance(const Vec&) const override { return S_; }
  bool constant_covariance() const override { return true; }

  const Mat& S() const { return S_; }
  Structure structure() const { return structure_; }
  /// Number of normals drawn per trajectory and step.
  Index draws() const { return structure_ == Structure::factor ? B_.cols() : d_; }
  /// The standard deviations of the coordinates (isotropic and diagonal; empty for a factor):
  /// a draw is stddev_j z_j.
  const Vec& stddev() const { return stddev_; }

 private:
  GaussianNoise(NoiseTarget t, Structure st, Index d) : NoiseModel(t), structure_(st), d_(d) {}
  Structure structure_;
  Index d_;
  Vec stddev_;  // isotropic and diagonal
  Mat Bt_;      // factor: B^T (r x d), the right operand of Z B^T
  Mat B_;
  Mat S_;
  std::string kind_ = "gaussian";
};

/// A factor B (d x r, r = rank) with B B^T = S for a symmetric positive
/// semidefinite S. Throws std::invalid_argument with the most negative
/// eigenvalue if S is not PSD within a relative tolerance rel_tol * ||S||.
Mat psd_factor(const Mat& S, double rel_tol = 1e-10);

}  // namespace sgdnoise
