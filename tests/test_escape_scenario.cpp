// The escape engine's basin region and Brownian-bridge test reached from scenarios
// ([escape] region = "basin", bridge = true): the basin of the right well of the
// untilted double well is x_1 > 0, so it detects every passage at the same step as the
// threshold at the saddle; the bridge only adds detections (each trajectory is detected
// no later), gives identical results for any thread count, and is refused with the key
// named where it does not apply.
#include <gtest/gtest.h>

#include "analysis/escape_observer.hpp"
#include "escape_test_util.hpp"
#include <atomic>

#include "io/checkpoint.hpp"
#include "scenario/runner.hpp"
#include "expect_input_error.hpp"

using namespace sgdnoise;

namespace {

// Langevin escape from the left well of L = (x_1^2 - 1)^2 (+ x_2^2 / 2 with d = 2) at
// eps = 0.5 (Sigma_step = 2 eps eta = 0.01 with eta = 0.01): a short hot run in which
// most trajectories cross the saddle.
const char* kWell = R"(
name = "basin"
seed = 3
[loss]
kind = "double_well"
transverse = [1.0]
[noise]
kind = "isotropic"
on = "weights"
variance = 0.01
[dynamics]
kind = "discrete"
eta = 0.01
steps = 300
trajectories = 48
start = [-1.0, 0.3]
[observe]
every = 1
[escape]
region = "threshold"
)";

Experiment build(const std::string& text, const std::vector<std::string>& sets, int threads = 1) {
  return test::build_text(text, sets, threads, "escape.toml");
}

using test::escape_observer;

std::vector<TrajectoryEscape> run_escapes(const Experiment& ex) {
  (void)run_experiment(ex);
  return escape_observer(ex).results();
}

std::vector<double> escaped_fraction(const RunRecord& r) {
  std::vector<double> out;
  for (const auto& row : r.series)
    if (const Observation* o = row.find("escaped_fraction")) out.push_back(o->est.value);
  return out;
}

// Every trajectory's outcome the same, bit for bit.
void expect_same_escapes(const std::vector<TrajectoryEscape>& a, const std::vector<TrajectoryEscape>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].state, b[i].state) << i;
    EXPECT_EQ(a[i].steps, b[i].steps) << i;
    EXPECT_EQ(a[i].detected_at, b[i].detected_at) << i;
    EXPECT_EQ(a[i].by_bridge, b[i].by_bridge) << i;
  }
}

void expect_refused(const std::string& text, const std::vector<std::string>& sets, const std::string& key) {
  test::expect_input_error([&] { return build(text, sets); }, key);
}

}  // namespace

TEST(EscapeScenario, BasinOfTheRightWellIsTheSaddleThresholdStepByStep) {
  // Untilted and symmetric: the gradient flow from x_1 > 0 ends in the right well, from
  // x_1 < 0 in the left one, so the basin of minimum 1 (the loss's own minima: left,
  // right) and the threshold x_1 >= 0 detect each passage at the same step (x_1 = 0
  // exactly has probability zero). The basin places the event at the end of its step,
  // the threshold interpolates inside it: detection steps agree exactly, times within 1.
  for (const char* d : {"transverse=[]", "transverse=[1.0]"}) {
    const std::string dim = std::string("loss.") + d;
    const std::string start =
        std::string(d) == "transverse=[]" ? "dynamics.start=[-1.0]" : "dynamics.start=[-1.0, 0.3]";
    const Experiment thr = build(kWell, {dim, start});
    const Experiment basin =
        build(kWell, {dim, start, "escape.region=\"basin\"", "escape.target=1", "escape.basin_dt=0.05"});
    const RunResult rt = run_experiment(thr), rb = run_experiment(basin);
    EXPECT_EQ(escaped_fraction(rt.record), escaped_fraction(rb.record)) << d;
    const auto& a = escape_observer(thr).results();
    const auto& b = escape_observer(basin).results();
    ASSERT_EQ(a.size(), b.size());
    Index escaped = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].state, b[i].state) << d << " trajectory " << i;
      EXPECT_EQ(a[i].detected_at, b[i].detected_at) << d << " trajectory " << i;
      if (a[i].state != EscapeState::escaped) continue;
      ++escaped;
      EXPECT_EQ(b[i].steps, static_cast<double>(b[i].detected_at));
      EXPECT_GT(a[i].steps, b[i].steps - 1.0);
      EXPECT_LE(a[i].steps, b[i].steps);
    }
    EXPECT_GT(escaped, 10) << d;  // the comparison saw passages
    EXPECT_LT(escaped, 48) << d;  // and trajectories that stayed
  }
}

