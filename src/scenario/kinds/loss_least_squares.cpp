// The `least_squares` loss kind (losses/least_squares.hpp): synthetic data from data_seed, or a data file.
#include "losses/least_squares.hpp"
#include "scenario/kind_inputs.hpp"
#include "scenario/registry.hpp"

namespace sgdnoise {
namespace {
using T = ParamType;
using namespace schema_params;
}  // namespace

void register_loss_least_squares(KindRegistry& registry) {
  LossKind k;
  k.schema = {
      "least_squares",
      "L = (1/n) sum_i 1/2 (x_i^T theta - y_i)^2, a finite sum (docs/theory.md 1.1). Synthetic: x_i ~ N(0, "
      "diag(s)), s log-spaced 1 .. 1/condition, teacher ~ N(0, I/d), y = x^T teacher + label_noise eps, "
      "and a held-out test set; or data_file.",
      {at_least(req("dim", T::integer, "Dimension d (number of features)."), 1),
       at_least(opt("samples", T::integer, "100", "Number n of training samples."), 1),
       at_least(opt("test_samples", T::integer, "1000", "Size of the held-out test set (0: none)."), 0),
       at_least(opt("condition", T::number, "10.0", "Ratio of the largest to the smallest feature variance."), 1.0),
       at_least(opt("label_noise", T::number, "0.5", "Standard deviation of the label noise."), 0.0),
       at_least(opt("data_seed", T::integer, "0", "Seed of the synthetic data."), 0),
       opt("data_file", T::string, "\"\"",
           "CSV with n rows of d features then the label (relative to the scenario file); replaces the "
           "synthetic training data.")}};
  k.listing_order = 20;
  k.capabilities = {
      .finite_sum = true, .per_sample_gradients = true, .hessian_vector_product = true, .fresh_data = true};
  k.data = [](const Scenario& s, double) { return sample_counts(s); };
  k.build = [](const Scenario& sc, std::uint64_t data_seed) {
    const Index d = sc.get_int("loss.dim");
    if (!sc.get_string("loss.data_file").empty()) {
      const Mat data = labelled_data_file(sc, d);
      return BuiltLoss::of_finite_sum(std::make_shared<LeastSquares>(data.leftCols(d), data.col(d)));
    }
    LeastSquares::Synthetic syn;
    syn.n = sc.get_int("loss.samples");
    syn.d = d;
    syn.n_test = sc.get_int("loss.test_samples");
    syn.condition = sc.get_number("loss.condition");
    syn.label_noise = sc.get_number("loss.label_noise");
    syn.seed = data_seed;
    return BuiltLoss::of_finite_sum(std::make_shared<LeastSquares>(LeastSquares::synthetic(syn)));
  };
  k.examples = {{"loss.dim=3", "loss.samples=12", "loss.test_samples=5"}};
  registry.add(std::move(k));
}

}  // namespace sgdnoise
