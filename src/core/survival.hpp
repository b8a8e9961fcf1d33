#pragma once
// Statistics of right-censored times (survival analysis): the Kaplan-Meier estimate with
// Greenwood's variance, the (restricted) mean time, the exponential rate with its exact
// Gamma/Poisson interval, and the Wilson interval for a proportion. The escape summaries
// (analysis/escape.hpp) apply them to first-passage times; nothing here knows about escapes.
#include <string>
#include <vector>

#include "core/stats.hpp"
#include "core/types.hpp"

namespace sgdnoise {

/// Right-censored survival data: one time per trajectory; event 1 = escaped, 0 = censored.
struct SurvivalData {
  std::vector<double> time;
  std::vector<char> event;
  Index size() const { return static_cast<Index>(time.size()); }
};

struct Interval {
  double lo = 0.0, hi = 0.0, level = 0.95;
};

/// Kaplan-Meier product-limit estimate (Kaplan & Meier 1958) with Greenwood's variance
/// Var S(t) = S(t)^2 sum_{t_i <= t} d_i / (n_i (n_i - d_i)) (Greenwood 1926; Klein &
/// Moeschberger 2003, eq. 4.2.2). Events at a time precede censorings at the same time.
/// Where n_i = d_i (everyone left at risk escapes) S drops to 0 and its se is 0.
struct KaplanMeier {
  std::vector<double> time;      // distinct event times, increasing
  std::vector<Index> at_risk;    // n_i
  std::vector<Index> events;     // d_i
  std::vector<double> survival;  // S just after time[i]
  std::vector<double> se;        // Greenwood standard error of survival[i]
  Index n = 0, n_events = 0, n_censored = 0;
  double max_time = 0.0;  // the largest time observed (event or censoring)
  /// S(t) and its se (right-continuous step function; S = 1 before the first event).
  double survival_at(double t) const;
  double se_at(double t) const;
};
KaplanMeier kaplan_meier(const SurvivalData& data);

/// Mean escape time. Nothing censored: the sample mean, se s/sqrt(n), interval
/// mean +- t_{n-1} se. Anything censored: the restricted mean survival time
/// int_0^h S(t) dt up to h = min(cap, largest time observed), which is E min(T, h) and
/// not E T (Klein & Moeschberger 2003, sec. 4.5), with its se
/// sqrt(sum_i A_i^2 d_i / (n_i (n_i - d_i))), A_i = int_{t_i}^h S, and a normal interval.
struct MeanTime {
  bool available = false;
  Estimate est;  // est.method: "mean" or "restricted_mean"
  Interval ci;
  bool restricted = false;
  double restricted_to = 0.0;
  Index n_censored = 0;
  std::string statement;  // what was estimated, in words
};
MeanTime mean_escape_time(const SurvivalData& data, double cap, double level = 0.95);

/// Escape rate for exponential escape times under right censoring: the MLE
/// k = D / E (D events, E total time at risk of all trajectories), se sqrt(D)/E, and the
/// exact Poisson (Garwood 1936) interval [chi2_{2D}(a/2)/(2E), chi2_{2D+2}(1-a/2)/(2E)],
/// i.e. Gamma quantiles (Cox & Oakes 1984, sec. 3.2).
struct RateEstimate {
  bool available = false;
  double rate = 0.0, se = 0.0;
  Index events = 0;
  double exposure = 0.0;
  Interval ci;
  std::string method = "exponential_mle";
  std::string reason;
};
RateEstimate exponential_rate(const SurvivalData& data, double level = 0.95);

/// Wilson score interval for a binomial proportion (Wilson 1927; Newcombe 1998, method 3).
Interval wilson_interval(Index successes, Index trials, double level = 0.95);

/// Probability of escaping by `horizon`. When no trajectory was censored before the
/// horizon: successes / n with the Wilson interval ("binomial_wilson"). Otherwise:
/// 1 - S_KM(horizon) with a normal Greenwood interval clipped to [0, 1] ("kaplan_meier").
struct Proportion {
  double value = 0.0;
  Index successes = 0, trials = 0;
  Index censored_before_horizon = 0;
  Interval ci;
  std::string method;
};
Proportion escape_probability(const SurvivalData& data, double horizon, double level = 0.95);

}  // namespace sgdnoise
