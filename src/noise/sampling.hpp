#pragma once
// SGD's own sampling noise and paper 1's multiplicative sampling noises on a finite
// sum: the stochastic gradient is g~ = G(theta) W with E W = 1/n (papers.md 1.2), so
// the gradient noise is G V, V = W - 1/n, with covariance C = G Cov(V) G^T:
//
//   SGD with replacement, batch b          C = Sigma_1 / b
//   i.i.d. batches without replacement     C = (n - b) / (b (n - 1)) Sigma_1
//   random reshuffling (one-step marginal) C = (n - b) / (b (n - 1)) Sigma_1
//   Gaussian Fisher type, W = (1 + sigma z) / n            C = sigma^2 / n F
//   Gaussian Cov type, W = (1 + sigma (z - zbar)) / n      C = sigma^2 / n Sigma_1
//   Bernoulli, W_i = B_i / (p n), B_i ~ Bern(p)            C = (1 - p) / (p n) F
//
// with Sigma_1 the centred per-sample gradient covariance and F the empirical Fisher
// (papers.md 1.1, 1.2, [DERIVED+CHECKED]; paper 1's multiplicative noise). Reshuffling
// correlates the steps of an epoch (each index once), which matters beyond one step
// (papers.md 1.5, paper 4).
#include <memory>

#include "noise/noise.hpp"

namespace sgdnoise {

/// Sigma_1(theta) and F(theta) from the gradient matrix G (d x n).
Mat centred_gradient_covariance(const Mat& G);
Mat empirical_fisher(const Mat& G);

class SgdSampling final : public NoiseModel {
 public:
  enum class Scheme { with_replacement, without_replacement, reshuffle };
  SgdSampling(std::shared_ptr<const FiniteSumLoss> loss, Scheme scheme, Index batch);

  std::string kind() const override;
  Index dim() const override { return loss_->dim(); }
  void noisy_gradient(const Loss& loss, const StreamCoords& s, std::uint64_t first_traj, ConstBlockRef X,
                      BlockRef G) const override;
  void add_sample(const StreamCoords& s, std::uint64_t first_traj, ConstBlockRef X, double scale,
                  BlockRef out) const override;
  std::optional<Mat> covariance(const Vec& theta) const override;
  bool constant_covariance() const override { return false; }
  bool independent_across_steps() const override { return scheme_ != Scheme::reshuffle; }

  /// The indices of the batch of each trajectory at step s.step (rows x b).
  void draw_batch(const StreamCoords& s, std::uint64_t first_traj, Index rows, IndexBlock& idx) const;
  Index batches_per_epoch() const { return loss_->n_samples() / b_; }

 private:
  std::shared_ptr<const FiniteSumLoss> loss_;
  Scheme scheme_;
  Index b_;
};

class MultiplicativeNoise final : public NoiseModel {
 public:
  enum class Type { gaussian_fisher, gaussian_cov, bernoulli };
  /// strength: sigma for the Gaussian types, p for Bernoulli.
  MultiplicativeNoise(std::shared_ptr<const FiniteSumLoss> loss, Type type, double strength);

  std::string kind() const override;
  Index dim() const override { return loss_->dim(); }
  void noisy_gradient(const Loss& loss, const StreamCoords& s, std::uint64_t first_traj, ConstBlockRef X,
                      BlockRef G) const override;
  void add_sample(const StreamCoords& s, std::uint64_t first_traj, ConstBlockRef X, double scale,
                  BlockRef out) const override;
  std::optional<Mat> covariance(const Vec& theta) const override;
  bool constant_covariance() const override { return false; }

  /// The sampling weights W (rows x n) of each trajectory at step s.step.
  void draw_weights(const StreamCoords& s, std::uint64_t first_traj, Index rows, Mat& W) const;

 private:
  std::shared_ptr<const FiniteSumLoss> loss_;
  Type type_;
  double strength_;
};

}  // namespace sgdnoise
