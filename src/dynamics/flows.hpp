#pragma once
// The deterministic flows that noisy GD follows when the noise is switched off, in time
// tau = k eta (docs/conventions.md), integrated by Boost.Odeint's adaptive Dormand-Prince 5(4)
// (runge_kutta_dopri5 with its error controller) on an Eigen state:
//   gradient flow   d theta / dtau = -grad L
//   modified flow   d theta / dtau = -grad (L + eta/4 ||grad L||^2) = -(grad L + eta/2 H grad L),
// the modified equation of gradient descent, which GD's iterates follow to O(eta^2) over
// fixed tau (the backward-error / implicit-regularisation flow; the drift of the order-2
// stochastic modified equation, Li, Tai & E 2017, Thm 1). H grad L is Loss::hessian_vector.
#include <cstddef>
#include <string>
#include <vector>

#include "dynamics/stepper.hpp"

namespace sgdnoise {

enum class FlowKind { gradient, modified };

struct FlowOptions {
  double abs_tol = 1e-10;  // dopri5's error controller
  double rel_tol = 1e-10;
  std::size_t max_attempts = 1000000;  // per unit of k; beyond it the trajectory is marked diverged (NaN)
};

/// The right-hand side of the flow at one point.
Vec flow_velocity(const Loss& loss, FlowKind kind, double eta, const Vec& theta);

struct FlowSeries {
  bool ok = false;
  std::vector<Vec> theta;  // one per requested time
  std::size_t steps = 0;   // Odeint steps taken
  std::string reason;
};

/// theta(tau) at the given non-decreasing times (tau >= 0) from theta(0) = theta0, by
/// Odeint's integrate_times with a controlled dopri5 stepper.
FlowSeries integrate_flow_at(const Loss& loss, FlowKind kind, double eta, const Vec& theta0,
                             const std::vector<double>& times, const FlowOptions& options = {});

/// The flow as a Stepper: one unit of k advances every trajectory over tau in
/// [k eta, (k+1) eta] with the adaptive dopri5 controller. The last accepted step size of
/// each trajectory is kept in its one extra column (0 at the start: a first guess of eta),
/// so that results do not depend on the block size and a resumed run continues identically.
/// No noise: every trajectory that starts at the same point stays identical.
class FlowStepper final : public Stepper {
 public:
  FlowStepper(std::shared_ptr<const Loss> loss, double eta, FlowKind kind, FlowOptions options = {});
  std::string kind() const override { return kind_ == FlowKind::gradient ? "gradient_flow" : "modified_flow"; }
  double eta() const override { return eta_; }
  Index extra_columns() const override { return 1; }
  void advance(std::uint64_t seed, std::uint64_t k, RowIds traj, BlockRef X) const override;

 private:
  std::shared_ptr<const Loss> loss_;
  double eta_;
  FlowKind kind_;
  FlowOptions opt_;
};

}  // namespace sgdnoise
