// Fresh data per repeat (loss.fresh_data, losses/loss_instances.hpp): one group is the
// single-instance run bit for bit; trajectory t of a grouped run is trajectory t of the
// single-instance run on its group's data seed (replay), through run_ensemble and through
// the compacting escape run; thread count and block size change nothing; and the
// combinations that compare with one instance are refused with the key named.
#include <gtest/gtest.h>

#include <cstring>

#include "analysis/escape_run.hpp"
#include "dynamics/grouped_stepper.hpp"
#include "scenario/runner.hpp"
#include "expect_input_error.hpp"

using namespace sgdnoise;

namespace {

// Paper 3's 2-D toy with a state-dependent GLD noise computed from the loss's data and
// Hessian (docs/theory.md 4.4A), short; or least squares with SGD sampling noise.
std::string toy(const std::string& noise_type = "hessian") {
  return R"(
name = "fresh"
seed = 7
[loss]
kind = "sharp_flat_2d"
samples = 20
data_seed = 3
[noise]
kind = "gld"
type = ")" +
         noise_type + R"("
on = "weights"
trace = 0.05
k = 2
[dynamics]
kind = "discrete"
eta = 0.005
steps = 40
trajectories = 23
start = [1.0, 1.0]
[observe]
every = 10
[escape]
region = "half_space"
normal = [-1.0, -1.0]
offset = -1.6
)";
}

const char* kLeastSquares = R"(
name = "fresh_ls"
seed = 11
[loss]
kind = "least_squares"
dim = 3
samples = 12
test_samples = 5
data_seed = 5
[noise]
kind = "sgd"
batch = 2
sampling = "without_replacement"
[dynamics]
kind = "discrete"
eta = 0.1
steps = 15
trajectories = 19
start = [0.5, -0.5, 1.0]
[observe]
every = 5
)";

Experiment build(const std::string& text, const std::vector<std::string>& sets, int threads = 1, Index block = 256) {
  Experiment ex = build_experiment(Scenario::parse(text, "fresh.toml", sets), threads);
  ex.spec.block = block;
  return ex;
}

bool same_bits(const Mat& a, const Mat& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::memcmp(a.data(), b.data(), sizeof(double) * static_cast<std::size_t>(a.size())) == 0;
}

void expect_identical(const RunRecord& a, const RunRecord& b) {
  ASSERT_EQ(a.series.size(), b.series.size());
  for (std::size_t i = 0; i < a.series.size(); ++i) {
    ASSERT_EQ(a.series[i].values.size(), b.series[i].values.size());
    for (std::size_t j = 0; j < a.series[i].values.size(); ++j) {
      EXPECT_EQ(a.series[i].values[j].est.value, b.series[i].values[j].est.value) << a.series[i].values[j].name;
      EXPECT_EQ(a.series[i].values[j].est.se, b.series[i].values[j].est.se) << a.series[i].values[j].name;
    }
  }
  EXPECT_TRUE(same_bits(a.final_state, b.final_state));
}

std::string data_seed_set(std::uint64_t seed) { return "loss.data_seed=" + std::to_string(seed); }

// Checks trajectory by trajectory that a grouped run is the single-instance runs on the
// groups' data seeds, and that the observed loss is the mean of each trajectory's own loss.
void expect_replays(const std::string& text, std::uint64_t data_seed, const std::vector<std::string>& grouping,
                    Index group_size) {
  const Experiment ex = build(text, grouping);
  const RunRecord grouped = run_experiment(ex).record;
  ASSERT_GT(ex.instances(), 2);
  Vec own_loss(ex.trajectories);
  for (Index g = 0; g < ex.instances(); ++g) {
    const Experiment one = build(text, {data_seed_set(instance_data_seed(data_seed, g))});
    ASSERT_EQ(one.instances(), 1);
    const RunRecord single = run_experiment(one).record;
    for (Index t = g * group_size; t < std::min((g + 1) * group_size, ex.trajectories); ++t) {
      EXPECT_TRUE(same_bits(grouped.final_state.row(t), single.final_state.row(t))) << "trajectory " << t;
      own_loss[t] = one.loss->value_at(grouped.final_state.row(t).transpose());
    }
  }
  // The same additions in the same order: equal bits.
  EXPECT_EQ(grouped.series.back().find("loss")->est.value, mean_estimate(own_loss).value);
}

}  // namespace

