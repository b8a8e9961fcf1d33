// `sgdnoise bench`: the output's shape (never its speed), and the compacting escape run
// giving the same first passages for any thread count, block size and sync period.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <iterator>
#include <thread>

#include "analysis/eigenpairs.hpp"
#include "analysis/escape_observer.hpp"
#include "analysis/escape_run.hpp"
#include "app/benchmark.hpp"
#include "io/summary.hpp"
#include "scenario/experiment.hpp"
#include "test_util.hpp"

using namespace sgdnoise;

TEST(BenchCommand, QuickJsonHasEveryWorkloadAndTheMetadata) {
  const auto r = test::run_cli("bench --quick --json --only w1_d2 w3_with w4_1d normals");
  ASSERT_EQ(r.code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  for (const char* k : {"version", "git", "compiler", "build_flags", "normal_kernel", "threads", "cpu"})
    EXPECT_TRUE(j.contains(k)) << k;
  ASSERT_EQ(j["workloads"].size(), 4u);
  for (const auto& w : j["workloads"]) {
    EXPECT_GT(w["traj_steps_per_s"].get<double>(), 0.0);
    EXPECT_GT(w["seconds"].get<double>(), 0.0);
    EXPECT_EQ(w["threads"].get<int>(), 1);
  }
}

TEST(BenchCommand, TextOutputAndBadSelection) {
  const auto r = test::run_cli("bench --quick --only w2");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("normal kernel"), std::string::npos);
  EXPECT_NE(r.output.find("w2 "), std::string::npos);
  EXPECT_EQ(test::run_cli("bench --only nothing").code, 2);
}

