// The sharpness observer (analysis/sharpness_observer.hpp; docs/theory.md 5.3 item 3): lambda_max(H)
// against a dense eigensolve of the exact Hessian on both solver paths (dense for d <= 32,
// Lanczos above), the "trajectories" statistics, an unconverged solve reported undefined with
// its reason, the summary's 2/eta, the configuration errors, and identical results for any
// thread count.
#include <gtest/gtest.h>

#include <Eigen/Eigenvalues>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "analysis/sharpness_observer.hpp"
#include "losses/tanh_network.hpp"
#include "scenario/runner.hpp"
#include "test_util.hpp"

using namespace sgdnoise;

namespace {
std::shared_ptr<const TanhNetwork> net(Index p, Index m) {
  TanhNetwork::Synthetic s;
  s.n = 40;
  s.input_dim = p;
  s.width = m;
  s.n_test = 0;
  s.teacher_width = 4;
  s.init_scale = 1.0;
  s.seed = 3;
  return std::make_shared<TanhNetwork>(TanhNetwork::synthetic(s));
}

double dense_top(const Loss& loss, const Vec& theta) {
  Eigen::SelfAdjointEigenSolver<Mat> es(loss.hessian(theta), Eigen::EigenvaluesOnly);
  return es.eigenvalues().maxCoeff();
}

// Rows: the initialisation scaled by 1, 1.2, ..., distinct points of one network.
Mat points(const Loss& loss, Index rows) {
  Mat X(rows, loss.dim());
  for (Index t = 0; t < rows; ++t) X.row(t) = (1.0 + 0.2 * static_cast<double>(t)) * loss.initial_point()->transpose();
  return X;
}

const char* kScenario = R"(name = "eos"
[loss]
kind = "tanh_network"
samples = 32
test_samples = 0
input_dim = 3
width = 8
[noise]
kind = "sgd"
batch = 4
sampling = "reshuffle"
[dynamics]
kind = "discrete"
eta = 0.5
steps = 30
trajectories = 6
start_at = "initial"
[observe]
every = 10
sharpness = "trajectories"
sharpness_trajectories = 3
)";
}  // namespace

TEST(Sharpness, EqualsTheDenseTopEigenvalueOnBothSolverPaths) {
  for (Index m : {4, 10}) {  // d = 20 (dense) and d = 50 (Spectra's Lanczos)
    const auto loss = net(3, m);
    SCOPED_TRACE("d = " + std::to_string(loss->dim()));
    SharpnessObserver obs(loss, 0);
    const Mat X = points(*loss, 3);
    for (Index t = 0; t < X.rows(); ++t) {
      const Vec theta = X.row(t).transpose();
      const PointValue v = obs.at(theta);
      ASSERT_TRUE(v.undefined.empty()) << v.undefined;
      const double ref = dense_top(*loss, theta);
      EXPECT_NEAR(v.value, ref, 1e-8 * std::abs(ref));
    }
    // "mean": once, at the ensemble-mean point, exact there.
    std::vector<Observation> out;
    obs.observe(0, X, {}, 1, out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].name, "sharpness");
    const double ref = dense_top(*loss, X.colwise().mean().transpose());
    EXPECT_NEAR(out[0].est.value, ref, 1e-8 * std::abs(ref));
    EXPECT_EQ(out[0].est.se, 0.0);
    EXPECT_EQ(out[0].est.n, 3);
    EXPECT_EQ(out[0].est.method, "exact at the ensemble mean");
  }
}

