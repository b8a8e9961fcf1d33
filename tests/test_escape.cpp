// Escape detection (regions, tracker, compaction, Brownian bridge) and escape-time
// statistics (Kaplan-Meier, restricted mean, exponential rate, Wilson interval).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "analysis/escape.hpp"
#include "losses/landscapes.hpp"

using namespace sgdnoise;

namespace {

Mat rows(std::initializer_list<std::initializer_list<double>> r) {
  Mat X(static_cast<Index>(r.size()), static_cast<Index>(r.begin()->size()));
  Index i = 0;
  for (const auto& row : r) {
    Index j = 0;
    for (double v : row) X(i, j++) = v;
    ++i;
  }
  return X;
}

std::shared_ptr<const Region> below(Index i, double v) {
  return std::make_shared<CoordinateThreshold>(i, v, CoordinateThreshold::Side::below);
}

}  // namespace

// ------------------------------------------------------------------------------ Regions

TEST(EscapeRegions, InsideAndMargins) {
  const Mat X = rows({{0.0, 0.0}, {0.6, 0.0}, {2.0, 2.0}, {-1.0, 0.2}});
  std::vector<char> in;
  HalfSpace hs((Vec(2) << 2.0, 0.0).finished(), 1.0);  // x >= 0.5
  hs.inside(X, in);
  EXPECT_EQ(in, (std::vector<char>{0, 1, 1, 0}));
  Vec m(4);
  hs.margin(X, m);
  EXPECT_DOUBLE_EQ(m[0], -0.5);
  EXPECT_DOUBLE_EQ(m[2], 1.5);
  Ball ball(Vec::Zero(2), 1.0);
  ball.inside(X, in);
  EXPECT_EQ(in, (std::vector<char>{1, 1, 0, 0}));
  Ball out(Vec::Zero(2), 1.0, true);
  out.inside(X, in);
  EXPECT_EQ(in, (std::vector<char>{0, 0, 1, 1}));  // |(-1, 0.2)| > 1
  CoordinateThreshold th(1, 0.1, CoordinateThreshold::Side::above);
  th.inside(X, in);
  EXPECT_EQ(in, (std::vector<char>{0, 0, 1, 1}));
  AllOf both({below(0, -0.5), below(1, -0.5)});
  both.inside(rows({{-1.0, -1.0}, {-1.0, 0.0}, {0.0, -1.0}}), in);
  EXPECT_EQ(in, (std::vector<char>{1, 0, 0}));
  auto well = std::make_shared<DoubleWell>(DoubleWell::Spec{});
  LevelSet level(well, 0.5);
  level.inside(rows({{0.0}, {1.0}, {-1.6}}), in);  // L = 1, 0, 1.9
  EXPECT_EQ(in, (std::vector<char>{1, 0, 1}));
}

TEST(EscapeRegions, EntryFractionExactOnLinearCrossings) {
  Vec f(1);
  // x >= 0.5 along (-1, 0) -> (1, 0): crossed at 3/4 of the step.
  HalfSpace hs((Vec(2) << 2.0, 0.0).finished(), 1.0);
  hs.entry_fraction(rows({{-1.0, 0.0}}), rows({{1.0, 0.0}}), f);
  EXPECT_DOUBLE_EQ(f[0], 0.75);
  // Oblique normal: the margin is affine along any segment.
  HalfSpace oblique((Vec(2) << 1.0, 2.0).finished(), 1.0);
  oblique.entry_fraction(rows({{0.0, 0.0}}), rows({{1.0, 1.0}}), f);
  EXPECT_NEAR(f[0], 1.0 / 3.0, 1e-15);
  // Ball entered and left: exact segment-sphere intersection.
  Ball ball(Vec::Zero(2), 1.0);
  ball.entry_fraction(rows({{3.0, 0.0}}), rows({{0.0, 0.0}}), f);
  EXPECT_NEAR(f[0], 2.0 / 3.0, 1e-15);
  Ball outside(Vec::Zero(2), 1.0, true);
  outside.entry_fraction(rows({{0.0, 0.0}}), rows({{4.0, 0.0}}), f);
  EXPECT_NEAR(f[0], 0.25, 1e-15);
  // Intersection: entered when the last part is entered.
  AllOf both({below(0, -0.5), below(1, -0.5)});
  both.entry_fraction(rows({{0.0, 0.0}}), rows({{-1.0, -2.0}}), f);
  EXPECT_DOUBLE_EQ(f[0], 0.5);
}

