// Preconditioned dynamics (dynamics/preconditioner.hpp): drift -M grad L for the discrete step
// and the SDE schemes, the noise tied to M (D = 2 eps M), the Eyring-Kramers prediction wired
// to escape runs, and the scenario errors.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "dynamics/sde_schemes.hpp"
#include "io/summary.hpp"
#include "losses/quadratic.hpp"
#include "noise/gaussian.hpp"
#include "scenario/experiment.hpp"
#include "scenario/runner.hpp"
#include "test_util.hpp"

using namespace sgdnoise;

namespace {

std::shared_ptr<Quadratic> quadratic_from(const Mat& H, const Vec& theta_star) {
  const Eigen::SelfAdjointEigenSolver<Mat> es(H);
  return std::make_shared<Quadratic>(es.eigenvalues(), es.eigenvectors(), theta_star);
}

// Runs `steps` steps of a stepper from X0 (N identical rows), as the ensemble driver does.
Mat advance(const Stepper& s, Mat X, int steps) {
  for (int k = 0; k < steps; ++k) s.advance(31, static_cast<std::uint64_t>(k), 0, X);
  return X;
}

const Mat kH = (Mat(3, 3) << 2.0, 0.5, -0.3, 0.5, 1.0, 0.2, -0.3, 0.2, 0.7).finished();

}  // namespace

// M = I given explicitly goes through the preconditioned code path and must not change a bit.
TEST(Preconditioner, IdentityIsBitwiseThePlainStep) {
  const auto loss = quadratic_from(kH, Vec::Zero(3));
  const auto M = std::make_shared<Preconditioner>(Mat::Identity(3, 3));
  const Mat X0 = Mat::Constant(37, 3, 0.8);
  for (NoiseTarget on : {NoiseTarget::gradient, NoiseTarget::weights}) {
    const auto noise = std::make_shared<GaussianNoise>(GaussianNoise::from_factor(test::random_psd(3, 3, 5), on));
    EXPECT_TRUE((advance(NoisyGD(loss, noise, 0.05), X0, 20).array() ==
                 advance(NoisyGD(loss, noise, 0.05, {}, M), X0, 20).array())
                    .all());
    EXPECT_TRUE((advance(euler_maruyama(loss, noise, 0.05, 3), X0, 20).array() ==
                 advance(euler_maruyama(loss, noise, 0.05, 3, M), X0, 20).array())
                    .all());
    SdeSpec plain, pre;
    plain.scheme = pre.scheme = SdeScheme::weak2;
    pre.preconditioner = M;
    EXPECT_TRUE((advance(SdeStepper(loss, noise, 0.05, plain), X0, 20).array() ==
                 advance(SdeStepper(loss, noise, 0.05, pre), X0, 20).array())
                    .all());
  }
}

// Diagonal M = S^2: theta = S y, where y follows the plain dynamics on L(S y) (Hessian S H S) with
// the noise S^{-1} zeta; for the tied noise Sigma_step = v M that is isotropic noise v I with the
// same normals, so the two runs agree to rounding.
TEST(Preconditioner, DiagonalEqualsTheRescaledCoordinatesRun) {
  const Vec m = (Vec(3) << 0.5, 2.0, 1.3).finished();
  const Vec s = m.cwiseSqrt();
  const Vec theta_star = (Vec(3) << 0.3, -0.2, 0.1).finished();
  const double v = 0.02, eta = 0.05;
  const auto M = std::make_shared<Preconditioner>(Preconditioner::diagonal(m));
  const auto loss = quadratic_from(kH, theta_star);
  const auto loss_y = quadratic_from(s.asDiagonal() * kH * s.asDiagonal(), theta_star.cwiseQuotient(s));
  const auto tied = std::make_shared<GaussianNoise>(
      GaussianNoise::from_factor(Mat(std::sqrt(v) * s.asDiagonal()), NoiseTarget::weights));
  const auto iso = std::make_shared<GaussianNoise>(GaussianNoise::isotropic(3, v, NoiseTarget::weights));
  Mat X0(5, 3), Y0(5, 3);
  for (Index i = 0; i < 5; ++i)
    X0.row(i) = (Vec(3) << 1.0 + static_cast<double>(i), -0.5, 0.25 * static_cast<double>(i)).finished().transpose();
  Y0 = X0 * Mat(s.cwiseInverse().asDiagonal());
  const Mat theta = advance(NoisyGD(loss, tied, eta, {}, M), X0, 200);
  const Mat y = advance(NoisyGD(loss_y, iso, eta), Y0, 200);
  EXPECT_LT((theta - y * Mat(s.asDiagonal())).cwiseAbs().maxCoeff(), 1e-12);
  const Mat theta2 = advance(euler_maruyama(loss, tied, eta, 2, M), X0, 200);
  const Mat y2 = advance(euler_maruyama(loss_y, iso, eta, 2), Y0, 200);
  EXPECT_LT((theta2 - y2 * Mat(s.asDiagonal())).cwiseAbs().maxCoeff(), 1e-12);
}

