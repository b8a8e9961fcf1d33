#pragma once
// SGD's own sampling noise and paper 1's multiplicative sampling noises on a finite
// sum: the stochastic gradient is g~ = G(theta) W with E W = 1/n (docs/theory.md 1.2), so
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
// (docs/theory.md 1.1, 1.2, [DERIVED+CHECKED]; paper 1's multiplicative noise). Reshuffling
// correlates the steps of an epoch (each index once), which matters beyond one step
// (docs/theory.md 1.5, paper 4).
//
// SGD may change its batch size with the step k (BatchSchedule, a "step" schedule:
// b_k = min(cap, b_0 growth^floor(k / every))); the formulas above then hold at each step
// with b = b_k, which covariance_at_step(theta, k) states (covariance(theta) is step 0's).
// Random reshuffling with a changing b is defined phase by phase: a phase is a run of steps
// with one batch size, epochs of floor(n / b) disjoint batches start at the phase's first
// step, and the change of b at the next phase ends the current epoch (the samples it has not
// used yet are skipped; none are when `every` is a multiple of floor(n / b)). Epochs are
// numbered across phases, so each one has its own permutation, and with a constant batch
// the numbering is the plain floor(k / floor(n / b)).
#include <memory>

#include "noise/noise.hpp"

namespace sgdnoise {

/// Sigma_1(theta) and F(theta) from the gradient matrix G (d x n).
Mat centred_gradient_covariance(const Mat& G);
Mat empirical_fisher(const Mat& G);

/// A batch size that changes with the step: constant, or multiplied by `growth` every
/// `every` steps up to `cap` (0: max(b_0, n); n is the most a batch without replacement
/// can hold, and with replacement a batch of n still has noise Sigma_1 / n).
struct BatchSchedule {
  enum class Kind { constant, step };
  Kind kind = Kind::constant;
  Index growth = 2;
  std::uint64_t every = 0;
  Index cap = 0;
};

class SgdSampling final : public NoiseModel {
 public:
  enum class Scheme { with_replacement, without_replacement, reshuffle };
  /// batch: b_0, the batch size at step 0. Throws std::invalid_argument on b_0 < 1, a
  /// batch above n without replacement, or a step schedule with every = 0, growth < 1 or a
  /// cap below b_0.
  SgdSampling(std::shared_ptr<const FiniteSumLoss> loss, Scheme scheme, Index batch, BatchSchedule schedule = {});

  std::string kind() const override;
  Index dim() const override { return loss_->dim(); }
  void noisy_gradient(const Loss& loss, const StreamCoords& s, RowIds traj, ConstBlockRef X, BlockRef G) const override;
  void add_sample(const StreamCoords& s, RowIds traj, ConstBlockRef X, double scale, BlockRef out) const override;
  std::optional<Mat> covariance(const Vec& theta) const override;
  std::optional<GradientCovarianceOperator> covariance_operator(const Vec& theta) const override;
  bool constant_covariance() const override { return false; }
  bool independent_across_steps() const override { return scheme_ != Scheme::reshuffle; }
  /// C at step k: the formulas above with b = b_k (covariance(theta) is step 0's, b_0).
  std::optional<Mat> covariance_at_step(const Vec& theta, std::uint64_t k) const override;

  /// The indices of the batch of each trajectory at step s.step (rows x b_k).
  void draw_batch(const StreamCoords& s, RowIds traj, Index rows, IndexBlock& idx) const;
  /// Batches per reshuffling epoch at step 0.
  Index batches_per_epoch() const { return loss_->n_samples() / b_; }
  /// b_k, the batch size at step k.
  Index batch_at(std::uint64_t k) const;
  Scheme scheme() const { return scheme_; }
  bool has_schedule() const { return schedule_.kind != BatchSchedule::Kind::constant; }

  /// Where step k falls under random reshuffling: the epoch's number (counted across
  /// phases), the batch's position within the epoch, and the batch size.
  struct EpochPosition {
    std::uint64_t epoch = 0;
    Index position = 0, batch = 0;
  };
  EpochPosition epoch_position(std::uint64_t k) const;

 private:
  Index batch_of_phase(std::uint64_t p) const;
  std::shared_ptr<const FiniteSumLoss> loss_;
  Scheme scheme_;
  Index b_;
  BatchSchedule schedule_;
};

/// c_b with C_sgd = c_b Sigma_1 (docs/theory.md 1.2): 1/b with replacement, (n - b)/(b (n - 1))
/// for i.i.d. batches without replacement and for reshuffling's one-step marginal.
double sgd_covariance_factor(SgdSampling::Scheme scheme, Index n, Index b);
/// Cov(V) of that SGD: c_b Sigma_1 = G ((c_b / n) (I - 1 1^T / n)) G^T, since
/// Sigma_1 = G (I - 1 1^T / n) G^T / n (docs/theory.md 1.1-1.2).
SamplingCovariance sgd_weight_covariance(SgdSampling::Scheme scheme, Index n, Index b);

class MultiplicativeNoise final : public NoiseModel {
 public:
  enum class Type { gaussian_fisher, gaussian_cov, bernoulli };
  /// strength: sigma for the Gaussian types, p for Bernoulli.
  MultiplicativeNoise(std::shared_ptr<const FiniteSumLoss> loss, Type type, double strength);

  std::string kind() const override;
  Index dim() const override { return loss_->dim(); }
  void noisy_gradient(const Loss& loss, const StreamCoords& s, RowIds traj, ConstBlockRef X, BlockRef G) const override;
  void add_sample(const StreamCoords& s, RowIds traj, ConstBlockRef X, double scale, BlockRef out) const override;
  std::optional<Mat> covariance(const Vec& theta) const override;
  std::optional<GradientCovarianceOperator> covariance_operator(const Vec& theta) const override;
  bool constant_covariance() const override { return false; }
  /// Cov(V) of the weights (docs/theory.md 1.2, rows 3-5).
  SamplingCovariance weight_covariance() const;

  /// The sampling weights W (rows x n) of each trajectory at step s.step.
  void draw_weights(const StreamCoords& s, RowIds traj, Index rows, Mat& W) const;
  /// The Gaussian types: true. Their W is an affine function of a standard normal vector z.
  bool gaussian() const { return type_ != Type::bernoulli; }
  /// sigma of the Gaussian types (p for Bernoulli).
  double strength() const { return strength_; }
  /// Gaussian types: Z (rows x n standard normals) becomes, in place, the weights
  /// W = (1 + sigma (z - zbar)) / n (Cov type) or (1 + sigma z) / n (Fisher type), with the
  /// given sigma; draw_weights applies it with this noise's own sigma to its draws. A
  /// coupled run (dynamics/strong_coupling.hpp) applies it to Brownian increments.
  void weights_from_normals(double sigma, Mat& Z) const;

 private:
  std::shared_ptr<const FiniteSumLoss> loss_;
  Type type_;
  double strength_;
};

}  // namespace sgdnoise
