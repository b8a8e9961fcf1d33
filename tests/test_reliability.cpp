// Write discipline and exit codes (issue 20): checksummed checkpoints with a fallback to the
// previous one, durable atomic writes that leave no temporary, the output lock, --force
// replacing only what sgdnoise wrote, scenario names that stay in runs/, outputs checked
// before the computation, and exit code 4 for outputs that cannot be written.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <csignal>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/checksum.hpp"
#include "core/errors.hpp"
#include "core/openmp_env.hpp"
#include "io/checkpoint.hpp"
#include "io/durable.hpp"
#include "io/output_lock.hpp"
#include "io/run_dir.hpp"
#include "scenario/scenario.hpp"
#include "test_util.hpp"

using namespace sgdnoise;
namespace fs = std::filesystem;

namespace {

const char* const kSmall = test::kSmallQuadratic;

// A run that takes minutes: long enough to be interrupted, or to show that an output check
// came before the computation.
const std::string kLong = test::source_path("scenarios/quadratic_fullcov_d100.toml") +
                          " --set dynamics.steps=100000 --set dynamics.trajectories=512 --set checks.3.at_step=1000 "
                          "--set checks.4.at_step=1000 --set checks.5.at_step=1000 --threads 2";

// Every entry under `dir` whose name marks a temporary (".tmp-", ".old-").
std::vector<std::string> temporaries(const fs::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); it != fs::recursive_directory_iterator(); ++it) {
    const std::string n = it->path().filename().string();
    if (n.find(".tmp-") != std::string::npos || n.find(".old-") != std::string::npos) out.push_back(it->path());
  }
  return out;
}

Checkpoint small_checkpoint() {
  Checkpoint c;
  c.scenario_file = "s.toml";
  c.scenario_toml = "name = \"t\"\n";
  c.state = Mat::Constant(3, 2, 0.25);
  c.record.diverged_at = {-1, -1, -1};
  c.record.trajectory_steps = 30.0;
  SeriesRow row;
  row.k = 10;
  row.tau = 1.0;
  row.n_alive = 3;
  Observation o;
  o.name = "loss";
  o.est.value = 0.5;
  o.est.se = 0.1;
  o.est.n = 3;
  o.est.method = "mean";
  row.values.push_back(o);
  c.record.series.push_back(row);
  c.observer_states = {"", "abc"};
  c.save_states = true;
  return c;
}

// A tmpfs of `size` mounted at a fresh directory for the test's lifetime (root only).
struct TmpfsMount {
  fs::path dir;
  bool ok = false;
  TmpfsMount(const std::string& tag, const std::string& options) : dir(test::fresh_dir(tag)) {
    ok = ::geteuid() == 0 && ::mount("tmpfs", dir.c_str(), "tmpfs", 0, options.c_str()) == 0;
  }
  ~TmpfsMount() {
    if (ok) ::umount2(dir.c_str(), MNT_DETACH);
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

}  // namespace

// --- checksums and checkpoints -------------------------------------------------------------

TEST(Checksum, Crc32KnownValues) {
  EXPECT_EQ(crc32(std::string_view("123456789")), 0xCBF43926U);
  EXPECT_EQ(crc32(std::string_view("")), 0U);
  // Continuing a CRC over a split input gives the CRC of the whole.
  EXPECT_EQ(crc32(std::string_view("6789"), crc32(std::string_view("12345"))), 0xCBF43926U);
}

TEST(Checkpoint, RoundTripCarriesTrajectoryStepsAndSaveStates) {
  const Checkpoint c = small_checkpoint();
  const Checkpoint d = parse_checkpoint(checkpoint_bytes(c), "ck");
  EXPECT_EQ(d.record.trajectory_steps, 30.0);
  EXPECT_TRUE(d.save_states);
  EXPECT_EQ(d.state, c.state);
  EXPECT_EQ(d.observer_states, c.observer_states);
}

TEST(Checkpoint, EveryBitFlipAndOverwriteIsRefused) {
  const std::string good = checkpoint_bytes(small_checkpoint());
  int refused = 0;
  for (std::size_t i = 0; i < good.size(); ++i)
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = good;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      try {
        parse_checkpoint(bad, "ck.bin");
        ADD_FAILURE() << "a flip of bit " << bit << " of byte " << i << " was accepted";
      } catch (const InputError& e) {
        const std::string m = e.what();
        EXPECT_TRUE(m.find("checksum") != std::string::npos) << m;
        EXPECT_NE(m.find("ck.bin"), std::string::npos) << m;
        ++refused;
      }
    }
  for (std::size_t i = 0; i + 8 <= good.size(); ++i) {
    std::string bad = good;
    bad.replace(i, 8, "\x13\x37\xde\xad\xbe\xef\x00\xff", 8);
    if (bad == good) continue;
    EXPECT_THROW(parse_checkpoint(bad, "ck.bin"), InputError) << "8 bytes at " << i;
  }
  EXPECT_EQ(refused, static_cast<int>(good.size()) * 8);
  // Truncated and extended files too.
  EXPECT_THROW(parse_checkpoint(good.substr(0, good.size() - 1), "ck"), InputError);
  EXPECT_THROW(parse_checkpoint(good + "x", "ck"), InputError);
  EXPECT_THROW(parse_checkpoint("garbage", "ck"), InputError);
}

