#pragma once
// Steppers advance a block of trajectories by one unit of the step counter k:
// one update of a discrete dynamics, or the SDE sub-steps that cover
// tau in [k eta, (k+1) eta]. A stepper owns no random state: every draw comes
// from the counter-based stream at (seed, trajectory, purpose, step, draw).
#include <cstdint>
#include <memory>
#include <string>

#include "core/types.hpp"
#include "dynamics/preconditioner.hpp"
#include "losses/loss.hpp"
#include "noise/noise.hpp"

namespace sgdnoise {

class Stepper {
 public:
  virtual ~Stepper() = default;
  virtual std::string kind() const = 0;
  /// Step size eta: one unit of k is tau = eta.
  virtual double eta() const = 0;
  /// Advances X (row i: trajectory traj[i]) from k to k + 1.
  /// X has dim + extra_columns() columns: theta first, then the stepper's own
  /// per-trajectory state (optimizer moments), zero at the start.
  virtual void advance(std::uint64_t seed, std::uint64_t k, RowIds traj, BlockRef X) const = 0;
  virtual Index extra_columns() const { return 0; }
  /// The stepper's own state at the start of a trajectory from theta_0 (extra_columns()
  /// entries): zero unless a stepper says otherwise.
  virtual Vec initial_extra(const Vec& /*theta0*/) const { return Vec::Zero(extra_columns()); }
};

/// How a discrete step turns the (noisy) gradient into an update.
struct OptimizerConfig {
  enum class Kind { sgd, momentum, adam };
  enum class Schedule { constant, step, cosine };
  enum class Order { simultaneous, sequential };
  Kind kind = Kind::sgd;
  double momentum = 0.9;                              // heavy ball: v <- mu v + g, theta -= eta v (Polyak 1964)
  double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;  // Adam (Kingma & Ba 2015, Algorithm 1)
  double weight_decay = 0.0;                          // g <- g + lambda theta (L2, coupled)
  Schedule schedule = Schedule::constant;
  double decay = 0.1;  // step schedule: eta * decay^floor(k / decay_every)
  std::int64_t decay_every = 0;
  std::int64_t horizon = 0;           // cosine: eta/2 (1 + cos(pi k / horizon)), 0 after
  Order order = Order::simultaneous;  // sequential: Gauss-Seidel sweep over coordinates
  bool plain() const {
    return kind == Kind::sgd && weight_decay == 0.0 && schedule == Schedule::constant && order == Order::simultaneous;
  }
  double eta_at(double eta, std::int64_t k) const;
};

/// X -= h M grad L(X) row by row (M null: the identity): the deterministic part of a step,
/// shared by the discrete steppers and Euler-Maruyama so both round alike.
void gradient_step(const Loss& loss, const Preconditioner* M, double h, BlockRef X);

/// theta_{k+1} = theta_k - eta grad L(theta_k) + zeta_k (docs/theory.md 1.3), all
/// coordinates updated simultaneously from theta_k.
///
/// With an OptimizerConfig the (noisy) gradient drives momentum or Adam, with weight
/// decay and a step-size schedule, or a coordinate-sequential sweep (paper 5,
/// docs/theory.md 1.6) in which coordinate i is updated from the gradient at the partially
/// updated point; the noise of a step is the same draw throughout its sweep.
///
/// With a preconditioner M (plain simultaneous SGD only): theta_{k+1} = theta_k - eta M g_k +
/// zeta_k, g_k the (noisy) gradient; weight noise zeta_k is added as drawn (preconditioner.hpp).
class NoisyGD final : public Stepper {
 public:
  NoisyGD(std::shared_ptr<const Loss> loss, std::shared_ptr<const NoiseModel> noise, double eta,
          OptimizerConfig opt = {}, std::shared_ptr<const Preconditioner> preconditioner = nullptr);
  /// "discrete" for plain noisy GD (the exact predictions apply), "discrete+preconditioned" with a
  /// preconditioner, else "discrete/<optimizer>".
  std::string kind() const override;
  double eta() const override { return eta_; }
  Index extra_columns() const override;
  void advance(std::uint64_t seed, std::uint64_t k, RowIds traj, BlockRef X) const override;
  const OptimizerConfig& optimizer() const { return opt_; }

 private:
  void gradient(const StreamCoords& coords, RowIds traj, ConstBlockRef theta, BlockRef G) const;
  std::shared_ptr<const Loss> loss_;
  // Plain SGD on an axis-aligned quadratic with isotropic or diagonal Gaussian weight noise:
  // the fused step of core/diagonal_step.hpp (the same bits as the generic path), with the
  // Hessian's diagonal, the stationary point and the noise's standard deviations.
  bool diagonal_fused_ = false;
  Vec diag_lambda_, diag_center_, diag_sigma_;
  // Plain SGD with isotropic or diagonal Gaussian weight noise on any other loss: the loss's
  // gradient, then the noise's normals and the update in one pass (weight_noise_step; the
  // same bits), with the noise's standard deviations in diag_sigma_.
  bool weight_noise_fused_ = false;
  std::shared_ptr<const NoiseModel> noise_;  // may be null: plain GD
  double eta_;
  OptimizerConfig opt_;
  std::shared_ptr<const Preconditioner> M_;  // may be null: M = I
};

}  // namespace sgdnoise