TEST(EscapeRegions, BasinByGradientFlow) {
  DoubleWell::Spec s;
  s.transverse = (Vec(1) << 2.0).finished();
  auto well = std::make_shared<DoubleWell>(s);
  std::vector<Vec> minima;
  for (const auto& m : well->minima()) minima.push_back(m.theta);
  Basin right(well, minima, 1, {20.0, 1e-2, 1e-4});
  const Mat X = rows({{-0.3, 1.0}, {0.2, -1.0}, {1.5, 0.5}, {-2.0, 0.0}, {0.0, 0.3}});
  std::vector<int> label;
  right.classify(X, label);
  // x_1 = 0 is the stable manifold of the saddle: the flow never leaves it.
  EXPECT_EQ(label, (std::vector<int>{0, 1, 1, 0, -1}));
  std::vector<char> in;
  right.inside(X, in);
  EXPECT_EQ(in, (std::vector<char>{0, 1, 1, 0, 0}));
}

// ------------------------------------------------------------------------------ Tracker

TEST(EscapeTracker, InterpolatedTimeDestinationCensoringDivergence) {
  // Two targets: x >= 0.5 (0) and x <= -0.5 (1); five trajectories in 1-D.
  std::vector<std::shared_ptr<const Region>> targets{
      std::make_shared<CoordinateThreshold>(0, 0.5, CoordinateThreshold::Side::above), below(0, -0.5)};
  EscapeTrackerSpec spec;
  spec.eta = 0.1;
  spec.cap = 5;
  EscapeTracker tr(targets, 5, spec);
  Mat X = rows({{0.0}, {0.0}, {0.0}, {0.0}, {0.7}});
  EXPECT_EQ(tr.start(0, X), 1);  // trajectory 4 starts inside target 0
  EXPECT_EQ(tr.started_inside(), 1);
  EXPECT_EQ(tr.live(), (std::vector<Index>{0, 1, 2, 3}));
  Mat Y = rows({{1.0}, {-0.25}, {0.1}, {NAN}, {9.0}});
  EXPECT_EQ(tr.update(3, 4, X, Y), 2);
  const auto& r = tr.results();
  EXPECT_EQ(r[0].state, EscapeState::escaped);
  EXPECT_EQ(r[0].destination, 0);
  EXPECT_DOUBLE_EQ(r[0].steps, 3.5);  // 0 -> 1 crosses 0.5 half way
  EXPECT_DOUBLE_EQ(r[0].tau, 0.35);
  EXPECT_TRUE(r[0].interpolated);
  EXPECT_EQ(r[3].state, EscapeState::diverged);
  EXPECT_EQ(r[4].steps, 0.0);
  EXPECT_EQ(tr.live(), (std::vector<Index>{1, 2}));
  Mat Z = rows({{0.0}, {-1.0}, {0.2}, {0.0}, {0.0}});
  EXPECT_EQ(tr.update(4, 5, Y, Z), 2);  // 1 escapes to target 1, 2 is censored at the cap
  EXPECT_EQ(r[1].destination, 1);
  EXPECT_DOUBLE_EQ(r[1].steps, 4.0 + 0.25 / 0.75);
  EXPECT_EQ(r[2].state, EscapeState::censored);
  EXPECT_EQ(r[2].steps, 5.0);
  EXPECT_EQ(tr.n_running(), 0);
  const EscapeCounts c = count_escapes(r, 2);
  EXPECT_EQ(c.escaped, 3);
  EXPECT_EQ(c.censored, 1);
  EXPECT_EQ(c.diverged, 1);
  EXPECT_EQ(c.by_destination, (std::vector<Index>{2, 1}));
}

