// The `level_set` escape region (analysis/escape_regions.hpp): L(theta) > level.
#include "scenario/registry.hpp"

namespace sgdnoise {
namespace {
using T = ParamType;
using namespace schema_params;
}  // namespace

void register_region_level_set(KindRegistry& registry) {
  RegionKind k;
  k.schema = {"level_set",
              "L(theta) > level (a superlevel set of the loss); the entry is interpolated to first order inside the "
              "step.",
              {opt("level", T::number, "0.0", "Loss level of the level set.")}};
  k.listing_order = 40;
  k.capabilities = {.depends_on_loss = true};
  k.build = [](const RegionContext& c) -> std::shared_ptr<const Region> {
    if (!c.loss->has_value())
      c.scenario.fail("escape.region",
                      "level_set needs the loss's value, which loss.kind = \"" + c.loss->kind() + "\" does not state");
    return std::make_shared<LevelSet>(c.loss, c.scenario.get_number("escape.level"));
  };
  k.examples = {{"escape.level=0.5"}};
  registry.add(std::move(k));
}

}  // namespace sgdnoise
