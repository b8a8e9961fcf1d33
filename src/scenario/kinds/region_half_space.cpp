// The `half_space` escape region (analysis/escape_regions.hpp): normal . theta >= offset.
#include "scenario/kind_inputs.hpp"
#include "scenario/registry.hpp"

namespace sgdnoise {
namespace {
using T = ParamType;
using namespace schema_params;
}  // namespace

void register_region_half_space(KindRegistry& registry) {
  RegionKind k;
  k.schema = {"half_space",
              "normal . theta >= offset; first passages are interpolated inside the step, and escape.bridge applies.",
              {opt("normal", T::number_array, "[]", "Normal of the half-space (d numbers, not all zero)."),
               opt("offset", T::number, "0.0", "Offset of the half-space.")}};
  k.listing_order = 20;
  k.build = [](const RegionContext& c) -> std::shared_ptr<const Region> {
    const Scenario& s = c.scenario;
    const Vec normal = vector_of_dim(s, "escape.normal", c.dim());
    if (!(normal.norm() > 0.0)) s.fail("escape.normal", "must be nonzero");
    return std::make_shared<HalfSpace>(normal, s.get_number("escape.offset"));
  };
  k.examples = {{"escape.normal=[1.0, 1.0]", "escape.offset=0.2"}};
  registry.add(std::move(k));
}

}  // namespace sgdnoise
