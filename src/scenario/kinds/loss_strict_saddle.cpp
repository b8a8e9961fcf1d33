// The `strict_saddle` loss kind (losses/landscapes.hpp).
#include "losses/landscapes.hpp"
#include "scenario/registry.hpp"

namespace sgdnoise {
namespace {
using T = ParamType;
using namespace schema_params;
}  // namespace

void register_loss_strict_saddle(KindRegistry& registry) {
  LossKind k;
  k.schema = {"strict_saddle",
              "L = -1/2 lambda_minus x_1^2 + 1/4 beta x_1^4 + 1/2 sum_{i>=2} lambda_i x_i^2: a strict saddle at 0 "
              "confined by the quartic.",
              {positive(opt("lambda_minus", T::number, "1.0", "Negative curvature at the saddle (magnitude).")),
               positive(opt("beta", T::number, "1.0", "Quartic confinement.")),
               opt("lambda", T::number_array, "[]", "Curvatures of x_2..x_d (> 0).")}};
  k.listing_order = 60;
  k.capabilities = {
      .finite_sum = false, .per_sample_gradients = false, .hessian_vector_product = false, .fresh_data = false};
  k.dim = [](const Scenario& s) { return 1 + s.get_vector("loss.lambda").size(); };
  k.build = [](const Scenario& s, std::uint64_t) {
    StrictSaddle::Spec spec;
    spec.lambda_minus = s.get_number("loss.lambda_minus");
    spec.beta = s.get_number("loss.beta");
    spec.lambda = s.get_vector("loss.lambda");
    if ((spec.lambda.array() <= 0.0).any()) s.fail("loss.lambda", "curvatures must be > 0");
    return BuiltLoss::of_loss(std::make_shared<StrictSaddle>(spec));
  };
  k.examples = {{"loss.lambda=[1.5]"}};
  registry.add(std::move(k));
}

}  // namespace sgdnoise
