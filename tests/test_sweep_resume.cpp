// Sweeps that survive (issue 18): a sweep killed with SIGKILL at moments drawn from a seeded
// generator, or stopped with SIGINT, keeps its finished points in OUT.partial/; the same
// command with --resume ends bitwise identical to an uninterrupted sweep; a changed plan is
// refused naming what changed; --seeds independent survives the resume; points run K at a
// time give the same results.
//
// What may differ between two sweeps of the same plan is metadata, never a result: no file
// holds a wall-clock time (timings go to the progress stream only), so the fields left out of
// the comparisons are the thread counts: summary.json "metadata" (threads, instruction set,
// command) and sweep.json "threads" and "execution". The runs here are started from their own
// directories with the same relative --out, so that the command lines are the same too.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>

#include "app/sweep.hpp"
#include "core/errors.hpp"
#include "test_util.hpp"

using namespace sgdnoise;
namespace fs = std::filesystem;

namespace {

// Four points of a 100-d quadratic, a second or so each, checkpointed at every observation.
const std::string kArgs = "sweep " + test::source_path("scenarios/quadratic_fullcov_d100.toml") +
                          " --set dynamics.steps=300 --set dynamics.trajectories=256 --set checks.3.at_step=300 "
                          "--set checks.4.at_step=300 --set checks.5.at_step=300 --grid noise.trace=50.0,100.0 "
                          "--grid dynamics.eta=0.4,0.5 --checkpoint-every 0 --out sw";

// The CLI started in `cwd` in the background, its output appended to cwd/log.txt.
pid_t start_in(const fs::path& cwd, const std::string& args) { return test::start_cli(args, cwd.string(), "log.txt"); }
int run_in(const fs::path& cwd, const std::string& args) { return test::wait_for(start_in(cwd, args)); }

// Every file under `dir` by relative path, with the metadata fields above removed.
std::map<std::string, std::string> sweep_files(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    const std::string rel = fs::relative(e.path(), dir).string(), name = e.path().filename().string();
    std::string bytes = test::read_text(e.path());
    if (name == "summary.json" || name == "sweep.json") {
      auto j = nlohmann::ordered_json::parse(bytes);
      for (const char* key : {"metadata", "threads", "execution"}) j.erase(key);
      bytes = j.dump(2);
    }
    out[rel] = bytes;
  }
  return out;
}

void expect_same_sweep(const fs::path& ref, const fs::path& got) {
  ASSERT_TRUE(fs::exists(got / "sweep.json")) << test::read_text(got.parent_path() / "log.txt");
  const auto a = sweep_files(ref), b = sweep_files(got);
  EXPECT_EQ(a.size(), b.size());
  for (const auto& [rel, bytes] : a) {
    const auto it = b.find(rel);
    if (it == b.end()) {
      ADD_FAILURE() << got / rel << " is missing";
      continue;
    }
    EXPECT_TRUE(it->second == bytes) << rel << " differs";
  }
  EXPECT_FALSE(fs::exists(got.string() + ".partial"));
  EXPECT_FALSE(fs::exists(got / "sweep-plan.json"));
}

// The reference: the same sweep, uninterrupted, in dir/ref/sw.
fs::path reference(const fs::path& dir, const std::string& args) {
  const fs::path cwd = dir / "ref";
  fs::create_directories(cwd);
  EXPECT_EQ(run_in(cwd, args), 0) << test::read_text(cwd / "log.txt");
  return cwd / "sw";
}

// The name of the first finished point's summary in OUT.partial/.
fs::path first_point_summary(const fs::path& cwd) {
  return cwd / "sw.partial" / "points" / "000-noise.trace=50.0_dynamics.eta=0.4" / "summary.json";
}

}  // namespace

