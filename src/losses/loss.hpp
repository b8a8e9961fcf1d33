#pragma once
// The Loss interface: value, gradient and Hessian on a batch of points.
//
// A loss is evaluated on a block of trajectories of one group (rows are points
// theta, columns coordinates). Scenarios may give each group of trajectories its
// own instance (for example fresh data per repeat), so a loss holds no state
// that depends on which trajectories it is asked about. Losses know nothing of
// noise (ARCHITECTURE.md).
#include <optional>
#include <string>

#include "core/types.hpp"

namespace sgdnoise {

class Loss {
 public:
  virtual ~Loss() = default;
  virtual std::string kind() const = 0;
  virtual Index dim() const = 0;

  /// out[i] = L(X.row(i)).
  virtual void value(ConstBlockRef X, Eigen::Ref<Vec> out) const = 0;
  /// G.row(i) = grad L(X.row(i)).
  virtual void gradient(ConstBlockRef X, BlockRef G) const = 0;
  /// Dense Hessian at one point.
  virtual Mat hessian(const Vec& theta) const = 0;
  /// Hessian-vector product at one point; losses with a cheaper form override it.
  virtual Vec hessian_vector(const Vec& theta, const Vec& v) const { return hessian(theta) * v; }

  /// A global minimizer and the minimum value, where the loss knows them.
  virtual std::optional<Vec> minimizer() const { return std::nullopt; }
  virtual std::optional<double> minimum_value() const { return std::nullopt; }
  /// The loss's own starting point (a network's seeded initialisation), where it has one
  /// (dynamics.start_at = "initial").
  virtual std::optional<Vec> initial_point() const { return std::nullopt; }

  /// True when grad L is affine in theta (quadratics, least squares): then the mean of
  /// any unbiased noisy GD with state-independent sampling follows plain GD exactly
  /// (docs/theory.md 1.5).
  virtual bool affine_gradient() const { return false; }
  /// False for a loss that cannot evaluate L itself (a Python loss given only its gradient):
  /// then nothing asks for value() (no `loss` observable, no loss at the start point).
  virtual bool has_value() const { return true; }
  /// A held-out test loss, where the loss has a test set.
  virtual bool has_test_set() const { return false; }
  virtual void test_value(ConstBlockRef, Eigen::Ref<Vec>) const {}

  /// Convenience for one point.
  double value_at(const Vec& theta) const;
  Vec gradient_at(const Vec& theta) const;
};

/// Per-trajectory sample indices: rows are trajectories, columns the samples drawn.
using IndexBlock = Eigen::Matrix<std::int32_t, Eigen::Dynamic, Eigen::Dynamic>;

/// A finite sum L = (1/n) sum_i l_i (docs/theory.md 1.1): exposes what the sampling noises
/// need, the per-sample gradients (the gradient matrix G of paper 1) and re-weighted
/// gradients G(theta) W, batched over trajectories.
class FiniteSumLoss : public Loss {
 public:
  virtual Index n_samples() const = 0;
  /// G.row(t) = sum_j w(t, j) grad l_{idx(t, j)}(X.row(t)).
  virtual void sparse_weighted_gradient(ConstBlockRef X, const IndexBlock& idx, ConstBlockRef w, BlockRef G) const = 0;
  /// G.row(t) = sum_i W(t, i) grad l_i(X.row(t)), W: rows x n.
  virtual void dense_weighted_gradient(ConstBlockRef X, ConstBlockRef W, BlockRef G) const = 0;
  /// The d x n gradient matrix G(theta) = [grad l_1, ..., grad l_n] at one point.
  virtual Mat sample_gradients(const Vec& theta) const = 0;
  /// The per-sample losses (l_1(theta), ..., l_n(theta)) at one point, where the loss gives
  /// them (batch losses L_B = mean over B; paper 5's current-batch penalty); empty otherwise.
  virtual std::optional<Vec> sample_values(const Vec& /*theta*/) const { return std::nullopt; }
  /// The Hessian of one sample's loss l_i at theta, where the loss gives it; empty otherwise.
  virtual std::optional<Mat> sample_hessian(const Vec& /*theta*/, Index /*i*/) const { return std::nullopt; }
};

}  // namespace sgdnoise