TEST(Checkpoint, OlderFormatIsRefusedClearly) {
  std::string v2 = checkpoint_bytes(small_checkpoint());
  v2[7] = '2';
  v2.resize(v2.size() - 4);  // format 2 had no checksum
  try {
    parse_checkpoint(v2, "old.bin");
    FAIL() << "a format-2 checkpoint was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("checkpoint format 2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("format 3"), std::string::npos) << e.what();
  }
}

TEST(Checkpoint, SaveKeepsThePreviousAndLoadFallsBackToIt) {
  const fs::path dir = test::fresh_dir("ckprev");
  const fs::path run = dir / "run";
  Checkpoint a = small_checkpoint(), b = small_checkpoint();
  b.record.trajectory_steps = 60.0;
  save_checkpoint(run, a);
  EXPECT_FALSE(fs::exists(previous_checkpoint_path(run)));
  save_checkpoint(run, b);
  ASSERT_TRUE(fs::exists(previous_checkpoint_path(run)));
  EXPECT_TRUE(temporaries(dir).empty());
  std::ostringstream notes;
  EXPECT_EQ(load_checkpoint(run, notes).record.trajectory_steps, 60.0);
  EXPECT_TRUE(notes.str().empty());
  // Corrupt the last one: the previous one is taken, with a note, and the corrupt file is
  // moved aside so that the next checkpoint cannot push the good one out.
  {
    std::fstream f(checkpoint_path(run), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(40);
    f.put('\x7f');
  }
  EXPECT_EQ(load_checkpoint(run, notes).record.trajectory_steps, 30.0);
  EXPECT_NE(notes.str().find("checksum"), std::string::npos) << notes.str();
  EXPECT_NE(notes.str().find("checkpoint.prev.bin"), std::string::npos) << notes.str();
  EXPECT_FALSE(fs::exists(checkpoint_path(run)));
  // Both bad: refused, naming the checksum.
  {
    std::fstream f(previous_checkpoint_path(run), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(40);
    f.put('\x7f');
  }
  try {
    load_checkpoint(run, notes);
    FAIL() << "a corrupt checkpoint was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("checksum"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(discard_checkpoints(run));
  EXPECT_FALSE(fs::exists(partial_dir(run)));
  fs::remove_all(dir);
}

// --- durable writes ------------------------------------------------------------------------

TEST(Durable, WriteFileAtomicallyReplacesAndLeavesNoTemporary) {
  const fs::path dir = test::fresh_dir("durable");
  write_file_atomically(dir / "a.txt", "one");
  write_file_atomically(dir / "a.txt", "two");
  EXPECT_EQ(test::read_text(dir / "a.txt"), "two");
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  EXPECT_EQ(names, std::vector<std::string>{"a.txt"});
  // Onto a directory, through a file, a name too long: IoError, and no temporary.
  fs::create_directories(dir / "d");
  EXPECT_THROW(write_file_atomically(dir / "d", "x"), IoError);
  EXPECT_THROW(write_file_atomically(dir / "a.txt" / "b", "x"), IoError);
  EXPECT_THROW(write_file_atomically(dir / std::string(300, 'n'), "x"), IoError);
  EXPECT_TRUE(temporaries(dir).empty());
  EXPECT_EQ(read_file(dir / "a.txt"), "two");
  EXPECT_THROW(read_file(dir / "missing"), IoError);
  fs::remove_all(dir);
}

TEST(Durable, FullDeviceIsAnIoErrorNamingThePath) {
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  try {
    write_file_synced("/dev/full", std::string(1 << 16, 'x'));
    FAIL() << "writing /dev/full succeeded";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("/dev/full"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("could not be written"), std::string::npos) << e.what();
  }
}

// --- the output lock -----------------------------------------------------------------------

TEST(OutputLock, SecondHolderRefusedStaleTakenOver) {
  const fs::path dir = test::fresh_dir("lock");
  std::ostringstream notes;
  {
    const OutputLock a(dir / "out", notes);
    EXPECT_TRUE(fs::exists(dir / "out.lock"));
    EXPECT_EQ(std::stol(test::read_text(dir / "out.lock")), static_cast<long>(::getpid()));
    try {
      const OutputLock b(dir / "out/", notes);
      FAIL() << "the lock was taken twice";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("out.lock"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(std::to_string(::getpid())), std::string::npos) << e.what();
    }
  }
  EXPECT_FALSE(fs::exists(dir / "out.lock"));
  // A lock left by a process that died: taken over, with a note.
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);
  std::ofstream(dir / "out.lock") << child << "\n";
  {
    const OutputLock c(dir / "out", notes);
    EXPECT_NE(notes.str().find("stale"), std::string::npos) << notes.str();
    EXPECT_NE(notes.str().find(std::to_string(child)), std::string::npos) << notes.str();
  }
  // A parent that is a file, a name too long: IoError.
  std::ofstream(dir / "file") << "x";
  EXPECT_THROW(OutputLock(dir / "file" / "out", notes), IoError);
  EXPECT_THROW(OutputLock(dir / std::string(300, 'n'), notes), IoError);
  fs::remove_all(dir);
}

// --- the command line ----------------------------------------------------------------------

TEST(Reliability, SecondRunOnTheSameOutputIsRefusedAtOnce) {
  const fs::path dir = test::fresh_dir("rel-lock");
  const fs::path out = dir / "run";
  const pid_t pid = test::start_cli("run " + kLong + " --checkpoint-every 3600 --out " + out.string());
  ASSERT_TRUE(test::wait_exists(out.string() + ".lock"));
  const auto t0 = std::chrono::steady_clock::now();
  const auto second = test::run_cli("run " + kLong + " --out " + out.string());
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 30.0);
  EXPECT_EQ(second.code, 2) << second.output;
  EXPECT_NE(second.output.find(out.string() + ".lock"), std::string::npos) << second.output;
  EXPECT_NE(second.output.find(std::to_string(pid)), std::string::npos) << second.output;
  // Interrupted: a checkpoint to resume from. A fresh run onto it is refused.
  ::kill(pid, SIGINT);
  ASSERT_EQ(test::wait_for(pid), 128 + SIGINT);
  ASSERT_TRUE(fs::exists(checkpoint_path(out)));
  EXPECT_FALSE(fs::exists(out.string() + ".lock"));
  const auto fresh = test::run_cli("run " + kLong + " --out " + out.string());
  EXPECT_EQ(fresh.code, 2) << fresh.output;
  EXPECT_NE(fresh.output.find("--resume"), std::string::npos) << fresh.output;
  EXPECT_NE(fresh.output.find("--force"), std::string::npos) << fresh.output;
  ASSERT_TRUE(fs::exists(checkpoint_path(out)));
  // Two resumes at once: the second is refused, and the first keeps its checkpoint.
  const pid_t first = test::start_cli("run --resume " + out.string() + " --checkpoint-every 3600");
  ASSERT_TRUE(test::wait_exists(out.string() + ".lock"));
  const auto again = test::run_cli("run --resume " + out.string());
  EXPECT_EQ(again.code, 2) << again.output;
  EXPECT_NE(again.output.find(std::to_string(first)), std::string::npos) << again.output;
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ::kill(first, SIGINT);
  EXPECT_EQ(test::wait_for(first), 128 + SIGINT);
  std::ostringstream notes;
  EXPECT_NO_THROW(load_checkpoint(out, notes));
  EXPECT_TRUE(notes.str().empty()) << notes.str();
  EXPECT_TRUE(temporaries(dir).empty());
  // --force discards the checkpoint and starts again.
  const auto forced =
      test::run_cli("run " + test::write_text(dir, "s.toml", kSmall).string() + " --force --out " + out.string());
  EXPECT_EQ(forced.code, 0) << forced.output;
  EXPECT_FALSE(fs::exists(partial_dir(out)));
  fs::remove_all(dir);
}

TEST(Reliability, CorruptCheckpointIsRefusedNeverResumed) {
  const fs::path dir = test::fresh_dir("rel-corrupt");
  const fs::path out = dir / "run";
  const pid_t pid = test::start_cli("run " + kLong + " --checkpoint-every 3600 --out " + out.string());
  // The lock is taken after the signal handlers are installed: a SIGINT before them (a slow
  // start under the sanitizers, on a loaded machine) would kill the run without a checkpoint.
  ASSERT_TRUE(test::wait_exists(out.string() + ".lock"));
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  ::kill(pid, SIGINT);
  ASSERT_EQ(test::wait_for(pid), 128 + SIGINT);
  ASSERT_TRUE(fs::exists(checkpoint_path(out)));
  ASSERT_FALSE(fs::exists(previous_checkpoint_path(out)));  // one checkpoint: nothing to fall back to
  const std::string good = test::read_text(checkpoint_path(out));
  // Offsets in the header (magic, scenario text) and throughout the payload (the state, the
  // series, the observers), bit flips and 8-byte overwrites.
  std::vector<std::size_t> offsets = {0, 3, 7, 8, 12, 16, 40, 100};
  for (int i = 1; i <= 40; ++i) offsets.push_back(good.size() * static_cast<std::size_t>(i) / 41);
  offsets.push_back(good.size() - 9);
  offsets.push_back(good.size() - 1);
  int trial = 0;
  for (const std::size_t at : offsets) {
    std::string bad = good;
    if (trial++ % 2 == 0)
      bad[at] = static_cast<char>(bad[at] ^ (1 << (trial % 8)));
    else
      bad.replace(at, std::min<std::size_t>(8, bad.size() - at), std::string(8, '\x55').substr(0, 8));
    bad.resize(good.size());
    if (bad == good) continue;
    std::ofstream(checkpoint_path(out), std::ios::binary | std::ios::trunc) << bad;
    const auto r = test::run_cli("run --resume " + out.string());
    EXPECT_EQ(r.code, 2) << "offset " << at << ": " << r.output;
    EXPECT_NE(r.output.find("checksum"), std::string::npos) << "offset " << at << ": " << r.output;
    EXPECT_NE(r.output.find(checkpoint_path(out).string()), std::string::npos) << r.output;
  }
  EXPECT_FALSE(fs::exists(out));
  fs::remove_all(dir);
}

TEST(Reliability, ForceReplacesOnlyWhatSgdnoiseWrote) {
  const fs::path dir = test::fresh_dir("rel-force");
  const fs::path sc = test::write_text(dir, "s.toml", kSmall);
  fs::create_directories(dir / "out");
  test::write_text(dir / "out", "precious.txt", "keep me");
  const auto r = test::run_cli("run " + sc.string() + " --force --out " + (dir / "out").string());
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("not a run or sweep directory"), std::string::npos) << r.output;
  EXPECT_EQ(test::read_text(dir / "out" / "precious.txt"), "keep me");
  // A run directory with a file of the user's in it: refused too.
  ASSERT_EQ(test::run_cli("run " + sc.string() + " --out " + (dir / "run").string()).code, 0);
  test::write_text(dir / "run", "notes.txt", "mine");
  const auto r2 = test::run_cli("run " + sc.string() + " --force --out " + (dir / "run").string());
  EXPECT_EQ(r2.code, 2) << r2.output;
  EXPECT_NE(r2.output.find("notes.txt"), std::string::npos) << r2.output;
  EXPECT_EQ(test::read_text(dir / "run" / "notes.txt"), "mine");
  // A run directory as sgdnoise wrote it is replaced.
  fs::remove(dir / "run" / "notes.txt");
  const auto r3 = test::run_cli("run " + sc.string() + " --force --out " + (dir / "run").string());
  EXPECT_EQ(r3.code, 0) << r3.output;
  EXPECT_TRUE(temporaries(dir).empty());
  // A sweep directory is too.
  const auto s1 = test::run_cli("sweep " + sc.string() + " --grid seed=1,2 --out " + (dir / "sw").string());
  ASSERT_EQ(s1.code, 0) << s1.output;
  const auto s2 = test::run_cli("sweep " + sc.string() + " --grid seed=1,2 --force --out " + (dir / "sw").string());
  EXPECT_EQ(s2.code, 0) << s2.output;
  const auto s3 = test::run_cli("sweep " + sc.string() + " --grid seed=1,2 --force --out " + (dir / "out").string());
  EXPECT_EQ(s3.code, 2) << s3.output;
  EXPECT_EQ(test::read_text(dir / "out" / "precious.txt"), "keep me");
  fs::remove_all(dir);
}

