// The `sde_weak2` dynamics kind (dynamics/sde_schemes.hpp): Platen's weak order-2 scheme.
#include "scenario/kind_builders.hpp"
#include "scenario/registry.hpp"

namespace sgdnoise {
namespace {
using T = ParamType;
using namespace schema_params;
}  // namespace

void register_dynamics_sde_weak2(KindRegistry& registry) {
  DynamicsKind k;
  k.schema = {"sde_weak2",
              "Platen's explicit order-2.0 weak scheme for multi-dimensional, non-commutative, state-dependent "
              "noise (Kloeden & Platen 1992, 15.1; two-point V of 14.2), derivative-free: weak order 2, strong "
              "order 0.5 (1 for additive noise).",
              {at_least(opt("substeps", T::integer, "10", "Sub-steps m per step (dt = eta / m)."), 1)}};
  k.listing_order = 40;
  k.capabilities = {.preconditioner = true, .brownian_increments = true};
  k.build = sde_stepper;
  k.examples = {
      {"noise.kind=\"multiplicative\"", "noise.type=\"gaussian_cov\"", "noise.sigma=1.5", "dynamics.substeps=2"}};
  registry.add(std::move(k));
}

}  // namespace sgdnoise
