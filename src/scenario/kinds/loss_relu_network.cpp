// The `relu_network` loss kind (losses/relu_network.hpp): paper 3's one-hidden-layer ReLU network.
#include "losses/relu_network.hpp"
#include "scenario/registry.hpp"

namespace sgdnoise {
namespace {
using T = ParamType;
using namespace schema_params;
}  // namespace

void register_loss_relu_network(KindRegistry& registry) {
  LossKind k;
  k.schema = {"relu_network",
              "Paper 3's one-hidden-layer ReLU network for binary classification (Zhu et al. 2019, Fig. 4; "
              "docs/theory.md 4.4B): f(x) = clip(sum_j a_j relu(w_j . x + b_j), delta, 1 - delta), l_i = (f(x_i) - "
              "y_i)^2 (MSE, no 1/2). x_i uniform on [-2, 2]^input_dim, y_i = 1[x_i1 >= x_i2], a held-out test set. "
              "The output layer is fixed (+1 for the first ceil(width/2) units, -1 for the rest) unless "
              "output_layer = \"trained\". theta = the width x (input_dim + 1) first layer [W | b] flattened column by "
              "column "
              "(theta[k width + j] = w_jk, theta[input_dim width + j] = b_j), then a when trained. H is exact a.e.: "
              "Gauss-Newton (2/n) sum_i c_i J_i J_i^T (c_i = 1 inside the clip) plus, when a is trained, the "
              "cross-layer terms (1/n) sum_i r_i 1[u_ij > 0] x~_i. Initialisation (not recorded by the paper; ours): "
              "every first-layer weight and bias N(0, init_scale^2 / width) from data_seed; start there with "
              "dynamics.start_at = \"initial\".",
              {at_least(opt("samples", T::integer, "1000", "Number n of training samples (paper: 1000)."), 1),
               at_least(opt("test_samples", T::integer, "1000", "Size of the held-out test set (0: none)."), 0),
               at_least(opt("input_dim", T::integer, "2", "Input dimension p (paper: 2)."), 2),
               at_least(opt("width", T::integer, "100", "Hidden units m (paper: 100)."), 1),
               [] {
                 Param p = at_least(
                     opt("delta", T::number, "0.001", "Output clip threshold delta (paper: 1e-3), < 1/2."), 0.0);
                 p.max = 0.499;
                 return p;
               }(),
               at_least(opt("init_scale", T::number, "0.5",
                            "First-layer weights and biases N(0, init_scale^2 / width): the initial output has "
                            "standard deviation about init_scale."),
                        0.0),
               one_of(opt("output_layer", T::string, "\"fixed\"",
                          "\"fixed\" (the paper: a = +-1) or \"trained\" (a is part of theta, started at +-1)."),
                      {"fixed", "trained"}),
               at_least(opt("data_seed", T::integer, "0", "Seed of the data and of the initialisation."), 0)}};
  k.listing_order = 80;
  k.capabilities = {
      .finite_sum = true, .per_sample_gradients = true, .hessian_vector_product = true, .fresh_data = true};
  k.dim = [](const Scenario& s) {
    return (s.get_int("loss.input_dim") + (s.get_string("loss.output_layer") == "trained" ? 2 : 1)) *
           s.get_int("loss.width");
  };
  k.data = [](const Scenario& s, double) {
    return sample_counts(s, static_cast<double>(s.get_int("loss.input_dim") + 1));  // x_i and y_i
  };
  k.build = [](const Scenario& s, std::uint64_t data_seed) {
    ReluNetwork::Synthetic syn;
    syn.n = s.get_int("loss.samples");
    syn.n_test = s.get_int("loss.test_samples");
    syn.input_dim = s.get_int("loss.input_dim");
    syn.width = s.get_int("loss.width");
    syn.delta = s.get_number("loss.delta");
    syn.init_scale = s.get_number("loss.init_scale");
    syn.train_output = s.get_string("loss.output_layer") == "trained";
    syn.seed = data_seed;
    return BuiltLoss::of_finite_sum(std::make_shared<ReluNetwork>(ReluNetwork::synthetic(syn)));
  };
  k.examples = {{"loss.samples=20", "loss.test_samples=5", "loss.width=4", "loss.output_layer=\"trained\""}};
  registry.add(std::move(k));
}

}  // namespace sgdnoise
