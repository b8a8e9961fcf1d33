#pragma once
// Runs an experiment's ensemble and evaluates its checks.
#include <vector>

#include "analysis/checks.hpp"
#include "scenario/experiment.hpp"

namespace sgdnoise {

struct RunResult {
  RunRecord record;
  std::vector<CheckOutcome> checks;
  /// The scheme's exact prediction of every recorded value, aligned with
  /// record.series[row].values[col]; unavailable where there is none.
  std::vector<std::vector<Prediction>> exact;
  bool all_checks_passed() const;
};

PredictionContext prediction_context(const Experiment& ex);
RunResult run_experiment(const Experiment& ex, const ProgressFn& progress = {});
/// With hooks (checkpoints, stop flag), optionally resuming a partial record from its saved state.
RunResult run_experiment(const Experiment& ex, const RunHooks& hooks, RunRecord resume = {}, Mat resume_state = Mat());

}  // namespace sgdnoise
