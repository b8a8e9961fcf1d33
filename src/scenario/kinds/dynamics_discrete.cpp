// The `discrete` dynamics kind (dynamics/stepper.hpp): noisy GD, optionally with momentum or Adam.
#include "dynamics/stepper.hpp"
#include "scenario/registry.hpp"

namespace sgdnoise {
namespace {
using T = ParamType;
using namespace schema_params;
}  // namespace

void register_dynamics_discrete(KindRegistry& registry) {
  DynamicsKind k;
  k.schema = {"discrete",
              "Noisy gradient descent theta_{k+1} = theta_k - eta grad L(theta_k) + zeta_k; optionally with "
              "momentum or Adam, weight decay, a step-size schedule, or a coordinate-sequential update order. "
              "Exact predictions apply to the plain form only.",
              {one_of(opt("optimizer", T::string, "\"sgd\"",
                          "\"sgd\" (the plain step), \"momentum\" (heavy ball: v <- mu v + g, theta -= eta v), "
                          "\"adam\" (Kingma & Ba 2015, bias-corrected)."),
                      {"sgd", "momentum", "adam"}),
               at_least(opt("momentum", T::number, "0.9", "Heavy-ball coefficient mu."), 0.0),
               at_least(opt("beta1", T::number, "0.9", "Adam's first-moment decay."), 0.0),
               at_least(opt("beta2", T::number, "0.999", "Adam's second-moment decay."), 0.0),
               positive(opt("adam_epsilon", T::number, "1e-8", "Adam's epsilon.")),
               at_least(opt("weight_decay", T::number, "0.0", "L2 weight decay lambda: g <- g + lambda theta."), 0.0),
               one_of(opt("schedule", T::string, "\"constant\"",
                          "Step-size schedule: \"constant\", \"step\" (eta decay^floor(k / decay_every)), "
                          "\"cosine\" (eta/2 (1 + cos(pi k / schedule_horizon))). tau stays k eta (nominal)."),
                      {"constant", "step", "cosine"}),
               positive(opt("decay", T::number, "0.1", "Factor of the step schedule.")),
               at_least(opt("decay_every", T::integer, "0", "Period of the step schedule in steps."), 0),
               at_least(opt("schedule_horizon", T::integer, "0", "Length of the cosine schedule in steps."), 0),
               one_of(opt("update_order", T::string, "\"simultaneous\"",
                          "\"simultaneous\" (every coordinate from theta_k) or \"sequential\" (a Gauss-Seidel "
                          "sweep, paper 5; plain optimizer only)."),
                      {"simultaneous", "sequential"})}};
  k.listing_order = 10;
  k.capabilities = {.preconditioner = true, .brownian_increments = true};
  k.build = [](const StepperContext& c) -> std::unique_ptr<Stepper> {
    const Scenario& s = c.scenario;
    OptimizerConfig opt;
    const std::string o = s.get_string("dynamics.optimizer");
    opt.kind = o == "adam"       ? OptimizerConfig::Kind::adam
               : o == "momentum" ? OptimizerConfig::Kind::momentum
                                 : OptimizerConfig::Kind::sgd;
    opt.momentum = s.get_number("dynamics.momentum");
    opt.beta1 = s.get_number("dynamics.beta1");
    opt.beta2 = s.get_number("dynamics.beta2");
    for (const char* key : {"dynamics.momentum", "dynamics.beta1", "dynamics.beta2"})
      if (s.get_number(key) >= 1.0) s.fail(key, "must be < 1");
    opt.epsilon = s.get_number("dynamics.adam_epsilon");
    opt.weight_decay = s.get_number("dynamics.weight_decay");
    const std::string sch = s.get_string("dynamics.schedule");
    opt.schedule = sch == "step"     ? OptimizerConfig::Schedule::step
                   : sch == "cosine" ? OptimizerConfig::Schedule::cosine
                                     : OptimizerConfig::Schedule::constant;
    opt.decay = s.get_number("dynamics.decay");
    opt.decay_every = s.get_int("dynamics.decay_every");
    opt.horizon = s.get_int("dynamics.schedule_horizon");
    if (opt.schedule == OptimizerConfig::Schedule::step && opt.decay_every == 0)
      s.fail("dynamics.decay_every", "required (> 0) for the step schedule");
    if (opt.schedule == OptimizerConfig::Schedule::cosine && opt.horizon == 0)
      s.fail("dynamics.schedule_horizon", "required (> 0) for the cosine schedule");
    opt.order = s.get_string("dynamics.update_order") == "sequential" ? OptimizerConfig::Order::sequential
                                                                      : OptimizerConfig::Order::simultaneous;
    if (opt.order == OptimizerConfig::Order::sequential && opt.kind != OptimizerConfig::Kind::sgd)
      s.fail("dynamics.update_order", "the sequential order is defined for optimizer = \"sgd\" only");
    if (c.preconditioner && !opt.plain())
      s.fail(s.get_matrix("dynamics.preconditioner").size() != 0 ? "dynamics.preconditioner"
                                                                 : "dynamics.preconditioner_diagonal",
             "a preconditioner is defined for the plain simultaneous step (optimizer = \"sgd\", no weight decay, "
             "constant schedule, simultaneous order)");
    return std::make_unique<NoisyGD>(c.loss, c.noise, c.eta, opt, c.preconditioner);
  };
  k.examples = {{"noise.kind=\"sgd\"", "noise.batch=4"},
                {"noise.kind=\"isotropic\"", "noise.variance=0.1", "dynamics.optimizer=\"adam\""},
                {"noise.kind=\"multiplicative\"", "noise.type=\"gaussian_cov\"", "noise.sigma=1.5",
                 "dynamics.preconditioner_diagonal=[1.0, 2.0, 0.5]"}};
  registry.add(std::move(k));
}

}  // namespace sgdnoise
