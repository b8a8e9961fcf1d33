// Diverged trajectories leave every statistic (issue 20, numerical faults):
// - escaped_fraction and the escape summary censor a diverged trajectory at the step that saw
//   it diverged (Kaplan-Meier) instead of becoming undefined;
// - a trajectory whose observed value (its loss) is non-finite or beyond kValueBound diverges
//   there, so no mean is poisoned by a runaway below dynamics.divergence_bound;
// - a check with no surviving trajectory is "unavailable", never passed;
// and a check reports z against the requested prediction and after its allowance.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>

#include "analysis/checks.hpp"
#include "analysis/escape_observer.hpp"
#include "escape_test_util.hpp"
#include "io/checkpoint.hpp"
#include "io/summary.hpp"
#include "scenario/runner.hpp"
#include "test_util.hpp"

using namespace sgdnoise;

namespace {

// Escape over the saddle of L = (x_1^2 - 1)^2 + 0.01 x_2^2 / 2 at eps = 0.25 (isotropic weight
// noise): x_1 and x_2 are independent processes (separable loss, isotropic noise), and x_2
// wanders far (flat transverse direction) while x_1 stays within |x_1| < 2. With
// divergence_bound = 4 a trajectory "diverges" when |x_2| > 4: a censoring independent of
// the escape of x_1, the case where Kaplan-Meier is unbiased. The same seed without the bound
// runs the same x_1 paths uncensored.
const char* kIndependentCensoring = R"(
name = "censored_escape"
seed = 5
[loss]
kind = "double_well"
barrier = 1.0
transverse = [0.01]
[noise]
kind = "isotropic"
on = "weights"
variance = 0.005
[dynamics]
kind = "discrete"
eta = 0.01
steps = 2000
trajectories = 1500
start = [-1.0, 0.0]
max_diverged_fraction = 1.0
[observe]
every = 1
[escape]
region = "threshold"
coordinate = 0
value = 0.0
side = "above"
)";

// The 1-D quartic well at eta = 0.25 with strong noise: a trajectory thrown past the wall
// grows like x -> -eta 4 x^3, so its loss x^4 overflows (or passes 1e150) while |x| is still
// far below divergence_bound = 1e100.
const char* kRunaway = R"(
name = "runaway"
seed = 5
[loss]
kind = "double_well"
barrier = 1.0
[noise]
kind = "isotropic"
on = "weights"
variance = 0.125
[dynamics]
kind = "discrete"
eta = 0.25
steps = 60
trajectories = 600
start = [-1.0]
max_diverged_fraction = 1.0
[observe]
every = 1
)";

Experiment build(const std::string& text, const std::vector<std::string>& sets, int threads = 1) {
  return test::build_text(text, sets, threads, "divergence.toml");
}

using test::escape_observer;

std::vector<Estimate> series_of(const RunRecord& r, const std::string& name) {
  std::vector<Estimate> out;
  for (const auto& row : r.series)
    if (const Observation* o = row.find(name)) out.push_back(o->est);
  return out;
}

void expect_same_series(const RunRecord& a, const RunRecord& b) {
  ASSERT_EQ(a.series.size(), b.series.size());
  EXPECT_EQ(a.diverged_at, b.diverged_at);
  for (std::size_t i = 0; i < a.series.size(); ++i) {
    ASSERT_EQ(a.series[i].values.size(), b.series[i].values.size());
    EXPECT_EQ(a.series[i].n_alive, b.series[i].n_alive);
    for (std::size_t j = 0; j < a.series[i].values.size(); ++j) {
      const Estimate &x = a.series[i].values[j].est, &y = b.series[i].values[j].est;
      EXPECT_TRUE(x.value == y.value || (std::isnan(x.value) && std::isnan(y.value))) << i << " " << j;
      EXPECT_TRUE(x.se == y.se || (std::isnan(x.se) && std::isnan(y.se))) << i << " " << j;
      EXPECT_EQ(x.n, y.n);
    }
  }
}

}  // namespace

