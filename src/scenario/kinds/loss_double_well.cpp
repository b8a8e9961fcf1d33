// The `double_well` loss kind (losses/landscapes.hpp).
#include <cmath>

#include "losses/landscapes.hpp"
#include "scenario/registry.hpp"

namespace sgdnoise {
namespace {
using T = ParamType;
using namespace schema_params;
}  // namespace

void register_loss_double_well(KindRegistry& registry) {
  LossKind k;
  k.schema = {"double_well",
              "L = barrier (x_1^2/a^2 - 1)^2 + tilt x_1 + 1/2 sum_{i>=2} transverse_i x_i^2: minima near x_1 = +-a, "
              "saddle near 0; curvature 8 barrier/a^2 at the untilted minima, -4 barrier/a^2 at the saddle.",
              {positive(opt("barrier", T::number, "1.0", "Barrier height of the untilted well.")),
               positive(opt("a", T::number, "1.0", "Half-distance between the untilted minima.")),
               opt("tilt", T::number, "0.0", "Linear tilt c (asymmetric well); |c| < 8 barrier / (3 sqrt(3) a)."),
               opt("transverse", T::number_array, "[]", "Curvatures of x_2..x_d (> 0); empty: d = 1.")}};
  k.listing_order = 50;
  k.capabilities = {
      .finite_sum = false, .per_sample_gradients = false, .hessian_vector_product = false, .fresh_data = false};
  k.dim = [](const Scenario& s) { return 1 + s.get_vector("loss.transverse").size(); };
  k.build = [](const Scenario& s, std::uint64_t) {
    DoubleWell::Spec spec;
    spec.barrier = s.get_number("loss.barrier");
    spec.a = s.get_number("loss.a");
    spec.tilt = s.get_number("loss.tilt");
    spec.transverse = s.get_vector("loss.transverse");
    if ((spec.transverse.array() <= 0.0).any()) s.fail("loss.transverse", "curvatures must be > 0");
    if (std::abs(spec.tilt) >= 8.0 * spec.barrier / (3.0 * std::sqrt(3.0) * spec.a))
      s.fail("loss.tilt", "too large: the two wells merge at |tilt| = 8 barrier / (3 sqrt(3) a)");
    return BuiltLoss::of_loss(std::make_shared<DoubleWell>(spec));
  };
  k.examples = {{"loss.transverse=[2.0]", "loss.tilt=0.1"}};
  registry.add(std::move(k));
}

}  // namespace sgdnoise
