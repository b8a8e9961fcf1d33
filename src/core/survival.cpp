#include "core/survival.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <boost/math/special_functions/gamma.hpp>

namespace sgdnoise {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

double normal_quantile(double p) { return boost::math::quantile(boost::math::normal(), p); }

}  // namespace

KaplanMeier kaplan_meier(const SurvivalData& data) {
  KaplanMeier km;
  const std::size_t n = data.time.size();
  km.n = static_cast<Index>(n);
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  // Increasing time; at equal times events first (they are at risk of each other, and
  // the censored ones count as at risk at that time).
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (data.time[a] != data.time[b]) return data.time[a] < data.time[b];
    return data.event[a] > data.event[b];
  });
  double S = 1.0, greenwood = 0.0;
  bool exhausted = false;
  Index at_risk = km.n;
  std::size_t i = 0;
  while (i < n) {
    const double t = data.time[order[i]];
    Index d = 0, c = 0;
    std::size_t j = i;
    while (j < n && data.time[order[j]] == t) {
      if (data.event[order[j]])
        ++d;
      else
        ++c;
      ++j;
    }
    if (d > 0) {
      S *= 1.0 - static_cast<double>(d) / static_cast<double>(at_risk);
      if (d < at_risk)
        greenwood += static_cast<double>(d) / (static_cast<double>(at_risk) * static_cast<double>(at_risk - d));
      else
        exhausted = true;
      km.time.push_back(t);
      km.at_risk.push_back(at_risk);
      km.events.push_back(d);
      km.survival.push_back(S);
      km.se.push_back(exhausted ? 0.0 : S * std::sqrt(greenwood));
    }
    km.n_events += d;
    km.n_censored += c;
    at_risk -= d + c;
    km.max_time = t;
    i = j;
  }
  return km;
}

double KaplanMeier::survival_at(double t) const {
  const auto it = std::upper_bound(time.begin(), time.end(), t);
  if (it == time.begin()) return 1.0;
  return survival[static_cast<std::size_t>(it - time.begin() - 1)];
}

double KaplanMeier::se_at(double t) const {
  const auto it = std::upper_bound(time.begin(), time.end(), t);
  if (it == time.begin()) return 0.0;
  return se[static_cast<std::size_t>(it - time.begin() - 1)];
}

MeanTime mean_escape_time(const SurvivalData& data, double cap, double level) {
  MeanTime m;
  m.ci.level = level;
  const Index n = data.size();
  for (char e : data.event)
    if (!e) ++m.n_censored;
  if (n < 2) {
    m.statement = "fewer than two trajectories: no mean escape time with an error";
    return m;
  }
  if (m.n_censored == 0) {
    const Vec t = Eigen::Map<const Vec>(data.time.data(), n);
    m.est = mean_estimate(t);
    m.est.dof = static_cast<double>(n - 1);
    m.est.method = "mean";
    const double q = boost::math::quantile(boost::math::students_t(m.est.dof), 0.5 + 0.5 * level);
    m.ci.lo = m.est.value - q * m.est.se;
    m.ci.hi = m.est.value + q * m.est.se;
    m.available = true;
    m.statement = "mean escape time over " + std::to_string(n) + " trajectories, none censored; interval mean +- t se";
    return m;
  }
  // Restricted mean survival time int_0^h S (Klein & Moeschberger 2003, sec. 4.5).
  const KaplanMeier km = kaplan_meier(data);
  const double h = std::min(cap, km.max_time);
  std::vector<double> upto;  // int_0^{t_i} S for each event time t_i <= h
  double area = 0.0, prev_t = 0.0, S = 1.0;
  std::size_t used = 0;
  for (; used < km.time.size() && km.time[used] <= h; ++used) {
    area += S * (km.time[used] - prev_t);
    upto.push_back(area);
    S = km.survival[used];
    prev_t = km.time[used];
  }
  area += S * (h - prev_t);
  double var = 0.0;
  for (std::size_t i = 0; i < used; ++i) {
    const double Ai = area - upto[i];
    const double ni = static_cast<double>(km.at_risk[i]), di = static_cast<double>(km.events[i]);
    if (ni > di) var += Ai * Ai * di / (ni * (ni - di));
  }
  m.restricted = true;
  m.restricted_to = h;
  m.est.value = area;
  m.est.se = std::sqrt(var);
  m.est.n = n;
  m.est.method = "restricted_mean";
  const double z = normal_quantile(0.5 + 0.5 * level);
  m.ci.lo = area - z * m.est.se;
  m.ci.hi = area + z * m.est.se;
  m.available = true;
  m.statement = "restricted mean escape time E min(T, h) up to h = " + std::to_string(h) + " (" +
                std::to_string(m.n_censored) + " of " + std::to_string(n) +
                " censored): a lower bound on the mean escape time, not the mean itself";
  return m;
}

RateEstimate exponential_rate(const SurvivalData& data, double level) {
  RateEstimate r;
  r.ci.level = level;
  for (std::size_t i = 0; i < data.time.size(); ++i) {
    r.exposure += data.time[i];
    if (data.event[i]) ++r.events;
  }
  if (!(r.exposure > 0.0)) {
    r.reason = "no time at risk";
    return r;
  }
  const double D = static_cast<double>(r.events), alpha = 1.0 - level;
  r.rate = D / r.exposure;
  r.se = std::sqrt(D) / r.exposure;
  r.ci.lo = r.events > 0 ? boost::math::gamma_p_inv(D, 0.5 * alpha) / r.exposure : 0.0;
  r.ci.hi = boost::math::gamma_p_inv(D + 1.0, 1.0 - 0.5 * alpha) / r.exposure;
  r.available = true;
  return r;
}

Interval wilson_interval(Index successes, Index trials, double level) {
  Interval ci;
  ci.level = level;
  if (trials <= 0) {
    ci.lo = 0.0;
    ci.hi = 1.0;
    return ci;
  }
  const double z = normal_quantile(0.5 + 0.5 * level), n = static_cast<double>(trials);
  const double p = static_cast<double>(successes) / n, z2 = z * z;
  const double denom = 1.0 + z2 / n;
  const double centre = (p + z2 / (2.0 * n)) / denom;
  const double half = z / denom * std::sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n));
  ci.lo = successes == 0 ? 0.0 : std::max(0.0, centre - half);
  ci.hi = successes == trials ? 1.0 : std::min(1.0, centre + half);
  return ci;
}

Proportion escape_probability(const SurvivalData& data, double horizon, double level) {
  Proportion pr;
  pr.trials = data.size();
  for (std::size_t i = 0; i < data.time.size(); ++i) {
    if (!data.event[i] && data.time[i] < horizon) ++pr.censored_before_horizon;
    if (data.event[i] && data.time[i] <= horizon) ++pr.successes;
  }
  if (pr.censored_before_horizon == 0) {
    pr.method = "binomial_wilson";
    pr.value = pr.trials > 0 ? static_cast<double>(pr.successes) / static_cast<double>(pr.trials) : 0.0;
    pr.ci = wilson_interval(pr.successes, pr.trials, level);
    return pr;
  }
  const KaplanMeier km = kaplan_meier(data);
  pr.method = "kaplan_meier";
  pr.value = 1.0 - km.survival_at(horizon);
  const double z = normal_quantile(0.5 + 0.5 * level), se = km.se_at(horizon);
  pr.ci.level = level;
  pr.ci.lo = std::max(0.0, pr.value - z * se);
  pr.ci.hi = std::min(1.0, pr.value + z * se);
  return pr;
}

}  // namespace sgdnoise
