// The `logistic` loss kind (losses/logistic.hpp): synthetic data from data_seed, or a data file.
#include <stdexcept>

#include "losses/logistic.hpp"
#include "scenario/kind_inputs.hpp"
#include "scenario/registry.hpp"

namespace sgdnoise {
namespace {
using T = ParamType;
using namespace schema_params;
}  // namespace

void register_loss_logistic(KindRegistry& registry) {
  LossKind k;
  k.schema = {
      "logistic",
      "Binary logistic regression, labels y_i in {0, 1}: L = (1/n) sum_i [log(1 + exp(x_i^T theta)) - y_i "
      "x_i^T theta + l2/2 |theta|^2], a finite sum (docs/theory.md 1.1). Synthetic: x_i ~ N(0, diag(s)), s "
      "log-spaced 1 .. 1/condition, teacher = teacher_scale N(0, I/d), y_i ~ Bernoulli(sigmoid(x_i^T "
      "teacher)), and a held-out test set; or data_file. theta* by Newton's method (none on separable data "
      "with l2 = 0).",
      {at_least(req("dim", T::integer, "Dimension d (number of features)."), 1),
       at_least(opt("samples", T::integer, "200", "Number n of training samples."), 1),
       at_least(opt("test_samples", T::integer, "1000", "Size of the held-out test set (0: none)."), 0),
       at_least(opt("condition", T::number, "10.0", "Ratio of the largest to the smallest feature variance."), 1.0),
       at_least(opt("teacher_scale", T::number, "2.0",
                    "Scale of the teacher: larger means cleaner labels (|x^T teacher| larger)."),
                0.0),
       at_least(opt("l2", T::number, "0.0", "L2 coefficient: each l_i has + l2/2 |theta|^2."), 0.0),
       at_least(opt("data_seed", T::integer, "0", "Seed of the synthetic data."), 0),
       opt("data_file", T::string, "\"\"",
           "CSV with n rows of d features then a 0/1 label (relative to the scenario file); replaces the "
           "synthetic data (no test set).")}};
  k.listing_order = 30;
  k.capabilities = {
      .finite_sum = true, .per_sample_gradients = true, .hessian_vector_product = true, .fresh_data = true};
  k.data = [](const Scenario& s, double) { return sample_counts(s); };
  k.build = [](const Scenario& sc, std::uint64_t data_seed) {
    const Index d = sc.get_int("loss.dim");
    const double l2 = sc.get_number("loss.l2");
    if (!sc.get_string("loss.data_file").empty()) {
      const Mat data = labelled_data_file(sc, d);
      try {
        return BuiltLoss::of_finite_sum(std::make_shared<Logistic>(data.leftCols(d), data.col(d), l2));
      } catch (const std::invalid_argument& e) {
        sc.fail("loss.data_file", e.what());  // e.g. a label other than 0 or 1
      }
    }
    Logistic::Synthetic syn;
    syn.n = sc.get_int("loss.samples");
    syn.d = d;
    syn.n_test = sc.get_int("loss.test_samples");
    syn.condition = sc.get_number("loss.condition");
    syn.teacher_scale = sc.get_number("loss.teacher_scale");
    syn.l2 = l2;
    syn.seed = data_seed;
    return BuiltLoss::of_finite_sum(std::make_shared<Logistic>(Logistic::synthetic(syn)));
  };
  k.examples = {{"loss.dim=3", "loss.samples=20", "loss.test_samples=5", "loss.l2=0.1"}};
  registry.add(std::move(k));
}

}  // namespace sgdnoise
