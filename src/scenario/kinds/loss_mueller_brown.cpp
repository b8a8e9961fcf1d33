// The `mueller_brown` loss kind (losses/landscapes.hpp).
#include "losses/landscapes.hpp"
#include "scenario/registry.hpp"

namespace sgdnoise {
namespace {
using T = ParamType;
using namespace schema_params;
}  // namespace

void register_loss_mueller_brown(KindRegistry& registry) {
  LossKind k;
  k.schema = {"mueller_brown",
              "The Mueller-Brown surface (Mueller & Brown 1979), 2-D, scaled.",
              {positive(opt("scale", T::number, "1.0", "Multiplier of the potential."))}};
  k.listing_order = 70;
  k.capabilities = {
      .finite_sum = false, .per_sample_gradients = false, .hessian_vector_product = false, .fresh_data = false};
  k.dim = [](const Scenario&) { return Index{2}; };
  k.build = [](const Scenario& s, std::uint64_t) {
    return BuiltLoss::of_loss(std::make_shared<MuellerBrown>(s.get_number("loss.scale")));
  };
  k.examples = {{"loss.scale=0.01"}};
  registry.add(std::move(k));
}

}  // namespace sgdnoise
