#pragma once
// Runs an ensemble until a given fraction of its trajectories has entered a target
// region, stepping only the trajectories still running (the work an early-exit
// simulator must do; peer workload W4).
//
// It is the ensemble driver (dynamics/ensemble.hpp) with a step hook and an observer: every
// block of trajectories takes `sync_every` steps (the observation period), the hook testing
// the target after each one (first passages at step resolution); at each observation the
// escaped trajectories stop and the survivors are compacted, and the run ends once at most
// N - ceil(fraction N) are running. Rows then no longer hold consecutive trajectories: the
// random streams follow the original trajectory index through RowIds (core/rng.hpp), so
// every trajectory's path, and every result here, is the one of the whole ensemble, for any
// thread count, block size and sync period (docs/conventions.md, determinism). The stop step
// is recomputed exactly from the first passages, so stopping at a period's end never changes
// a result either. A trajectory that turns non-finite is stepped on (it never enters the
// target, so it is censored); should every trajectory do so, the run ends at that observation.
#include <cstdint>
#include <limits>
#include <vector>

#include "analysis/escape.hpp"
#include "dynamics/stepper.hpp"

namespace sgdnoise {

struct EscapeRunSpec {
  std::uint64_t seed = 0;
  double fraction = 0.99;  // stop at the first step at which at most N - ceil(fraction N) are running
  std::int64_t cap = std::numeric_limits<std::int64_t>::max();  // and at the latest at this step
  Index block = 4096;                                           // trajectories per block of work
  int threads = 1;
  std::int64_t sync_every = 8;  // steps between compactions (escaped rows are stepped until then)
};

struct EscapeRunResult {
  /// Per trajectory: the first step k at which it was inside the target (0: it started
  /// inside), or -1 when it had not entered by stop_step (censored there).
  std::vector<std::int64_t> first_passage;
  std::int64_t stop_step = 0;
  Index escaped = 0;
  /// Sum over trajectories of min(first passage, stop_step): the trajectory-steps of
  /// running trajectories up to the stop (what the peer counts as useful work).
  double useful_steps = 0.0;
  /// Trajectory-steps computed: useful ones, plus escaped rows stepped until the next
  /// compaction and the steps past stop_step within the last period.
  double executed_steps = 0.0;
};

/// Runs `stepper` from X0 (N rows: theta, then the stepper's extra columns) from step 0.
EscapeRunResult run_until_escaped(const Stepper& stepper, const Mat& X0, const Region& target,
                                  const EscapeRunSpec& spec);

/// The per-trajectory outcomes as the escape statistics take them (EscapeState escaped
/// or censored; times in steps and tau = k eta; no interpolation inside the step).
std::vector<TrajectoryEscape> escape_outcomes(const EscapeRunResult& r, double eta);

}  // namespace sgdnoise
