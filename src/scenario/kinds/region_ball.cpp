// The `ball` escape region (analysis/escape_regions.hpp): |theta - centre| <= radius, or its exterior.
#include "scenario/kind_inputs.hpp"
#include "scenario/registry.hpp"

namespace sgdnoise {
namespace {
using T = ParamType;
using namespace schema_params;
}  // namespace

void register_region_ball(KindRegistry& registry) {
  RegionKind k;
  k.schema = {"ball",
              "|theta - centre| < radius (a ball around another minimum), or > radius with outside = true (leaving a "
              "neighbourhood, e.g. of a saddle); the entry inside a step solves the segment-sphere intersection.",
              {opt("centre", T::number_array, "[]", "Centre of the ball (d numbers)."),
               positive(opt("radius", T::number, "1.0", "Radius of the ball.")),
               opt("outside", T::boolean, "false",
                   "Escaped when |theta - centre| > radius (leaving the ball, e.g. a saddle's neighbourhood).")}};
  k.listing_order = 30;
  k.build = [](const RegionContext& c) -> std::shared_ptr<const Region> {
    const Scenario& s = c.scenario;
    return std::make_shared<Ball>(vector_of_dim(s, "escape.centre", c.dim()), s.get_number("escape.radius"),
                                  s.get_bool("escape.outside"));
  };
  k.examples = {{"escape.centre=[1.0, 0.0]", "escape.radius=0.5"},
                {"escape.centre=[0.0, 0.0]", "escape.radius=0.3", "escape.outside=true"}};
  registry.add(std::move(k));
}

}  // namespace sgdnoise
