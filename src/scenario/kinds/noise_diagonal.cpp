// The `diagonal` noise kind (noise/gaussian.hpp): diag(variances).
#include "noise/gaussian.hpp"
#include "scenario/kind_inputs.hpp"
#include "scenario/registry.hpp"

namespace sgdnoise {
namespace {
using T = ParamType;
using namespace schema_params;
}  // namespace

void register_noise_diagonal(KindRegistry& registry) {
  NoiseKind k;
  k.schema = {"diagonal",
              "Gaussian with covariance diag(variances).",
              {req("variances", T::number_array, "The d variances (>= 0).")}};
  k.listing_order = 30;
  k.capabilities = {.needs_finite_sum = false, .exact_covariance = true, .no_covariance_why = ""};
  k.build = [](const NoiseContext& c) -> std::shared_ptr<const NoiseModel> {
    Vec v = vector_of_dim(c.scenario, "noise.variances", c.dim());
    if ((v.array() < 0.0).any()) c.scenario.fail("noise.variances", "variances must be >= 0");
    return std::make_shared<GaussianNoise>(GaussianNoise::diagonal(v, c.on));
  };
  k.examples = {{"noise.variances=[0.1, 0.2, 0.3]"}};
  registry.add(std::move(k));
}

}  // namespace sgdnoise