namespace {
const char* kGibbs = R"(name = "gibbs"
seed = 3
[loss]
kind = "quadratic"
dim = 2
spectrum = "matrix"
hessian = [[2.0, 0.6], [0.6, 1.0]]
[noise]
kind = "preconditioned"
on = "weights"
variance = 0.001
[dynamics]
kind = "sde_weak2"
substeps = 1
eta = 0.01
steps = 2000
trajectories = 4000
preconditioner = [[1.0, -0.4], [-0.4, 0.5]]
[observe]
every = 2000
covariance_entries = [[0, 0], [0, 1], [1, 1]]
)";
}  // namespace

// The reversible preconditioned Langevin dynamics (D = 2 eps M) has the Gibbs measure e^{-L/eps}
// whatever M: on a quadratic, Cov theta = eps H^{-1} (Pavliotis 2014, sec. 4.6). eps = v/(2 eta)
// = 0.05; tau = 20 is 13 relaxation times of the slowest mode (lambda_min(M H) = 0.33); the weak
// order-2 bias at dt = 0.01 is O((lambda dt)^2) ~ 3e-4 relative, far below the 5 se tolerance
// (se: the moment observer's, about 2 % relative for N = 4000). The discrete preconditioned step at
// eta = 0.005 has bias O(eta lambda_max(M H) / 2) ~ 0.5 %, also far below it.
TEST(Preconditioner, ReversibleStationaryDensityIsGibbs) {
  for (const std::string kind : {"sde_weak2", "discrete"}) {
    SCOPED_TRACE(kind);
    std::vector<std::string> sets{"dynamics.kind=\"" + kind + "\""};
    if (kind == "discrete")
      sets = {"dynamics.kind=\"discrete\"", "dynamics.eta=0.005", "noise.variance=0.0005", "dynamics.steps=4000",
              "observe.every=4000"};
    const Experiment ex = build_experiment(Scenario::parse(kGibbs, "gibbs.toml", sets), 1);
    EXPECT_EQ(ex.stepper->kind(), kind + "+preconditioned");
    const RunResult r = run_experiment(ex);
    const Mat H = (Mat(2, 2) << 2.0, 0.6, 0.6, 1.0).finished();
    const Mat gibbs = 0.05 * H.inverse();
    const SeriesRow& last = r.record.series.back();
    for (const auto& [i, j] : {std::pair{0, 0}, std::pair{0, 1}, std::pair{1, 1}}) {
      const Observation* o = last.find("cov_" + std::to_string(i) + "_" + std::to_string(j));
      ASSERT_NE(o, nullptr);
      EXPECT_NEAR(o->est.value, gibbs(i, j), 5.0 * o->est.se) << "cov_" << i << "_" << j;
    }
  }
}

namespace {
const char* kEscape = R"(name = "ek"
[loss]
kind = "double_well"
transverse = [4.0]
[noise]
kind = "preconditioned"
on = "weights"
variance = 0.005
[dynamics]
kind = "sde_weak2"
eta = 0.01
steps = 5
trajectories = 4
start = [-1.0, 0.0]
preconditioner = [[0.8, 1.2], [1.2, 3.2]]
[escape]
region = "ball"
centre = [1.0, 0.0]
radius = 0.5
)";

nlohmann::json ek_prediction(const std::vector<std::string>& sets) {
  const Experiment ex = build_experiment(Scenario::parse(kEscape, "ek.toml", sets), 1);
  const RunResult r = run_experiment(ex);
  return summary_json(ex, r, {})["escape"]["predictions"]["eyring_kramers"];
}
}  // namespace