TEST(FreshData, InstanceSeedsAreDataSeedForGroupZeroAndDistinctOtherwise) {
  EXPECT_EQ(instance_data_seed(3, 0), 3u);
  std::vector<std::uint64_t> seen;
  for (Index g = 0; g < 50; ++g) {
    const std::uint64_t s = instance_data_seed(3, g);
    EXPECT_LE(s, static_cast<std::uint64_t>(INT64_MAX)) << "a TOML integer";
    EXPECT_EQ(std::count(seen.begin(), seen.end(), s), 0);
    seen.push_back(s);
  }
  EXPECT_NE(instance_data_seed(3, 1), instance_data_seed(4, 1));
}

TEST(FreshData, OneGroupIsTheSingleInstanceRunBitwise) {
  const RunRecord none = run_experiment(build(toy(), {})).record;
  const Experiment one_group = build(toy(), {"loss.fresh_data=per_group", "loss.group_size=23"});
  EXPECT_EQ(one_group.instances(), 1);
  expect_identical(none, run_experiment(one_group).record);

  // A grouped stepper holding one group is its stepper.
  Experiment a = build(toy(), {}), b = build(toy(), {});
  std::vector<std::unique_ptr<Stepper>> one;
  one.push_back(std::move(b.stepper));
  b.stepper = std::make_unique<GroupedStepper>(TrajectoryGroups{100}, std::move(one));
  expect_identical(run_experiment(a).record, run_experiment(b).record);
}

TEST(FreshData, EachTrajectoryReplaysTheSingleInstanceRunOfItsGroup) {
  expect_replays(toy(), 3, {"loss.fresh_data=per_group", "loss.group_size=5"}, 5);
  expect_replays(toy("leading"), 3, {"loss.fresh_data=per_trajectory", "dynamics.trajectories=6"}, 1);
  expect_replays(kLeastSquares, 5, {"loss.fresh_data=per_group", "loss.group_size=4"}, 4);
}

TEST(FreshData, GroupsDifferInData) {
  // Not a trivial replay: different groups do run on different losses.
  const Experiment ex = build(toy(), {"loss.fresh_data=per_trajectory"});
  ASSERT_EQ(ex.instances(), 23);
  const Vec w = (Vec(2) << 0.9, 1.05).finished();
  EXPECT_NE(ex.losses[0]->value_at(w), ex.losses[1]->value_at(w));
  EXPECT_NE(ex.noises[0]->covariance(w)->trace(), ex.noises[1]->covariance(w)->trace());
}

TEST(FreshData, ThreadsAndBlockSizesGiveIdenticalResults) {
  for (const std::string& text : {toy(), std::string(kLeastSquares)}) {
    const std::vector<std::string> sets = {"loss.fresh_data=per_group", "loss.group_size=3"};
    const RunRecord ref = run_experiment(build(text, sets, 1, 256)).record;
    for (const auto& [threads, block] : std::vector<std::pair<int, Index>>{{1, 1}, {2, 4}, {2, 7}, {1, 13}})
      expect_identical(ref, run_experiment(build(text, sets, threads, block)).record);
  }
}

