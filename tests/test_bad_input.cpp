// Issue 20: bad input is refused with exit 2 and a message that names the file, the key and
// the reason; inputs that used to be accepted (empty CSV cells, nan limits, line breaks in
// --set) or misread (directories, devices, unparsable TOML values) are refused clearly.
#include <gtest/gtest.h>

#include <string>

#include "core/input_file.hpp"
#include "core/matrix_file.hpp"
#include "scenario/scenario.hpp"
#include "app/sweep.hpp"
#include "test_util.hpp"

using namespace sgdnoise;
namespace fs = std::filesystem;

namespace {

const char* const kValid = test::kSmallQuadratic;

// The InputError's full message, or "" when `f` does not throw one.
template <class F>
std::string input_error(F f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

// Runs the CLI and expects exit 2 with every part in the output.
void expect_refused(const std::string& args, const std::vector<std::string>& parts) {
  SCOPED_TRACE(args);
  const auto r = test::run_cli(args);
  EXPECT_EQ(r.code, 2) << r.output;
  for (const auto& p : parts)
    EXPECT_NE(r.output.find(p), std::string::npos) << "missing '" << p << "' in\n" << r.output;
}

}  // namespace

TEST(BadInput, MatrixCsvRefusesEmptyCells) {
  EXPECT_NE(input_error([] { parse_matrix_csv("1,,0,0\n0,1,0,0\n", "m.csv"); }).find("m.csv:1"), std::string::npos);
  EXPECT_NE(input_error([] { parse_matrix_csv("1,0\n0,1,\n", "m.csv"); }).find("m.csv:2: empty cell in column 3"),
            std::string::npos);
  EXPECT_NE(input_error([] { parse_matrix_csv("1;;2\n", "m.csv"); }).find("empty cell in column 2"), std::string::npos);
  EXPECT_NE(input_error([] { parse_matrix_csv(",1\n", "m.csv"); }).find("empty cell in column 1"), std::string::npos);
  // The accepted forms: commas with spaces, semicolons, tabs, spaces alone, blank lines, CRLF.
  const Mat m = parse_matrix_csv("1, 2\r\n\n3;4\n5\t6\n7 8\n", "m.csv");
  ASSERT_EQ(m.rows(), 4);
  ASSERT_EQ(m.cols(), 2);
  EXPECT_EQ(m(3, 1), 8.0);
}

TEST(BadInput, DataFileWithEmptyCellIsRefusedByTheCli) {
  const fs::path dir = test::fresh_dir("bad-data");
  test::write_text(dir, "data.csv", "1,,0\n0,1,1\n1,1,0\n");
  const fs::path sc = test::write_text(dir, "s.toml", R"(name = "ls"
[loss]
kind = "least_squares"
dim = 2
data_file = "data.csv"
[noise]
kind = "isotropic"
variance = 1.0
[dynamics]
kind = "discrete"
eta = 0.1
steps = 10
trajectories = 8
start = [0.0, 0.0]
)");
  expect_refused("run " + sc.string() + " --out " + (dir / "o").string(),
                 {"loss.data_file", "data.csv:1", "empty cell in column 2"});
  EXPECT_FALSE(fs::exists(dir / "o"));
  fs::remove_all(dir);
}

TEST(BadInput, DirectoriesAreRefusedAsDirectories) {
  const fs::path dir = test::fresh_dir("bad-dir");
  fs::create_directories(dir / "d");
  const fs::path sc = test::write_text(dir, "s.toml", kValid);
  const std::string d = (dir / "d").string();
  expect_refused("run " + d + " --out " + (dir / "o").string(), {d, "is a directory, not a scenario file"});
  expect_refused("sweep " + sc.string() + " --list " + d + " --out " + (dir / "o").string(),
                 {d, "is a directory, not a list file"});
  expect_refused("run " + sc.string() +
                     " --set noise.kind=gaussian --set noise.covariance=file --set noise.matrix_file=" + d + " --out " +
                     (dir / "o").string(),
                 {"noise.matrix_file", "is a directory, not a matrix file"});
  EXPECT_FALSE(fs::exists(dir / "o"));
  fs::remove_all(dir);
}

TEST(BadInput, DevicesAreRefusedAndPipesBounded) {
  // /dev/zero as a matrix used to be read for half a minute until memory ran out.
  EXPECT_NE(input_error([] { read_matrix_csv("/dev/zero"); }).find("is a character device, not a regular file"),
            std::string::npos);
  const fs::path dir = test::fresh_dir("bad-dev");
  const fs::path sc = test::write_text(dir, "s.toml", kValid);
  expect_refused("run " + sc.string() +
                     " --set noise.kind=gaussian --set noise.covariance=file --set noise.matrix_file=/dev/zero --out " +
                     (dir / "o").string(),
                 {"noise.matrix_file", "/dev/zero", "character device"});
  // A pipe is read, up to the bound.
  test::write_text(dir, "big.txt", std::string(2000, 'x'));
  EXPECT_NE(input_error([&] {
              read_input_file((dir / "big.txt").string(), "list file", 1000);
            }).find("larger than the limit of 1000 bytes"),
            std::string::npos);
  EXPECT_EQ(read_input_file((dir / "big.txt").string(), "list file", 2000).size(), 2000u);
  EXPECT_NE(input_error([&] { read_input_file((dir / "absent").string(), "scenario file", 10); }).find("cannot open"),
            std::string::npos);
  fs::remove_all(dir);
}

TEST(BadInput, SetValuesThatAreNotTomlSayWhy) {
  auto set_error = [](const std::string& set) {
    return input_error([&] { Scenario::parse(kValid, "s.toml", {set}); });
  };
  const std::string arr = set_error("loss.eigenvalues=[1,2");
  EXPECT_NE(arr.find("could not be parsed as TOML: unterminated array"), std::string::npos) << arr;
  EXPECT_EQ(arr.find("got string"), std::string::npos) << arr;
  const std::string big = set_error("dynamics.eta=1e400");
  EXPECT_NE(big.find("could not be parsed as TOML: out of range for a double"), std::string::npos) << big;
  const std::string huge = set_error("dynamics.steps=99999999999999999999");
  EXPECT_NE(huge.find("out of range for a 64-bit integer"), std::string::npos) << huge;
  EXPECT_NE(set_error("noise.kind=\"isotropic").find("unterminated string"), std::string::npos);
  // Bare words are still strings.
  EXPECT_EQ(Scenario::parse(kValid, "s.toml", {"name=bare_word-2"}).name(), "bare_word-2");
  // A line break used to drop everything after it.
  const std::string nl = set_error("dynamics.steps=10\nnoise.variance=-1");
  EXPECT_NE(nl.find("line break"), std::string::npos) << nl;
  EXPECT_NE(nl.find("--set dynamics.steps=10\\nnoise.variance=-1"), std::string::npos) << nl;
  EXPECT_NE(set_error("dynamics.eta=0.1\n").find("line break"), std::string::npos);
}

TEST(BadInput, CliSetValuesAndNewlines) {
  const fs::path dir = test::fresh_dir("bad-set");
  const fs::path sc = test::write_text(dir, "s.toml", kValid);
  const std::string run = "run " + sc.string() + " --out " + (dir / "o").string() + " ";
  expect_refused(run + "--set 'loss.eigenvalues=[1,2'", {"loss.eigenvalues", "unterminated array"});
  expect_refused(run + "--set dynamics.eta=1e400", {"dynamics.eta", "out of range for a double"});
  expect_refused(run + "--set \"$(printf 'dynamics.eta=0.1\\nx')\"", {"dynamics.eta", "line break"});
  EXPECT_FALSE(fs::exists(dir / "o"));
  fs::remove_all(dir);
}

TEST(BadInput, NumericFlagsAreFiniteAndInRange) {
  const fs::path dir = test::fresh_dir("bad-flags");
  const fs::path sc = test::write_text(dir, "s.toml", kValid);
  const std::string run = "run " + sc.string() + " --out " + (dir / "o").string() + " ";
  expect_refused(run + "--seed 18446744073709551616", {"--seed", "out of range [0, 2^63-1"});
  expect_refused(run + "--seed 9223372036854775808", {"--seed", "out of range [0, 2^63-1"});
  expect_refused(run + "--seed -1", {"--seed", "not an integer"});
  expect_refused(run + "--memory-limit -1", {"--memory-limit", "must be >= 0 (got -1)"});
  expect_refused(run + "--memory-limit nan", {"--memory-limit", "finite"});
  expect_refused(run + "--checkpoint-every nan", {"--checkpoint-every", "finite"});
  expect_refused(run + "--checkpoint-every inf", {"--checkpoint-every", "finite"});
  // Range errors print numbers %g-like, not DBL_MAX in 309 digits.
  const auto neg = test::run_cli(run + "--checkpoint-every -1");
  EXPECT_EQ(neg.code, 2);
  EXPECT_NE(neg.output.find("must be >= 0 (got -1)"), std::string::npos) << neg.output;
  EXPECT_EQ(neg.output.find("000000000000"), std::string::npos) << neg.output;
  EXPECT_FALSE(fs::exists(dir / "o"));
  // The largest seed a scenario can hold is accepted.
  const auto ok = test::run_cli(run + "--seed 9223372036854775807");
  EXPECT_EQ(ok.code, 0) << ok.output;
  fs::remove_all(dir);
}

TEST(BadInput, FokkerPlanckRefusesGridsPastTheMemoryLimit) {
  const fs::path dir = test::fresh_dir("bad-fp");
  const std::string sc = test::source_path("scenarios/fp_double_well_1d.toml");
  const std::string out = (dir / "fp.csv").string();
  expect_refused("fokker-planck " + sc + " --out " + out + " --cells 1e9 --memory-limit 1",
                 {"--cells 1000000000 would need about 100 GB", "--memory-limit"});
  // The available memory is the default limit: 1e12 cells (100 TB) exceed any machine.
  expect_refused("fokker-planck " + sc + " --out " + out + " --cells 1e12", {"--cells", "GB available"});
  expect_refused("fokker-planck " + sc + " --out " + out + " --cells 2.5", {"--cells", "must be an integer"});
  expect_refused("fokker-planck " + sc + " --out " + out + " --cells 0", {"--cells", "must be >= 1"});
  const std::string sc2 = test::source_path("scenarios/fp_double_well_2d.toml");
  expect_refused("fokker-planck " + sc2 + " --out " + out + " --cells 10000 --ycells 10000 --memory-limit 8",
                 {"--cells 10000 x --ycells 10000", "--memory-limit"});
  EXPECT_FALSE(fs::exists(out));
  fs::remove_all(dir);
}

namespace {
const char* kSweepScenario = R"(name = "q"
seed = 3
[loss]
kind = "quadratic"
dim = 2
eigenvalues = [1.0, 0.5]
[noise]
kind = "isotropic"
variance = 1.0
[dynamics]
kind = "discrete"
eta = 0.1
steps = 10
trajectories = 64
)";

std::string values(int n) {
  std::string s;
  for (int i = 1; i <= n; ++i) {
    if (i > 1) s += ',';
    s += std::to_string(i);
  }
  return s;
}
}  // namespace

