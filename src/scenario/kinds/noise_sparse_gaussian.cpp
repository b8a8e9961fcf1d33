// The `sparse_gaussian` noise kind (noise/sparse_gaussian.hpp): paper 1's Gaussian weights on
// a random b-subset of the samples.
#include "noise/sparse_gaussian.hpp"
#include "scenario/registry.hpp"

namespace sgdnoise {

void register_noise_sparse_gaussian(KindRegistry& registry) {
  using namespace schema_params;
  using T = ParamType;
  NoiseKind k;
  k.schema = {
      "sparse_gaussian",
      "Paper 1's sparse Gaussian multiplicative noise on a finite-sum loss (Wu et al. 2020, 2.2; docs/theory.md "
      "2.2, MSGD-[Fisher-B] and MSGD-[Cov-B]): g~ = G(theta) W with W_i = (1 + sigma z_i)/n on a uniform random "
      "b-subset B drawn afresh each step and 1/n elsewhere (\"fisher\": C = sigma^2 b / n^2 F), or "
      "W_i = (1 + sigma (z_i - zbar_B))/n on B (\"cov\": C = sigma^2 (b - 1) / (n (n - 1)) Sigma_1); at b = n the "
      "multiplicative Gaussian types.",
      {one_of(opt("type", T::string, "\"fisher\"", "\"fisher\" (z on B) or \"cov\" (z centred over B)."),
              {"fisher", "cov"}),
       at_least(req("batch", T::integer, "Size b of the random subset B (at most n)."), 1),
       at_least(opt("sigma", T::number, "1.0", "sigma of the Gaussian weights."), 0.0)}};
  k.listing_order = 75;  // after the multiplicative noises
  k.capabilities = {.needs_finite_sum = true, .exact_covariance = true, .no_covariance_why = ""};
  k.build = [](const NoiseContext& c) -> std::shared_ptr<const NoiseModel> {
    const Scenario& sc = c.scenario;
    if (c.on != NoiseTarget::gradient) sc.fail("noise.on", "sampling noise acts on the gradient");
    const Index b = sc.get_int("noise.batch"), n = c.finite_sum->n_samples();
    if (b > n) sc.fail("noise.batch", "exceeds the number of samples " + std::to_string(n));
    return std::make_shared<SparseGaussianNoise>(
        c.finite_sum,
        sc.get_string("noise.type") == "cov" ? SparseGaussianNoise::Type::cov : SparseGaussianNoise::Type::fisher, b,
        sc.get_number("noise.sigma"));
  };
  k.examples = {{"noise.type=\"fisher\"", "noise.batch=4", "noise.sigma=1.3"},
                {"noise.type=\"cov\"", "noise.batch=5", "noise.sigma=1.3"}};
  registry.add(std::move(k));
}

}  // namespace sgdnoise
