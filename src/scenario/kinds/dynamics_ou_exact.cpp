// The `ou_exact` dynamics kind (dynamics/ou_exact.hpp): the exact Ornstein-Uhlenbeck transition.
#include "dynamics/ou_exact.hpp"
#include "scenario/registry.hpp"

namespace sgdnoise {
namespace {
using T = ParamType;
using namespace schema_params;
}  // namespace

void register_dynamics_ou_exact(KindRegistry& registry) {
  DynamicsKind k;
  k.schema = {"ou_exact",
              "The exact Ornstein-Uhlenbeck transition over tau = eta for a quadratic loss with constant "
              "Gaussian noise: the continuous dynamics sampled without discretisation error.",
              {}};
  k.listing_order = 90;
  k.capabilities = {.preconditioner = false, .brownian_increments = false};
  k.build = [](const StepperContext& c) -> std::unique_ptr<Stepper> {
    const Scenario& s = c.scenario;
    if (!c.quadratic) s.fail("dynamics.kind", "ou_exact needs a quadratic loss");
    if (c.noise && !c.noise->constant_covariance())
      s.fail("dynamics.kind", "ou_exact needs noise with a constant covariance");
    return std::make_unique<OUExact>(c.quadratic, c.noise, c.eta);
  };
  k.examples = {{"loss.kind=\"quadratic\"", "loss.eigenvalues=[1.0, 0.5, 0.2]", "noise.kind=\"isotropic\"",
                 "noise.variance=0.1"}};
  registry.add(std::move(k));
}

}  // namespace sgdnoise
