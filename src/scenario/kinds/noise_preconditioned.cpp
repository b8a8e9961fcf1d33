// The `preconditioned` noise kind (noise/gaussian.hpp): Gaussian noise tied to the drift's preconditioner M.
#include <cmath>

#include "noise/gaussian.hpp"
#include "scenario/registry.hpp"

namespace sgdnoise {
namespace {
using T = ParamType;
using namespace schema_params;
}  // namespace

void register_noise_preconditioned(KindRegistry& registry) {
  NoiseKind k;
  k.schema = {"preconditioned",
              "Gaussian noise tied to dynamics.preconditioner M so that D = 2 eps M: the reversible case, Gibbs "
              "measure e^{-L/eps}, where the Eyring-Kramers law holds with lambda_-(M H_saddle). on = \"weights\": "
              "Sigma_step = variance M (eps = variance / (2 eta)); on = \"gradient\": C = variance M^{-1}, which the "
              "preconditioned step turns into Sigma_step = eta^2 M C M = eta^2 variance M (eps = eta variance / 2). "
              "Needs dynamics.preconditioner or dynamics.preconditioner_diagonal.",
              {at_least(req("variance", T::number, "The multiplier of M (weights) or of M^{-1} (gradient)."), 0)}};
  k.listing_order = 40;
  k.capabilities = {.needs_finite_sum = false, .exact_covariance = true, .no_covariance_why = ""};
  k.build = [](const NoiseContext& c) -> std::shared_ptr<const NoiseModel> {
    // D = 2 eps M: Sigma_step = v M on the weights; C = v M^{-1} on the gradient, which the
    // preconditioned step maps to eta^2 M C M = eta^2 v M (preconditioner.hpp).
    const Preconditioner* M = c.preconditioner;
    if (!M)
      c.scenario.fail("noise.kind",
                      "the \"preconditioned\" noise ties its covariance to the drift's preconditioner M, but the "
                      "scenario gives none (dynamics.preconditioner or dynamics.preconditioner_diagonal)");
    const double v = c.scenario.get_number("noise.variance");
    const Mat S = c.on == NoiseTarget::weights ? M->matrix() : M->inverse();
    Mat B = S.llt().matrixL();
    if (M->is_diagonal()) B = Mat(S.diagonal().cwiseSqrt().asDiagonal());  // exact zeros off the diagonal
    auto g = std::make_shared<GaussianNoise>(GaussianNoise::from_factor(std::sqrt(v) * B, c.on));
    g->set_kind("preconditioned");
    return g;
  };
  k.examples = {{"noise.variance=0.2", "dynamics.preconditioner_diagonal=[1.0, 2.0, 3.0]"},
                {"noise.variance=0.2", "noise.on=\"weights\"",
                 "dynamics.preconditioner=[[2.0, 0.5, 0.0], [0.5, 1.0, 0.2], [0.0, 0.2, 1.5]]"}};
  registry.add(std::move(k));
}

}  // namespace sgdnoise
