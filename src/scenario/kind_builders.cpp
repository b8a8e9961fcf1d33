#include "scenario/kind_builders.hpp"

#include <stdexcept>

#include "dynamics/flows.hpp"
#include "dynamics/sde_schemes.hpp"

namespace sgdnoise {

std::unique_ptr<Stepper> sde_stepper(const StepperContext& c) {
  const Scenario& s = c.scenario;
  const std::string dyn = s.get_string("dynamics.kind");
  SdeSpec spec;
  spec.substeps = static_cast<int>(s.get_int("dynamics.substeps"));
  if (dyn == "sme") {
    const auto order = s.get_int("dynamics.order");
    const bool w2 = s.get_string("dynamics.integrator") == "weak2";
    spec.drift = order == 2 ? SdeDrift::modified : SdeDrift::gradient;
    spec.scheme = w2 ? SdeScheme::weak2 : SdeScheme::euler_maruyama;
    spec.kind = "sme" + std::to_string(order) + (w2 ? "/weak2" : "/euler_maruyama");
  } else {
    spec.scheme = dyn == "sde_milstein" ? SdeScheme::milstein
                  : dyn == "sde_weak2"  ? SdeScheme::weak2
                                        : SdeScheme::euler_maruyama;
    spec.kind = dyn == "sde_euler_maruyama" ? "sde_euler_maruyama+gaussian" : dyn;
    if (c.preconditioner) spec.kind += "+preconditioned";
    spec.preconditioner = c.preconditioner;
  }
  try {
    return std::make_unique<SdeStepper>(c.loss, c.noise, c.eta, spec, c.theta0);
  } catch (const std::invalid_argument& e) {
    s.fail("dynamics.kind", e.what());
  }
}

std::unique_ptr<Stepper> flow_stepper(const StepperContext& c) {
  const Scenario& s = c.scenario;
  const std::string dyn = s.get_string("dynamics.kind");
  if (c.noise) s.fail("dynamics.kind", dyn + " is deterministic: remove the [noise] table");
  FlowOptions fo;
  fo.abs_tol = s.get_number("dynamics.abs_tol");
  fo.rel_tol = s.get_number("dynamics.rel_tol");
  return std::make_unique<FlowStepper>(c.loss, c.eta, dyn == "gradient_flow" ? FlowKind::gradient : FlowKind::modified,
                                       fo);
}

}  // namespace sgdnoise
