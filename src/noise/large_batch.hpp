#pragma once
// Paper 2's large-batch SGD with structured covariance noise (Wen et al. 2020; docs/theory.md
// 3.3, [RECALLED]): the gradient of a large batch of size B plus Gaussian noise with
// full-Fisher or diagonal-Fisher covariance,
//
//   g~ = G(theta) W_B + xi,   xi ~ N(0, s F(theta))   or   N(0, s diag F(theta)),
//
// W_B the sampling weights of a batch of size B, with replacement or an i.i.d. b-subset
// without replacement (docs/theory.md 1.2). The batch and xi are drawn independently (purposes
// `sampling` and the caller's), so the exact covariance is the sum
//
//   C(theta) = c_B Sigma_1(theta) + s F(theta)        (full Fisher)
//   C(theta) = c_B Sigma_1(theta) + s diag F(theta)   (diagonal Fisher)
//
// with c_B = 1/B with replacement, (n - B)/(B (n - 1)) without (docs/theory.md 1.2).
//
// The scale s: docs/theory.md 3.3 recalls a factor like sqrt(1/M_S - 1/M_L) on D, "treat it as
// uncertain". Our default matches the trace of the small-batch covariance c_b Sigma_1 at every
// theta (the choice the paper motivates: "the total noise resembles small-batch noise"):
//
//   s(theta) = (c_b - c_B) Tr Sigma_1(theta) / Tr F(theta),   so Tr C = c_b Tr Sigma_1.
//
// Near a minimum (grad L ~ 0, F ~ Sigma_1) this is c_b - c_B = 1/b - 1/B with replacement,
// the recalled factor. A fixed s can be given instead.
//
// Cost per trajectory and step: B per-sample gradients; the full-Fisher noise draws n normals
// and costs one re-weighted gradient (xi = G z sqrt(s / n), docs/theory.md 1.2 row 4), without
// forming d x d; the diagonal-Fisher noise draws d normals. The default (trace-matching) s
// and the diagonal need the per-sample gradients at theta (O(n d), sample_gradients).
#include <memory>
#include <optional>

#include "noise/noise.hpp"
#include "noise/sampling.hpp"

namespace sgdnoise {

class LargeBatchFisherNoise final : public NoiseModel {
 public:
  enum class Added { full_fisher, diag_fisher };
  struct Params {
    /// with_replacement or without_replacement (i.i.d. batches); reshuffling is refused.
    SgdSampling::Scheme scheme = SgdSampling::Scheme::with_replacement;
    Index large_batch = 1;  // B
    Index small_batch = 1;  // b: the SGD whose covariance trace the default s matches (b <= B)
    /// s in the added covariance s F (or s diag F); default: trace matching (above).
    std::optional<double> scale;
  };

  LargeBatchFisherNoise(std::shared_ptr<const FiniteSumLoss> loss, Added added, Params p);

  std::string kind() const override;
  Index dim() const override { return loss_->dim(); }
  void noisy_gradient(const Loss& loss, const StreamCoords& s, RowIds traj, ConstBlockRef X, BlockRef G) const override;
  void add_sample(const StreamCoords& s, RowIds traj, ConstBlockRef X, double scale, BlockRef out) const override;
  std::optional<Mat> covariance(const Vec& theta) const override;
  /// full_fisher only (the diagonal Fisher is not a re-weighting of the gradients).
  std::optional<GradientCovarianceOperator> covariance_operator(const Vec& theta) const override;
  bool constant_covariance() const override { return false; }

  /// The scale s at theta (the fixed one, or the trace-matching one).
  double added_scale(const Vec& theta) const;
  /// c_B and c_b (docs/theory.md 1.2).
  double large_batch_factor() const { return c_large_; }
  double small_batch_factor() const { return c_small_; }

 private:
  double added_scale(const Mat& G) const;

  std::shared_ptr<const FiniteSumLoss> loss_;
  Added added_;
  Params p_;
  SgdSampling batch_;
  double c_large_, c_small_;
};

}  // namespace sgdnoise