TEST(SweepResume, KilledAtRandomMomentsResumesBitwiseIdentical) {
  const fs::path dir = test::fresh_dir("sweep-kill");
  const auto t0 = std::chrono::steady_clock::now();
  const fs::path ref = reference(dir, kArgs);
  const int ms =
      static_cast<int>(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  std::mt19937_64 gen(20261207);
  std::uniform_int_distribution<int> delay_ms(ms / 10, ms);  // across the whole sweep
  int with_points = 0, with_checkpoint = 0;
  for (int t = 0; t < 5; ++t) {
    const fs::path cwd = dir / ("killed" + std::to_string(t));
    fs::create_directories(cwd);
    const pid_t pid = start_in(cwd, kArgs);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(gen)));
    ::kill(pid, SIGKILL);
    test::wait_for(pid);
    if (!fs::exists(cwd / "sw")) {
      const fs::path points = cwd / "sw.partial" / "points";
      if (fs::exists(first_point_summary(cwd))) ++with_points;
      std::error_code ec;
      for (const auto& e : fs::directory_iterator(points, ec))
        if (fs::exists(e.path() / "checkpoint.bin") || fs::exists(e.path() / "checkpoint.prev.bin")) ++with_checkpoint;
      const bool planned = fs::exists(cwd / "sw.partial" / "sweep-plan.json");
      EXPECT_EQ(run_in(cwd, kArgs + (planned ? " --resume" : "")), 0) << test::read_text(cwd / "log.txt");
    }
    expect_same_sweep(ref, cwd / "sw");
  }
  EXPECT_GE(with_points, 1) << "no trial was killed after a finished point; the delays do not cover the sweep";
  EXPECT_GE(with_checkpoint, 1) << "no trial was killed inside a checkpointed point";
  fs::remove_all(dir);
}

TEST(SweepResume, InterruptKeepsFinishedPointsAndIndependentSeedsSurvive) {
  const fs::path dir = test::fresh_dir("sweep-int");
  const std::string args = kArgs + " --seeds independent --seed 17";
  const fs::path ref = reference(dir, args);
  const fs::path cwd = dir / "int";
  fs::create_directories(cwd);
  const pid_t pid = start_in(cwd, args);
  ASSERT_TRUE(test::wait_exists(first_point_summary(cwd)));
  ::kill(pid, SIGINT);
  EXPECT_EQ(test::wait_for(pid), 128 + SIGINT) << test::read_text(cwd / "log.txt");
  EXPECT_FALSE(fs::exists(cwd / "sw"));
  EXPECT_TRUE(fs::exists(first_point_summary(cwd)));
  EXPECT_TRUE(fs::exists(cwd / "sw.partial" / "sweep-plan.json"));
  EXPECT_NE(test::read_text(cwd / "log.txt").find("--resume"), std::string::npos);
  EXPECT_FALSE(fs::exists(cwd / "sw.lock"));
  // A fresh sweep onto the interrupted one is refused; so is a resume with another seed rule.
  EXPECT_EQ(run_in(cwd, args), 2);
  EXPECT_NE(test::read_text(cwd / "log.txt").find("continue it with the same command and --resume"), std::string::npos);
  EXPECT_EQ(run_in(cwd, kArgs + " --seed 17 --resume"), 2);
  EXPECT_NE(test::read_text(cwd / "log.txt").find("a different seed rule"), std::string::npos);
  // Resumed with two points at once and another thread count: the same results.
  EXPECT_EQ(run_in(cwd, args + " --resume --parallel-points 2 --threads 2"), 0) << test::read_text(cwd / "log.txt");
  expect_same_sweep(ref, cwd / "sw");
  // The seeds are the points' own, and the command recorded is the first one.
  const auto j = nlohmann::json::parse(test::read_text(cwd / "sw" / "sweep.json"));
  for (const auto& p : j["points"]) EXPECT_EQ(p["seed"], point_seed(17, p["label"].get<std::string>()));
  EXPECT_EQ(j["command"].get<std::string>().find("--resume"), std::string::npos);
  fs::remove_all(dir);
}

