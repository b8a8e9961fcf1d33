// The ensemble driver's step hook and early end (dynamics/step_hook.hpp,
// EnsembleSpec::end_when_all_stopped): the hook sees every step of every running row and no
// other, a stopped trajectory takes no further step, and a run whose trajectories are all
// stopped ends there even when its last step is the largest int64.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>

#include "analysis/escape_observer.hpp"
#include "analysis/escape_run.hpp"
#include "scenario/runner.hpp"

using namespace sgdnoise;

namespace {

const char* kWell = R"(
name = "driver"
seed = 5
[loss]
kind = "double_well"
[noise]
kind = "isotropic"
on = "weights"
variance = 0.05
[dynamics]
kind = "discrete"
eta = 0.05
steps = 60
trajectories = 40
block = 7
start = [-1.0]
[observe]
every = 5
)";

// Stops trajectory t at the first observation at or after at[t].
class StopAt final : public Observer {
 public:
  explicit StopAt(std::vector<std::int64_t> at) : at_(std::move(at)) {}
  std::vector<std::string> names() const override { return {}; }
  void observe(std::int64_t k, ConstBlockRef, const TrajectoryIds&, int, std::vector<Observation>&) override { k_ = k; }
  Index stopped(const std::vector<std::uint64_t>& running, std::vector<char>& stop) const override {
    Index n = 0;
    for (const std::uint64_t t : running)
      if (at_[t] <= k_ && !stop[t]) {
        stop[t] = 1;
        ++n;
      }
    return n;
  }

 private:
  std::vector<std::int64_t> at_;
  std::int64_t k_ = 0;
};

// Per trajectory: how many steps the hook saw and the last one.
class CountSteps final : public StepHook {
 public:
  explicit CountSteps(Index n) : count_(static_cast<std::size_t>(n), 0), last_(static_cast<std::size_t>(n), 0) {}
  void after_step(std::int64_t k, ConstBlockRef theta, const std::uint64_t* ids) override {
    for (Index r = 0; r < theta.rows(); ++r) {
      ++count_[ids[r]];
      last_[ids[r]] = k;
    }
  }
  std::vector<std::int64_t> count_, last_;
};

}  // namespace

TEST(EnsembleDriver, StepHookSeesEveryStepOfTheRunningRowsOnly) {
  const Experiment ex = build_experiment(Scenario::parse(kWell, "driver.toml"), 1);
  const Index N = ex.trajectories;
  std::vector<std::int64_t> at(static_cast<std::size_t>(N));
  for (Index t = 0; t < N; ++t) at[static_cast<std::size_t>(t)] = 5 * (t % 7) + (t % 3);  // some between observations
  Mat ref;
  for (const int threads : {1, 2}) {
    for (const Index block : {Index{3}, Index{256}}) {
      StopAt obs(at);
      CountSteps hook(N);
      EnsembleSpec spec = ex.spec;
      spec.threads = threads;
      spec.block = block;
      RunHooks hooks;
      hooks.after_step = &hook;
      const RunRecord rec = run_ensemble(*ex.stepper, ex.initial_state(), spec, {&obs}, hooks);
      ASSERT_EQ(rec.status, RunStatus::completed);
      EXPECT_EQ(rec.series.back().k, 60);
      double steps = 0.0;
      for (Index t = 0; t < N; ++t) {
        // Stopped at the first observation step (a multiple of 5) at or after at[t].
        const std::int64_t a = at[static_cast<std::size_t>(t)], stopped_at = (a + 4) / 5 * 5;
        EXPECT_EQ(hook.count_[static_cast<std::size_t>(t)], stopped_at) << t;
        EXPECT_EQ(hook.last_[static_cast<std::size_t>(t)], stopped_at) << t;
        steps += static_cast<double>(stopped_at);
      }
      EXPECT_EQ(rec.trajectory_steps, steps);
      EXPECT_EQ(rec.n_stopped, N);
      if (ref.size() == 0) ref = rec.final_state;
      EXPECT_EQ(rec.final_state, ref) << threads << " " << block;
    }
  }
}

TEST(EnsembleDriver, EndsWhenEveryTrajectoryIsStoppedWithoutACap) {
  const Experiment ex = build_experiment(Scenario::parse(kWell, "driver.toml"), 1);
  const std::vector<std::int64_t> at(static_cast<std::size_t>(ex.trajectories), 30);
  EnsembleSpec spec = ex.spec;
  {
    StopAt obs(at);
    const RunRecord rec = run_ensemble(*ex.stepper, ex.initial_state(), spec, {&obs});
    EXPECT_EQ(rec.series.back().k, 60);  // without the flag the frozen ensemble is observed on
    EXPECT_EQ(rec.series.size(), 13U);
    EXPECT_EQ(rec.trajectory_steps, 30.0 * static_cast<double>(ex.trajectories));
  }
  spec.end_when_all_stopped = true;
  spec.steps = std::numeric_limits<std::int64_t>::max();
  StopAt obs(at);
  const RunRecord rec = run_ensemble(*ex.stepper, ex.initial_state(), spec, {&obs});
  EXPECT_EQ(rec.status, RunStatus::completed);
  EXPECT_EQ(rec.series.back().k, 30);
  EXPECT_EQ(rec.series.size(), 7U);
  EXPECT_EQ(rec.trajectory_steps, 30.0 * static_cast<double>(ex.trajectories));
}