TEST(Divergence, EscapedFractionCensorsDivergedTrajectories) {
  const Experiment censored = build(kIndependentCensoring, {"dynamics.divergence_bound=4"});
  const RunResult rc = run_experiment(censored);
  const Experiment full = build(kIndependentCensoring, {});
  const RunResult rf = run_experiment(full);
  ASSERT_EQ(rc.record.status, RunStatus::completed);
  ASSERT_EQ(rf.record.n_diverged, 0);
  const EscapeObserver& oc = escape_observer(censored);
  // Before: the first divergence made the escape record "unavailable" and escaped_fraction NaN.
  ASSERT_TRUE(oc.available()) << oc.reason();
  const EscapeSummary s = oc.summary(2000);
  ASSERT_GT(s.counts.diverged, 100);  // diverged before escaping: censored
  EXPECT_EQ(s.counts.n, 1500);
  EXPECT_EQ(s.survival_steps.n, 1500);  // censored, not dropped
  const nlohmann::json j = summary_json(censored, rc, RunMeta{});
  EXPECT_EQ(j["escape"]["diverged_as"], "censored");
  EXPECT_EQ(j["escape"]["counts"]["diverged"], s.counts.diverged);
  EXPECT_TRUE(j["escape"]["probability_within_horizon"]["value"].is_number());

  const auto fc = series_of(rc.record, "escaped_fraction"), ff = series_of(rf.record, "escaped_fraction");
  ASSERT_EQ(fc.size(), ff.size());
  Index previous_n = 1500;
  for (std::size_t i = 0; i < fc.size(); ++i) {
    ASSERT_TRUE(std::isfinite(fc[i].value) && std::isfinite(fc[i].se)) << "k = " << i;
    // n counts the trajectories followed to k or escaped: it falls as they are censored.
    EXPECT_LE(fc[i].n, previous_n);
    previous_n = fc[i].n;
  }
  EXPECT_EQ(fc.back().n, 1500 - s.counts.diverged);
  // The same estimator as the summary's Kaplan-Meier curve, at the last step.
  EXPECT_NEAR(fc.back().value, 1.0 - s.survival_steps.survival_at(2000.0), 1e-12);
  // Unbiased under this independent censoring: against the uncensored fraction of the same
  // x_1 paths, within 5 sigma of the two standard errors combined in quadrature (conservative:
  // the two estimates share their trajectories, so their covariance is positive).
  for (const std::size_t k : {250u, 500u, 1000u, 1500u, 2000u}) {
    const double sd = std::sqrt(fc[k].se * fc[k].se + ff[k].se * ff[k].se);
    EXPECT_LE(std::abs(fc[k].value - ff[k].value), 5.0 * sd) << "k = " << k;
  }
  // Before the first divergence the estimate is the binomial one, bit for bit.
  std::int64_t first = 2000;
  for (const auto at : rc.record.diverged_at)
    if (at >= 0) first = std::min(first, at);
  ASSERT_GT(first, 1);
  for (std::int64_t k = 0; k < first; ++k) {
    EXPECT_EQ(fc[static_cast<std::size_t>(k)].value, ff[static_cast<std::size_t>(k)].value);
    EXPECT_EQ(fc[static_cast<std::size_t>(k)].se, ff[static_cast<std::size_t>(k)].se);
  }
}