// D = 2 eps M: the rate to the other well is |lambda_-(M H_s)|/(2 pi) sqrt(det H_min/|det H_s|)
// e^{-dL/eps}; M H_s = [[-3.2, 4.8], [-4.8, 12.8]] has lambda_- = -1.6. Equal-trace isotropic noise:
// no Eyring-Kramers formula, only the exponent dV/eps from gMAM. The saddle hyperplane is refused for a non-diagonal M,
// and gives 2k for a diagonal one.
TEST(Preconditioner, EyringKramersIsWiredOnlyWhereReversible) {
  const auto ek = ek_prediction({});
  ASSERT_EQ(ek["status"], "predicted") << ek.dump();
  EXPECT_EQ(ek["target"], "other_well");
  const double k = 1.6 / (2.0 * M_PI) * std::sqrt(32.0 / 16.0) * std::exp(-4.0);
  EXPECT_NEAR(ek["rate_tau"].get<double>(), k, 1e-12 * k);
  EXPECT_NEAR(ek["barrier_over_eps"].get<double>(), 4.0, 1e-12);
  EXPECT_NEAR(ek["band_tau"]["hi"].get<double>(), 1.25 * k, 1e-12 * k);

  const auto iso = ek_prediction({"noise.kind=\"isotropic\"", "noise.variance=0.01"});
  EXPECT_EQ(iso["status"], "exponent only: not reversible") << iso.dump();
  EXPECT_FALSE(iso.contains("rate_tau"));
  EXPECT_TRUE(iso["gmam"]["converged"].get<bool>()) << iso.dump();
  EXPECT_NEAR(iso["log_rate_tau_leading"].get<double>(), -iso["barrier_over_eps"].get<double>(), 1e-12);
  // Equal-trace isotropic noise makes escape easier than dL/eps says here: dV/eps < dL/eps.
  EXPECT_LT(iso["barrier_over_eps"].get<double>(), iso["loss_barrier_over_eps"].get<double>()) << iso.dump();

  const auto saddle = ek_prediction({"escape.region=\"threshold\"", "escape.value=0.0"});
  EXPECT_EQ(saddle["status"], "unavailable");
  const auto diag = ek_prediction({"escape.region=\"threshold\"", "escape.value=0.0", "dynamics.preconditioner=[]",
                                   "dynamics.preconditioner_diagonal=[0.5, 2.0]"});
  ASSERT_EQ(diag["status"], "predicted") << diag.dump();
  EXPECT_EQ(diag["target"], "saddle");
  const double k_diag = 0.5 * 4.0 / (2.0 * M_PI) * std::sqrt(2.0) * std::exp(-4.0);
  EXPECT_NEAR(diag["rate_tau"].get<double>(), 2.0 * k_diag, 1e-12 * k_diag);
}

// Every bad preconditioner is an InputError naming its key and the reason.
TEST(Preconditioner, ScenarioErrorsNameKeyAndReason) {
  struct Case {
    std::vector<std::string> sets;
    std::string key, reason;
  };
  const std::vector<Case> cases = {
      {{"dynamics.preconditioner=[[1.0, 2.0], [2.0, 1.0]]"}, "dynamics.preconditioner", "positive definite"},
      {{"dynamics.preconditioner=[[1.0, 0.1], [0.0, 1.0]]"}, "dynamics.preconditioner", "symmetric"},
      {{"dynamics.preconditioner=[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]"},
       "dynamics.preconditioner",
       "2 x 2"},
      {{"dynamics.preconditioner=[]", "dynamics.preconditioner_diagonal=[1.0, 2.0, 3.0]"},
       "dynamics.preconditioner_diagonal",
       "expected 2 numbers"},
      {{"dynamics.preconditioner=[]", "dynamics.preconditioner_diagonal=[1.0, 0.0]"},
       "dynamics.preconditioner_diagonal",
       "positive definite"},
      {{"dynamics.preconditioner_diagonal=[1.0, 1.0]"}, "dynamics.preconditioner_diagonal", "not both"},
      {{"dynamics.preconditioner=[]"}, "noise.kind", "gives none"},
      {{"dynamics.kind=\"sme\""}, "dynamics.preconditioner", "not defined for dynamics.kind = \"sme\""},
      {{"dynamics.kind=\"discrete\"", "dynamics.optimizer=\"momentum\""}, "dynamics.preconditioner", "plain"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.sets.front());
    try {
      build_experiment(Scenario::parse(kEscape, "ek.toml", c.sets), 1);
      ADD_FAILURE() << "no error";
    } catch (const InputError& e) {
      EXPECT_EQ(e.key(), c.key) << e.what();
      EXPECT_NE(e.reason().find(c.reason), std::string::npos) << e.what();
    }
  }
}