TEST(SweepResume, ChangedPlanIsRefusedNamingWhatChanged) {
  const fs::path dir = test::fresh_dir("sweep-plan");
  const fs::path sc = test::write_text(dir, "q.toml", test::kSmallQuadratic);
  SweepOptions o;
  o.scenario = sc.string();
  o.grid = {"noise.variance=0.5,1.0"};
  o.out = (dir / "sw").string();
  const std::atomic<bool> stopped{true};  // stops before the first point: a plan, no point
  o.stop = &stopped;
  std::ostringstream out, progress;
  ASSERT_EQ(run_sweep(o, out, progress), 130) << progress.str();
  ASSERT_TRUE(fs::exists(dir / "sw.partial" / "sweep-plan.json"));
  o.stop = nullptr;
  o.resume = true;
  auto refused = [&](SweepOptions changed, const std::string& what) {
    try {
      run_sweep(changed, out, progress);
      ADD_FAILURE() << "not refused: " << what;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
  };
  SweepOptions c = o;
  c.grid = {"noise.variance=0.5,2.0"};
  refused(c, "different points: 2 planned, 2 now; point 1 was \"noise.variance=1.0\"");
  c = o;
  c.grid.push_back("dynamics.eta=0.1");
  refused(c, "different points");
  c = o;
  c.independent_seeds = true;
  refused(c, "a different seed rule: the sweep began with --seeds shared and seed 3, now --seeds independent");
  c = o;
  c.seed = 4;
  refused(c, "seed 3, now --seeds shared and seed 4");
  c = o;
  c.sets = {"dynamics.steps=12"};
  refused(c, "different --set overrides");
  c = o;
  c.save_states = true;
  refused(c, "--save-states");
  test::write_text(dir, "q.toml", std::string(test::kSmallQuadratic) + "# an edit\n");
  refused(o, "the scenario changed: " + sc.string());
  // The plan unchanged: the resume runs every point.
  test::write_text(dir, "q.toml", test::kSmallQuadratic);
  EXPECT_EQ(run_sweep(o, out, progress), 0) << progress.str();
  EXPECT_TRUE(fs::exists(dir / "sw" / "sweep.json"));
  EXPECT_FALSE(fs::exists(dir / "sw.partial"));
  // Nothing to resume now: refused.
  c = o;
  c.out = (dir / "other").string();
  refused(c, "no interrupted sweep");
  fs::remove_all(dir);
}

TEST(SweepResume, ParallelPointsGiveTheSameResults) {
  const fs::path dir = test::fresh_dir("sweep-par");
  SweepOptions o;
  o.scenario = test::write_text(dir, "q.toml", test::kSmallQuadratic).string();
  o.grid = {"noise.variance=0.5,1.0,2.0", "dynamics.eta=0.05,0.1"};
  o.independent_seeds = true;
  o.command = "sgdnoise sweep";
  std::ostringstream out, progress;
  o.out = (dir / "one").string();
  ASSERT_EQ(run_sweep(o, out, progress), 0) << progress.str();  // one point at a time: --threads 1
  o.out = (dir / "three").string();
  o.threads = 3;  // three at once, each with one thread (the default)
  ASSERT_EQ(run_sweep(o, out, progress), 0) << progress.str();
  const auto a = sweep_files(dir / "one"), b = sweep_files(dir / "three");
  EXPECT_EQ(a.size(), 6U * 2 + 2);
  EXPECT_TRUE(a == b);
  const auto j = nlohmann::json::parse(test::read_text(dir / "three" / "sweep.json"));
  EXPECT_EQ(j["execution"], "points run 3 at a time, each with 1 threads (results do not depend on either)");
  // At most --threads points at once: --parallel-points 2 with 4 threads gives each two.
  o.out = (dir / "two").string();
  o.threads = 4;
  o.parallel_points = 2;
  ASSERT_EQ(run_sweep(o, out, progress), 0) << progress.str();
  EXPECT_TRUE(sweep_files(dir / "two") == a);
  EXPECT_EQ(nlohmann::json::parse(test::read_text(dir / "two" / "sweep.json"))["execution"],
            "points run 2 at a time, each with 2 threads (results do not depend on either)");
  fs::remove_all(dir);
}