TEST(BadInput, SweepTrendLabelsAreCheckedBeforeAnyPointIsValidated) {
  const fs::path dir = test::fresh_dir("bad-trend");
  const fs::path sc = test::write_text(dir, "q.toml", kSweepScenario);
  // Point 1 is bad too, but validating points takes time: the trend is refused first.
  expect_refused("sweep " + sc.string() + " --grid noise.variance=1.0,-1.0 --trend \"loss_mean: hot < cold\" --out " +
                     (dir / "o").string(),
                 {"trend \"loss_mean: hot < cold\"", "no point is labelled \"hot\"",
                  "the labels: \"noise.variance=1.0\", \"noise.variance=-1.0\""});
  const fs::path list = test::write_text(dir, "l.sweep", "a: seed=1\nb: seed=2\ntrend loss_mean: a < c\n");
  expect_refused("sweep " + sc.string() + " --list " + list.string() + " --out " + (dir / "o").string(),
                 {"no point is labelled \"c\""});
  EXPECT_FALSE(fs::exists(dir / "o"));
  fs::remove_all(dir);
}

TEST(BadInput, HugeSweepGridIsRefusedAtOnceWithItsSize) {
  const fs::path dir = test::fresh_dir("bad-grid");
  const fs::path sc = test::write_text(dir, "q.toml", kSweepScenario);
  // 1000 x 1000 points used to be expanded and validated one by one for minutes.
  expect_refused("sweep " + sc.string() + " --grid seed=" + values(1000) + " --grid noise.variance=" + values(1000) +
                     " --out " + (dir / "o").string(),
                 {"1000 (seed) x 1000 (noise.variance) = 1000000 points", "bound of 10000", "--allow-large"});
  // The cost: 3 points x 1e6 trajectories x 1e6 steps.
  expect_refused("sweep " + sc.string() +
                     " --set dynamics.trajectories=1000000 --grid dynamics.steps=1000000,1000001,1000002 --grid seed=1 "
                     "--out " +
                     (dir / "o").string(),
                 {"3e+12 trajectory-steps", "bound of 1e+11", "--allow-large"});
  EXPECT_FALSE(fs::exists(dir / "o"));
  fs::remove_all(dir);
}

