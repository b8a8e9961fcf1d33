// The `tanh_network` loss kind (losses/tanh_network.hpp): a two-layer tanh network.
#include "losses/tanh_network.hpp"
#include "scenario/registry.hpp"

namespace sgdnoise {
namespace {
using T = ParamType;
using namespace schema_params;
}  // namespace

void register_loss_tanh_network(KindRegistry& registry) {
  LossKind k;
  k.schema = {
      "tanh_network",
      "A two-layer tanh network on synthetic regression data, l_i = 1/2 (f(x_i) - y_i)^2 with f(x) = sum_j a_j "
      "tanh(w_j . x + b_j), both layers trained: a smooth network on which GD shows progressive sharpening and "
      "the edge of stability (Cohen et al. 2021; docs/theory.md 5.3). x_i ~ N(0, I_input_dim); y_i from a random "
      "teacher of teacher_width tanh units with weights N(0, teacher_scale^2 / input_dim), scaled to unit "
      "standard deviation on the training set, plus label_noise N(0, 1); a held-out test set. theta = the "
      "width x (input_dim + 1) first layer [W | b] flattened column by column (theta[k width + j] = w_jk, "
      "theta[input_dim width + j] = b_j), then a; d = (input_dim + 2) width. H exact: Gauss-Newton plus the "
      "residual-weighted second derivatives. Initialisation w_jk ~ N(0, init_scale^2 / input_dim), b = 0, "
      "a_j ~ N(0, init_scale^2 / width) from data_seed; start there with dynamics.start_at = \"initial\".",
      {at_least(opt("samples", T::integer, "256", "Number n of training samples."), 1),
       at_least(opt("test_samples", T::integer, "1000", "Size of the held-out test set (0: none)."), 0),
       at_least(opt("input_dim", T::integer, "4", "Input dimension p."), 1),
       at_least(opt("width", T::integer, "24", "Hidden units m."), 1),
       at_least(opt("teacher_width", T::integer, "16", "Hidden units of the teacher that makes the labels."), 1),
       at_least(opt("teacher_scale", T::number, "4.0",
                    "Teacher weights N(0, teacher_scale^2 / input_dim): larger is a harder, less linear target."),
                0.0),
       at_least(opt("label_noise", T::number, "0.0", "Standard deviation of the label noise."), 0.0),
       at_least(opt("init_scale", T::number, "0.3", "Scale of the initialisation (small: a flat start)."), 0.0),
       at_least(opt("data_seed", T::integer, "0", "Seed of the data and of the initialisation."), 0)}};
  k.listing_order = 90;
  k.capabilities = {
      .finite_sum = true, .per_sample_gradients = true, .hessian_vector_product = true, .fresh_data = true};
  k.dim = [](const Scenario& s) { return (s.get_int("loss.input_dim") + 2) * s.get_int("loss.width"); };
  k.data = [](const Scenario& s, double) {
    return sample_counts(s, static_cast<double>(s.get_int("loss.input_dim") + 1));  // x_i and y_i
  };
  k.build = [](const Scenario& s, std::uint64_t data_seed) {
    TanhNetwork::Synthetic syn;
    syn.n = s.get_int("loss.samples");
    syn.n_test = s.get_int("loss.test_samples");
    syn.input_dim = s.get_int("loss.input_dim");
    syn.width = s.get_int("loss.width");
    syn.teacher_width = s.get_int("loss.teacher_width");
    syn.teacher_scale = s.get_number("loss.teacher_scale");
    syn.label_noise = s.get_number("loss.label_noise");
    syn.init_scale = s.get_number("loss.init_scale");
    syn.seed = data_seed;
    return BuiltLoss::of_finite_sum(std::make_shared<TanhNetwork>(TanhNetwork::synthetic(syn)));
  };
  k.examples = {{"loss.samples=20", "loss.test_samples=5", "loss.width=3", "loss.input_dim=2"}};
  registry.add(std::move(k));
}

}  // namespace sgdnoise