TEST(EscapeScenario, BasinStartedInsideTheTargetEscapesAtTheStart) {
  const Experiment ex = build(kWell, {"escape.region=\"basin\"", "escape.target=0", "dynamics.steps=3"});
  (void)run_experiment(ex);
  for (const auto& r : escape_observer(ex).results()) {
    EXPECT_EQ(r.state, EscapeState::escaped);
    EXPECT_EQ(r.steps, 0.0);
  }
}

TEST(EscapeScenario, BridgeOnlyAddsDetectionsAndIgnoresThreads) {
  // A coarse step (eta = 0.05, Sigma_step = 0.05: eps = 0.5) misses crossings between
  // observations; the bridge's uniforms come from their own stream, so the paths are the
  // same with and without it and each trajectory is detected no later with it.
  const std::vector<std::string> coarse = {"dynamics.eta=0.05", "noise.variance=0.05", "dynamics.steps=60"};
  std::vector<std::string> bridged = coarse;
  bridged.push_back("escape.bridge=true");
  const auto plain = run_escapes(build(kWell, coarse));
  const auto with = run_escapes(build(kWell, bridged));
  Index n_plain = 0, n_with = 0, n_by_bridge = 0;
  for (std::size_t i = 0; i < plain.size(); ++i) {
    n_plain += plain[i].state == EscapeState::escaped;
    n_with += with[i].state == EscapeState::escaped;
    n_by_bridge += with[i].by_bridge;
    if (plain[i].state == EscapeState::escaped) {
      ASSERT_EQ(with[i].state, EscapeState::escaped) << i;
      EXPECT_LE(with[i].detected_at, plain[i].detected_at) << i;
    }
    if (!with[i].by_bridge) {
      EXPECT_EQ(with[i].detected_at, plain[i].detected_at) << i;
    }
  }
  EXPECT_GE(n_with, n_plain);
  EXPECT_GT(n_by_bridge, 0);  // the test did fire on this coarse step
  // Thread count changes nothing.
  const auto two = run_escapes(build(kWell, bridged, 2));
  for (std::size_t i = 0; i < with.size(); ++i) {
    EXPECT_EQ(two[i].steps, with[i].steps) << i;
    EXPECT_EQ(two[i].by_bridge, with[i].by_bridge) << i;
  }
}

TEST(EscapeScenario, BridgeOnSdeDynamics) {
  const auto ex = build(kWell, {"dynamics.kind=\"sde_euler_maruyama\"", "dynamics.eta=0.05", "noise.variance=0.05",
                                "dynamics.steps=60", "escape.bridge=true"});
  EXPECT_NO_THROW((void)run_experiment(ex));
  ASSERT_TRUE(escape_observer(ex).bridge().has_value());
  EXPECT_DOUBLE_EQ(escape_observer(ex).bridge()->sigma2_step, 0.05);
}

