#pragma once
// Stepper builders that several dynamics kinds share (scenario/kinds/dynamics_*.cpp).
#include <memory>

#include "scenario/registry.hpp"

namespace sgdnoise {

/// The SDE schemes and stochastic modified equations of dynamics/sde_schemes.hpp, chosen by
/// dynamics.kind (sde_euler_maruyama with Gaussian increments, sde_milstein, sde_weak2, sme).
std::unique_ptr<Stepper> sde_stepper(const StepperContext& c);
/// The deterministic flows of dynamics/flows.hpp (gradient_flow, modified_flow); refuses noise.
std::unique_ptr<Stepper> flow_stepper(const StepperContext& c);

}  // namespace sgdnoise
