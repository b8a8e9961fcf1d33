// The `sme` dynamics kind (dynamics/sde_schemes.hpp): stochastic modified equations of order 1 and 2.
#include "scenario/kind_builders.hpp"
#include "scenario/registry.hpp"

namespace sgdnoise {
namespace {
using T = ParamType;
using namespace schema_params;
}  // namespace

void register_dynamics_sme(KindRegistry& registry) {
  DynamicsKind k;
  k.schema = {"sme",
              "Stochastic modified equation of SGD (Li, Tai & E 2017, Thm 1): order 1, d theta = -grad L dtau + "
              "(eta C)^{1/2} dW; order 2, drift -grad(L + eta/4 |grad L|^2) = -(grad L + eta/2 H grad L) with the "
              "same diffusion. Weak approximation of SGD of order 1 or 2 in eta, integrated by the chosen scheme.",
              {[] {
                 Param p = at_least(opt("order", T::integer, "2", "Order of the modified equation, 1 or 2."), 1);
                 p.max = 2.0;
                 return p;
               }(),
               one_of(opt("integrator", T::string, "\"weak2\"",
                          "\"weak2\" (weak order 2, keeps order-2 accuracy) or \"euler_maruyama\" (weak order 1)."),
                      {"weak2", "euler_maruyama"}),
               at_least(opt("substeps", T::integer, "10", "Sub-steps m per step (dt = eta / m)."), 1)}};
  k.listing_order = 50;
  k.capabilities = {.preconditioner = false, .brownian_increments = false};
  k.build = sde_stepper;
  k.examples = {{"noise.kind=\"sgd\"", "noise.batch=4", "dynamics.substeps=2"}};
  registry.add(std::move(k));
}

}  // namespace sgdnoise