TEST(EscapeScenario, BasinAndBridgeErrorsNameTheKey) {
  const std::string basin = "escape.region=\"basin\"";
  expect_refused(kWell, {basin, "escape.target=2"}, "escape.target");
  expect_refused(kWell, {basin, "escape.minima=[[1.0, 0.0, 0.0]]"}, "escape.minima");
  expect_refused(kWell, {basin, "escape.basin_dt=30.0"}, "escape.basin_dt");
  expect_refused(kWell, {basin, "escape.basin_time=-1.0"}, "escape.basin_time");
  const char* quadratic = R"(
name = "q"
[loss]
kind = "quadratic"
dim = 2
eigenvalues = [1.0, 2.0]
[dynamics]
kind = "discrete"
eta = 0.1
steps = 10
trajectories = 8
start = [1.0, 1.0]
[escape]
region = "basin"
)";
  expect_refused(quadratic, {}, "escape.minima");  // a quadratic does not list its minima
  EXPECT_NO_THROW(build(quadratic, {"escape.minima=[[0.0, 0.0]]"}));
  const std::string bridge = "escape.bridge=true";
  expect_refused(kWell, {bridge, "escape.region=\"ball\"", "escape.centre=[-1.0, 0.0]"}, "escape.bridge");
  expect_refused(kWell, {bridge, basin, "escape.target=1"}, "escape.bridge");
  std::string anisotropic = kWell;
  anisotropic.replace(anisotropic.find("kind = \"isotropic\""), 18, "kind = \"diagonal\"");
  anisotropic.replace(anisotropic.find("variance = 0.01"), 15, "variances = [0.01, 0.02]");
  expect_refused(anisotropic, {bridge}, "escape.bridge");
  EXPECT_NO_THROW(build(anisotropic, {}));
  expect_refused(kWell, {bridge, "dynamics.kind=\"sme\""}, "escape.bridge");
  expect_refused(kWell, {bridge, "noise.variance=0.0"}, "escape.bridge");
  EXPECT_NO_THROW(build(kWell, {bridge, "escape.region=\"half_space\"", "escape.normal=[1.0, 1.0]"}));
}

TEST(EscapeScenario, StoppedEscapesLeaveTheBatchWithIdenticalResults) {
  // escape.stop_escaped: an escaped trajectory is no longer stepped. Every trajectory draws
  // its own numbers (its RowIds), so the escape record is bit for bit the
  // one of the full run, and the steps computed are exactly those of the running ones:
  // sum over trajectories of (detection step if escaped, else the last step).
  for (const char* every : {"observe.every=1", "observe.every=7"}) {
    for (const bool bridge : {false, true}) {
      std::vector<std::string> sets = {every, "dynamics.eta=0.05", "noise.variance=0.05", "dynamics.steps=120"};
      if (bridge) sets.push_back("escape.bridge=true");
      const Experiment full = build(kWell, sets);
      sets.push_back("escape.stop_escaped=true");
      const Experiment stop1 = build(kWell, sets), stop2 = build(kWell, sets, 2);
      const RunResult rf = run_experiment(full), r1 = run_experiment(stop1), r2 = run_experiment(stop2);
      EXPECT_EQ(escaped_fraction(rf.record), escaped_fraction(r1.record)) << every << bridge;
      EXPECT_EQ(escaped_fraction(r2.record), escaped_fraction(r1.record)) << every << bridge;
      const auto& a = escape_observer(full).results();
      const auto& b = escape_observer(stop1).results();
      const auto& c = escape_observer(stop2).results();
      expect_same_escapes(a, b);
      expect_same_escapes(c, b);
      double expected_steps = 0.0;
      Index escaped = 0;
      for (std::size_t i = 0; i < b.size(); ++i) {
        const bool esc = b[i].state == EscapeState::escaped;
        escaped += esc;
        expected_steps += esc ? static_cast<double>(b[i].detected_at) : 120.0;
      }
      EXPECT_GT(escaped, 5) << every << bridge;
      EXPECT_EQ(r1.record.n_stopped, escaped);
      EXPECT_EQ(r1.record.trajectory_steps, expected_steps) << every << bridge;
      EXPECT_EQ(r2.record.trajectory_steps, expected_steps) << every << bridge;
      EXPECT_EQ(rf.record.trajectory_steps, 48.0 * 120.0);
      EXPECT_LT(r1.record.trajectory_steps, rf.record.trajectory_steps);
      // A stopped trajectory keeps the state it was observed in.
      for (std::size_t i = 0; i < b.size(); ++i) {
        if (b[i].state == EscapeState::escaped && !b[i].by_bridge) {
          EXPECT_GE(r1.record.final_state(static_cast<Index>(i), 0), 0.0) << i;
        }
      }
    }
  }
}

