// The shipped scenario's checks pass, and a simulator with a factor-2 error in
// the noise variance fails them: the checks have power, not just coverage.
#include <gtest/gtest.h>

#include "noise/gaussian.hpp"
#include "scenario/runner.hpp"
#include "test_util.hpp"

using namespace sgdnoise;

TEST(ScenarioChecks, ShippedFirstSliceScenarioPasses) {
  const Experiment ex = build_experiment(Scenario::load(test::source_path("scenarios/quadratic_isotropic.toml")), 2);
  const RunResult r = run_experiment(ex);
  ASSERT_EQ(r.record.status, RunStatus::completed);
  ASSERT_FALSE(r.checks.empty());
  for (const auto& c : r.checks) EXPECT_TRUE(c.passed) << c.result << " at k=" << c.k << ": " << c.reason;
}

TEST(ScenarioChecks, FactorTwoNoiseErrorIsDetected) {
  Experiment ex = build_experiment(Scenario::load(test::source_path("scenarios/quadratic_isotropic.toml")), 2);
  // Simulate with twice the variance while the predictions keep the scenario's noise.
  const auto& g = dynamic_cast<const GaussianNoise&>(*ex.noise);
  auto wrong = std::make_shared<GaussianNoise>(GaussianNoise::isotropic(g.dim(), 2.0 * g.S()(0, 0), g.target()));
  const auto right = ex.noise;
  ex.stepper = std::make_unique<NoisyGD>(ex.loss, wrong, ex.stepper->eta());
  const RunResult r = run_experiment(ex);
  int failed = 0;
  for (const auto& c : r.checks) failed += !c.passed;
  // At the later checks the noise term dominates E L_k: every one of them must fail.
  EXPECT_GE(failed, 2);
  EXPECT_FALSE(r.all_checks_passed());
}
