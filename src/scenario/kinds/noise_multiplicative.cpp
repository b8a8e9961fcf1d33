// The `multiplicative` noise kind (noise/sampling.hpp): paper 1's Gaussian and Bernoulli sampling weights.
#include <cmath>

#include "noise/sampling.hpp"
#include "scenario/registry.hpp"

namespace sgdnoise {
namespace {
using T = ParamType;
using namespace schema_params;
}  // namespace

void register_noise_multiplicative(KindRegistry& registry) {
  NoiseKind k;
  k.schema = {
      "multiplicative",
      "Paper 1's multiplicative sampling noise g~ = G(theta) W on a finite-sum loss: \"gaussian_fisher\" "
      "W = (1 + sigma z)/n (C = sigma^2/n F), \"gaussian_cov\" W = (1 + sigma (z - zbar))/n "
      "(C = sigma^2/n Sigma_1), \"bernoulli\" W_i = B_i/(p n) (C = (1-p)/(p n) F) (docs/theory.md 1.2).",
      {one_of(req("type", T::string, "The weight distribution."), {"gaussian_fisher", "gaussian_cov", "bernoulli"}),
       at_least(opt("sigma", T::number, "1.0", "sigma of the Gaussian types."), 0.0),
       at_least(opt("match_batch", T::integer, "0",
                    "If > 0, sigma^2 = n / match_batch, so that the Cov type has SGD's covariance with "
                    "replacement at that batch (docs/theory.md 1.2)."),
                0),
       opt("p", T::number, "0.1", "Keep probability of the Bernoulli type, in (0, 1].")}};
  k.listing_order = 70;
  k.capabilities = {.needs_finite_sum = true, .exact_covariance = true, .no_covariance_why = ""};
  k.build = [](const NoiseContext& c) -> std::shared_ptr<const NoiseModel> {
    const Scenario& sc = c.scenario;
    if (c.on != NoiseTarget::gradient) sc.fail("noise.on", "sampling noise acts on the gradient");
    const Index n = c.finite_sum->n_samples();
    const std::string type = sc.get_string("noise.type");
    if (type == "bernoulli") {
      const double p = sc.get_number("noise.p");
      if (!(p > 0.0 && p <= 1.0)) sc.fail("noise.p", "must be in (0, 1]");
      return std::make_shared<MultiplicativeNoise>(c.finite_sum, MultiplicativeNoise::Type::bernoulli, p);
    }
    double sigma = sc.get_number("noise.sigma");
    if (const Index mb = sc.get_int("noise.match_batch"); mb > 0)
      sigma = std::sqrt(static_cast<double>(n) / static_cast<double>(mb));  // docs/theory.md 1.2: sigma^2 = n / b
    return std::make_shared<MultiplicativeNoise>(c.finite_sum,
                                                 type == "gaussian_fisher" ? MultiplicativeNoise::Type::gaussian_fisher
                                                                           : MultiplicativeNoise::Type::gaussian_cov,
                                                 sigma);
  };
  k.examples = {{"noise.type=\"gaussian_fisher\"", "noise.sigma=1.3"},
                {"noise.type=\"gaussian_cov\"", "noise.sigma=1.3"},
                {"noise.type=\"bernoulli\"", "noise.p=0.3"}};
  registry.add(std::move(k));
}

}  // namespace sgdnoise