TEST(EnsembleDriver, ObservationStepsNeedNoList) {
  const std::int64_t big = std::numeric_limits<std::int64_t>::max();
  EXPECT_EQ(next_observation_step(0, 10, 4), 4);
  EXPECT_EQ(next_observation_step(8, 10, 4), 10);
  EXPECT_EQ(next_observation_step(big - 3, big, 8), big);
  EXPECT_EQ(next_observation_step(0, big, 8), 8);
  const auto ks = observation_steps(23, 5);
  for (std::int64_t k = 0; k <= 23; ++k)
    EXPECT_EQ(is_observation_step(k, 23, 5), std::find(ks.begin(), ks.end(), k) != ks.end()) << k;
  for (std::size_t i = 0; i + 1 < ks.size(); ++i) EXPECT_EQ(next_observation_step(ks[i], 23, 5), ks[i + 1]);
}

TEST(EnsembleDriver, EscapeRunWithoutACapEqualsACappedOne) {
  // run_until_escaped's default cap is the largest int64: the run ends when the fraction has
  // escaped, with the results of a run capped far beyond that step.
  std::string text = kWell;
  text += "[escape]\nregion = \"threshold\"\n";
  text.replace(text.find("trajectories = 40"), 17, "trajectories = 200");
  const Experiment ex = build_experiment(Scenario::parse(text, "driver.toml"), 1);
  const EscapeObserver* obs = nullptr;
  for (const auto& o : ex.observers)
    if (const auto* e = dynamic_cast<const EscapeObserver*>(o.get())) obs = e;
  ASSERT_NE(obs, nullptr);
  EscapeRunSpec es;
  es.seed = ex.spec.seed;
  es.fraction = 0.5;
  es.block = 16;
  const EscapeRunResult open = run_until_escaped(*ex.stepper, ex.initial_state(), obs->target(), es);
  es.cap = 1000000;
  const EscapeRunResult capped = run_until_escaped(*ex.stepper, ex.initial_state(), obs->target(), es);
  EXPECT_GT(open.escaped, 99);
  EXPECT_LT(open.stop_step, 1000000);
  EXPECT_EQ(open.first_passage, capped.first_passage);
  EXPECT_EQ(open.stop_step, capped.stop_step);
  EXPECT_EQ(open.useful_steps, capped.useful_steps);
  EXPECT_EQ(open.executed_steps, capped.executed_steps);
}

TEST(EnsembleDriver, TiledParallelStepsAgreeForAnyThreadsBlockAndStops) {
  // Enough work per observation interval (2500 rows x 30 steps) that two threads really share
  // it (core/openmp_env.hpp, threads_for); blocks that are not multiples of the tiles' 16-row
  // lines (rounded up); a block larger than the ensemble (one tile on one thread, eight on
  // two); trajectories stopped across tile boundaries, most of them, so that the tiles drop
  // rows and are packed anew; and a divergence bound that some cross. The coordinates, the
  // steps the hook saw, the divergence steps and the step count are the same in every
  // configuration.
  std::string text = kWell;
  text.replace(text.find("trajectories = 40"), 17, "trajectories = 2500");
  text.replace(text.find("steps = 60"), 10, "steps = 180");  // two intervals after the packing
  text.replace(text.find("every = 5"), 9, "every = 30");
  text.replace(text.find("variance = 0.05"), 15, "variance = 0.5");
  const Experiment ex = build_experiment(Scenario::parse(text, "driver.toml"), 1);
  const Index N = ex.trajectories;
  std::vector<std::int64_t> at(static_cast<std::size_t>(N), std::numeric_limits<std::int64_t>::max());
  // Most stop, in three waves: the tiles are packed anew once three quarters are gone.
  for (Index t = 0; t < N; ++t)
    if (t % 5 != 0 || (t >= 700 && t < 1300)) at[static_cast<std::size_t>(t)] = 30 * (1 + t % 3);
  RunRecord ref;
  std::vector<std::int64_t> ref_count;
  for (const int threads : {1, 2}) {
    for (const Index block : {Index{16}, Index{100}, Index{4096}}) {
      StopAt obs(at);
      CountSteps hook(N);
      EnsembleSpec spec = ex.spec;
      spec.threads = threads;
      spec.block = block;
      spec.divergence_bound = 2.5;
      RunHooks hooks;
      hooks.after_step = &hook;
      RunRecord rec = run_ensemble(*ex.stepper, ex.initial_state(), spec, {&obs}, hooks);
      ASSERT_EQ(rec.status, RunStatus::completed);
      if (ref.series.empty()) {
        ref = std::move(rec);
        ref_count = hook.count_;
        EXPECT_GT(ref.n_diverged, 0);  // the bound is crossed by some, not by all
        EXPECT_LT(ref.n_diverged, N / 2);
        EXPECT_GT(ref.n_stopped, 3 * N / 4);
        continue;
      }
      // Bit for bit (a diverged coordinate may be NaN, which == would call different).
      ASSERT_EQ(rec.final_state.size(), ref.final_state.size());
      EXPECT_EQ(std::memcmp(rec.final_state.data(), ref.final_state.data(),
                            sizeof(double) * static_cast<std::size_t>(ref.final_state.size())),
                0)
          << threads << " " << block;
      EXPECT_EQ(rec.diverged_at, ref.diverged_at) << threads << " " << block;
      EXPECT_EQ(rec.n_stopped, ref.n_stopped) << threads << " " << block;
      EXPECT_EQ(rec.trajectory_steps, ref.trajectory_steps) << threads << " " << block;
      EXPECT_EQ(hook.count_, ref_count) << threads << " " << block;
    }
  }
}