TEST(Reliability, ScenarioNameStaysInRuns) {
  const fs::path dir = test::fresh_dir("rel-name");
  const fs::path sc = test::write_text(dir, "s.toml", kSmall);
  for (const std::string bad : {"'\"../../evil\"'", "'\"\"'", "'\"a/b\"'", "'\".hidden\"'", "'\"..\"'"}) {
    const auto r = test::run_cli("run " + sc.string() + " --set name=" + bad);
    EXPECT_EQ(r.code, 2) << bad << ": " << r.output;
    EXPECT_NE(r.output.find("name"), std::string::npos) << r.output;
  }
  EXPECT_THROW(Scenario::parse(std::string(kSmall).replace(6, 3, "\"../../evil\""), "s.toml"), InputError);
  EXPECT_FALSE(fs::exists("../../evil"));
  EXPECT_FALSE(fs::exists("runs/a"));
  fs::remove_all(dir);
}

TEST(Reliability, ImpossibleOutputsFoundBeforeTheComputation) {
  const fs::path dir = test::fresh_dir("rel-out");
  test::write_text(dir, "file", "x");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {(dir / "file" / "out").string(), "Not a directory"},
      {(dir / std::string(300, 'n')).string(), "too long"},
  };
  for (const auto& [out, why] : cases) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto r = test::run_cli("run " + kLong + " --out " + out);
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 30.0) << out;
    EXPECT_EQ(r.code, 4) << r.output;
    EXPECT_NE(r.output.find("could not be written"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(why), std::string::npos) << r.output;
  }
  const TmpfsMount ro("rel-ro", "ro,size=64k");
  if (ro.ok) {
    const auto r = test::run_cli("run " + kLong + " --out " + (ro.dir / "out").string());
    EXPECT_EQ(r.code, 4) << r.output;
    EXPECT_NE(r.output.find("Read-only"), std::string::npos) << r.output;
  }
  // fokker-planck onto a directory: refused before writing, no temporary.
  fs::create_directories(dir / "d");
  const auto fp = test::run_cli("fokker-planck " + test::source_path("scenarios/fp_double_well_1d.toml") + " --out " +
                                (dir / "d").string());
  EXPECT_EQ(fp.code, 2) << fp.output;
  EXPECT_TRUE(temporaries(dir).empty());
  fs::remove_all(dir);
  if (!ro.ok) GTEST_SKIP() << "the read-only case needs root and tmpfs mounts";
}

