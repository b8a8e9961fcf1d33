// The `none` noise kind: plain gradient descent or gradient flow.
#include "scenario/registry.hpp"

namespace sgdnoise {
namespace {
using T = ParamType;
using namespace schema_params;
}  // namespace

void register_noise_none(KindRegistry& registry) {
  NoiseKind k;
  k.schema = {"none", "No noise: plain gradient descent or gradient flow.", {}};
  k.listing_order = 10;
  k.capabilities = {.needs_finite_sum = false,
                    .exact_covariance = false,
                    .no_covariance_why = "no noise: the kind builds no model (plain gradient descent, C = 0)"};
  k.build = [](const NoiseContext&) { return std::shared_ptr<const NoiseModel>(); };
  k.examples = {{}};
  registry.add(std::move(k));
}

}  // namespace sgdnoise
