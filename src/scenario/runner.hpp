#pragma once
// Runs an experiment's ensemble and evaluates its checks.
#include <string>
#include <vector>

#include "analysis/checks.hpp"
#include "scenario/ams_escape.hpp"
#include "scenario/experiment.hpp"
#include "scenario/report.hpp"

namespace sgdnoise {

struct RunResult {
  RunRecord record;
  std::vector<CheckOutcome> checks;
  /// The scheme's exact prediction of every recorded value, aligned with
  /// record.series[row].values[col]; unavailable where there is none.
  std::vector<std::vector<Prediction>> exact;
  /// escape.method = "ams": the AMS escape results (null otherwise, and when interrupted).
  std::shared_ptr<const AmsOutcome> ams;
  /// Every other number the run reports (scenario/report.hpp), computed when the run ends; io/
  /// serializes it.
  RunReport report;
  bool all_checks_passed() const;
};

PredictionContext prediction_context(const Experiment& ex);
RunResult run_experiment(const Experiment& ex, const ProgressFn& progress = {});
/// The observers' states for a checkpoint (Observer::saved_state), in order.
std::vector<std::string> observer_states(const Experiment& ex);
/// Restores them before resuming from a checkpoint taken at step k with ensemble `state`
/// (theta and extra columns); a mismatch is an InputError naming `where` (the checkpoint).
void restore_observer_states(const Experiment& ex, const std::vector<std::string>& states, std::int64_t k,
                             const Mat& state, const std::string& where);
/// With hooks (checkpoints, stop flag), optionally resuming a partial record from its saved state
/// (restore the observers' states first).
RunResult run_experiment(const Experiment& ex, const RunHooks& hooks, RunRecord resume = {}, Mat resume_state = Mat());

}  // namespace sgdnoise
