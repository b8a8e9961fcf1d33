#pragma once
// One stepper per group of trajectories, each built on its group's loss instance and noise
// (fresh data per repeat, losses/loss_instances.hpp). A block of rows is cut into runs of
// one group and each run advances with its group's stepper, so a block never mixes
// instances. The rows keep their trajectory index (RowIds, also in a compacted
// ensemble), hence their random streams: trajectory t's path is
// the one of a single-instance run on its group's instance, for any block size, thread count
// and compaction.
#include <memory>
#include <vector>

#include "dynamics/stepper.hpp"
#include "losses/loss_instances.hpp"

namespace sgdnoise {

class GroupedStepper final : public Stepper {
 public:
  /// steppers[g] advances the trajectories of group g; all share eta, kind and extra columns.
  GroupedStepper(TrajectoryGroups groups, std::vector<std::unique_ptr<Stepper>> steppers);
  std::string kind() const override { return steppers_.front()->kind(); }
  double eta() const override { return steppers_.front()->eta(); }
  Index extra_columns() const override { return steppers_.front()->extra_columns(); }
  void advance(std::uint64_t seed, std::uint64_t k, RowIds traj, BlockRef X) const override;
  const Stepper& group(Index g) const { return *steppers_[static_cast<std::size_t>(g)]; }

 private:
  TrajectoryGroups groups_;
  std::vector<std::unique_ptr<Stepper>> steppers_;
};

}  // namespace sgdnoise
