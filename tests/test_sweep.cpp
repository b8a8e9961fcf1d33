// Sweeps: grid and list parsing, product order, validation before any run, the
// aggregated table, trends, and the exit codes of `sgdnoise sweep`.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "scenario/scenario.hpp"
#include "app/sweep.hpp"
#include "test_util.hpp"

using namespace sgdnoise;
namespace fs = std::filesystem;

namespace {

const char* kQuadratic = R"(name = "q"
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
[[checks]]
result = "loss"
at_step = 10
)";

// A 1-D double well, Delta L = 1, from the left minimum to the saddle.
const char* kWell = R"(name = "w"
seed = 5
[loss]
kind = "double_well"
[noise]
kind = "isotropic"
on = "weights"
variance = 0.02
[dynamics]
kind = "discrete"
eta = 0.01
steps = 200
trajectories = 200
start = [-1.0]
[escape]
region = "threshold"
value = 0.0
)";

}  // namespace

TEST(Sweep, GridAxisSplitsOnTopLevelCommas) {
  const GridAxis g = parse_grid_axis("dynamics.start=[1.0, 2.0],[3,4], \"a,b\" ,x");
  EXPECT_EQ(g.key, "dynamics.start");
  ASSERT_EQ(g.values.size(), 4u);
  EXPECT_EQ(g.values[0], "[1.0, 2.0]");
  EXPECT_EQ(g.values[1], "[3,4]");
  EXPECT_EQ(g.values[2], "\"a,b\"");
  EXPECT_EQ(g.values[3], "x");
  EXPECT_THROW(parse_grid_axis("novalues"), InputError);
  EXPECT_THROW(parse_grid_axis("=1,2"), InputError);
  EXPECT_THROW(parse_grid_axis("a=1,,2"), InputError);
}

TEST(Sweep, ProductOrderFirstAxisSlowest) {
  const auto pts = expand_points({}, {parse_grid_axis("a=1,2"), parse_grid_axis("b=x,y,z")});
  ASSERT_EQ(pts.size(), 6u);
  const std::vector<std::string> want = {"a=1 b=x", "a=1 b=y", "a=1 b=z", "a=2 b=x", "a=2 b=y", "a=2 b=z"};
  for (std::size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(pts[i].label, want[i]);
    ASSERT_EQ(pts[i].sets.size(), 2u);
  }
  EXPECT_EQ(point_dir_name(3, pts[3]), "003-a=2_b=x");
  EXPECT_THROW(expand_points({}, {parse_grid_axis("a=1"), parse_grid_axis("a=2")}), InputError);
}

TEST(Sweep, ListRowsLabelsTrendsAndCrossingWithTheGrid) {
  const SweepList l = parse_sweep_list(
      "# comment\n\nGD: noise.kind=none\n noise.type=const  noise.variance=0.1 # tail\n"
      "trend escape_probability: GD < noise.type=const noise.variance=0.1\n",
      "f.sweep");
  ASSERT_EQ(l.rows.size(), 2u);
  EXPECT_EQ(l.rows[0].label, "GD");
  EXPECT_EQ(l.rows[1].sets.size(), 2u);
  ASSERT_EQ(l.trends.size(), 1u);
  EXPECT_EQ(l.trends[0].metric, "escape_probability");
  EXPECT_EQ(l.trends[0].lower, std::vector<std::string>{"GD"});
  EXPECT_EQ(l.trends[0].higher, std::vector<std::string>{"noise.type=const noise.variance=0.1"});
  const auto pts = expand_points(l.rows, {parse_grid_axis("seed=1,2")});
  ASSERT_EQ(pts.size(), 4u);
  EXPECT_EQ(pts[0].label, "GD seed=1");
  EXPECT_EQ(pts[1].label, "GD seed=2");
  EXPECT_EQ(pts[2].label, "noise.type=const noise.variance=0.1 seed=1");
  try {
    parse_sweep_list("a=1\nnot-an-assignment\n", "f.sweep");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.where(), "f.sweep:2");
  }
  EXPECT_THROW(parse_trend("m: a b"), InputError);
}

TEST(Sweep, TrendNeedsNonOverlappingIntervals) {
  auto col = [](double lo, double hi) {
    nlohmann::ordered_json c;
    c["p_lo"] = lo;
    c["p_hi"] = hi;
    return c;
  };
  const std::vector<std::string> labels = {"a", "b", "c"};
  const std::vector<nlohmann::ordered_json> cols = {col(0.0, 0.1), col(0.05, 0.2), col(0.3, 0.5)};
  EXPECT_TRUE(evaluate_trend(parse_trend("p: a,b < c"), labels, cols).passed);
  const TrendOutcome o = evaluate_trend(parse_trend("p: a < b,c"), labels, cols);
  EXPECT_FALSE(o.passed);
  EXPECT_NE(o.reason.find("a [0, 0.1] overlaps or exceeds b"), std::string::npos) << o.reason;
  EXPECT_FALSE(evaluate_trend(parse_trend("q: a < c"), labels, cols).passed);  // no such interval
}

