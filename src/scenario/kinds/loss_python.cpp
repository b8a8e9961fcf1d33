// The `python` loss kind: a loss defined in Python (sgdnoise.Loss.from_python), held in the
// process's table of callback losses (losses/callback_loss.hpp).
#include "losses/callback_loss.hpp"
#include "scenario/registry.hpp"

namespace sgdnoise {
namespace {
using T = ParamType;
using namespace schema_params;
}  // namespace

void register_loss_python(KindRegistry& registry) {
  LossKind k;
  k.schema = {"python",
              "A loss written in Python: sgdnoise.Loss.from_python(name, dim, grad, value=None, hessian=None, ...) "
              "defines it in the Python module's process, and a scenario names it. Its callables take the whole "
              "block of trajectories, an (N, d) array, so a run is one thread and one block. Without a hessian "
              "callable the Hessian is the central difference of grad. Only the Python module can run it.",
              {req("name", T::string, "The name given to Loss.from_python."),
               positive(req("dim", T::integer, "The dimension d (must equal the loss's own)."))}};
  k.listing_order = 200;
  k.capabilities = {.finite_sum = false,
                    .per_sample_gradients = false,
                    .hessian_vector_product = false,
                    .fresh_data = false,
                    .callback = true};
  k.dim = [](const Scenario& s) { return static_cast<Index>(s.get_int("loss.dim")); };
  k.build = [](const Scenario& s, std::uint64_t) {
    const std::string name = s.get_string("loss.name");
    auto loss = CallbackLossTable::instance().find(name);
    if (!loss) {
      const auto names = CallbackLossTable::instance().names();
      std::string known;
      for (const auto& n : names) known += (known.empty() ? "" : ", ") + ("\"" + n + "\"");
      s.fail("loss.name", "no Python loss \"" + name + "\" is defined in this process (" +
                              (names.empty() ? std::string("none is: the sgdnoise CLI cannot run kind = \"python\"; "
                                                           "define the loss with sgdnoise.Loss.from_python and run "
                                                           "the scenario from Python")
                                             : "defined: " + known) +
                              ")");
    }
    if (loss->dim() != s.get_int("loss.dim"))
      s.fail("loss.dim", std::to_string(s.get_int("loss.dim")) + ", but the Python loss \"" + name + "\" has dim " +
                             std::to_string(loss->dim()));
    // A finite sum when the user gave per-sample gradients: the sampling noises apply.
    if (loss->is_finite_sum()) return BuiltLoss::of_finite_sum(std::move(loss));
    return BuiltLoss::of_loss(std::move(loss));
  };
  // The contract suites define this callback loss in C++ (tests/test_kind_contracts.cpp).
  k.examples = {{"loss.name=\"contract_callback\"", "loss.dim=2"}};
  registry.add(std::move(k));
}

}  // namespace sgdnoise
