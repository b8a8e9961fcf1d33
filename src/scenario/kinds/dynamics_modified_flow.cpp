// The `modified_flow` dynamics kind (dynamics/flows.hpp): the modified flow GD follows to O(eta^2).
#include "scenario/kind_builders.hpp"
#include "scenario/registry.hpp"

namespace sgdnoise {
namespace {
using T = ParamType;
using namespace schema_params;
}  // namespace

void register_dynamics_modified_flow(KindRegistry& registry) {
  DynamicsKind k;
  k.schema = {"modified_flow",
              "Modified flow d theta / dtau = -grad(L + eta/4 |grad L|^2), which GD follows to O(eta^2), by adaptive "
              "dopri5 (order 5(4)), observed at tau = k eta; deterministic, no [noise] allowed.",
              {positive(opt("abs_tol", T::number, "1e-10", "Absolute tolerance of the step-size controller.")),
               positive(opt("rel_tol", T::number, "1e-10", "Relative tolerance of the step-size controller."))}};
  k.listing_order = 80;
  k.capabilities = {.preconditioner = false, .brownian_increments = false};
  k.build = flow_stepper;
  k.examples = {{}};
  registry.add(std::move(k));
}

}  // namespace sgdnoise