TEST(Sweep, AggregatesEveryPointIntoTheTable) {
  const fs::path dir = test::fresh_dir("sweep-table");
  const fs::path sc = test::write_text(dir, "q.toml", kQuadratic);
  const fs::path out = dir / "sw";
  const auto r =
      test::run_cli("sweep " + sc.string() + " --grid noise.variance=0.5,1.0 --grid dynamics.eta=0.1,0.2 --out " +
                    out.string() + " --threads 2");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("sweep: point 4/4 [noise.variance=1.0 dynamics.eta=0.2]"), std::string::npos) << r.output;
  const auto j = nlohmann::json::parse(test::read_text(out / "sweep.json"));
  ASSERT_EQ(j["points"].size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) {
    const auto& p = j["points"][i];
    EXPECT_TRUE(fs::exists(out / p["dir"].get<std::string>() / "summary.json"));
    EXPECT_TRUE(fs::exists(out / p["dir"].get<std::string>() / "series.csv"));
    const auto& c = p["columns"];
    EXPECT_EQ(c["status"], "completed");
    EXPECT_TRUE(c["loss_mean"].is_number());
    EXPECT_GT(c["loss_se"].get<double>(), 0.0);
    EXPECT_EQ(c["loss_n"], 64);
    EXPECT_TRUE(c["loss_exact"].is_number());
    EXPECT_TRUE(c["trace_H_C"].is_number());
    EXPECT_EQ(c["checks_total"], 1);
    EXPECT_EQ(c["all_checks_passed"], true);
  }
  EXPECT_EQ(j["points"][1]["overrides"]["dynamics.eta"], "0.2");
  EXPECT_EQ(j["points"][2]["overrides"]["noise.variance"], "1.0");
  // Doubling the variance doubles Tr(H C) exactly.
  EXPECT_DOUBLE_EQ(j["points"][2]["columns"]["trace_H_C"].get<double>(),
                   2.0 * j["points"][0]["columns"]["trace_H_C"].get<double>());
  const std::string csv = test::read_text(out / "sweep.csv");
  std::istringstream lines(csv);
  std::string header, row;
  std::getline(lines, header);
  EXPECT_EQ(header.rfind("point,label,dir,noise.variance,dynamics.eta,status,", 0), 0u) << header;
  int rows = 0;
  while (std::getline(lines, row)) ++rows;
  EXPECT_EQ(rows, 4);
  // The same sweep again refuses the existing directory, and --force replaces it.
  EXPECT_EQ(test::run_cli("sweep " + sc.string() + " --grid noise.variance=0.5 --out " + out.string()).code, 2);
  EXPECT_EQ(
      test::run_cli("sweep " + sc.string() + " --grid noise.variance=0.5 --out " + out.string() + " --force").code, 0);
  EXPECT_EQ(nlohmann::json::parse(test::read_text(out / "sweep.json"))["points"].size(), 1u);
}

TEST(Sweep, BadKeyFailsBeforeAnyRun) {
  const fs::path dir = test::fresh_dir("sweep-bad");
  const fs::path sc = test::write_text(dir, "q.toml", kQuadratic);
  // The second point's value is bad: nothing may run, nothing may be written.
  auto r = test::run_cli("sweep " + sc.string() + " --grid noise.variance=1.0,-1.0 --out " + (dir / "a").string());
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("noise.variance"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("sweep: point"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "a"));
  r = test::run_cli("sweep " + sc.string() + " --grid noise.varianse=1,2 --out " + (dir / "b").string());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("noise.varianse"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "b"));
  r = test::run_cli("sweep " + sc.string() + " --out " + (dir / "c").string());
  EXPECT_EQ(r.code, 2);
  r = test::run_cli("sweep " + sc.string() + " --grid seed=1,2 --trend \"loss_mean: seed=1 < seed=9\" --out " +
                    (dir / "d").string());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("no point is labelled \"seed=9\""), std::string::npos) << r.output;
  // Every entry left in the directory is the scenario: no temporary sweep directory either.
  int entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++entries;
  EXPECT_EQ(entries, 1);
}

TEST(Sweep, FailedCheckExitsOneAndSaysWhichPoint) {
  const fs::path dir = test::fresh_dir("sweep-check");
  const fs::path sc = test::write_text(dir, "q.toml", kQuadratic);
  // A tolerance of 1e-9 standard errors fails the check at the second point.
  const auto r =
      test::run_cli("sweep " + sc.string() + " --grid checks.0.sigmas=5.0,1e-9 --out " + (dir / "o").string());
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("point 1 [checks.0.sigmas=1e-9]: checks failed: loss at k=10"), std::string::npos)
      << r.output;
  const auto j = nlohmann::json::parse(test::read_text(dir / "o" / "sweep.json"));
  EXPECT_EQ(j["all_checks_passed"], false);
  EXPECT_EQ(j["points"][0]["columns"]["all_checks_passed"], true);
  EXPECT_EQ(j["points"][1]["columns"]["checks_failed"], 1);
}