TEST(EscapeTracker, CompactedAndFullLayoutsAgree) {
  // A random walk in 1-D with exits at +-1; the same walk tracked with all rows and
  // with compaction must give identical results.
  std::vector<std::shared_ptr<const Region>> targets{
      std::make_shared<CoordinateThreshold>(0, 1.0, CoordinateThreshold::Side::above), below(0, -1.0)};
  const Index N = 64;
  EscapeTrackerSpec full_spec;
  full_spec.cap = 200;
  EscapeTrackerSpec live_spec = full_spec;
  live_spec.layout = RowLayout::live_rows;
  EscapeTracker full(targets, N, full_spec), live(targets, N, live_spec);
  std::mt19937_64 g(3);
  std::normal_distribution<double> nd(0.0, 0.2);
  Mat X = Mat::Zero(N, 1), C = X;
  full.start(0, X);
  live.start(0, C);
  for (std::int64_t k = 0; k < 200 && live.n_running() > 0; ++k) {
    Mat Xn = X;
    for (Index i = 0; i < N; ++i) Xn(i, 0) += nd(g);
    // The compacted ensemble holds the live trajectories' rows of the full one.
    Mat Cn(static_cast<Index>(live.live().size()), 1);
    for (std::size_t p = 0; p < live.live().size(); ++p) Cn(static_cast<Index>(p), 0) = Xn(live.live()[p], 0);
    full.update(k, k + 1, X, Xn);
    live.update(k, k + 1, C, Cn);
    live.compact(Cn);
    EXPECT_EQ(Cn.rows(), live.n_running());
    EXPECT_EQ(full.live(), live.live());
    X = Xn;
    C = Cn;
  }
  for (Index i = 0; i < N; ++i) {
    EXPECT_EQ(full.results()[i].state, live.results()[i].state);
    EXPECT_EQ(full.results()[i].steps, live.results()[i].steps);
    EXPECT_EQ(full.results()[i].destination, live.results()[i].destination);
  }
  // A stale (uncompacted) ensemble is refused.
  EscapeTracker t2(targets, 2, live_spec);
  Mat A = rows({{0.0}, {0.0}}), B = rows({{2.0}, {0.0}});
  t2.update(0, 1, A, B);
  EXPECT_THROW(t2.update(1, 2, B, B), std::invalid_argument);
}

TEST(EscapeTracker, ObserveEveryStepMatchesUpdate) {
  std::vector<std::shared_ptr<const Region>> targets{std::make_shared<HalfSpace>((Vec(2) << 1.0, 1.0).finished(), 1.0)};
  EscapeTracker a(targets, 3, {}), b(targets, 3, {});
  Mat X0 = Mat::Zero(3, 2), X1 = rows({{0.2, 0.2}, {1.0, 1.0}, {0.0, 0.1}}),
      X2 = rows({{0.6, 0.6}, {0.0, 0.0}, {0.0, 0.2}});
  a.observe(0, X0);
  a.observe(1, X1);
  a.observe(2, X2);
  b.start(0, X0);
  b.update(0, 1, X0, X1);
  b.update(1, 2, X1, X2);
  for (Index i = 0; i < 3; ++i) EXPECT_EQ(a.results()[i].steps, b.results()[i].steps);
  EXPECT_NEAR(a.results()[1].steps, 0.5, 1e-15);
  EXPECT_NEAR(a.results()[0].steps, 1.0 + (1.0 - 0.4) / (1.2 - 0.4), 1e-14);
  EXPECT_EQ(a.censor_running(2), 1);
  EXPECT_EQ(a.results()[2].state, EscapeState::censored);
}

// ------------------------------------------------------------------------ Brownian bridge