TEST(Reliability, FullDiskExitsFourAndLeavesNoTemporary) {
  const TmpfsMount m("rel-enospc", "size=64k");
  if (!m.ok) GTEST_SKIP() << "needs root to mount a small tmpfs";
  const std::string args = test::source_path("scenarios/quadratic_fullcov_d100.toml") +
                           " --set dynamics.steps=200 --set dynamics.trajectories=256 --set checks.3.at_step=200 "
                           "--set checks.4.at_step=200 --set checks.5.at_step=200";
  // The checkpoints (200 kB of states) do not fit: warnings, the run goes on; nor do the
  // final states: exit 4.
  const auto r = test::run_cli("run " + args + " --checkpoint-every 0 --save-states --out " + (m.dir / "run").string());
  EXPECT_EQ(r.code, 4) << r.output;
  EXPECT_NE(r.output.find("warning: checkpoint not written"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("final_states.npy"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("No space left on device"), std::string::npos) << r.output;
  EXPECT_TRUE(temporaries(m.dir).empty());
  EXPECT_FALSE(fs::exists(m.dir / "run.lock"));
  EXPECT_FALSE(fs::exists(m.dir / "run"));
}

TEST(Reliability, InterruptOnAFullDiskKeepsTheLastGoodCheckpoint) {
  const TmpfsMount m("rel-sigint-full", "size=4m");
  if (!m.ok) GTEST_SKIP() << "needs root to mount a small tmpfs";
  const fs::path out = m.dir / "run";
  const pid_t pid = test::start_cli("run " + kLong + " --checkpoint-every 0 --out " + out.string());
  ASSERT_TRUE(test::wait_exists(checkpoint_path(out)));
  {  // fill the disk
    std::ofstream fill(m.dir / "filler", std::ios::binary);
    const std::string block(1 << 14, 'f');
    while (fill.write(block.data(), block.size())) {
    }
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ::kill(pid, SIGINT);
  EXPECT_EQ(test::wait_for(pid), 128 + SIGINT);
  std::ostringstream notes;
  EXPECT_NO_THROW(load_checkpoint(out, notes)) << notes.str();
  EXPECT_TRUE(temporaries(m.dir).empty());
  EXPECT_FALSE(fs::exists(out.string() + ".lock"));
}

TEST(Reliability, InterruptedSweepLeavesItsStateAndNoTemporary) {
  const fs::path dir = test::fresh_dir("rel-sweep");
  const pid_t pid = test::start_cli("sweep " + kLong + " --grid seed=1,2 --out " + (dir / "sw").string());
  ASSERT_TRUE(test::wait_exists(dir / "sw.lock"));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ::kill(pid, SIGTERM);
  EXPECT_EQ(test::wait_for(pid), 128 + SIGTERM);
  // Only the resumable state (tests/test_sweep_resume.cpp): the plan and the running point's checkpoint.
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(dir)) left.push_back(e.path().filename().string());
  EXPECT_EQ(left, std::vector<std::string>{"sw.partial"});
  EXPECT_TRUE(fs::exists(dir / "sw.partial" / "sweep-plan.json"));
  EXPECT_TRUE(fs::exists(dir / "sw.partial" / "points" / "000-seed=1.partial" / "checkpoint.bin"));
  EXPECT_TRUE(temporaries(dir).empty());
  fs::remove_all(dir);
}

TEST(Reliability, ThreadsBeyondABoundAreBadInput) {
  if (4 * std::thread::hardware_concurrency() >= 1024) GTEST_SKIP() << "a machine this large allows 1024 threads";
  const fs::path dir = test::fresh_dir("rel-threads");
  const auto r = test::run_cli("run " + test::write_text(dir, "s.toml", kSmall).string() + " --threads 1024 --out " +
                               (dir / "o").string());
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--threads"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "o"));
  fs::remove_all(dir);
}

// tests/test_main.cpp calls tune_process_environment like sgdnoise's main: the runner was
// re-executed with a wait policy and glibc's tunables set (the user's own, or ours).
TEST(ProcessEnvironment, RunnerRunsWithAWaitPolicyAndMallocTunables) {
  EXPECT_TRUE(std::getenv("OMP_WAIT_POLICY") != nullptr || std::getenv("GOMP_SPINCOUNT") != nullptr);
  ASSERT_NE(std::getenv("GLIBC_TUNABLES"), nullptr);
}

// The thread governor (core/openmp_env.hpp): a window of team regions that ran no faster than
// one thread (the threads' CPU time below the wall time) sends the next 16 regions to one
// thread, then 32 after a second such window; a window that paid restores the team and the
// period; what the work allows on one thread is never changed.
TEST(ThreadGovernor, OneThreadAfterAWindowThatDidNotPay) {
  ThreadGovernor g;
  auto window = [&](double cpu_per_wall) {
    for (int i = 0; i < ThreadGovernor::kWindow; ++i) {
      ASSERT_EQ(g.team(2), 2);
      g.record(2, 1.0, cpu_per_wall);
    }
  };
  auto solo_run = [&]() {  // regions on one thread until the team is tried again
    int n = 0;
    while (g.team(2) == 1) ++n;
    return n;
  };
  window(1.6);  // paid: the team stays
  EXPECT_EQ(g.team(2), 2);
  EXPECT_EQ(g.team(1), 1);
  g.record(2, 1.0, 1.6);  // (the region of that team(2): the window has one region in it now)
  for (int i = 1; i < ThreadGovernor::kWindow; ++i) g.record(2, 1.0, 0.9);  // 1 + 7 regions: cpu 7.9 < wall 8
  EXPECT_EQ(solo_run(), 16);  // 16 regions on one thread, then the team again
  EXPECT_EQ(g.solo_regions(), 16);
  g.record(2, 1.0, 0.5);
  for (int i = 1; i < ThreadGovernor::kWindow; ++i) {
    ASSERT_EQ(g.team(2), 2);
    g.record(2, 1.0, 0.5);
  }
  EXPECT_EQ(solo_run(), 32);  // the period doubled
  g.record(2, 1.0, 2.0);
  for (int i = 1; i < ThreadGovernor::kWindow; ++i) {
    ASSERT_EQ(g.team(2), 2);
    g.record(2, 1.0, 2.0);
  }
  window(0.5);
  EXPECT_EQ(solo_run(), 16);  // a window that paid restored the period of 16
  // One thread's regions are neither counted nor changed.
  ThreadGovernor h;
  for (int i = 0; i < 100; ++i) h.record(1, 1.0, 0.1);
  EXPECT_EQ(h.team(2), 2);
}