TEST(EscapeScenario, InterruptedEscapeRunsResumeExactly) {
  // A run interrupted at its 40th observation and resumed from the checkpoint bytes
  // (ensemble, series and the escape observer's first passages) ends with the escape
  // record of the uninterrupted run, bit for bit, with and without the bridge and
  // stop_escaped; the resumed run steps only the trajectories still running.
  for (const bool stop : {false, true}) {
    for (const bool bridge : {false, true}) {
      std::vector<std::string> sets = {"dynamics.eta=0.05", "noise.variance=0.05", "dynamics.steps=120"};
      if (bridge) sets.push_back("escape.bridge=true");
      if (stop) sets.push_back("escape.stop_escaped=true");
      const Experiment full = build(kWell, sets);
      const RunResult rf = run_experiment(full);

      const Experiment part = build(kWell, sets), resumed = build(kWell, sets, 2);
      int calls = 0;
      const test::InterruptedRun run =
          test::interrupt_and_resume(part, resumed, [&](const RunRecord&) { return ++calls == 40; });
      const RunResult& rp = run.interrupted;
      const Checkpoint& back = run.back;
      const RunResult& rr = run.resumed;
      ASSERT_EQ(rp.record.status, RunStatus::interrupted);
      ASSERT_EQ(rr.record.status, RunStatus::completed);
      EXPECT_EQ(escaped_fraction(rr.record), escaped_fraction(rf.record));
      const auto& a = escape_observer(full).results();
      const auto& b = escape_observer(resumed).results();
      ASSERT_TRUE(escape_observer(resumed).available()) << escape_observer(resumed).reason();
      expect_same_escapes(a, b);
      Index escaped_after = 0;
      for (std::size_t i = 0; i < a.size(); ++i) {
        escaped_after += a[i].state == EscapeState::escaped && a[i].detected_at > back.record.series.back().k;
      }
      EXPECT_GT(escaped_after, 0);  // the resumed part saw escapes
      // The checkpoint carries the trajectory-steps so far: the resumed record counts the
      // whole run, as the uninterrupted one does (issue 20).
      EXPECT_EQ(back.record.trajectory_steps, rp.record.trajectory_steps);
      EXPECT_EQ(rr.record.trajectory_steps, rf.record.trajectory_steps);
      const EscapeSummary sf = escape_observer(full).summary(120), sr = escape_observer(resumed).summary(120);
      EXPECT_EQ(sf.counts.escaped, sr.counts.escaped);
      EXPECT_EQ(sf.counts.censored, sr.counts.censored);
      EXPECT_EQ(sf.mean_steps.est.value, sr.mean_steps.est.value);
      EXPECT_EQ(sf.mean_steps.est.se, sr.mean_steps.est.se);
    }
  }
}

TEST(EscapeScenario, CorruptObserverStatesAreRefused) {
  const Experiment ex = build(kWell, {});
  const RunResult r = run_experiment(ex);
  const Mat state = r.record.final_state;
  std::vector<std::string> states = observer_states(ex);
  ASSERT_FALSE(states.empty());
  const Experiment again = build(kWell, {});
  EXPECT_THROW(restore_observer_states(again, {}, 300, state, "ck"), InputError);  // count mismatch
  auto truncated = states;
  for (auto& st : truncated)
    if (!st.empty()) st.resize(st.size() / 2);
  EXPECT_THROW(restore_observer_states(again, truncated, 300, state, "ck"), InputError);
  EXPECT_THROW(restore_observer_states(again, states, 300, state.topRows(10), "ck"), InputError);  // wrong rows
  EXPECT_NO_THROW(restore_observer_states(again, states, 300, state, "ck"));
}
