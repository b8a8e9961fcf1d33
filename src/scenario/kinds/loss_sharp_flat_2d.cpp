// The `sharp_flat_2d` loss kind (losses/landscapes.hpp): paper 3's 2-D toy, a finite sum over data.
#include "losses/landscapes.hpp"
#include "scenario/registry.hpp"

namespace sgdnoise {
namespace {
using T = ParamType;
using namespace schema_params;
}  // namespace

void register_loss_sharp_flat_2d(KindRegistry& registry) {
  LossKind k;
  k.schema = {"sharp_flat_2d",
              "Paper 3's 2-D landscape with a sharp and a flat minimum, a finite sum over data (docs/theory.md 4.4A).",
              {at_least(opt("samples", T::integer, "100", "Number n of data points."), 1),
               positive(opt("data_scale", T::number, "0.01", "Scale of the data (docs/theory.md 4.4A: 1e-2).")),
               at_least(opt("data_seed", T::integer, "0", "Seed of the data."), 0)}};
  k.listing_order = 100;
  k.capabilities = {
      .finite_sum = true, .per_sample_gradients = true, .hessian_vector_product = false, .fresh_data = true};
  k.dim = [](const Scenario&) { return Index{2}; };
  k.data = [](const Scenario& s, double) { return LossData{static_cast<double>(s.get_int("loss.samples"))}; };
  k.build = [](const Scenario& s, std::uint64_t data_seed) {
    SharpFlat2D::Synthetic syn;
    syn.n = s.get_int("loss.samples");
    syn.scale = s.get_number("loss.data_scale");
    syn.seed = data_seed;
    return BuiltLoss::of_finite_sum(std::make_shared<SharpFlat2D>(SharpFlat2D::synthetic(syn)));
  };
  k.examples = {{"loss.samples=10"}};
  registry.add(std::move(k));
}

}  // namespace sgdnoise
