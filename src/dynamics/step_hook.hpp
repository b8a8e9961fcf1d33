#pragma once
// What the ensemble driver (dynamics/ensemble.hpp) calls after every step, inside its block
// loop, where an observer (called at observation steps only) would be too coarse: a first
// passage at step resolution (analysis/escape_run.hpp). The hook lives in dynamics/ because the
// driver calls it; what it records (an escape region's entries) is analysis, one layer up.
#include <cstdint>

#include "core/types.hpp"

namespace sgdnoise {

class StepHook {
 public:
  virtual ~StepHook() = default;
  /// After the rows `theta` (theta only, no extra columns) of one block have taken the step to
  /// `k`: row r is trajectory ids[r]. Called by the threads that step the blocks, concurrently
  /// for different blocks, so it may write only entries that belong to the trajectories in
  /// ids (each trajectory is a row of one block), and must neither allocate nor open a
  /// parallel region: it runs once per step and block.
  virtual void after_step(std::int64_t k, ConstBlockRef theta, const std::uint64_t* ids) = 0;
};

}  // namespace sgdnoise