// The spectra workload's Lanczos eigenvalues are those of the dense X^T X / n, and the
// operator file the SciPy peer loads is X itself (.npy, n x d).
TEST(BenchCommand, SpectraMatchesTheDenseSolveAndWritesItsOperator) {
  const auto dir = test::fresh_dir("bench_spectra");
  const auto file = (dir / "X.npy").string();
  const auto r = test::run_cli("bench --quick --json --only spectra --write-operator " + file);
  ASSERT_EQ(r.code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  ASSERT_EQ(j["workloads"].size(), 1u);
  const auto& w = j["workloads"][0];
  ASSERT_TRUE(w["converged"].get<bool>());
  const auto values = w["eigenvalues"].get<std::vector<double>>();
  ASSERT_EQ(values.size(), static_cast<std::size_t>(w["k"].get<int>()));

  BenchWorkload sp;
  for (const auto& x : bench_workloads(true))
    if (x.name == "spectra") sp = x;
  const Mat X = spectra_bench_features(sp);
  const Mat H = X.transpose() * X / static_cast<double>(X.rows());
  const Eigenpairs dense = dense_eigenpairs(H, static_cast<Index>(values.size()), true);
  for (std::size_t i = 0; i < values.size(); ++i)
    EXPECT_NEAR(values[i], dense.values(static_cast<Index>(i)), 1e-9 * dense.values(0)) << i;

  std::ifstream in(file, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(bytes, npy_bytes(X));
  EXPECT_EQ(test::run_cli("bench --quick --only spectra --write-operator " + (dir / "no" / "X.npy").string()).code, 2);
}

TEST(EscapeRun, IdenticalForAnyThreadsBlockAndSyncPeriod) {
  for (int dim : {1, 2}) {
    const auto ws = bench_workloads(true, {3000, 0, 0});
    const auto& w = ws[dim == 1 ? 5 : 6];
    ASSERT_TRUE(w.escape);
    Experiment ex = build_experiment(Scenario::parse(w.toml, "<test>"), 1, 0.0);
    const Region* target = nullptr;
    for (const auto& o : ex.observers)
      if (const auto* e = dynamic_cast<const EscapeObserver*>(o.get())) target = &e->target();
    ASSERT_NE(target, nullptr);
    EscapeRunSpec spec;
    spec.seed = 3;
    spec.cap = 4000;
    spec.block = 3000;
    spec.sync_every = 1;
    const EscapeRunResult ref = run_until_escaped(*ex.stepper, ex.initial_state(), *target, spec);
    EXPECT_GT(ref.escaped, 2900);
    EXPECT_LE(ref.useful_steps, ref.executed_steps);
    for (int threads : {1, 2})
      for (Index block : {7, 256})
        for (std::int64_t sync : {1, 13}) {
          spec.threads = threads;
          spec.block = block;
          spec.sync_every = sync;
          const EscapeRunResult r = run_until_escaped(*ex.stepper, ex.initial_state(), *target, spec);
          EXPECT_EQ(r.first_passage, ref.first_passage) << threads << " " << block << " " << sync;
          EXPECT_EQ(r.stop_step, ref.stop_step);
          EXPECT_EQ(r.useful_steps, ref.useful_steps);
        }
  }
}

TEST(TrajectoryMap, MappedRowsDrawTheirTrajectorysNumbers) {
  const std::vector<std::uint64_t> ids = {5, 2, 40, 41, 1000, 7, 3, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 99};
  const auto n = static_cast<Index>(ids.size());
  Mat Zn(n, 5), Zu(n, 4);
  fill_normals({9, Purpose::gradient_noise, 4}, RowIds::mapped(ids.data()), 0, Zn);
  fill_uniforms({9, Purpose::sampling, 4}, RowIds::mapped(ids.data()), 0, Zu);
  for (Index i = 0; i < n; ++i) {
    Mat a(1, 5), u(1, 4);
    fill_normals({9, Purpose::gradient_noise, 4}, ids[static_cast<std::size_t>(i)], 0, a);
    fill_uniforms({9, Purpose::sampling, 4}, ids[static_cast<std::size_t>(i)], 0, u);
    EXPECT_EQ(Zn.row(i), a.row(0)) << i;
    EXPECT_EQ(Zu.row(i), u.row(0)) << i;
  }
}

// The loaded row times the escape scenario with 1 thread and with --threads while every
// core but one is busy, and reports their ratio; the busy processes end with the row.
TEST(BenchCommand, LoadedRowReportsTheSpeedupUnderLoad) {
  const auto r = test::run_cli("bench --quick --json --threads 2 --only loaded");
  ASSERT_EQ(r.code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  ASSERT_EQ(j["workloads"].size(), 2u);  // loaded_escape and loaded_w4_1d
  const int busy = std::max(1, static_cast<int>(std::thread::hardware_concurrency())) - 1;
  for (const auto& w : j["workloads"]) {
    EXPECT_EQ(w["check_name"].get<std::string>(), "speedup_over_1_thread_loaded_by_" + std::to_string(busy));
    EXPECT_GT(w["check"].get<double>(), 0.0);
    EXPECT_GT(w["traj_steps"].get<double>(), 0.0);
    EXPECT_EQ(w["threads"].get<int>(), 2);
  }
  EXPECT_EQ(j["workloads"][1]["workload"].get<std::string>(), "loaded_w4_1d");
}

// The bound of thread scaling: each process runs the whole workload, so the work counted is
// P times one run's (the same check value), over the slowest process's time.
TEST(BenchCommand, ProcessesRowCountsTheWorkOfEveryProcess) {
  const auto one = test::run_cli("bench --quick --json --only w1_d2 w4_1d");
  const auto three = test::run_cli("bench --quick --json --processes 3 --only w1_d2 w4_1d");
  ASSERT_EQ(one.code, 0) << one.output;
  ASSERT_EQ(three.code, 0) << three.output;
  const auto a = nlohmann::json::parse(one.output), b = nlohmann::json::parse(three.output);
  EXPECT_EQ(b["processes"].get<int>(), 3);
  ASSERT_EQ(b["workloads"].size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    const auto &x = a["workloads"][i], &y = b["workloads"][i];
    EXPECT_EQ(y["processes"].get<int>(), 3);
    EXPECT_EQ(y["threads"].get<int>(), 1);
    EXPECT_EQ(y["traj_steps"].get<double>(), 3.0 * x["traj_steps"].get<double>());
    EXPECT_EQ(y["executed_traj_steps"].get<double>(), 3.0 * x["executed_traj_steps"].get<double>());
    EXPECT_EQ(y["check"].get<double>(), x["check"].get<double>());
    EXPECT_EQ(y["check_name"], x["check_name"]);
    EXPECT_EQ(y["steps"], x["steps"]);
  }
  // One thread per process, and not for the row that times its own processes.
  EXPECT_EQ(test::run_cli("bench --quick --processes 2 --threads 2 --only w1_d2").code, 2);
  EXPECT_EQ(test::run_cli("bench --quick --processes 2 --only loaded_escape").code, 2);
}
