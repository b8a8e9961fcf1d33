// The `sum_of_quadratics` loss kind (losses/sum_of_quadratics.hpp): synthetic, or H_i and c_i given.
#include <stdexcept>
#include <vector>

#include "losses/sum_of_quadratics.hpp"
#include "scenario/registry.hpp"

namespace sgdnoise {
namespace {
using T = ParamType;
using namespace schema_params;
}  // namespace

void register_loss_sum_of_quadratics(KindRegistry& registry) {
  LossKind k;
  k.schema = {
      "sum_of_quadratics",
      "L = (1/n) sum_i 1/2 (theta - c_i)^T H_i (theta - c_i) with different H_i: sampling order moves "
      "the mean iterate (docs/theory.md 1.5). theta_s = (sum H_i)^{-1} sum H_i c_i, H = mean H_i; theta_s is the "
      "minimum when H is PSD, a saddle when it is indefinite (explicit H_i may be indefinite: then L is "
      "unbounded below and start_at = \"minimum\" is refused). Synthetic: H_i = "
      "S^{1/2} ((1 - hessian_spread) I + hessian_spread Z_i Z_i^T / d) S^{1/2}, S = diag(lambda_max .. "
      "lambda_max / condition, log-spaced), Z_i standard normal d x d (E H_i = S), c_i ~ N(0, "
      "centre_spread^2 I); the test set is test_samples fresh pairs (H_i, c_i), its loss an estimate of the "
      "population loss. Or hessians and centres given explicitly (no test set).",
      {at_least(req("dim", T::integer, "Dimension d."), 1),
       at_least(opt("samples", T::integer, "10", "Number n of quadratics (synthetic)."), 1),
       at_least(opt("test_samples", T::integer, "100", "Number of fresh test quadratics (0: none)."), 0),
       positive(opt("lambda_max", T::number, "1.0", "Largest eigenvalue of S = E H_i.")),
       at_least(opt("condition", T::number, "10.0", "lambda_max / lambda_min of S."), 1.0),
       [] {
         Param p = at_least(opt("hessian_spread", T::number, "0.5",
                                "How different the H_i are, in [0, 1]: 0 all equal to S, 1 Wishart around S."),
                            0.0);
         p.max = 1.0;
         return p;
       }(),
       at_least(opt("centre_spread", T::number, "1.0", "Standard deviation of the centres c_i."), 0.0),
       at_least(opt("data_seed", T::integer, "0", "Seed of the synthetic problem."), 0),
       opt("hessians", T::number_matrix, "[]",
           "Explicit H_1 .. H_n stacked: n d rows of d numbers (each block symmetric, PSD or indefinite); with "
           "centres."),
       opt("centres", T::number_matrix, "[]", "Explicit c_1 .. c_n: n rows of d numbers; with hessians.")}};
  k.listing_order = 40;
  k.capabilities = {
      .finite_sum = true, .per_sample_gradients = true, .hessian_vector_product = true, .fresh_data = true};
  k.data = [](const Scenario& s, double d) {
    LossData data = sample_counts(s, d * d + 2.0 * d);  // H_i, c_i, H_i c_i
    if (const Mat c = s.get_matrix("loss.centres"); c.rows() > 0) data.n = static_cast<double>(c.rows());
    return data;
  };
  k.build = [](const Scenario& sc, std::uint64_t data_seed) {
    const Index d = sc.get_int("loss.dim");
    const Mat stacked = sc.get_matrix("loss.hessians"), centres = sc.get_matrix("loss.centres");
    if (stacked.size() > 0 || centres.size() > 0) {
      if (centres.size() == 0) sc.fail("loss.centres", "required with loss.hessians");
      if (stacked.size() == 0) sc.fail("loss.hessians", "required with loss.centres");
      const Index n = centres.rows();
      if (centres.cols() != d)
        sc.fail("loss.centres",
                "expected rows of " + std::to_string(d) + " numbers (loss.dim), got " + std::to_string(centres.cols()));
      if (stacked.rows() != n * d || stacked.cols() != d)
        sc.fail("loss.hessians", "expected " + std::to_string(n * d) + " rows of " + std::to_string(d) +
                                     " numbers (one d x d block per centre), got " + std::to_string(stacked.rows()) +
                                     " x " + std::to_string(stacked.cols()));
      std::vector<Mat> H;
      for (Index i = 0; i < n; ++i) H.push_back(stacked.middleRows(i * d, d));
      try {
        return BuiltLoss::of_finite_sum(std::make_shared<SumOfQuadratics>(std::move(H), centres));
      } catch (const std::invalid_argument& e) {
        sc.fail("loss.hessians", e.what());
      }
    }
    SumOfQuadratics::Synthetic syn;
    syn.n = sc.get_int("loss.samples");
    syn.d = d;
    syn.n_test = sc.get_int("loss.test_samples");
    syn.lambda_max = sc.get_number("loss.lambda_max");
    syn.condition = sc.get_number("loss.condition");
    syn.spread = sc.get_number("loss.hessian_spread");  // in [0, 1] by the schema
    syn.centre_spread = sc.get_number("loss.centre_spread");
    syn.seed = data_seed;
    return BuiltLoss::of_finite_sum(std::make_shared<SumOfQuadratics>(SumOfQuadratics::synthetic(syn)));
  };
  k.examples = {{"loss.dim=3", "loss.samples=5", "loss.test_samples=3"}};
  registry.add(std::move(k));
}

}  // namespace sgdnoise
