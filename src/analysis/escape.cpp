#include "analysis/escape.hpp"

#include <algorithm>
#include <cmath>

namespace sgdnoise {

// ------------------------------------------------------------------------- Statistics

SurvivalData survival_data(const std::vector<TrajectoryEscape>& results, std::int64_t last_step, double eta,
                           bool in_tau, DivergedAs diverged) {
  SurvivalData s;
  const double unit = in_tau ? eta : 1.0;
  for (const TrajectoryEscape& r : results) {
    switch (r.state) {
      case EscapeState::escaped:
        s.time.push_back(r.steps * unit);
        s.event.push_back(1);
        break;
      case EscapeState::censored:
        s.time.push_back(r.steps * unit);
        s.event.push_back(0);
        break;
      case EscapeState::diverged:
        if (diverged == DivergedAs::censored) {
          s.time.push_back(r.steps * unit);
          s.event.push_back(0);
        }
        break;
      case EscapeState::running:
        s.time.push_back(static_cast<double>(last_step) * unit);
        s.event.push_back(0);
        break;
    }
  }
  return s;
}

EscapeCounts count_escapes(const std::vector<TrajectoryEscape>& results, Index n_targets) {
  EscapeCounts c;
  c.n = static_cast<Index>(results.size());
  c.by_destination.assign(static_cast<std::size_t>(n_targets), 0);
  for (const TrajectoryEscape& r : results) {
    switch (r.state) {
      case EscapeState::escaped:
        ++c.escaped;
        if (r.destination >= 0 && r.destination < n_targets)
          ++c.by_destination[static_cast<std::size_t>(r.destination)];
        break;
      case EscapeState::censored:
        ++c.censored;
        break;
      case EscapeState::diverged:
        ++c.diverged;
        break;
      case EscapeState::running:
        ++c.running;
        break;
    }
  }
  return c;
}

EscapeSummary summarize_escapes(const EscapeTracker& tracker, double horizon_steps, DivergedAs diverged, double level) {
  EscapeSummary s;
  const double eta = tracker.spec().eta;
  s.counts = count_escapes(tracker.results(), tracker.n_targets());
  s.started_inside = tracker.started_inside();
  s.diverged_as = diverged;
  s.horizon_steps = horizon_steps;
  const SurvivalData steps = survival_data(tracker.results(), tracker.last_step(), eta, false, diverged);
  const SurvivalData tau = survival_data(tracker.results(), tracker.last_step(), eta, true, diverged);
  const double cap = static_cast<double>(std::min(tracker.spec().cap, tracker.last_step()));
  s.survival_steps = kaplan_meier(steps);
  s.mean_steps = mean_escape_time(steps, cap, level);
  s.mean_tau = mean_escape_time(tau, cap * eta, level);
  s.rate_per_step = exponential_rate(steps, level);
  s.rate_per_tau = exponential_rate(tau, level);
  s.within_horizon = escape_probability(steps, horizon_steps, level);
  return s;
}

}  // namespace sgdnoise
