// The `large_batch_fisher` noise kind (noise/large_batch.hpp): paper 2's large batch plus Fisher noise.
#include "noise/large_batch.hpp"
#include "scenario/kind_inputs.hpp"
#include "scenario/registry.hpp"

namespace sgdnoise {
namespace {
using T = ParamType;
using namespace schema_params;
}  // namespace

void register_noise_large_batch_fisher(KindRegistry& registry) {
  NoiseKind k;
  k.schema = {"large_batch_fisher",
              "Paper 2: the gradient of a large batch B plus Gaussian noise s F (full) or s diag F (diagonal). The "
              "paper's small-batch scaling is uncertain (docs/theory.md 3.3): the default s matches the trace of SGD's "
              "covariance at small_batch.",
              {one_of(req("added", T::string, "\"full_fisher\" or \"diag_fisher\"."), {"full_fisher", "diag_fisher"}),
               one_of(opt("sampling", T::string, "\"with_replacement\"", "Sampling of the large batch."),
                      {"with_replacement", "without_replacement"}),
               at_least(req("large_batch", T::integer, "B."), 1),
               at_least(req("small_batch", T::integer, "b <= B: the SGD whose trace the default s matches."), 1),
               at_least(opt("scale", T::number, "-1.0", "s (< 0: trace matching)."), -1.0)}};
  k.listing_order = 90;
  k.capabilities = {.needs_finite_sum = true, .exact_covariance = true, .no_covariance_why = ""};
  k.build = [](const NoiseContext& c) -> std::shared_ptr<const NoiseModel> {
    const Scenario& sc = c.scenario;
    if (c.on != NoiseTarget::gradient) sc.fail("noise.on", "large-batch noise acts on the gradient");
    LargeBatchFisherNoise::Params p;
    p.scheme = sampling_scheme(sc, "noise.sampling");
    p.large_batch = sc.get_int("noise.large_batch");
    p.small_batch = sc.get_int("noise.small_batch");
    if (p.small_batch > p.large_batch) sc.fail("noise.small_batch", "must not exceed large_batch");
    if (p.scheme != SgdSampling::Scheme::with_replacement && p.large_batch > c.finite_sum->n_samples())
      sc.fail("noise.large_batch", "exceeds the number of samples " + std::to_string(c.finite_sum->n_samples()));
    if (sc.get_number("noise.scale") >= 0.0) p.scale = sc.get_number("noise.scale");
    return std::make_shared<LargeBatchFisherNoise>(c.finite_sum,
                                                   sc.get_string("noise.added") == "full_fisher"
                                                       ? LargeBatchFisherNoise::Added::full_fisher
                                                       : LargeBatchFisherNoise::Added::diag_fisher,
                                                   p);
  };
  k.examples = {{"noise.added=\"full_fisher\"", "noise.large_batch=6", "noise.small_batch=2"},
                {"noise.added=\"diag_fisher\"", "noise.large_batch=6", "noise.small_batch=2",
                 "noise.sampling=\"without_replacement\""}};
  registry.add(std::move(k));
}

}  // namespace sgdnoise
