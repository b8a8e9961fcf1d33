// End-to-end: `sgdnoise indicators` (JSON, table, exit codes, undefined values).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "test_util.hpp"

using namespace sgdnoise;
namespace fs = std::filesystem;

namespace {

const char* kLstsq = R"(name = "ind"
seed = 3
[loss]
kind = "least_squares"
dim = 5
samples = 40
test_samples = 0
condition = 10.0
label_noise = 0.5
data_seed = 2
[noise]
kind = "sgd"
sampling = "with_replacement"
batch = 4
[dynamics]
kind = "discrete"
eta = 0.1
steps = 10
trajectories = 8
start = [1.0, -1.0, 1.0, -1.0, 1.0]
)";

const char* kSaddle = R"(name = "saddle"
seed = 3
[loss]
kind = "quadratic"
dim = 3
spectrum = "explicit"
eigenvalues = [2.0, 0.5, -1.0]
[noise]
kind = "isotropic"
variance = 0.5
[dynamics]
kind = "discrete"
eta = 0.1
steps = 10
trajectories = 8
)";

nlohmann::json parse_json(const std::string& out) {
  const auto at = out.find('{');
  return nlohmann::json::parse(at == std::string::npos ? std::string("null") : out.substr(at));
}

}  // namespace

TEST(CliIndicators, JsonAtTheMinimumWithMatrixFreeCovariance) {
  const fs::path dir = test::fresh_dir("cli-ind");
  const fs::path sc = test::write_text(dir, "s.toml", kLstsq);
  const auto r = test::run_cli("indicators " + sc.string() + " --at minimum --top-k 2 --slq-probes 4 --json -");
  ASSERT_EQ(r.code, 0) << r.output;
  const auto j = parse_json(r.output);
  EXPECT_EQ(j["at"], "minimum");
  EXPECT_EQ(j["noise"]["kind"], "sgd/with_replacement");
  for (const char* k : {"trace_H_C", "trace_H_Sigma_step", "trace_C", "frobenius_C", "anisotropy_ratio", "alignment"})
    EXPECT_TRUE(j["indicators"][k].is_number()) << k << ": " << j["indicators"][k].dump();
  EXPECT_EQ(j["covariance_C"]["operator"], "matrix_free");
  EXPECT_NEAR(j["covariance_C"]["trace_matrix_free"].get<double>(), j["indicators"]["trace_C"].get<double>(),
              1e-12 * j["indicators"]["trace_C"].get<double>());
  for (const char* m : {"hessian", "covariance_C"})
    for (const char* end : {"top", "bottom"}) {
      EXPECT_TRUE(j[m][end]["converged"].get<bool>()) << m << " " << end;
      EXPECT_EQ(j[m][end]["eigenvalues"].size(), 2u);
      EXPECT_EQ(j[m][end]["method"], "spectra_lanczos");
      EXPECT_GT(j[m][end]["operations"].get<int>(), 0);
    }
  const auto& s = j["hessian_density_slq"];
  EXPECT_EQ(s["probes"], 4);
  EXPECT_EQ(s["steps"], 5);  // capped at d
  EXPECT_TRUE(s["trace_H"]["value"].is_number());
  EXPECT_EQ(s["grid"].size(), s["density"].size());
  // Written atomically to a file, with the table on stdout.
  const auto f = test::run_cli("indicators " + sc.string() + " --json " + (dir / "out.json").string());
  ASSERT_EQ(f.code, 0) << f.output;
  EXPECT_NE(f.output.find("alignment"), std::string::npos) << f.output;
  std::ifstream in(dir / "out.json");
  const auto jf = nlohmann::json::parse(in);
  EXPECT_EQ(jf["at"], "start");
  fs::remove_all(dir);
}

TEST(CliIndicators, SaddleShowsNegativeCurvatureAndHeavyTailsAreUndefined) {
  const fs::path dir = test::fresh_dir("cli-ind-saddle");
  const fs::path sc = test::write_text(dir, "s.toml", kSaddle);
  const auto r = test::run_cli("indicators " + sc.string() + " --top-k 1 --json -");
  ASSERT_EQ(r.code, 0) << r.output;
  auto j = parse_json(r.output);
  EXPECT_NEAR(j["hessian"]["bottom"]["eigenvalues"][0].get<double>(), -1.0, 1e-12);
  EXPECT_NEAR(j["hessian"]["top"]["eigenvalues"][0].get<double>(), 2.0, 1e-12);
  // Isotropic C: Tr H / (d lambda1) = 1.5 / (3 * 2).
  EXPECT_NEAR(j["indicators"]["alignment"].get<double>(), 0.25, 1e-12);
  EXPECT_EQ(j["covariance_C"]["operator"], "dense");

  std::string heavy = kSaddle;
  heavy.replace(heavy.find("kind = \"isotropic\"\nvariance = 0.5"), 33, "kind = \"alpha_stable\"\nalpha = 1.5");
  const auto h = test::run_cli("indicators " + test::write_text(dir, "h.toml", heavy).string() + " --json -");
  ASSERT_EQ(h.code, 0) << h.output;
  j = parse_json(h.output);
  for (const char* k : {"trace_H_C", "trace_C", "anisotropy_ratio", "alignment"}) {
    EXPECT_EQ(j["indicators"][k]["status"], "undefined") << k;
    EXPECT_NE(j["indicators"][k]["reason"].get<std::string>().find("no covariance"), std::string::npos);
  }
  EXPECT_EQ(j["covariance_C"]["status"], "undefined");
  EXPECT_TRUE(j["hessian_density_slq"]["trace_H"]["value"].is_number());
  EXPECT_EQ(h.output.find("NaN"), std::string::npos);
  EXPECT_EQ(h.output.find("null"), std::string::npos);
  fs::remove_all(dir);
}

TEST(CliIndicators, BadPointIsBadInput) {
  const fs::path dir = test::fresh_dir("cli-ind-bad");
  const fs::path sc = test::write_text(dir, "s.toml", kSaddle);
  const auto wrong_size = test::run_cli("indicators " + sc.string() + " --at 1,2");
  EXPECT_EQ(wrong_size.code, 2) << wrong_size.output;
  EXPECT_NE(wrong_size.output.find("--at"), std::string::npos) << wrong_size.output;
  EXPECT_NE(wrong_size.output.find("expected 3 numbers"), std::string::npos) << wrong_size.output;
  const auto not_number = test::run_cli("indicators " + sc.string() + " --at 1,x,3");
  EXPECT_EQ(not_number.code, 2) << not_number.output;
  // An indefinite quadratic has no minimizer.
  const auto no_min = test::run_cli("indicators " + sc.string() + " --at minimum");
  EXPECT_EQ(no_min.code, 2) << no_min.output;
  EXPECT_NE(no_min.output.find("minimizer"), std::string::npos) << no_min.output;
  const auto missing = test::run_cli("indicators " + (dir / "nope.toml").string());
  EXPECT_EQ(missing.code, 2) << missing.output;
  fs::remove_all(dir);
}
