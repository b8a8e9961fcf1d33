#pragma once
// The ensemble driver: runs any Stepper over N trajectories, split into blocks
// of rows that OpenMP threads take in any order, and calls observers at fixed
// steps. The running rows are stepped in a working copy laid out in tiles, one dense,
// 128-byte aligned block each; between two observations each block runs all its steps while
// it sits in cache, then writes its rows back for the observers in the same parallel loop. Observers see the whole
// ensemble in original trajectory order and reduce in index order, so results are identical for any thread count and
// block size (docs/conventions.md, determinism). Trajectories an observer stops (an escaped one) leave the batch: the
// others are stepped as a compacted block whose rows name their trajectories (RowIds) (core/rng.hpp), so they draw the
// same numbers and the cost follows the live ones. A StepHook (dynamics/step_hook.hpp) sees every block after every
// step, for what needs step resolution (first passages), and a run whose trajectories are all stopped may end there
// (EnsembleSpec::end_when_all_stopped): the run until escaped of analysis/escape_run.hpp is this
// driver with such a hook and observer.
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/process_group.hpp"
#include "dynamics/observer.hpp"
#include "dynamics/step_hook.hpp"
#include "dynamics/stepper.hpp"

namespace sgdnoise {

struct EnsembleSpec {
  std::uint64_t seed = 0;
  std::int64_t steps = 0;
  std::int64_t every = 1;  // observation period in steps (step 0 and the last step are always observed)
  Index block = 256;       // trajectories per block, rounded up to a multiple of 16 (whole cache lines)
  int threads = 1;
  double divergence_bound = 1e100;  // |theta_i| beyond this counts as diverged
  /// Processes that share the stepping (MPI; core/process_group.hpp), or null: this process
  /// steps every trajectory. Each steps a contiguous slice of the running trajectories, and
  /// all gather the stepped rows before each observation, so every process holds the whole
  /// ensemble, observes it and ends with the same record as a single process.
  const ProcessGroup* group = nullptr;
  /// End the run at the first observation after which every trajectory is stopped
  /// (Observer::stopped; status completed, the series ends there) instead of observing the
  /// frozen ensemble up to `steps`, which may then be as large as std::int64_t allows.
  bool end_when_all_stopped = false;
};

struct SeriesRow {
  std::int64_t k = 0;
  double tau = 0.0;
  Index n_alive = 0;  // trajectories not diverged, over which the values are computed
  std::vector<Observation> values;
  const Observation* find(const std::string& name) const;
};

/// completed: the run reached its last step (some trajectories may have diverged and
/// been excluded); diverged: every trajectory diverged; interrupted: stopped on request
/// (a signal) after an observation, resumable from its checkpoint.
enum class RunStatus { completed, diverged, interrupted };

struct RunRecord {
  std::vector<SeriesRow> series;
  Mat final_state;
  RunStatus status = RunStatus::completed;
  std::string failure;                    // why the run stopped early
  std::vector<std::int64_t> diverged_at;  // per trajectory: first observation step that saw it diverged, or -1
  Index n_diverged = 0;
  Mat state;                      // full state (theta and optimizer columns) when interrupted
  Index n_stopped = 0;            // trajectories an observer stopped (Observer::stopped)
  double trajectory_steps = 0.0;  // steps computed, summed over trajectories (a resumed run included)
  const SeriesRow* at_step(std::int64_t k) const;
};

/// Called after each observation with (k, steps).
using ProgressFn = std::function<void(std::int64_t, std::int64_t)>;

struct RunHooks {
  ProgressFn progress;
  /// After each observation except the last, with the record so far and the full state
  /// (theta and optimizer columns) at that step: the caller may write a checkpoint.
  std::function<void(const RunRecord&, const Mat&)> checkpoint;
  /// When it becomes true the run stops after the next observation (status interrupted); in a
  /// group, when it is true on any process.
  const std::atomic<bool>* stop = nullptr;
  /// Called after every step of every block, inside the block loop (StepHook); not with a group
  /// of several processes (each would see only its own slice).
  StepHook* after_step = nullptr;
};

/// Runs from X at step 0, or, when `resume` holds a partial record, continues from its
/// last observation with X the state saved there: the result is bitwise identical to an
/// uninterrupted run (draws depend only on their coordinates; docs/conventions.md). The
/// observers record the run: the driver calls their non-const observe, screen and (before a
/// resumed run's first step, by the caller) restore_state.
RunRecord run_ensemble(const Stepper& stepper, Mat X, const EnsembleSpec& spec, const std::vector<Observer*>& observers,
                       const RunHooks& hooks = {}, RunRecord resume = {});

/// Steps at which run_ensemble observes: 0, every, 2 every, ..., and steps.
std::vector<std::int64_t> observation_steps(std::int64_t steps, std::int64_t every);
/// The observation step after k (an observation step below steps), computed without a list, so
/// steps may be as large as std::int64_t allows.
std::int64_t next_observation_step(std::int64_t k, std::int64_t steps, std::int64_t every);
/// Whether k is one of observation_steps(steps, every).
bool is_observation_step(std::int64_t k, std::int64_t steps, std::int64_t every);

}  // namespace sgdnoise
