// The `label_noise` noise kind (noise/heavy_tail.hpp): label-noise SGD on least squares.
#include "losses/least_squares.hpp"
#include "noise/heavy_tail.hpp"
#include "scenario/kind_inputs.hpp"
#include "scenario/registry.hpp"

namespace sgdnoise {
namespace {
using T = ParamType;
using namespace schema_params;
}  // namespace

void register_noise_label_noise(KindRegistry& registry) {
  NoiseKind k;
  k.schema = {"label_noise",
              "Label-noise SGD on least squares: each step uses labels y_i + delta eps_i in the mini-batch gradient; "
              "C = c_b Sigma_1 + delta^2 kappa H.",
              {one_of(opt("sampling", T::string, "\"with_replacement\"", "Mini-batch sampling."),
                      {"with_replacement", "without_replacement", "reshuffle"}),
               at_least(req("batch", T::integer, "Batch size b."), 1),
               at_least(req("delta", T::number, "Label-noise standard deviation."), 0.0)}};
  k.listing_order = 110;
  k.capabilities = {.needs_finite_sum = false, .exact_covariance = true, .no_covariance_why = ""};
  k.build = [](const NoiseContext& c) -> std::shared_ptr<const NoiseModel> {
    // Needs least squares itself, not any finite sum (needs_finite_sum would name the others).
    const Scenario& sc = c.scenario;
    const auto ls = std::dynamic_pointer_cast<const LeastSquares>(c.finite_sum);
    if (!ls) sc.fail("noise.kind", "label_noise needs the least_squares loss");
    if (c.on != NoiseTarget::gradient) sc.fail("noise.on", "label noise acts on the gradient");
    const Index b = sc.get_int("noise.batch");
    const auto scheme = sampling_scheme(sc, "noise.sampling");
    if (scheme != SgdSampling::Scheme::with_replacement && b > ls->n_samples())
      sc.fail("noise.batch", "exceeds the number of samples " + std::to_string(ls->n_samples()));
    return std::make_shared<LabelNoiseSgd>(ls, scheme, b, sc.get_number("noise.delta"));
  };
  k.examples = {{"noise.batch=4", "noise.delta=0.5"}};
  registry.add(std::move(k));
}

}  // namespace sgdnoise