TEST(Sharpness, TrajectoriesModeIsTheMeanAndStandardErrorOverTheFirstRows) {
  const auto loss = net(3, 10);
  const Mat X = points(*loss, 5);
  Vec lam(3);
  for (Index t = 0; t < 3; ++t) lam[t] = dense_top(*loss, X.row(t).transpose());
  const double mean = lam.mean();
  const double se = std::sqrt((lam.array() - mean).square().sum() / 2.0 / 3.0);
  std::vector<Observation> out;
  SharpnessObserver(loss, 3).observe(0, X, {}, 1, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NEAR(out[0].est.value, mean, 1e-8 * std::abs(mean));
  EXPECT_NEAR(out[0].est.se, se, 1e-6 * se);  // se of values each exact to 1e-8 relative
  EXPECT_GT(out[0].est.se, 0.0);
  EXPECT_EQ(out[0].est.n, 3);
  EXPECT_EQ(out[0].est.method, "mean over the first 3 trajectories");
  out.clear();
  SharpnessObserver(loss, 50).observe(0, X, {}, 1, out);  // capped at the ensemble size
  EXPECT_EQ(out[0].est.n, 5);
}

TEST(Sharpness, AnUnconvergedSolveIsUndefinedWithItsReason) {
  const auto loss = net(3, 10);  // d = 50: Lanczos, which one restart at tol 1e-300 cannot satisfy
  const Mat X = points(*loss, 2);
  for (Index where : {0, 2}) {
    std::vector<Observation> out;
    SharpnessObserver(loss, where, 1e-300, 1).observe(0, X, {}, 1, out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(std::isnan(out[0].est.value));
    EXPECT_TRUE(std::isnan(out[0].est.se));
    EXPECT_NE(out[0].est.method.find("undefined at"), std::string::npos) << out[0].est.method;
    EXPECT_NE(out[0].est.method.find("did not converge"), std::string::npos) << out[0].est.method;
  }
}

TEST(Sharpness, RunRecordsTheSeriesAndTheSummaryStatesTwoOverEta) {
  const auto dir = test::fresh_dir("sharpness");
  { std::ofstream(dir / "eos.toml") << kScenario; }
  const auto r = test::run_cli("run " + (dir / "eos.toml").string() + " --out " + (dir / "run").string());
  ASSERT_EQ(r.code, 0) << r.output;
  std::ifstream in(dir / "run" / "summary.json");
  const auto j = nlohmann::json::parse(in);
  ASSERT_TRUE(j.contains("sharpness")) << j.dump(1);
  EXPECT_DOUBLE_EQ(j["sharpness"]["two_over_eta"].get<double>(), 4.0);
  EXPECT_TRUE(j["sharpness"]["two_over_eta_applies"].get<bool>());
  EXPECT_EQ(j["sharpness"]["trajectories"].get<int>(), 3);
  EXPECT_EQ(j["sharpness"]["solver"], "spectra_lanczos");  // d = 40
  EXPECT_EQ(j["sharpness"]["observations"].get<int>(), 4);
  EXPECT_EQ(j["sharpness"]["undefined_observations"].get<int>(), 0);
  std::ifstream csv(dir / "run" / "series.csv");
  std::string header;
  std::getline(csv, header);
  EXPECT_NE(header.find("sharpness_mean,sharpness_se,sharpness_n"), std::string::npos) << header;
  std::filesystem::remove_all(dir);
}

TEST(Sharpness, BadConfigurationsAreRefusedWithTheKey) {
  auto error_of = [](const std::string& from, const std::string& to) {
    std::string text = kScenario;
    text.replace(text.find(from), from.size(), to);
    try {
      build_experiment(Scenario::parse(text, "eos.toml"), 1);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string mode = error_of("sharpness = \"trajectories\"", "sharpness = \"max\"");
  EXPECT_NE(mode.find("observe.sharpness"), std::string::npos) << mode;
  EXPECT_NE(mode.find("trajectories"), std::string::npos) << mode;  // the choices are listed
  const std::string count = error_of("sharpness_trajectories = 3", "sharpness_trajectories = 0");
  EXPECT_NE(count.find("observe.sharpness_trajectories"), std::string::npos) << count;
  const std::string type = error_of("sharpness = \"trajectories\"", "sharpness = 1");
  EXPECT_NE(type.find("observe.sharpness"), std::string::npos) << type;
}

TEST(Sharpness, IdenticalForAnyThreadCountAndBlockSize) {
  auto run = [](int threads, Index block) {
    Experiment ex = build_experiment(Scenario::parse(kScenario, "eos.toml"), threads);
    ex.spec.block = block;
    return run_experiment(ex).record;
  };
  const RunRecord ref = run(1, 256);
  for (int threads : {1, 2})
    for (Index block : {1, 4}) {
      const RunRecord r = run(threads, block);
      ASSERT_EQ(r.series.size(), ref.series.size());
      for (std::size_t i = 0; i < ref.series.size(); ++i) {
        const Observation* a = ref.series[i].find("sharpness");
        const Observation* b = r.series[i].find("sharpness");
        ASSERT_TRUE(a && b);
        EXPECT_EQ(a->est.value, b->est.value);
        EXPECT_EQ(a->est.se, b->est.se);
      }
    }
}
