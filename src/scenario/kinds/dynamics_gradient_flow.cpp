// The `gradient_flow` dynamics kind (dynamics/flows.hpp): Odeint dopri5, deterministic.
#include "scenario/kind_builders.hpp"
#include "scenario/registry.hpp"

namespace sgdnoise {
namespace {
using T = ParamType;
using namespace schema_params;
}  // namespace

void register_dynamics_gradient_flow(KindRegistry& registry) {
  DynamicsKind k;
  k.schema = {"gradient_flow",
              "Gradient flow d theta / dtau = -grad L by Odeint's adaptive dopri5 (Dormand-Prince 5(4)), observed at "
              "tau = k eta; deterministic, no [noise] allowed.",
              {positive(opt("abs_tol", T::number, "1e-10", "Absolute tolerance of the step-size controller.")),
               positive(opt("rel_tol", T::number, "1e-10", "Relative tolerance of the step-size controller."))}};
  k.listing_order = 70;
  k.capabilities = {.preconditioner = false, .brownian_increments = false};
  k.build = flow_stepper;
  k.examples = {{}};
  registry.add(std::move(k));
}

}  // namespace sgdnoise
