#pragma once
// Fresh data per repeat: one loss instance per group of trajectories.
//
// Paper 3 draws a new data set for every repeat of its 2-D toy (docs/theory.md 4.4A, [CODE]
// 2Dim/run.py), so a repeat is a trajectory together with its own finite-sum loss. A
// scenario says so with loss.fresh_data: the trajectories are split into contiguous groups
// of group_size (group g = trajectory index / group_size; "per_trajectory" is group_size 1)
// and group g runs on the loss built from the data seed
//
//   seed_0 = data_seed,
//   seed_g = the low 63 bits of the first Philox4x32 output words (x0 | x1 << 32) at key
//            data_seed, counter (trajectory 0, Purpose::data_instance << 24, step g), g >= 1,
//
// so one group is the single-instance run, a group's instance is rebuilt by setting
// loss.data_seed to its seed_g (a TOML integer: 63 bits), and the group of a trajectory
// does not depend on the ensemble size (replaying trajectory t alone sees the same data).
#include <cstdint>
#include <memory>
#include <vector>

#include "core/types.hpp"
#include "losses/loss.hpp"

namespace sgdnoise {

struct TrajectoryGroups {
  /// Trajectories per group; 0: one group holds every trajectory.
  Index group_size = 0;
  Index of(std::uint64_t trajectory) const {
    return group_size == 0 ? 0 : static_cast<Index>(trajectory / static_cast<std::uint64_t>(group_size));
  }
  /// The number of groups among N trajectories.
  Index count(Index N) const { return group_size == 0 || N == 0 ? 1 : (N + group_size - 1) / group_size; }
};

/// seed_g of the header comment.
std::uint64_t instance_data_seed(std::uint64_t data_seed, Index group);

/// Calls f(group, first_row, rows) for each maximal run of consecutive rows whose
/// trajectories (id_of(row)) belong to one group; the runs cover [0, rows) in order.
/// Trajectory ids ascend with the row in every ensemble (compaction keeps the order), so a
/// group is one run.
template <class IdOf, class F>
void for_each_group_run(const TrajectoryGroups& groups, Index rows, IdOf id_of, F f) {
  if (groups.group_size == 0) {
    if (rows > 0) f(Index{0}, Index{0}, rows);
    return;
  }
  Index i0 = 0;
  while (i0 < rows) {
    const Index g = groups.of(id_of(i0));
    Index i1 = i0 + 1;
    while (i1 < rows && groups.of(id_of(i1)) == g) ++i1;
    f(g, i0, i1 - i0);
    i0 = i1;
  }
}

/// The loss of every group (losses[g]), as the observers that evaluate a loss hold it.
struct LossInstances {
  TrajectoryGroups groups;
  std::vector<std::shared_ptr<const Loss>> losses;
  explicit LossInstances(std::shared_ptr<const Loss> one) : losses{std::move(one)} {}
  LossInstances(TrajectoryGroups g, std::vector<std::shared_ptr<const Loss>> l) : groups(g), losses(std::move(l)) {}
  const Loss& operator[](Index g) const { return *losses[static_cast<std::size_t>(g)]; }
  Index size() const { return static_cast<Index>(losses.size()); }
};

}  // namespace sgdnoise
