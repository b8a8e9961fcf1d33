// Long runs survive interruption: a run killed with SIGKILL at points drawn from a
// seeded generator, then resumed from its last checkpoint, ends bitwise identical to an
// uninterrupted run; SIGINT writes a checkpoint and an incomplete summary.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>

#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

#include "test_util.hpp"

using namespace sgdnoise;
namespace fs = std::filesystem;

namespace {
const std::string kArgs = test::source_path("scenarios/quadratic_fullcov_d100.toml") +
                          " --set dynamics.steps=1000 --set dynamics.trajectories=512 --set checks.3.at_step=1000 "
                          "--set checks.4.at_step=1000 --set checks.5.at_step=1000 --threads 2";

// Every field of summary.json but the metadata (threads, command line, instruction set), and
// series.csv, byte for byte.
void expect_same_results(const fs::path& a, const fs::path& b) {
  EXPECT_EQ(test::read_text(a / "series.csv"), test::read_text(b / "series.csv"));
  auto ja = nlohmann::json::parse(test::read_text(a / "summary.json")),
       jb = nlohmann::json::parse(test::read_text(b / "summary.json"));
  ASSERT_TRUE(ja.contains("metadata"));
  ja.erase("metadata");
  jb.erase("metadata");
  for (const auto& [key, value] : ja.items()) EXPECT_EQ(value, jb.value(key, nlohmann::json())) << key;
  for (const auto& [key, value] : jb.items()) EXPECT_TRUE(ja.contains(key)) << key;
}
}  // namespace

TEST(Resume, KilledRunsResumeBitwiseIdentical) {
  const fs::path dir = test::fresh_dir("resume");
  const auto ref = test::run_cli("run " + kArgs + " --out " + (dir / "ref").string());
  ASSERT_EQ(ref.code, 0) << ref.output;
  std::mt19937_64 gen(20261125);
  std::uniform_int_distribution<int> delay_ms(30, 600);
  int resumed = 0;
  const int trials = 5;
  for (int t = 0; t < trials; ++t) {
    const fs::path out = dir / ("killed" + std::to_string(t));
    const pid_t pid = test::start_cli("run " + kArgs + " --checkpoint-every 0 --out " + out.string());
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(gen)));
    ::kill(pid, SIGKILL);
    test::wait_for(pid);
    if (!fs::exists(out)) {
      if (!fs::exists(out.string() + ".partial/checkpoint.bin") &&
          !fs::exists(out.string() + ".partial/checkpoint.prev.bin")) {
        // Killed before the first checkpoint: start again from scratch.
        ASSERT_EQ(test::run_cli("run " + kArgs + " --out " + out.string()).code, 0);
      } else {
        const auto r = test::run_cli("run --resume " + out.string() + " --threads 1");
        ASSERT_EQ(r.code, 0) << r.output;
        ++resumed;
      }
    }
    expect_same_results(dir / "ref", out);
    EXPECT_FALSE(fs::exists(out.string() + ".partial"));
  }
  EXPECT_GE(resumed, 1) << "no trial was killed mid-run; the delays do not cover the run";
  fs::remove_all(dir);
}

TEST(Resume, InterruptWritesCheckpointAndIncompleteSummary) {
  const fs::path dir = test::fresh_dir("interrupt");
  const fs::path out = dir / "run";
  const pid_t pid =
      test::start_cli("run " + kArgs + " --set dynamics.steps=100000 --checkpoint-every 3600 --out " + out.string());
  ASSERT_TRUE(test::wait_exists(out.string() + ".lock"));  // the signal handlers are in place
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  ::kill(pid, SIGINT);
  EXPECT_EQ(test::wait_for(pid), 128 + SIGINT);
  ASSERT_TRUE(fs::exists(out.string() + ".partial/checkpoint.bin"));
  const auto j = nlohmann::json::parse(test::read_text(out.string() + ".partial/summary.json"));
  EXPECT_EQ(j["status"], "interrupted");
  EXPECT_EQ(j["complete"], false);
  EXPECT_FALSE(fs::exists(out));
  // A corrupt checkpoint is refused with exit 2.
  std::ofstream(out.string() + ".partial/checkpoint.bin", std::ios::trunc) << "garbage";
  const auto bad = test::run_cli("run --resume " + out.string());
  EXPECT_EQ(bad.code, 2) << bad.output;
  EXPECT_NE(bad.output.find("corrupt checkpoint"), std::string::npos) << bad.output;
  EXPECT_NE(bad.output.find("checkpoint.bin"), std::string::npos) << bad.output;
  fs::remove_all(dir);
}

TEST(Resume, EscapeRecordSurvivesInterruption) {
  // The escape observer's first passages travel in the checkpoint: an escape run (with
  // escaped trajectories leaving the batch) interrupted by SIGINT and resumed reports the
  // escape statistics of the uninterrupted run, not "unavailable".
  const fs::path dir = test::fresh_dir("resume_escape");
  const std::string args =
      test::source_path("scenarios/double_well_escape.toml") + " --set dynamics.trajectories=20000 --threads 2";
  const auto ref = test::run_cli("run " + args + " --save-states --out " + (dir / "ref").string());
  ASSERT_EQ(ref.code, 0) << ref.output;
  const fs::path out = dir / "run";
  const pid_t pid = test::start_cli("run " + args + " --save-states --checkpoint-every 0 --out " + out.string());
  ASSERT_TRUE(test::wait_exists(out.string() + ".lock"));  // the signal handlers are in place
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  ::kill(pid, SIGINT);
  ASSERT_EQ(test::wait_for(pid), 128 + SIGINT) << "the run ended before the interrupt: make it longer";
  // A corrupt last checkpoint: the resume falls back to the previous one, and still ends
  // identical to the uninterrupted run.
  const bool has_prev = fs::exists(out.string() + ".partial/checkpoint.prev.bin");
  if (has_prev) {
    std::fstream f(out.string() + ".partial/checkpoint.bin", std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(100);
    const char c = static_cast<char>(f.get());
    f.seekp(100);
    f.put(static_cast<char>(c ^ 0x10));
  }
  const auto r = test::run_cli("run --resume " + out.string() + " --threads 1");
  ASSERT_EQ(r.code, 0) << r.output;
  if (has_prev) {
    EXPECT_NE(r.output.find("checksum"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("resuming from the previous checkpoint"), std::string::npos) << r.output;
  }
  const auto ja = nlohmann::json::parse(test::read_text(dir / "ref" / "summary.json")),
             jb = nlohmann::json::parse(test::read_text(out / "summary.json"));
  ASSERT_TRUE(jb["escape"].contains("counts")) << jb["escape"].dump();
  for (const char* key : {"counts", "mean_steps", "survival_steps", "rate_per_step"})
    if (ja["escape"].contains(key)) {
      EXPECT_EQ(ja["escape"][key], jb["escape"][key]) << key;
    }
  EXPECT_EQ(ja["escape"]["stop_escaped"]["stopped"], jb["escape"]["stop_escaped"]["stopped"]);
  // Every field, the trajectory-steps of escape.stop_escaped included (carried in the
  // checkpoint), and the final states of --save-states, given to the interrupted run only.
  EXPECT_EQ(ja["escape"]["stop_escaped"]["trajectory_steps"], jb["escape"]["stop_escaped"]["trajectory_steps"]);
  expect_same_results(dir / "ref", out);
  ASSERT_TRUE(fs::exists(out / "final_states.npy"));
  EXPECT_EQ(test::read_text(dir / "ref" / "final_states.npy"), test::read_text(out / "final_states.npy"));
  fs::remove_all(dir);
}
