// The `sde_euler_maruyama` dynamics kind (dynamics/stepper.hpp, dynamics/sde_schemes.hpp).
#include "dynamics/sde_schemes.hpp"
#include "scenario/kind_builders.hpp"
#include "scenario/registry.hpp"

namespace sgdnoise {
namespace {
using T = ParamType;
using namespace schema_params;
}  // namespace

void register_dynamics_sde_euler_maruyama(KindRegistry& registry) {
  DynamicsKind k;
  k.schema = {
      "sde_euler_maruyama",
      "Euler-Maruyama for d theta = -grad L dtau + D^{1/2} dW, D = Sigma_step / eta, dt = eta / substeps "
      "(Kloeden & Platen 1992, 10.2, 14.1): strong order 0.5 (1 for additive noise), weak order 1.",
      {at_least(opt("substeps", T::integer, "10", "Sub-steps m per step (dt = eta / m)."), 1),
       one_of(opt("increments", T::string, "\"noise\"",
                  "\"noise\": the noise model's own draw at theta scaled to covariance D dt (Gaussian for "
                  "Gaussian noise; SGD's sampling noise keeps its batch draws); \"gaussian\": Brownian increments "
                  "D(theta)^{1/2} dW with the symmetric square root of D(theta) per trajectory (any noise with a "
                  "covariance; kind reported as sde_euler_maruyama+gaussian)."),
              {"noise", "gaussian"})}};
  k.listing_order = 20;
  k.capabilities = {.preconditioner = true, .brownian_increments = true};
  k.build = [](const StepperContext& c) -> std::unique_ptr<Stepper> {
    const Scenario& s = c.scenario;
    if (s.get_string("dynamics.increments") == "noise")
      return std::make_unique<SdeStepper>(
          euler_maruyama(c.loss, c.noise, c.eta, static_cast<int>(s.get_int("dynamics.substeps")), c.preconditioner));
    return sde_stepper(c);
  };
  k.examples = {
      {"noise.kind=\"sgd\"", "noise.batch=4", "dynamics.substeps=3"},
      {"noise.kind=\"isotropic\"", "noise.variance=0.1", "dynamics.increments=\"gaussian\"", "dynamics.substeps=2"}};
  registry.add(std::move(k));
}

}  // namespace sgdnoise