TEST(Divergence, CensoredEscapeIsThreadBlockAndResumeIndependent) {
  const std::vector<std::string> sets = {"dynamics.divergence_bound=4", "dynamics.steps=600",
                                         "dynamics.trajectories=300"};
  const Experiment ref = build(kIndependentCensoring, sets);
  const RunResult rr = run_experiment(ref);
  ASSERT_GT(rr.record.n_diverged, 0);
  for (const std::string block : {"1", "7", "64"}) {
    auto s = sets;
    s.push_back("dynamics.block=" + block);
    const Experiment ex = build(kIndependentCensoring, s, 2);
    expect_same_series(rr.record, run_experiment(ex).record);
  }
  // Interrupted after some trajectories diverged, resumed from the checkpoint's bytes: the
  // Kaplan-Meier state is rebuilt from the first passages, bit for bit.
  const Experiment part = build(kIndependentCensoring, sets), resumed = build(kIndependentCensoring, sets, 2);
  int calls = 0;
  const test::InterruptedRun run =
      test::interrupt_and_resume(part, resumed, [&](const RunRecord& r) { return ++calls > 1 && r.n_diverged > 3; });
  ASSERT_EQ(run.interrupted.record.status, RunStatus::interrupted);
  const RunResult& rs = run.resumed;
  ASSERT_EQ(rs.record.status, RunStatus::completed);
  expect_same_series(rr.record, rs.record);
}

TEST(Divergence, RunawayObservedValuesDivergeAndLeaveTheMeans) {
  const Experiment ex = build(kRunaway, {});
  const RunResult r = run_experiment(ex);
  ASSERT_EQ(r.record.status, RunStatus::completed);
  ASSERT_GT(r.record.n_diverged, 0);
  // The first trajectories to diverge did so by their loss, far below the state bound: the
  // same run stopped at that step shows them finite and below 1e100.
  std::int64_t first = 60;
  for (const auto at : r.record.diverged_at)
    if (at >= 0) first = std::min(first, at);
  const Experiment cut = build(kRunaway, {"dynamics.steps=" + std::to_string(first)});
  const RunResult rc = run_experiment(cut);
  Index screened = 0;
  for (Index i = 0; i < rc.record.final_state.rows(); ++i)
    if (r.record.diverged_at[static_cast<std::size_t>(i)] == first) {
      ++screened;
      EXPECT_TRUE(rc.record.final_state.row(i).allFinite());
      EXPECT_LT(rc.record.final_state.row(i).cwiseAbs().maxCoeff(), 1e100);
    }
  EXPECT_GT(screened, 0);
  for (const auto& row : r.record.series)
    for (const auto& o : row.values) {
      SCOPED_TRACE(o.name + " at k = " + std::to_string(row.k));
      EXPECT_EQ(o.est.n, row.n_alive);
      // Before: loss_mean reached 6e225 with an infinite se, then NaN.
      EXPECT_TRUE(std::isfinite(o.est.value));
      EXPECT_TRUE(std::isfinite(o.est.se));
      if (o.name == "loss") {
        EXPECT_LE(o.est.value, kValueBound);
      }
    }
  // Thread count and block size change nothing.
  for (const std::string block : {"1", "13"}) {
    const Experiment other = build(kRunaway, {"dynamics.block=" + block}, 2);
    expect_same_series(r.record, run_experiment(other).record);
  }
}

TEST(Divergence, ScreenedValuesAreReusedOnlyForTheRowsKept) {
  ScreenedValues s;
  Vec v(4);
  v << 10, 12, 13, 15;
  s.keep(3, {0, 2, 3, 5}, v);
  const auto kept = s.take(3, {2, 5}, 2);
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ((*kept)[0], 12);
  EXPECT_EQ((*kept)[1], 15);
  EXPECT_FALSE(s.take(3, {2, 5}, 2).has_value());  // taken once
  s.keep(3, {0, 2, 3, 5}, v);
  EXPECT_FALSE(s.take(4, {2, 5}, 2).has_value());  // another step
  s.keep(3, {0, 2, 3, 5}, v);
  EXPECT_FALSE(s.take(3, {1, 2}, 2).has_value());  // a row that was not screened
  s.keep(3, {}, v);
  const auto all = s.take(3, {}, 4);
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(*all, v);
}

