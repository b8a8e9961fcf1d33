#pragma once
// Two gradient noises beyond the Gaussian-covariance picture.
//
// AlphaStableNoise: i.i.d. symmetric alpha-stable coordinates S_alpha(gamma, beta = 0),
// E exp(i t X) = exp(-|gamma t|^alpha), 0 < alpha <= 2, drawn by the Chambers-Mallows-Stuck
// method (Chambers, Mallows & Stuck 1976, JASA 71:340; the symmetric case, Weron 1996).
// For alpha < 2 the variance is infinite: covariance() is empty and the model is specified by
// gamma (docs/conventions.md, heavy tails). alpha = 2 is the Gaussian N(0, 2 gamma^2), whose
// covariance 2 gamma^2 I exists and is returned.
//
// LabelNoiseSgd: mini-batch SGD on least squares with noisy labels y_i + delta eps_i, eps
// drawn fresh at every step for every trajectory. With sampling weights W (E W = 1/n,
// docs/theory.md 1.2) the stochastic gradient is
//   g~ = sum_i W_i x_i (x_i^T theta - y_i - delta eps_i) = G(theta) W - delta X^T (W .* eps).
// The label term has mean 0 and is uncorrelated with G V (eps is independent of W and has
// mean 0), so [DERIVED here, checked by the NoiseMore contract test]:
//   C(theta) = c_b Sigma_1(theta) + delta^2 X^T diag(E W_i^2) X = c_b Sigma_1 + delta^2 kappa H,
// H = X^T X / n, kappa = n E W_i^2 (the same for every i by exchangeability):
//   per_sample eps (one eps_i per sample, shared by repeats of i in a batch):
//     with replacement, W_i = c_i / b, c_i ~ Bin(b, 1/n):
//       E W_i^2 = (1/(b n))(1 - 1/n) + 1/n^2, so kappa = (n + b - 1) / (n b);
//     without replacement / reshuffling, W_i in {0, 1/b}, P(1/b) = b/n: kappa = 1/b;
//   per_slot eps (one eps_k per batch draw k): g~ = ... - (delta / b) sum_k eps_k x_{I_k},
//     Cov = (delta^2 / b^2) sum_k E x_I x_I^T = delta^2 H / b, kappa = 1/b for every scheme.
// Batches come from SgdSampling::draw_batch (purpose `sampling`), so label-noise SGD shares
// its batches with plain SGD of the same seed (common random numbers); eps uses the caller's
// stream. Cost: per_sample draws n normals per trajectory and step, per_slot b.
#include <memory>

#include "losses/least_squares.hpp"
#include "noise/noise.hpp"
#include "noise/sampling.hpp"

namespace sgdnoise {

class AlphaStableNoise final : public NoiseModel {
 public:
  /// alpha in (0, 2], gamma >= 0 the scale of each coordinate.
  AlphaStableNoise(Index d, double alpha, double gamma, NoiseTarget target);

  std::string kind() const override { return "alpha_stable"; }
  Index dim() const override { return d_; }
  /// Two uniforms per coordinate: draw j (angle) and d + j (exponential) of the stream.
  void add_sample(const StreamCoords& s, RowIds traj, ConstBlockRef X, double scale, BlockRef out) const override;
  /// Empty for alpha < 2 (infinite variance); 2 gamma^2 I for alpha = 2.
  std::optional<Mat> covariance(const Vec& theta) const override;
  /// The law does not depend on theta.
  bool constant_covariance() const override { return true; }

  double alpha() const { return alpha_; }
  double gamma() const { return gamma_; }
  /// E cos(t X) = exp(-|gamma t|^alpha) (E sin(t X) = 0).
  double characteristic_function(double t) const;
  /// A standard (gamma = 1) symmetric alpha-stable variate from two uniforms in (0, 1)
  /// by Chambers-Mallows-Stuck: V = pi (u1 - 1/2), W = -log u2,
  ///   X = sin(alpha V) / cos(V)^{1/alpha} (cos((1 - alpha) V) / W)^{(1 - alpha)/alpha};
  /// X = tan V for alpha = 1.
  static double cms(double alpha, double u1, double u2);

 private:
  Index d_;
  double alpha_, gamma_;
};

class LabelNoiseSgd final : public NoiseModel {
 public:
  enum class LabelDraw { per_sample, per_slot };
  /// delta >= 0: the label-noise standard deviation.
  LabelNoiseSgd(std::shared_ptr<const LeastSquares> loss, SgdSampling::Scheme scheme, Index batch, double delta,
                LabelDraw draw = LabelDraw::per_sample);

  std::string kind() const override;
  Index dim() const override { return loss_->dim(); }
  void noisy_gradient(const Loss& loss, const StreamCoords& s, RowIds traj, ConstBlockRef X, BlockRef G) const override;
  void add_sample(const StreamCoords& s, RowIds traj, ConstBlockRef X, double scale, BlockRef out) const override;
  std::optional<Mat> covariance(const Vec& theta) const override;
  bool constant_covariance() const override { return false; }
  bool independent_across_steps() const override { return scheme_ != SgdSampling::Scheme::reshuffle; }

  /// kappa in C = c_b Sigma_1 + delta^2 kappa H (header).
  double label_factor() const;

 private:
  std::shared_ptr<const LeastSquares> loss_;
  SgdSampling sampling_;
  SgdSampling::Scheme scheme_;
  Index b_;
  double delta_;
  LabelDraw draw_;
  double c_b_;
};

}  // namespace sgdnoise