TEST(BadInput, SweepPlanCountsCostAndHonoursAllowLarge) {
  SweepOptions o;
  o.scenario = "q.toml";
  o.grid = {"dynamics.steps=10,20", "seed=1,2"};
  o.sets = {"dynamics.trajectories=5"};
  SweepPlan p = plan_sweep(o, "", kSweepScenario);
  EXPECT_EQ(p.points.size(), 4u);
  EXPECT_EQ(p.trajectory_steps, 5.0 * (10 + 10 + 20 + 20));
  o.sets.clear();  // the file's 64 trajectories
  EXPECT_EQ(plan_sweep(o, "", kSweepScenario).trajectory_steps, 64.0 * 60);
  o.grid = {"seed=" + values(200), "dynamics.eta=" + values(60)};  // 12000 points
  EXPECT_NE(input_error([&] { plan_sweep(o, "", kSweepScenario); }).find("12000 points"), std::string::npos);
  o.allow_large = true;
  EXPECT_EQ(plan_sweep(o, "", kSweepScenario).points.size(), 12000u);
}

// The bound leaves every sweep of the figure gallery (plots/figures.toml) alone.
TEST(BadInput, GallerySweepsAreWithinTheSweepBound) {
  const auto manifest = toml::parse_file(test::source_path("plots/figures.toml"));
  int sweeps = 0;
  for (const auto& fig : *manifest["figure"].as_array()) {
    const auto& f = *fig.as_table();
    for (const auto& cmd : *f["commands"].as_array()) {
      const auto& a = *cmd.as_array();
      if (a.size() < 3 || a[1].value_or(std::string()) != "sweep") continue;
      ++sweeps;
      SweepOptions o;
      o.scenario = test::source_path(a[2].value_or(std::string()));
      for (std::size_t i = 3; i + 1 < a.size(); ++i) {
        const std::string flag = a[i].value_or(std::string()), v = a[i + 1].value_or(std::string());
        if (flag == "--list") o.list = test::source_path(v);
        if (flag == "--grid") o.grid.push_back(v);
        if (flag == "--set") o.sets.push_back(v);
        if (flag == "--trend") o.trends.push_back(v);
      }
      if (const auto* full = f["full_set"].as_array())
        for (const auto& s : *full) o.sets.push_back(s.value_or(std::string()));
      SCOPED_TRACE(o.scenario + " " + o.list);
      const std::string list = o.list.empty() ? "" : read_input_file(o.list, "list file", kMaxTextInputBytes);
      const SweepPlan p = plan_sweep(o, list, read_input_file(o.scenario, "scenario file", kMaxTextInputBytes));
      EXPECT_LE(p.trajectory_steps, kMaxSweepTrajectorySteps);
      EXPECT_GT(p.trajectory_steps, 0.0);
    }
  }
  EXPECT_GE(sweeps, 5);
}
