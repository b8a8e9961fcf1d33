// The result assembler (scenario/report.hpp): a run's numbers are computed when the run ends and
// io/summary.cpp only serializes them, so the summary's numbers are exactly the report's.
#include <gtest/gtest.h>

#include <cmath>

#include "io/summary.hpp"
#include "scenario/experiment.hpp"
#include "scenario/runner.hpp"

using namespace sgdnoise;

namespace {
const char* kWell = R"(name = "report"
[loss]
kind = "double_well"
transverse = [4.0]
[noise]
kind = "isotropic"
on = "weights"
variance = 0.01
[dynamics]
kind = "discrete"
eta = 0.01
steps = 20
trajectories = 16
start = [-1.0, 0.0]
[escape]
region = "ball"
centre = [1.0, 0.0]
radius = 0.5
)";

struct Ran {
  Experiment ex;
  RunResult r;
  nlohmann::json summary;
};

Ran run(const char* text, const std::vector<std::string>& sets) {
  Ran out{build_experiment(Scenario::parse(text, "report.toml", sets), 1), {}, {}};
  out.r = run_experiment(out.ex);
  out.summary = summary_json(out.ex, out.r, {});
  return out;
}
}  // namespace

// Non-reversible isotropic noise on a preconditioned-free 2-D well: the report holds the gMAM
// exponent and path; the summary states the same numbers, bit for bit.
TEST(Report, EscapePredictionIsComputedBeforeSerialization) {
  const Ran a = run(kWell, {});
  ASSERT_TRUE(a.r.report.escape.has_value());
  const EscapePredictions& p = a.r.report.escape->predictions;
  ASSERT_EQ(p.kind, EscapePredictions::Kind::eyring_kramers);
  const BarrierRateReport& b = p.eyring_kramers;
  const auto& j = a.summary["escape"]["predictions"]["eyring_kramers"];
  // D = 0.01 / 0.01 I = I = 2 eps I with eps = 0.5 and M = I: reversible, Eyring-Kramers applies.
  ASSERT_EQ(b.status, BarrierRateReport::Status::predicted) << j.dump();
  EXPECT_EQ(j["rate_tau"].get<double>(), b.multiple * b.k.rate);
  EXPECT_EQ(j["barrier"].get<double>(), b.barrier);
  EXPECT_EQ(j["target"], b.target);

  // Anisotropic weight noise of another shape: not reversible, the exponent from gMAM.
  const Ran n = run(kWell, {"noise.kind=\"diagonal\"", "noise.variances=[0.004, 0.016]"});
  const BarrierRateReport& q = n.r.report.escape->predictions.eyring_kramers;
  const auto& jq = n.summary["escape"]["predictions"]["eyring_kramers"];
  ASSERT_EQ(q.status, BarrierRateReport::Status::exponent_only) << jq.dump();
  ASSERT_TRUE(q.has_path);
  EXPECT_EQ(jq["gmam"]["points"].get<Index>(), q.path.path.rows());
  EXPECT_EQ(jq["barrier_over_eps"].get<double>(), q.q.barrier_over_eps);
  EXPECT_EQ(jq["gmam"]["path"].size(), static_cast<std::size_t>(q.path.path.rows()));
  EXPECT_EQ(jq["gmam"]["path"][1][0].get<double>(), q.path.path(1, 0));
}

// The start point, indicators and the final covariance are in the report as numbers.
TEST(Report, StartIndicatorsAndCovarianceAreInTheReport) {
  const Ran a = run(kWell, {});
  const RunReport& rep = a.r.report;
  ASSERT_TRUE(rep.start && rep.indicators && rep.final_covariance);
  EXPECT_EQ(a.summary["start"]["loss"].get<double>(), rep.start->loss);
  EXPECT_EQ(a.summary["indicators"]["trace_H_C"].get<double>(), rep.indicators->ind.trace_H_C);
  ASSERT_TRUE(rep.final_covariance->empirical.has_value());
  EXPECT_EQ(a.summary["final_covariance"]["empirical"][0][1].get<double>(), (*rep.final_covariance->empirical)(0, 1));
  EXPECT_EQ(rep.final_covariance->n, 16);
  EXPECT_EQ(rep.diverged, 0);
  EXPECT_EQ(rep.first_diverged_at, -1);
}
