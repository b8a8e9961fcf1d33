#pragma once
// Escape statistics, independent of the CLI; the escape code is split by idea:
//   analysis/escape_regions.hpp  target sets (balls, half-spaces, thresholds, level sets, basins);
//   analysis/escape_tracker.hpp  per-trajectory statuses and first-passage times in steps k and
//                                in tau = k eta (docs/conventions.md, time), and their checkpoint state;
//   core/survival.hpp            censored-data statistics (Kaplan-Meier, Greenwood, restricted
//                                means, the exponential rate with its Gamma interval, Wilson);
//   this file                    the tracker's results as survival data, counts and summaries.
// The statistics never drop a censored trajectory: they use it as censored data and report
// how many there were.
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "analysis/escape_regions.hpp"
#include "analysis/escape_tracker.hpp"
#include "core/survival.hpp"

namespace sgdnoise {

// ------------------------------------------------------------------------- Statistics

/// How diverged trajectories enter the statistics: censored at the divergence time (the
/// default; assumes divergence is non-informative about escape), or excluded (counted in
/// EscapeCounts.diverged, and in SurvivalData's absence).
enum class DivergedAs { censored, excluded };

/// Survival data from the tracker's results, in steps or in tau. Running trajectories
/// are censored at last_step.
SurvivalData survival_data(const std::vector<TrajectoryEscape>& results, std::int64_t last_step, double eta,
                           bool in_tau, DivergedAs diverged = DivergedAs::censored);

struct EscapeCounts {
  Index n = 0, escaped = 0, censored = 0, diverged = 0, running = 0;
  std::vector<Index> by_destination;
};
EscapeCounts count_escapes(const std::vector<TrajectoryEscape>& results, Index n_targets);

/// Everything above, in steps and in tau, for a finished tracker.
struct EscapeSummary {
  EscapeCounts counts;
  Index started_inside = 0;
  DivergedAs diverged_as = DivergedAs::censored;
  KaplanMeier survival_steps;
  MeanTime mean_steps, mean_tau;
  RateEstimate rate_per_step, rate_per_tau;
  Proportion within_horizon;
  double horizon_steps = 0.0;
};
EscapeSummary summarize_escapes(const EscapeTracker& tracker, double horizon_steps,
                                DivergedAs diverged = DivergedAs::censored, double level = 0.95);

}  // namespace sgdnoise
