#pragma once
// Steppers advance a block of trajectories by one unit of the step counter k:
// one update of a discrete dynamics, or the SDE sub-steps that cover
// tau in [k eta, (k+1) eta]. A stepper owns no random state: every draw comes
// from the counter-based stream at (seed, trajectory, purpose, step, draw).
#include <cstdint>
#include <memory>
#include <string>

#include "core/types.hpp"
#include "losses/loss.hpp"
#include "noise/noise.hpp"

namespace sgdnoise {

class Stepper {
 public:
  virtual ~Stepper() = default;
  virtual std::string kind() const = 0;
  /// Step size eta: one unit of k is tau = eta.
  virtual double eta() const = 0;
  /// Advances X (rows: trajectories first_traj, first_traj + 1, ...) from k to k + 1.
  virtual void advance(std::uint64_t seed, std::uint64_t k, std::uint64_t first_traj, BlockRef X) const = 0;
};

/// theta_{k+1} = theta_k - eta grad L(theta_k) + zeta_k (papers.md 1.3), all
/// coordinates updated simultaneously from theta_k.
class NoisyGD final : public Stepper {
 public:
  NoisyGD(std::shared_ptr<const Loss> loss, std::shared_ptr<const NoiseModel> noise, double eta);
  std::string kind() const override { return "discrete"; }
  double eta() const override { return eta_; }
  void advance(std::uint64_t seed, std::uint64_t k, std::uint64_t first_traj, BlockRef X) const override;

 private:
  std::shared_ptr<const Loss> loss_;
  std::shared_ptr<const NoiseModel> noise_;  // may be null: plain GD
  double eta_;
};

/// Euler-Maruyama for d theta = -grad L dtau + D^{1/2} dW with m sub-steps of
/// dt = eta / m per unit of k (Kloeden & Platen 1992, sec. 9.1). D = Sigma_step / eta.
class EulerMaruyama final : public Stepper {
 public:
  EulerMaruyama(std::shared_ptr<const Loss> loss, std::shared_ptr<const NoiseModel> noise, double eta,
                int substeps);
  std::string kind() const override { return "sde_euler_maruyama"; }
  double eta() const override { return eta_; }
  int substeps() const { return m_; }
  void advance(std::uint64_t seed, std::uint64_t k, std::uint64_t first_traj, BlockRef X) const override;

 private:
  std::shared_ptr<const Loss> loss_;
  std::shared_ptr<const NoiseModel> noise_;
  double eta_;
  int m_;
};

}  // namespace sgdnoise