TEST(Sweep, EscapeStatisticsAndTrend) {
  const fs::path dir = test::fresh_dir("sweep-escape");
  const fs::path sc = test::write_text(dir, "w.toml", kWell);
  const fs::path list = test::write_text(dir, "l.sweep",
                                         "cold: noise.variance=0.002\nhot: noise.variance=0.02\n"
                                         "trend escape_probability: cold < hot\n");
  auto r = test::run_cli("sweep " + sc.string() + " --list " + list.string() + " --out " + (dir / "o").string());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("trend escape_probability: cold < hot: pass"), std::string::npos) << r.output;
  const auto j = nlohmann::json::parse(test::read_text(dir / "o" / "sweep.json"));
  EXPECT_EQ(j["points"][0]["dir"], "points/000-cold");
  for (const auto& p : j["points"]) {
    const auto& c = p["columns"];
    EXPECT_EQ(c["escape_n"], 200);
    EXPECT_EQ(c["escape_escaped"].get<int>() + c["escape_censored"].get<int>(), 200);
    EXPECT_LE(c["escape_probability_lo"].get<double>(), c["escape_probability"].get<double>());
    EXPECT_GE(c["escape_probability_hi"].get<double>(), c["escape_probability"].get<double>());
    EXPECT_EQ(c["escape_probability_method"], "binomial_wilson");
    EXPECT_TRUE(c["mfpt_tau"].is_number());
    EXPECT_TRUE(c["kramers_rate_tau"].is_number());
    EXPECT_TRUE(c["eps"].is_number());
  }
  EXPECT_NEAR(j["points"][1]["columns"]["eps"].get<double>(), 1.0, 1e-12);  // D = 0.02 / 0.01 = 2 eps
  EXPECT_EQ(j["trends"][0]["passed"], true);
  // The reversed trend fails: exit 1, and the table says why.
  r = test::run_cli("sweep " + sc.string() + " --list " + list.string() +
                    " --trend \"escape_probability: hot < cold\"" + " --out " + (dir / "o2").string());
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("trend escape_probability: hot < cold: FAIL"), std::string::npos) << r.output;
}

// --seeds independent: each point its own seed, a function of the sweep seed and the label
// alone (so adding points changes no other point), recorded in sweep.json; the default
// shares one seed. A point's results are those of a run with its seed.
TEST(Sweep, IndependentSeedsDependOnTheLabelOnly) {
  EXPECT_EQ(point_seed(7, "a"), point_seed(7, "a"));
  EXPECT_NE(point_seed(7, "a"), point_seed(7, "b"));
  EXPECT_NE(point_seed(7, "a"), point_seed(8, "a"));
  for (const char* l : {"", "a", "noise.variance=0.5 dynamics.eta=0.1"}) EXPECT_LT(point_seed(~0ULL, l), 1ULL << 63);

  const fs::path dir = test::fresh_dir("sweep-seeds");
  const fs::path sc = test::write_text(dir, "q.toml", kQuadratic);
  auto sweep = [&](const std::string& name, const std::string& grid, const std::string& extra) {
    const auto r = test::run_cli("sweep " + sc.string() + " --grid noise.variance=" + grid + " --seed 11 --out " +
                                 (dir / name).string() + extra);
    EXPECT_EQ(r.code, 0) << r.output;
    return nlohmann::json::parse(test::read_text(dir / name / "sweep.json"));
  };
  const auto shared = sweep("shared", "0.5,1.0", "");
  const auto indep = sweep("indep", "0.5,1.0", " --seeds independent");
  const auto more = sweep("more", "0.25,1.0", " --seeds independent");
  EXPECT_EQ(shared["points"][0]["seed"], 11);
  EXPECT_EQ(shared["points"][1]["seed"], 11);
  const std::string l1 = indep["points"][1]["label"];
  EXPECT_EQ(indep["points"][1]["seed"].get<std::uint64_t>(), point_seed(11, l1));
  EXPECT_NE(indep["points"][0]["seed"], indep["points"][1]["seed"]);
  // The point noise.variance=1.0 has the same seed and the same numbers in both sweeps.
  EXPECT_EQ(more["points"][1]["seed"], indep["points"][1]["seed"]);
  EXPECT_EQ(test::read_text(dir / "more" / more["points"][1]["dir"].get<std::string>() / "series.csv"),
            test::read_text(dir / "indep" / indep["points"][1]["dir"].get<std::string>() / "series.csv"));
  // ... and a run with that seed gives them too.
  const auto r = test::run_cli("run " + sc.string() + " --set noise.variance=1.0 --seed " +
                               std::to_string(point_seed(11, l1)) + " --out " + (dir / "single").string());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(test::read_text(dir / "single" / "series.csv"),
            test::read_text(dir / "indep" / indep["points"][1]["dir"].get<std::string>() / "series.csv"));
  EXPECT_NE(test::read_text(dir / "shared" / shared["points"][1]["dir"].get<std::string>() / "series.csv"),
            test::read_text(dir / "indep" / indep["points"][1]["dir"].get<std::string>() / "series.csv"));
}