TEST(EscapeBridge, CrossingProbabilityAgainstMonteCarlo) {
  // Discretely monitored bridges miss crossings between monitoring points; to first order
  // they see a barrier shifted by beta sigma sqrt(h), beta = 0.5826 (Broadie, Glasserman &
  // Kou 1997), which the comparison includes.
  const double a = 0.5, b = 0.6, s2dt = 1.0;
  const int M = 1000, paths = 20000;
  std::mt19937_64 g(11);
  std::normal_distribution<double> nd;
  std::vector<double> w(M + 1);
  int crossed = 0;
  const double sd = std::sqrt(s2dt / M);
  for (int p = 0; p < paths; ++p) {
    w[0] = 0.0;
    for (int k = 1; k <= M; ++k) w[k] = w[k - 1] + sd * nd(g);
    bool hit = false;
    for (int k = 1; k < M && !hit; ++k) {
      const double t = static_cast<double>(k) / M;
      hit = a + (b - a) * t + w[k] - t * w[M] <= 0.0;
    }
    crossed += hit;
  }
  const double phat = static_cast<double>(crossed) / paths, se = std::sqrt(phat * (1 - phat) / paths);
  const double shift = 0.5826 * sd;
  const double expected = bridge_crossing_probability(a + shift, b + shift, s2dt);
  EXPECT_NEAR(phat, expected, 4 * se + 2e-3);
  EXPECT_GT(std::abs(phat - bridge_crossing_probability(a, b, s2dt)), 4 * se);  // the shift is resolved
  EXPECT_EQ(bridge_crossing_probability(-0.1, 0.3, 1.0), 1.0);
}

TEST(EscapeBridge, ComposesOverSubintervals) {
  // Markov property: a bridge sampled at 7 interior points and tested on each of the 8
  // sub-bridges crosses with the same probability as the whole bridge; averaging
  // 1 - prod(1 - p_k) has no discretisation bias.
  const double a = 0.4, b = 0.9, s2dt = 0.5;
  const int M = 8, paths = 40000;
  std::mt19937_64 g(5);
  std::normal_distribution<double> nd;
  double sum = 0.0, sum2 = 0.0;
  std::vector<double> w(M + 1), x(M + 1);
  for (int p = 0; p < paths; ++p) {
    w[0] = 0.0;
    for (int k = 1; k <= M; ++k) w[k] = w[k - 1] + std::sqrt(s2dt / M) * nd(g);
    for (int k = 0; k <= M; ++k) {
      const double t = static_cast<double>(k) / M;
      x[k] = a + (b - a) * t + w[k] - t * w[M];
    }
    double survive = 1.0;
    for (int k = 0; k < M; ++k) survive *= 1.0 - bridge_crossing_probability(x[k], x[k + 1], s2dt / M);
    sum += 1.0 - survive;
    sum2 += (1.0 - survive) * (1.0 - survive);
  }
  const double mean = sum / paths, se = std::sqrt((sum2 / paths - mean * mean) / paths);
  EXPECT_NEAR(mean, bridge_crossing_probability(a, b, s2dt), 4 * se);
}

TEST(EscapeBridge, TrackerUsesTheCallersUniforms) {
  std::vector<std::shared_ptr<const Region>> targets{below(0, 0.0)};
  EscapeTracker t(targets, 3, {});
  const Mat B = rows({{0.1}, {0.1}, {3.0}}), A = rows({{0.1}, {0.1}, {3.0}});
  const Vec u = (Vec(3) << 0.5, 0.99, 0.5).finished();  // p = exp(-0.02) ~ 0.980 for rows 0, 1
  EXPECT_EQ(t.update_with_bridge(0, 1, B, A, 1.0, u), 1);
  EXPECT_EQ(t.results()[0].state, EscapeState::escaped);
  EXPECT_TRUE(t.results()[0].by_bridge);
  EXPECT_DOUBLE_EQ(t.results()[0].steps, 0.5);
  EXPECT_EQ(t.results()[1].state, EscapeState::running);
  EXPECT_EQ(t.results()[2].state, EscapeState::running);  // p = exp(-18)
}

// --------------------------------------------------------------------------- Statistics