TEST(FreshData, CompactedEscapeRunFollowsEachTrajectorysInstance) {
  // Escape runs repack the survivors into blocks that mix groups: every first passage must
  // still be the one of the trajectory's own instance, whatever the block and sync period.
  const std::vector<std::string> sets = {"loss.fresh_data=per_group", "loss.group_size=4", "dynamics.trajectories=30"};
  const Experiment ex = build(toy(), sets);
  const HalfSpace target((Vec(2) << -1.0, -1.0).finished(), 0.0);  // the flat basin's side
  EscapeRunSpec spec;
  spec.seed = ex.spec.seed;
  spec.cap = 60;
  spec.fraction = 1.0;
  spec.block = 256;
  spec.sync_every = 60;
  const EscapeRunResult ref = run_until_escaped(*ex.stepper, ex.initial_state(), target, spec);
  ASSERT_GT(ref.escaped, 3);
  ASSERT_LT(ref.escaped, 30);
  for (const auto& [threads, block, sync] : std::vector<std::tuple<int, Index, std::int64_t>>{{1, 3, 1}, {2, 5, 3}}) {
    spec.threads = threads;
    spec.block = block;
    spec.sync_every = sync;
    EXPECT_EQ(run_until_escaped(*ex.stepper, ex.initial_state(), target, spec).first_passage, ref.first_passage);
  }
  // And the first passages are those of the single-instance runs (trajectory t of group g).
  spec.block = 2;
  spec.sync_every = 1;
  for (Index g = 0; g < ex.instances(); ++g) {
    std::vector<std::string> one = {data_seed_set(instance_data_seed(3, g)), "dynamics.trajectories=30"};
    const Experiment single = build(toy(), one);
    const EscapeRunResult r = run_until_escaped(*single.stepper, single.initial_state(), target, spec);
    for (Index t = 4 * g; t < std::min<Index>(4 * g + 4, 30); ++t)
      EXPECT_EQ(ref.first_passage[static_cast<std::size_t>(t)], r.first_passage[static_cast<std::size_t>(t)])
          << "trajectory " << t;
  }
}

namespace {
void expect_refused(const std::string& text, const std::vector<std::string>& sets, const std::string& key) {
  test::expect_input_error([&] { return build(text, sets); }, key);
}
}  // namespace

TEST(FreshData, MeaninglessCombinationsAreRefused) {
  const char* quadratic = R"(
name = "q"
[loss]
kind = "quadratic"
dim = 2
eigenvalues = [1.0, 2.0]
[noise]
kind = "isotropic"
variance = 0.1
[dynamics]
kind = "discrete"
eta = 0.1
steps = 10
trajectories = 8
start = [1.0, 1.0]
[[checks]]
result = "cov_trace"
at_step = 10
prediction = "exact"
)";
  expect_refused(quadratic, {"loss.fresh_data=per_trajectory"}, "loss.fresh_data");
  expect_refused(toy(), {"loss.group_size=4"}, "loss.group_size");
  expect_refused(toy(), {"loss.fresh_data=per_trajectory", "loss.group_size=4"}, "loss.group_size");
  expect_refused(toy(), {"loss.fresh_data=per_trajectory", "observe.indicators=mean"}, "observe.indicators");
  expect_refused(toy(), {"loss.fresh_data=per_trajectory", "escape.region=level_set", "escape.level=1.0"},
                 "escape.region");
  // An exact-moment check (here on least squares' theta*) is computed from one instance.
  std::string checked =
      std::string(kLeastSquares) + "[[checks]]\nresult = \"theta_0\"\nat_step = 15\nprediction = \"gd\"\n";
  expect_refused(checked + "", {"loss.fresh_data=per_group", "loss.group_size=4", "observe.mean_coordinates=[0]"},
                 "checks.0.prediction");
  EXPECT_NO_THROW(build(checked, {"observe.mean_coordinates=[0]"}));
  expect_refused(kLeastSquares, {"loss.fresh_data=per_trajectory", "loss.data_file=\"x.csv\""}, "loss.data_file");
}

TEST(FreshData, IndicatorsOverTrajectoriesUseEachInstance) {
  const Experiment ex = build(
      toy(), {"loss.fresh_data=per_trajectory", "observe.indicators=trajectories", "observe.indicator_trajectories=4"});
  const RunRecord rec = run_experiment(ex).record;
  // At step 0 every trajectory sits at w0: the mean of the four instances' Tr(H C) there.
  const Vec w0 = (Vec(2) << 1.0, 1.0).finished();
  Vec own(4);
  for (Index t = 0; t < 4; ++t) {
    const Mat C = noise_forms(*ex.noises[static_cast<std::size_t>(t)]->covariance(w0), NoiseTarget::weights, 0.005).C;
    own[t] = ex.losses[static_cast<std::size_t>(t)]->hessian(w0).cwiseProduct(C).sum();
  }
  EXPECT_EQ(rec.series.front().find("trace_H_C")->est.value, mean_estimate(own).value);
  EXPECT_GT(mean_estimate(own).se, 0.0);  // the instances differ
}