TEST(Divergence, ChecksWithNoSurvivorIsUnavailableNotPassed) {
  // Every trajectory diverges (eta lambda_max = 10 > 2) long before the check's step.
  const Experiment ex = build_experiment(
      Scenario::load(test::source_path("scenarios/quadratic_isotropic.toml"),
                     {"dynamics.eta=2.5", "dynamics.trajectories=64", "dynamics.steps=400", "checks.2.at_step=400"}),
      1);
  const RunResult r = run_experiment(ex);
  ASSERT_EQ(r.record.status, RunStatus::diverged);
  const CheckOutcome& c = r.checks.back();
  EXPECT_EQ(c.status, CheckStatus::unavailable);
  EXPECT_FALSE(c.passed);
  EXPECT_EQ(c.measured.n, 0);
  EXPECT_NE(c.reason.find("diverged"), std::string::npos) << c.reason;
  EXPECT_FALSE(r.all_checks_passed());
  const nlohmann::json j = summary_json(ex, r, RunMeta{});
  const auto& jc = j["checks"].back();
  // Before: "measured": {"mean": 0, "n": 0, ...} and no status.
  EXPECT_EQ(jc["status"], "unavailable");
  EXPECT_EQ(jc["measured"]["status"], "unavailable");
  EXPECT_FALSE(jc["measured"].contains("mean"));
  EXPECT_NE(jc["measured"]["reason"].get<std::string>().find("diverged"), std::string::npos);
  EXPECT_EQ(jc["passed"], false);
  EXPECT_FALSE(jc.contains("z"));
  EXPECT_EQ(j["all_checks_passed"], false);
}

TEST(Divergence, CheckReportsZAgainstThePredictionAndAfterTheAllowance) {
  Prediction p;
  p.available = true;
  p.value = 14.0;
  p.allowance = 3.96;
  Estimate m;
  m.value = 10.0;
  m.se = 0.1;
  m.n = 1000;
  const CheckOutcome c = evaluate_check("cov_trace", 400, 200.0, "continuous_stationary", 5.0, m, p);
  EXPECT_TRUE(c.passed);
  EXPECT_EQ(c.status, CheckStatus::passed);
  EXPECT_NEAR(c.z, -40.0, 1e-9);                 // against the requested prediction
  EXPECT_NEAR(c.z_after_allowance, -0.4, 1e-9);  // what decided
  EXPECT_EQ(c.decided_by(), "z_after_allowance");
  EXPECT_TRUE(c.passed_by_allowance());
  p.allowance = 0.0;
  const CheckOutcome d = evaluate_check("cov_trace", 400, 200.0, "exact", 5.0, m, p);
  EXPECT_FALSE(d.passed);
  EXPECT_EQ(d.status, CheckStatus::failed);
  EXPECT_EQ(d.decided_by(), "z");
  EXPECT_EQ(d.z, d.z_after_allowance);
  EXPECT_FALSE(d.passed_by_allowance());
}

TEST(Divergence, CheckTableSaysWhichZDecided) {
  // A discrete run checked against the continuous (OU) stationary value: far in z, passed by
  // its allowance; the table and summary.json say so.
  const std::filesystem::path dir = test::fresh_dir("check-z");
  const auto r = test::run_cli("run " + test::source_path("scenarios/stationary_cov_eta.toml") + " --out " +
                               (dir / "out").string() + " --set dynamics.trajectories=4000");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("z-allow"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("passed after its allowance"), std::string::npos) << r.output;
  const auto j = nlohmann::json::parse(test::read_text(dir / "out" / "summary.json"));
  const auto& cont = j["checks"][1];
  EXPECT_EQ(cont["prediction_kind"], "continuous_stationary");
  EXPECT_EQ(cont["decided_by"], "z_after_allowance");
  EXPECT_GT(std::abs(cont["z"].get<double>()), 5.0);
  EXPECT_LE(std::abs(cont["z_after_allowance"].get<double>()), 5.0);
  std::filesystem::remove_all(dir);
}
