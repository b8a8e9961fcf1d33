// Results are bitwise identical for any thread count and any block size
// (docs/conventions.md, determinism). Block sizes 1, 3, 7 and 13 move trajectories
// between the vectorized body and the scalar remainder of every loop.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "scenario/runner.hpp"
#include "test_util.hpp"

using namespace sgdnoise;

namespace {
// The shipped scenario with its noise table replaced by `noise` (TOML lines) when given.
RunRecord run_with(const std::string& file, int threads, Index block, const std::vector<std::string>& sets = {},
                   const std::string& noise = "") {
  std::vector<std::string> all = sets;
  all.push_back("dynamics.trajectories=301");
  std::ifstream in(test::source_path(file));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (!noise.empty()) {
    const auto a = text.find("[noise]"), b = text.find("[dynamics]");
    text.replace(a, b - a, "[noise]\n" + noise + "\n");
  }
  Experiment ex = build_experiment(Scenario::parse(text, file, all), threads);
  ex.spec.block = block;
  return run_experiment(ex).record;
}

void expect_identical(const RunRecord& a, const RunRecord& b) {
  ASSERT_EQ(a.series.size(), b.series.size());
  for (std::size_t i = 0; i < a.series.size(); ++i) {
    ASSERT_EQ(a.series[i].values.size(), b.series[i].values.size());
    for (std::size_t j = 0; j < a.series[i].values.size(); ++j) {
      EXPECT_EQ(a.series[i].values[j].est.value, b.series[i].values[j].est.value);
      EXPECT_EQ(a.series[i].values[j].est.se, b.series[i].values[j].est.se);
    }
  }
  // Bitwise: compare the representation, so -0.0 and NaN payloads count too.
  ASSERT_EQ(a.final_state.size(), b.final_state.size());
  EXPECT_EQ(0, std::memcmp(a.final_state.data(), b.final_state.data(), sizeof(double) * a.final_state.size()));
}
}  // namespace

TEST(Determinism, ThreadsAndBlockSizesGiveIdenticalResults) {
  struct Variant {
    std::vector<std::string> sets;
    std::string noise;
  };
  const std::vector<Variant> variants = {{{}, ""},
                                         {{}, "kind = \"diagonal\"\nvariances = [1,2,3,4,5,6,7,8,9,10]"},
                                         {{"dynamics.kind=sde_euler_maruyama", "dynamics.substeps=3"}, ""},
                                         {{"loss.basis=axis", "noise.on=weights"}, ""},
                                         {{"dynamics.optimizer=adam", "dynamics.weight_decay=0.01"}, ""},
                                         {{"dynamics.optimizer=momentum"}, ""}};
  for (const auto& v : variants) {
    const RunRecord ref = run_with("scenarios/quadratic_isotropic.toml", 1, 256, v.sets, v.noise);
    for (int threads : {1, 2})
      for (Index block : {1, 3, 7, 13, 64, 301}) {
        SCOPED_TRACE("threads " + std::to_string(threads) + " block " + std::to_string(block));
        expect_identical(ref, run_with("scenarios/quadratic_isotropic.toml", threads, block, v.sets, v.noise));
      }
  }
}

TEST(Determinism, SeedChangesResults) {
  const RunRecord a = run_with("scenarios/quadratic_isotropic.toml", 1, 64);
  const RunRecord b = run_with("scenarios/quadratic_isotropic.toml", 1, 64, {"seed=2"});
  EXPECT_NE(a.final_state, b.final_state);
}
