// The `gld` noise kind (noise/gld.hpp): paper 3's Gaussian noises built on the SGD covariance.
#include <map>

#include "noise/gld.hpp"
#include "scenario/kind_inputs.hpp"
#include "scenario/registry.hpp"

namespace sgdnoise {
namespace {
using T = ParamType;
using namespace schema_params;
}  // namespace

void register_noise_gld(KindRegistry& registry) {
  NoiseKind k;
  k.schema = {
      "gld",
      "Paper 3's Gaussian noises on a finite-sum loss, each at the trajectory's own theta (docs/theory.md 4.2, "
      "Table 1), with C_sgd = c_b Sigma_1 the SGD covariance at `batch`: const (variance I), dynamic "
      "((Tr C_sgd / d) I), diag (diag C_sgd), diag_fisher (c_b diag F), leading (top-k of C_sgd), hessian "
      "(top-k of H rescaled to Tr C_sgd), first_eigvec (Tr C_sgd u1 u1^T), gaussian_sgd (C_sgd), "
      "gaussian_fisher (fisher_scale F), gaussian_fisher_diag (fisher_scale diag F).",
      {one_of(req("type", T::string, "The GLD variant."),
              {"const", "dynamic", "diag", "diag_fisher", "leading", "hessian", "first_eigvec", "gaussian_sgd",
               "gaussian_fisher", "gaussian_fisher_diag"}),
       one_of(opt("sampling", T::string, "\"with_replacement\"", "The SGD whose covariance is the reference."),
              {"with_replacement", "without_replacement", "reshuffle"}),
       at_least(opt("batch", T::integer, "1", "Batch size b of the reference SGD."), 1),
       at_least(opt("variance", T::number, "0.0", "sigma^2 of the const type."), 0.0),
       at_least(opt("k", T::integer, "1", "Eigenpairs kept by leading and hessian."), 1),
       at_least(opt("fisher_scale", T::number, "0.0", "s in s F (0: c_b, matching C_sgd at a minimum)."), 0.0),
       at_least(opt("trace", T::number, "0.0", "If > 0, C(theta) is rescaled to this trace at every theta."), 0.0)}};
  k.listing_order = 80;
  k.capabilities = {.needs_finite_sum = true, .exact_covariance = true, .no_covariance_why = ""};
  k.build = [](const NoiseContext& c) -> std::shared_ptr<const NoiseModel> {
    const Scenario& sc = c.scenario;
    static const std::map<std::string, GldNoise::Type> types = {
        {"const", GldNoise::Type::constant},
        {"dynamic", GldNoise::Type::dynamic},
        {"diag", GldNoise::Type::diag},
        {"diag_fisher", GldNoise::Type::diag},
        {"leading", GldNoise::Type::leading},
        {"hessian", GldNoise::Type::hessian},
        {"first_eigvec", GldNoise::Type::first_eigvec},
        {"gaussian_sgd", GldNoise::Type::gaussian_sgd},
        {"gaussian_fisher", GldNoise::Type::gaussian_fisher},
        {"gaussian_fisher_diag", GldNoise::Type::gaussian_fisher_diag}};
    const std::string type = sc.get_string("noise.type");
    GldNoise::Params p;
    p.scheme = sampling_scheme(sc, "noise.sampling");
    p.batch = sc.get_int("noise.batch");
    if (p.scheme != SgdSampling::Scheme::with_replacement && p.batch > c.finite_sum->n_samples())
      sc.fail("noise.batch", "exceeds the number of samples " + std::to_string(c.finite_sum->n_samples()));
    p.variance = sc.get_number("noise.variance");
    p.k = sc.get_int("noise.k");
    if (p.k > c.dim()) sc.fail("noise.k", "cannot exceed the dimension " + std::to_string(c.dim()));
    p.diag_of_fisher = type == "diag_fisher";
    if (sc.get_number("noise.fisher_scale") > 0.0) p.fisher_scale = sc.get_number("noise.fisher_scale");
    p.trace = sc.get_number("noise.trace");
    p.target = c.on;
    return std::make_shared<GldNoise>(c.finite_sum, types.at(type), p);
  };
  k.examples = {{"noise.type=\"const\"", "noise.variance=0.2"},
                {"noise.type=\"diag\"", "noise.batch=4"},
                {"noise.type=\"leading\"", "noise.batch=2", "noise.k=2"},
                {"noise.type=\"gaussian_fisher\""}};
  registry.add(std::move(k));
}

}  // namespace sgdnoise
