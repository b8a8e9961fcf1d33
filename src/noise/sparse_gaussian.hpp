#pragma once
// Paper 1's sparse Gaussian multiplicative noise (Wu et al., ICML 2020, section 2.2 and the
// released code's MSGD-[Fisher-B] and MSGD-[Cov-B]; docs/theory.md 2.2): the stochastic
// gradient is g~ = G(theta) W with Gaussian weights on a uniformly random subset B of b of
// the n samples (drawn without replacement, afresh at every step) and the plain 1/n
// elsewhere:
//
//   Fisher type  W_i = (1 + sigma z_i) / n on B, 1/n off B        z_i ~ N(0, 1) i.i.d.
//   Cov type     W_i = (1 + sigma (z_i - zbar_B)) / n on B         zbar_B the mean of z over B
//
// With V = W - 1/n (docs/theory.md 1.2), E V = 0 and, since B and z are independent,
// P(i in B) = b/n and P(i, j in B) = b (b - 1) / (n (n - 1)) for i != j:
//
//   Fisher type  Cov(V) = (sigma^2 b / n^3) I                      C = (sigma^2 b / n^2) F
//   Cov type     Cov(V) = sigma^2 (b - 1) / (n^2 (n - 1)) (I - 1 1^T / n)
//                                                                  C = sigma^2 (b - 1) / (n (n - 1)) Sigma_1
//
// (Fisher: E V_i V_j = (sigma^2 / n^2) P(i in B) delta_ij. Cov: given B, Cov(z_i - zbar,
// z_j - zbar) = delta_ij - 1/b on B, so E V_i^2 = sigma^2 (b - 1) / n^3 and E V_i V_j =
// -sigma^2 (b - 1) / (n^3 (n - 1)); then C = G Cov(V) G^T with F = G G^T / n and
// Sigma_1 = G (I - 1 1^T / n) G^T / n, docs/theory.md 1.1.) At b = n both reduce to the dense
// Gaussian types of docs/theory.md 1.2, rows 4 and 5; the Cov type matches SGD without
// replacement at batch b when sigma^2 = n (n - b) / (b (b - 1)).
//
// Random streams: the subset from Purpose::sampling draws 0 .. b - 1 (SgdSampling's
// without-replacement draw), the normals from the same purpose and step starting at the
// next free pair of draws, so each trajectory's weights are a function of (seed,
// trajectory, step) alone, whatever the thread count or block size.
#include <memory>

#include "noise/sampling.hpp"

namespace sgdnoise {

class SparseGaussianNoise final : public NoiseModel {
 public:
  enum class Type { fisher, cov };
  /// 1 <= batch <= n and sigma >= 0, else std::invalid_argument.
  SparseGaussianNoise(std::shared_ptr<const FiniteSumLoss> loss, Type type, Index batch, double sigma);

  std::string kind() const override;
  Index dim() const override { return loss_->dim(); }
  void noisy_gradient(const Loss& loss, const StreamCoords& s, RowIds traj, ConstBlockRef X, BlockRef G) const override;
  void add_sample(const StreamCoords& s, RowIds traj, ConstBlockRef X, double scale, BlockRef out) const override;
  std::optional<Mat> covariance(const Vec& theta) const override;
  std::optional<GradientCovarianceOperator> covariance_operator(const Vec& theta) const override;
  bool constant_covariance() const override { return false; }

  /// Cov(V) of the weights (above).
  SamplingCovariance weight_covariance() const;
  /// The weights W (rows x n) of each trajectory at step s.step.
  void draw_weights(const StreamCoords& s, RowIds traj, Index rows, Mat& W) const;

 private:
  std::shared_ptr<const FiniteSumLoss> loss_;
  Type type_;
  Index b_;
  double sigma_;
  SgdSampling subset_;  // draws B: a uniform b-subset, without replacement
};

}  // namespace sgdnoise
