#pragma once
// The exact transition of the Ornstein-Uhlenbeck process
// d theta = -H (theta - theta*) dtau + D^{1/2} dW over tau = eta:
//   theta' - theta* = e^{-H eta} (theta - theta*) + N(0, Q_eta),
//   Q_eta = int_0^eta e^{-Hs} D e^{-Hs} ds   (Gardiner, Stochastic Methods, 4.5.6).
// Sampling it has no discretisation error, so the continuous prediction is exact for it.
#include <memory>

#include "dynamics/stepper.hpp"
#include "losses/quadratic.hpp"

namespace sgdnoise {

/// Q_tau = int_0^tau e^{-Hs} D e^{-Hs} ds on the quadratic q, evaluated in H's eigenbasis, where
/// entry (i, j) is D~_ij times exponential_integral(lambda_i + lambda_j, tau) (docs/theory.md
/// 1.4); the OU covariance at time tau from a fixed start (analysis/predictions uses it too).
Mat ou_covariance(const Quadratic& q, const Mat& D, double tau);

class OUExact final : public Stepper {
 public:
  OUExact(std::shared_ptr<const Quadratic> q, std::shared_ptr<const NoiseModel> noise, double eta);
  std::string kind() const override { return "ou_exact"; }
  double eta() const override { return eta_; }
  void advance(std::uint64_t seed, std::uint64_t k, RowIds traj, BlockRef X) const override;

 private:
  std::shared_ptr<const Quadratic> q_;
  double eta_;
  Mat Tt_;  // (e^{-H eta})^T, the right operand for rows
  Mat Lt_;  // L^T with L L^T = Q_eta (r x d)
};

}  // namespace sgdnoise
