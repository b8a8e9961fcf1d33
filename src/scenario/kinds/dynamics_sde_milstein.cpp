// The `sde_milstein` dynamics kind (dynamics/sde_schemes.hpp).
#include "scenario/kind_builders.hpp"
#include "scenario/registry.hpp"

namespace sgdnoise {
namespace {
using T = ParamType;
using namespace schema_params;
}  // namespace

void register_dynamics_sde_milstein(KindRegistry& registry) {
  DynamicsKind k;
  k.schema = {"sde_milstein",
              "Milstein for d theta = -grad L dtau + D(theta)^{1/2} dW (Kloeden & Platen 1992, 10.3), Gaussian "
              "increments, L^j b by central differences of b = D^{1/2}: strong order 1, weak order 1. Diagonal or "
              "commutative noise only (checked at dynamics.start; refused otherwise); additive noise gives "
              "Euler-Maruyama.",
              {at_least(opt("substeps", T::integer, "10", "Sub-steps m per step (dt = eta / m)."), 1)}};
  k.listing_order = 30;
  k.capabilities = {.preconditioner = true, .brownian_increments = true};
  k.build = sde_stepper;
  k.examples = {{"noise.kind=\"isotropic\"", "noise.variance=0.1", "dynamics.substeps=2"}};
  registry.add(std::move(k));
}

}  // namespace sgdnoise
