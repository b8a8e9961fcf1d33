// The `basin` escape region (analysis/escape_regions.hpp): the basin of attraction of one of the
// loss's minima under gradient flow.
#include "losses/landscapes.hpp"
#include "scenario/registry.hpp"

namespace sgdnoise {
namespace {
using T = ParamType;
using namespace schema_params;
}  // namespace

void register_region_basin(KindRegistry& registry) {
  RegionKind k;
  k.schema = {
      "basin",
      "The basin of attraction of minima[target] under gradient flow: points whose flow reaches that minimum "
      "within basin_capture_radius in basin_time (RK4).",
      {opt("minima", T::number_matrix, "[]",
           "The minima, one row of d coordinates each; empty: the loss's own minima where it knows them "
           "(double_well: left, right; strict_saddle; mueller_brown; sharp_flat_2d: sharp, flat; a polynomial or "
           "Python loss given its minima), in their order."),
       at_least(opt("target", T::integer, "0", "Index (row) of the target minimum."), 0),
       positive(opt("basin_time", T::number, "20.0", "Gradient-flow time allowed to reach a minimum.")),
       positive(opt("basin_dt", T::number, "0.01",
                    "RK4 step of the gradient flow (stable for basin_dt lambda_max < 2.78).")),
       positive(opt("basin_capture_radius", T::number, "0.001",
                    "A flow is captured by the first minimum within this distance."))}};
  k.listing_order = 50;
  k.capabilities = {.depends_on_loss = true};
  k.build = [](const RegionContext& c) -> std::shared_ptr<const Region> {
    const Scenario& s = c.scenario;
    const Index d = c.dim();
    std::vector<Vec> minima;
    const Mat M = s.get_matrix("escape.minima");
    if (M.size() > 0) {
      if (M.cols() != d)
        s.fail("escape.minima",
               "each minimum is a row of d = " + std::to_string(d) + " coordinates, got " + std::to_string(M.cols()));
      if (!M.allFinite()) s.fail("escape.minima", "must be finite");
      for (Index r = 0; r < M.rows(); ++r) minima.push_back(M.row(r).transpose());
    } else if (const auto* cp = dynamic_cast<const CriticalPoints*>(c.loss.get())) {
      for (const auto& m : cp->minima()) minima.push_back(m.theta);
    } else {
      s.fail("escape.minima", "loss.kind = \"" + c.loss->kind() + "\" does not know its minima: give them");
    }
    const Index target = s.get_int("escape.target");
    if (target >= static_cast<Index>(minima.size()))
      s.fail("escape.target", "must be below the number of minima, " + std::to_string(minima.size()));
    GradientFlowSpec flow;
    flow.time = s.get_number("escape.basin_time");
    flow.dt = s.get_number("escape.basin_dt");
    flow.capture_radius = s.get_number("escape.basin_capture_radius");
    if (flow.dt > flow.time) s.fail("escape.basin_dt", "must not exceed escape.basin_time");
    return std::make_shared<Basin>(c.loss, std::move(minima), target, flow);
  };
  k.examples = {{"escape.target=1"}, {"escape.minima=[[-1.0, 0.0], [1.0, 0.0]]", "escape.target=0"}};
  registry.add(std::move(k));
}

}  // namespace sgdnoise
