#include "dynamics/grouped_stepper.hpp"

#include <stdexcept>

#include "core/rng.hpp"

namespace sgdnoise {

GroupedStepper::GroupedStepper(TrajectoryGroups groups, std::vector<std::unique_ptr<Stepper>> steppers)
    : groups_(groups), steppers_(std::move(steppers)) {
  if (steppers_.empty()) throw std::invalid_argument("grouped stepper: no stepper");
  for (const auto& s : steppers_)
    if (!s || s->eta() != eta() || s->extra_columns() != extra_columns() || s->kind() != kind())
      throw std::invalid_argument("grouped stepper: the groups' steppers differ in kind, eta or state");
}

void GroupedStepper::advance(std::uint64_t seed, std::uint64_t k, RowIds traj, BlockRef X) const {
  auto id_of = [&](Index i) { return traj[i]; };
  for_each_group_run(groups_, X.rows(), id_of, [&](Index g, Index r0, Index rows) {
    if (g >= static_cast<Index>(steppers_.size()))
      throw std::out_of_range("grouped stepper: trajectory beyond the last group");
    steppers_[static_cast<std::size_t>(g)]->advance(seed, k, traj.from(r0), X.middleRows(r0, rows));
  });
}

}  // namespace sgdnoise
