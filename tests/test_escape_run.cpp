// run_until_escaped, the escape loop of the benchmarks: a threshold's one-pass
// record_entries marks exactly the rows the generic inside() path marks, and the first
// passages of a compacted run are the detection steps of the escape observer on the
// same scenario (every trajectory draws its own numbers, whatever the batch).
#include <gtest/gtest.h>

#include <random>

#include "analysis/escape_observer.hpp"
#include "analysis/escape_run.hpp"
#include "scenario/runner.hpp"

using namespace sgdnoise;

namespace {

// Forwards inside() only, so record_entries is Region's generic one.
class Generic final : public Region {
 public:
  explicit Generic(const Region& r) : r_(r) {}
  std::string kind() const override { return "generic"; }
  void inside(ConstBlockRef X, std::vector<char>& out) const override { r_.inside(X, out); }

 private:
  const Region& r_;
};

}  // namespace

TEST(EscapeRun, ThresholdRecordEntriesEqualsTheGenericPath) {
  std::mt19937_64 gen(5);
  std::normal_distribution<double> z;
  for (const Index n : {Index{1}, Index{16}, Index{37}, Index{100}}) {
    for (const auto side : {CoordinateThreshold::Side::above, CoordinateThreshold::Side::below}) {
      Mat X(n, 3);
      for (Index i = 0; i < X.size(); ++i) X.data()[i] = 1.5 * z(gen);
      const CoordinateThreshold thr(1, 0.7, side);
      const Generic gen_region(thr);
      std::vector<std::uint64_t> ids(static_cast<std::size_t>(n));
      for (Index i = 0; i < n; ++i) ids[static_cast<std::size_t>(i)] = static_cast<std::uint64_t>(2 * i + 1);
      std::vector<std::int64_t> a(static_cast<std::size_t>(2 * n + 2), -1);
      for (std::size_t t = 0; t < a.size(); t += 5) a[t] = 3;  // some passages already recorded
      std::vector<std::int64_t> b = a;
      thr.record_entries(X, ids.data(), 9, a.data());
      gen_region.record_entries(X, ids.data(), 9, b.data());
      EXPECT_EQ(a, b) << n;
      Index marked = 0;
      for (const auto t : a) marked += t == 9;
      if (n >= 37) {
        EXPECT_GT(marked, 0) << n;  // the comparison saw entries
      }
    }
  }
}

TEST(EscapeRun, CompactedRunMatchesTheObserverStepByStep) {
  const char* text = R"(
name = "w"
seed = 11
[loss]
kind = "double_well"
[noise]
kind = "isotropic"
on = "weights"
variance = 0.05
[dynamics]
kind = "discrete"
eta = 0.05
steps = 200
trajectories = 300
block = 32
start = [-1.0]
[observe]
every = 1
[escape]
region = "threshold"
)";
  const Experiment ex = build_experiment(Scenario::parse(text, "w.toml"), 1);
  (void)run_experiment(ex);
  const EscapeObserver* obs = nullptr;
  for (const auto& o : ex.observers)
    if (const auto* e = dynamic_cast<const EscapeObserver*>(o.get())) obs = e;
  ASSERT_NE(obs, nullptr);
  for (const int threads : {1, 2}) {
    EscapeRunSpec es;
    es.seed = ex.spec.seed;
    es.block = 32;
    es.threads = threads;
    es.cap = 200;
    es.fraction = 1.0;
    const EscapeRunResult r = run_until_escaped(*ex.stepper, ex.initial_state(), obs->target(), es);
    Index escaped = 0;
    for (std::size_t i = 0; i < r.first_passage.size(); ++i) {
      const auto& o = obs->results()[i];
      if (o.state == EscapeState::escaped) {
        ++escaped;
        EXPECT_EQ(r.first_passage[i], o.detected_at) << i;
      } else {
        EXPECT_EQ(r.first_passage[i], -1) << i;
      }
    }
    EXPECT_GT(escaped, 30);
    EXPECT_LT(escaped, 300);
    EXPECT_LT(r.executed_steps, 300.0 * 200.0);  // escaped rows left the batch
  }
}
