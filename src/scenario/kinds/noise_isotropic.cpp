// The `isotropic` noise kind (noise/gaussian.hpp): variance * I.
#include "noise/gaussian.hpp"
#include "scenario/registry.hpp"

namespace sgdnoise {
namespace {
using T = ParamType;
using namespace schema_params;
}  // namespace

void register_noise_isotropic(KindRegistry& registry) {
  NoiseKind k;
  k.schema = {"isotropic",
              "Gaussian with covariance variance * I.",
              {at_least(req("variance", T::number, "Variance per coordinate of the specified covariance."), 0)}};
  k.listing_order = 20;
  k.capabilities = {.needs_finite_sum = false, .exact_covariance = true, .no_covariance_why = ""};
  k.build = [](const NoiseContext& c) -> std::shared_ptr<const NoiseModel> {
    return std::make_shared<GaussianNoise>(
        GaussianNoise::isotropic(c.dim(), c.scenario.get_number("noise.variance"), c.on));
  };
  k.examples = {{"noise.variance=0.3"}, {"noise.variance=0.2", "noise.on=\"weights\""}};
  registry.add(std::move(k));
}

}  // namespace sgdnoise
