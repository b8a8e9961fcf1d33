// The `strong_coupling` dynamics kind (dynamics/strong_coupling.hpp): paper 1's M-SGD and its SDE on one path.
#include "dynamics/strong_coupling.hpp"
#include "noise/sampling.hpp"
#include "scenario/registry.hpp"

namespace sgdnoise {
namespace {
using T = ParamType;
using namespace schema_params;
}  // namespace

void register_dynamics_strong_coupling(KindRegistry& registry) {
  DynamicsKind k;
  k.schema = {"strong_coupling",
              "Paper 1's Gaussian multiplicative SGD and its SDE dX = -grad L dtau - sqrt(eta) G(X) Cov(V)^{1/2} dW "
              "(W n-dimensional) on one Brownian path (docs/theory.md 2, P1-1): the reference is Euler-Maruyama with "
              "`substeps` sub-steps (Kloeden & Platen 1992, 10.2) and the discrete step uses z_k = (W((k+1) eta) - "
              "W(k eta)) / sqrt(eta). theta is the discrete chain; records strong_error = E|theta_k - X(k eta)| and "
              "strong_error_sq, and the reference's own error against a half reference (substeps / 2 sub-steps, "
              "substeps even) as reference_error and reference_error_sq. Exact prediction of the two squared errors "
              "for losses with an affine gradient. Needs noise kind = \"multiplicative\" of a Gaussian type. "
              "Expected strong order 1 in eta (the diffusion is O(sqrt(eta))).",
              {at_least(opt("substeps", T::integer, "64", "Reference sub-steps M per step (dt = eta / M)."), 1)}};
  k.listing_order = 60;
  k.capabilities = {.preconditioner = false, .brownian_increments = false};
  k.build = [](const StepperContext& c) -> std::unique_ptr<Stepper> {
    const Scenario& s = c.scenario;
    const auto mn = std::dynamic_pointer_cast<const MultiplicativeNoise>(c.noise);
    if (!mn)
      s.fail("noise.kind",
             "strong_coupling needs kind = \"multiplicative\" (paper 1's Gaussian multiplicative noise)" +
                 std::string(c.noise ? ", not \"" + c.noise->kind() + "\"" : ", and there is no [noise]"));
    if (!mn->gaussian())
      s.fail("noise.type",
             "strong_coupling needs a Gaussian type (gaussian_cov or gaussian_fisher): Bernoulli "
             "weights are not a function of the Brownian increments");
    return std::make_unique<StrongCoupling>(std::dynamic_pointer_cast<const FiniteSumLoss>(c.loss), mn, c.eta,
                                            static_cast<int>(s.get_int("dynamics.substeps")));
  };
  k.examples = {
      {"noise.kind=\"multiplicative\"", "noise.type=\"gaussian_cov\"", "noise.sigma=1.5", "dynamics.substeps=4"}};
  registry.add(std::move(k));
}

}  // namespace sgdnoise
