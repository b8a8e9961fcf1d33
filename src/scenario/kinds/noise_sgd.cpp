// The `sgd` noise kind (noise/sampling.hpp): SGD's own mini-batch sampling noise.
#include "noise/sampling.hpp"
#include "scenario/kind_inputs.hpp"
#include "scenario/registry.hpp"

namespace sgdnoise {
namespace {
using T = ParamType;
using namespace schema_params;
// noise.batch_schedule and its keys (sampling.hpp, BatchSchedule).
BatchSchedule batch_schedule(const Scenario& sc, SgdSampling::Scheme scheme, Index b, Index n) {
  BatchSchedule sch;
  if (sc.get_string("noise.batch_schedule") != "step") return sch;
  sch.kind = BatchSchedule::Kind::step;
  if (sc.get_string("dynamics.kind") != "discrete")
    sc.fail("noise.batch_schedule", "a batch schedule counts discrete steps: it needs dynamics.kind = \"discrete\"");
  if (sc.get_int("noise.batch_every") == 0) sc.fail("noise.batch_every", "required (> 0) for the step batch schedule");
  sch.every = static_cast<std::uint64_t>(sc.get_int("noise.batch_every"));
  sch.growth = sc.get_int("noise.batch_growth");
  sch.cap = sc.get_int("noise.batch_max");
  if (sch.cap > 0 && sch.cap < b) sc.fail("noise.batch_max", "is below the initial batch size noise.batch");
  if (scheme != SgdSampling::Scheme::with_replacement && sch.cap > n)
    sc.fail("noise.batch_max",
            "exceeds the number of samples " + std::to_string(n) + " (sampling without replacement)");
  return sch;
}
}  // namespace

void register_noise_sgd(KindRegistry& registry) {
  NoiseKind k;
  k.schema = {
      "sgd",
      "SGD's own sampling noise on a finite-sum loss: the gradient of a mini-batch of b samples. "
      "C = Sigma_1 / b with replacement; (n - b)/(b (n - 1)) Sigma_1 without (docs/theory.md 1.2).",
      {one_of(opt("sampling", T::string, "\"with_replacement\"",
                  "\"with_replacement\" (b i.i.d. indices), \"without_replacement\" (an i.i.d. b-subset each "
                  "step), \"reshuffle\" (random reshuffling: epochs of floor(n/b) disjoint batches)."),
              {"with_replacement", "without_replacement", "reshuffle"}),
       at_least(req("batch", T::integer, "Batch size b (b_0 under a batch schedule)."), 1),
       one_of(opt("batch_schedule", T::string, "\"constant\"",
                  "\"constant\" or \"step\": b_k = min(batch_max, batch batch_growth^floor(k / batch_every)); "
                  "C at step k uses b_k. Reshuffling restarts its epoch at each change of b (samples left in "
                  "the cut epoch are skipped). Discrete dynamics only."),
              {"constant", "step"}),
       at_least(opt("batch_growth", T::integer, "2", "Factor of the step batch schedule."), 1),
       at_least(opt("batch_every", T::integer, "0", "Period of the step batch schedule in steps (> 0)."), 0),
       at_least(opt("batch_max", T::integer, "0", "Cap of the batch schedule (0: n; above n only with replacement)."),
                0)}};
  k.listing_order = 60;
  k.capabilities = {.needs_finite_sum = true, .exact_covariance = true, .no_covariance_why = ""};
  k.build = [](const NoiseContext& c) -> std::shared_ptr<const NoiseModel> {
    const Scenario& sc = c.scenario;
    if (c.on != NoiseTarget::gradient) sc.fail("noise.on", "sampling noise acts on the gradient");
    const Index n = c.finite_sum->n_samples();
    const std::string sampling = sc.get_string("noise.sampling");
    const Index b = sc.get_int("noise.batch");
    if (sampling != "with_replacement" && b > n)
      sc.fail("noise.batch", "exceeds the number of samples " + std::to_string(n));
    const auto scheme = sampling_scheme(sc, "noise.sampling");
    return std::make_shared<SgdSampling>(c.finite_sum, scheme, b, batch_schedule(sc, scheme, b, n));
  };
  k.examples = {{"noise.batch=4"},
                {"noise.batch=4", "noise.sampling=\"without_replacement\""},
                {"noise.batch=4", "noise.sampling=\"reshuffle\""}};
  registry.add(std::move(k));
}

}  // namespace sgdnoise