TEST(EscapeStatistics, KaplanMeierHandExample) {
  // Times 1, 2, 2, 3+, 4, 5+, 6 (+ censored).
  SurvivalData d{{1, 2, 2, 3, 4, 5, 6}, {1, 1, 1, 0, 1, 0, 1}};
  const KaplanMeier km = kaplan_meier(d);
  ASSERT_EQ(km.time, (std::vector<double>{1, 2, 4, 6}));
  EXPECT_EQ(km.at_risk, (std::vector<Index>{7, 6, 3, 1}));
  EXPECT_EQ(km.events, (std::vector<Index>{1, 2, 1, 1}));
  EXPECT_NEAR(km.survival[0], 6.0 / 7.0, 1e-15);
  EXPECT_NEAR(km.survival[1], 4.0 / 7.0, 1e-15);
  EXPECT_NEAR(km.survival[2], 8.0 / 21.0, 1e-15);
  EXPECT_EQ(km.survival[3], 0.0);
  // Greenwood: S^2 sum d/(n(n-d)) = (8/21)^2 (1/42 + 1/12 + 1/6).
  EXPECT_NEAR(km.se[0], 6.0 / 7.0 * std::sqrt(1.0 / 42.0), 1e-15);
  EXPECT_NEAR(km.se[2], 8.0 / 21.0 * std::sqrt(23.0 / 84.0), 1e-15);
  EXPECT_EQ(km.se[3], 0.0);
  EXPECT_EQ(km.n_censored, 2);
  EXPECT_EQ(km.survival_at(0.5), 1.0);
  EXPECT_NEAR(km.survival_at(3.5), 4.0 / 7.0, 1e-15);
  // Events precede censorings at the same time: at t = 3 one event and one censoring.
  const KaplanMeier tie = kaplan_meier({{3, 3, 5}, {0, 1, 1}});
  EXPECT_EQ(tie.at_risk[0], 3);
  EXPECT_NEAR(tie.survival[0], 2.0 / 3.0, 1e-15);
  // Restricted mean up to 6: 1 + 6/7 + 2 (4/7) + 2 (8/21) = 79/21.
  const MeanTime mt = mean_escape_time(d, 6.0);
  EXPECT_TRUE(mt.restricted);
  EXPECT_EQ(mt.est.method, "restricted_mean");
  EXPECT_NEAR(mt.est.value, 79.0 / 21.0, 1e-14);
  EXPECT_EQ(mt.n_censored, 2);
  EXPECT_GT(mt.est.se, 0.0);
}

TEST(EscapeStatistics, MeanWithoutCensoringAndRestrictedMeanAtTheCap) {
  SurvivalData d{{1.0, 2.0, 4.0, 5.0}, {1, 1, 1, 1}};
  const MeanTime m = mean_escape_time(d, 10.0);
  EXPECT_FALSE(m.restricted);
  EXPECT_DOUBLE_EQ(m.est.value, 3.0);
  const double se = std::sqrt(10.0 / 3.0 / 4.0);
  EXPECT_NEAR(m.est.se, se, 1e-14);
  EXPECT_NEAR(m.ci.hi - 3.0, 3.182446305284263 * se, 1e-9);  // t_{3, 0.975}
  // Censoring only at the cap: the restricted mean is the sample mean of min(T, cap).
  std::mt19937_64 g(2);
  std::exponential_distribution<double> ex(0.3);
  SurvivalData c;
  double sum = 0.0;
  for (int i = 0; i < 500; ++i) {
    const double t = ex(g);
    c.time.push_back(std::min(t, 4.0));
    c.event.push_back(t <= 4.0);
    sum += std::min(t, 4.0);
  }
  const MeanTime r = mean_escape_time(c, 4.0);
  EXPECT_TRUE(r.restricted);
  EXPECT_NEAR(r.est.value, sum / 500.0, 1e-12);
  EXPECT_EQ(r.restricted_to, 4.0);
}

