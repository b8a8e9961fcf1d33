// The `threshold` escape region (analysis/escape_regions.hpp): theta_coordinate above or below a value.
#include "scenario/registry.hpp"

namespace sgdnoise {
namespace {
using T = ParamType;
using namespace schema_params;
}  // namespace

void register_region_threshold(KindRegistry& registry) {
  RegionKind k;
  k.schema = {"threshold",
              "theta_coordinate above (or below) value; first passages are interpolated inside the step, and "
              "escape.bridge applies.",
              {at_least(opt("coordinate", T::integer, "0", "Coordinate of the threshold."), 0),
               opt("value", T::number, "0.0", "Threshold value."),
               one_of(opt("side", T::string, "\"above\"", "Side of the threshold that counts as escaped."),
                      {"above", "below"})}};
  k.listing_order = 10;
  k.build = [](const RegionContext& c) -> std::shared_ptr<const Region> {
    const Scenario& s = c.scenario;
    const Index coordinate = s.get_int("escape.coordinate");
    if (coordinate >= c.dim()) s.fail("escape.coordinate", "must be below the dimension " + std::to_string(c.dim()));
    return std::make_shared<CoordinateThreshold>(
        coordinate, s.get_number("escape.value"),
        s.get_string("escape.side") == "above" ? CoordinateThreshold::Side::above : CoordinateThreshold::Side::below);
  };
  k.examples = {{"escape.value=0.0"}, {"escape.coordinate=1", "escape.value=0.5", "escape.side=\"below\""}};
  registry.add(std::move(k));
}

}  // namespace sgdnoise
