// Every shipped scenario validates, and its checks pass (the same as
// `sgdnoise check scenarios/*.toml`); the generated docs are up to date.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "scenario/runner.hpp"
#include "scenario/schema.hpp"
#include "test_util.hpp"

using namespace sgdnoise;

namespace {
// The shipped scenarios (scenarios/*.toml), one test each so that ctest -j runs them side by side.
// Hidden files are not shipped: sgdnoise.sweep writes a transient .sgdnoise-sweep-PID.toml beside
// the scenario it sweeps (so that its relative paths resolve), which a test run beside it may see.
std::vector<std::string> shipped_scenarios() {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(test::source_path("scenarios")))
    if (e.path().extension() == ".toml" && e.path().filename().string().front() != '.')
      names.push_back(e.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

class ShippedScenario : public ::testing::TestWithParam<std::string> {};
}  // namespace

TEST_P(ShippedScenario, AllChecksPass) {
  const Experiment ex = build_experiment(Scenario::load(test::source_path("scenarios/" + GetParam() + ".toml")), 2);
  const RunResult r = run_experiment(ex);
  ASSERT_EQ(r.record.status, RunStatus::completed) << r.record.failure;
  for (const auto& c : r.checks) EXPECT_TRUE(c.passed) << c.result << " at k=" << c.k << ": " << c.reason;
}

INSTANTIATE_TEST_SUITE_P(ShippedScenarios, ShippedScenario, ::testing::ValuesIn(shipped_scenarios()),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

TEST(ShippedScenarios, AtLeastFiveAreShipped) { EXPECT_GE(shipped_scenarios().size(), 5u); }

TEST(ShippedScenarios, GeneratedDocsAreCurrent) {
  std::ifstream in(test::source_path("docs/scenarios.md"));
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), schema_markdown()) << "regenerate with: ./build/sgdnoise list --markdown > docs/scenarios.md";
}

// A stationary check on a scheme without a stationary solution fails with that
// reason, while the run itself completes (edge of stability).
TEST(ShippedScenarios, MissingStationarySolutionFailsTheCheckNotTheRun) {
  const Experiment ex =
      build_experiment(Scenario::load(test::source_path("scenarios/quadratic_fullcov_d100.toml"),
                                      {"dynamics.eta=2.5", "dynamics.trajectories=64", "dynamics.steps=20",
                                       "checks.3.at_step=20", "checks.4.at_step=20", "checks.5.at_step=20",
                                       "checks.0.at_step=20", "checks.1.at_step=20", "checks.2.at_step=20"}),
                       1);
  const RunResult r = run_experiment(ex);
  EXPECT_EQ(r.record.status, RunStatus::completed);
  bool saw = false;
  for (const auto& c : r.checks)
    if (c.prediction_kind == "discrete_stationary") {
      EXPECT_FALSE(c.passed);
      EXPECT_NE(c.reason.find("outside (0, 2)"), std::string::npos) << c.reason;
      saw = true;
    }
  EXPECT_TRUE(saw);
}