TEST(EscapeStatistics, ExponentialRateWithCensoring) {
  const double rate = 0.5;
  std::mt19937_64 g(7);
  std::exponential_distribution<double> ex(rate);
  std::uniform_real_distribution<double> cu(0.0, 6.0);
  SurvivalData d;
  for (int i = 0; i < 4000; ++i) {
    const double t = ex(g), c = std::min(cu(g), 3.0);
    d.time.push_back(std::min(t, c));
    d.event.push_back(t <= c);
  }
  const RateEstimate r = exponential_rate(d);
  ASSERT_TRUE(r.available);
  EXPECT_NEAR(r.rate, rate, 5 * r.se);
  EXPECT_LT(r.events, 4000);  // there was censoring
  EXPECT_LT(r.ci.lo, r.rate);
  EXPECT_GT(r.ci.hi, r.rate);
  // Garwood's interval with no event: [0, -ln(0.025) / E].
  const RateEstimate none = exponential_rate({{1.0, 1.0}, {0, 0}});
  EXPECT_EQ(none.ci.lo, 0.0);
  EXPECT_NEAR(none.ci.hi, -std::log(0.025) / 2.0, 1e-12);
}

TEST(EscapeStatistics, WilsonIntervalKnownValues) {
  // Newcombe (1998), Table I, method 3 (Wilson score without continuity correction).
  struct Case {
    Index x, n;
    double lo, hi;
  };
  for (const Case& c : {Case{81, 263, 0.2553, 0.3662}, Case{15, 148, 0.0624, 0.1605}, Case{0, 20, 0.0, 0.1611},
                        Case{1, 29, 0.0061, 0.1718}}) {
    const Interval w = wilson_interval(c.x, c.n);
    EXPECT_NEAR(w.lo, c.lo, 5e-5) << c.x << "/" << c.n;
    EXPECT_NEAR(w.hi, c.hi, 5e-5) << c.x << "/" << c.n;
  }
  const Interval all = wilson_interval(10, 10);
  EXPECT_EQ(all.hi, 1.0);
}

TEST(EscapeStatistics, ProbabilityWithinHorizonNeverDropsCensored) {
  SurvivalData d{{1, 2, 8, 9, 10}, {1, 1, 1, 0, 0}};
  const Proportion p = escape_probability(d, 5.0);
  EXPECT_EQ(p.method, "binomial_wilson");
  EXPECT_EQ(p.successes, 2);
  EXPECT_EQ(p.trials, 5);
  SurvivalData e{{1, 2, 3, 9, 10}, {1, 1, 0, 0, 0}};
  const Proportion q = escape_probability(e, 5.0);
  EXPECT_EQ(q.method, "kaplan_meier");
  EXPECT_EQ(q.censored_before_horizon, 1);
  EXPECT_NEAR(q.value, 1.0 - 4.0 / 5.0 * 3.0 / 4.0, 1e-15);
}

TEST(EscapeStatistics, SummaryOfATracker) {
  std::vector<std::shared_ptr<const Region>> targets{
      std::make_shared<CoordinateThreshold>(0, 1.0, CoordinateThreshold::Side::above)};
  EscapeTrackerSpec spec;
  spec.eta = 0.5;
  spec.cap = 3;
  EscapeTracker t(targets, 4, spec);
  Mat X = Mat::Zero(4, 1);
  t.start(0, X);
  Mat Y = rows({{2.0}, {0.0}, {NAN}, {0.0}});
  t.update(0, 1, X, Y);
  Mat Z = rows({{0.0}, {1.0}, {0.0}, {0.5}});
  t.update(1, 2, Y, Z);
  t.update(2, 3, Z, Z);
  const EscapeSummary s = summarize_escapes(t, 3.0);
  EXPECT_EQ(s.counts.escaped, 2);
  EXPECT_EQ(s.counts.diverged, 1);
  EXPECT_EQ(s.counts.censored, 1);
  EXPECT_TRUE(s.mean_steps.restricted);
  EXPECT_EQ(s.survival_steps.n, 4);  // the diverged one is censored, not dropped
  EXPECT_NEAR(s.rate_per_tau.rate, s.rate_per_step.rate / 0.5, 1e-14);
  EXPECT_NEAR(s.mean_tau.est.value, 0.5 * s.mean_steps.est.value, 1e-14);
  // exposure in steps: 0.5 + 2 + 1 (diverged at step 1) + 3 = 6.5, 2 events.
  EXPECT_NEAR(s.rate_per_step.rate, 2.0 / 6.5, 1e-14);
}
