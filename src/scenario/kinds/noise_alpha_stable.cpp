// The `alpha_stable` noise kind (noise/heavy_tail.hpp): symmetric alpha-stable gradient noise.
#include "noise/heavy_tail.hpp"
#include "scenario/registry.hpp"

namespace sgdnoise {
namespace {
using T = ParamType;
using namespace schema_params;
}  // namespace

void register_noise_alpha_stable(KindRegistry& registry) {
  NoiseKind k;
  k.schema = {"alpha_stable",
              "Symmetric alpha-stable gradient noise, i.i.d. per coordinate with scale gamma (Chambers, Mallows & "
              "Stuck 1976): no covariance for alpha < 2, so C-based indicators are undefined.",
              {positive(req("alpha", T::number, "Stability index in (0, 2].")),
               positive(opt("gamma", T::number, "1.0", "Scale: E exp(i t X) = exp(-|gamma t|^alpha)."))}};
  k.listing_order = 100;
  k.capabilities = {.needs_finite_sum = false,
                    .exact_covariance = false,
                    .no_covariance_why =
                        "symmetric alpha-stable noise with alpha < 2 has no covariance; it is specified by its scale "
                        "gamma and tested through its distribution (docs/conventions.md, heavy tails); at alpha = 2 it "
                        "is Gaussian with covariance 2 gamma^2 I"};
  k.build = [](const NoiseContext& c) -> std::shared_ptr<const NoiseModel> {
    const double alpha = c.scenario.get_number("noise.alpha");
    if (alpha > 2.0) c.scenario.fail("noise.alpha", "must be in (0, 2]");
    return std::make_shared<AlphaStableNoise>(c.dim(), alpha, c.scenario.get_number("noise.gamma"), c.on);
  };
  k.examples = {{"noise.alpha=1.5"}, {"noise.alpha=2.0", "noise.gamma=0.5"}};
  registry.add(std::move(k));
}

}  // namespace sgdnoise
