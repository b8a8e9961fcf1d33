// Gaussian multiplicative SGD coupled to its SDE on one Brownian path
// (dynamics/strong_coupling.hpp): the coupling itself, the exact second moments of the
// path-wise error, the derived strong order, determinism and the input errors.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <memory>
#include <sstream>

#include "analysis/predictions/strong_coupling_moments.hpp"
#include "core/rng.hpp"
#include "dynamics/strong_coupling.hpp"
#include "losses/least_squares.hpp"
#include "scenario/runner.hpp"
#include "test_util.hpp"

namespace sgdnoise {
namespace {

std::shared_ptr<const LeastSquares> small_lstsq() {
  LeastSquares::Synthetic s;
  s.n = 12;
  s.d = 3;
  s.n_test = 0;
  s.condition = 4.0;
  s.seed = 5;
  return std::make_shared<const LeastSquares>(LeastSquares::synthetic(s));
}

Mat start_state(const Stepper& st, const Vec& theta0, Index rows) {
  Mat X(rows, theta0.size() + st.extra_columns());
  for (Index i = 0; i < rows; ++i) X.row(i) << theta0.transpose(), st.initial_extra(theta0).transpose();
  return X;
}

TEST(StrongCoupling, OneSubstepReferenceIsTheDiscreteChainBitwise) {
  const auto loss = small_lstsq();
  const Vec theta0 = Vec::Constant(3, 1.5);
  for (auto type : {MultiplicativeNoise::Type::gaussian_cov, MultiplicativeNoise::Type::gaussian_fisher}) {
    const auto noise = std::make_shared<const MultiplicativeNoise>(loss, type, 2.0);
    // M = 1: the reference X is Euler-Maruyama with dt = eta, the discrete step itself.
    const StrongCoupling one(loss, noise, 0.1, 1);
    Mat X = start_state(one, theta0, 7);
    for (std::uint64_t k = 0; k < 6; ++k) one.advance(11, k, 4, X);
    EXPECT_TRUE((X.leftCols(3).array() == X.middleCols(3, 3).array()).all());
    EXPECT_GT((X.leftCols(3).rowwise() - theta0.transpose()).norm(), 0.0);
    // M = 2: the half reference (one sub-step on (xi_0 + xi_1) / sqrt 2) is the discrete chain.
    const StrongCoupling two(loss, noise, 0.1, 2);
    Mat Y = start_state(two, theta0, 7);
    for (std::uint64_t k = 0; k < 6; ++k) two.advance(11, k, 4, Y);
    EXPECT_TRUE((Y.leftCols(3).array() == Y.rightCols(3).array()).all());
    EXPECT_FALSE((Y.leftCols(3).array() == Y.middleCols(3, 3).array()).all());
  }
}

TEST(StrongCoupling, StepNoiseIsTheNormalisedSumOfTheSubstepIncrements) {
  const auto loss = small_lstsq();
  const Index n = loss->n_samples(), d = 3;
  const double sigma = 1.7, eta = 0.2;
  const int M = 4;
  const auto noise = std::make_shared<const MultiplicativeNoise>(loss, MultiplicativeNoise::Type::gaussian_cov, sigma);
  const StrongCoupling st(loss, noise, eta, M);
  const Vec theta0 = (Vec(3) << 1.0, -0.5, 2.0).finished();
  const std::uint64_t seed = 23, k = 3, traj = 9;
  Mat X = start_state(st, theta0, 1);
  st.advance(seed, k, traj, X);
  // By hand, from the formulas of docs/theory.md 1.2: W = (1 + sigma (z - zbar)) / n.
  auto weights = [&](const Vec& z, double s) {
    return Vec(((1.0 + s * (z.array() - z.mean())) / static_cast<double>(n)).matrix());
  };
  Vec sum = Vec::Zero(n), ref = theta0;
  for (int s = 0; s < M; ++s) {
    Mat xi(1, n);
    fill_normals({seed, Purpose::sde_increment, k * M + s}, traj, 0, xi);
    const Vec x = xi.row(0).transpose();
    sum += x;
    // EM sub-step of dX = -grad L dtau - sqrt(eta) G F dW, dW = sqrt(dt) xi, F = (sigma / n) P.
    const double dt = eta / M;
    const Mat G = loss->sample_gradients(ref);
    ref += -dt * loss->gradient_at(ref) -
           std::sqrt(eta * dt) * (sigma / static_cast<double>(n)) * G * (x.array() - x.mean()).matrix();
  }
  const Vec z = sum / std::sqrt(static_cast<double>(M));
  const Vec theta1 = theta0 - eta * loss->sample_gradients(theta0) * weights(z, sigma);
  EXPECT_LT((X.row(0).head(d).transpose() - theta1).cwiseAbs().maxCoeff(), 1e-13);
  EXPECT_LT((X.row(0).segment(d, d).transpose() - ref).cwiseAbs().maxCoeff(), 1e-13);
}

Experiment build(const std::vector<std::string>& sets, int threads = 1) {
  return build_experiment(Scenario::load(test::source_path("scenarios/paper1_strong_error.toml"), sets), threads);
}

// The shipped scenario's checks: E|e|^2 and E|X - Y|^2 against the exact coupled moments (5 se).
TEST(StrongCoupling, SquaredErrorsMatchTheExactCoupledMoments) {
  for (const char* start : {"[2.0, -2.0, 2.0]", "[0.0, 0.0, 0.0]"}) {
    const Experiment ex =
        build({"dynamics.trajectories=400", "dynamics.substeps=8", "dynamics.eta=0.2", "dynamics.steps=5",
               "observe.every=5", "checks.0.at_step=5", "checks.1.at_step=5", std::string("dynamics.start=") + start});
    const RunResult r = run_experiment(ex);
    ASSERT_EQ(r.checks.size(), 2u);
    for (const auto& c : r.checks) {
      EXPECT_TRUE(c.predicted.available) << c.predicted.reason;
      EXPECT_TRUE(c.passed) << c.result << ": " << c.reason << " (z = " << c.z << ")";
      EXPECT_GT(c.measured.value, 10.0 * c.measured.se) << c.result;
    }
  }
}

// The derived order (strong_coupling.hpp): E|e|^2 = eta^2 |c|^2 + O(eta^3) from a point where
// the flow moves, and O(eta^3) from the minimizer of least squares (the flow stays put), so the
// root-mean-square error has order 1 and 3/2. Exact moments, no Monte Carlo: the local order
// between eta and eta / 2 approaches the derived one like O(eta).
TEST(StrongCoupling, ExactRootMeanSquareErrorHasTheDerivedOrder) {
  const auto loss = small_lstsq();
  const auto noise = std::make_shared<const MultiplicativeNoise>(loss, MultiplicativeNoise::Type::gaussian_cov, 2.0);
  const Vec away = Vec::Constant(3, 2.0), at_min = *loss->minimizer();
  auto rms = [&](const Vec& theta0, double eta) {
    const auto steps = static_cast<std::int64_t>(std::lround(1.0 / eta));
    const auto m = coupled_second_moments(*loss, *noise, eta, 16, theta0, steps);
    return std::sqrt(m->strong_sq.back());
  };
  for (const auto& [theta0, order] : {std::pair{away, 1.0}, std::pair{at_min, 1.5}}) {
    const double coarse = std::log2(rms(theta0, 0.1) / rms(theta0, 0.05));
    const double fine = std::log2(rms(theta0, 0.025) / rms(theta0, 0.0125));
    std::printf("local strong order, exact moments (derived %.1f): eta 0.1/0.05 %.4f, 0.025/0.0125 %.4f\n", order,
                coarse, fine);
    EXPECT_NEAR(fine, order, 0.05);
    EXPECT_LT(std::abs(fine - order), std::abs(coarse - order) + 1e-3);
  }
}

// Monte Carlo: the strong error E|e| of the coupled run halves with eta (order 1); the
// tolerance is 5 se of the two-point slope (delta method) plus the slope's deviation from 1
// at these eta, taken from the exact root-mean-square error.
TEST(StrongCoupling, MeasuredStrongErrorShrinksAtOrderOne) {
  double e[2], se[2], rms[2];
  const double etas[2] = {0.05, 0.025};
  for (int i = 0; i < 2; ++i) {
    const auto steps = std::to_string(std::lround(1.0 / etas[i]));
    const Experiment ex = build({"dynamics.trajectories=300", "dynamics.substeps=8",
                                 "dynamics.eta=" + std::to_string(etas[i]), "dynamics.steps=" + steps,
                                 "observe.every=" + steps, "checks.0.at_step=" + steps, "checks.1.at_step=" + steps});
    const RunResult r = run_experiment(ex);
    const Observation* o = r.record.series.back().find("strong_error");
    ASSERT_NE(o, nullptr);
    e[i] = o->est.value;
    se[i] = o->est.se;
    rms[i] = std::sqrt(r.checks[0].predicted.value);
  }
  const double slope = std::log2(e[0] / e[1]);
  const double slope_se = std::hypot(se[0] / e[0], se[1] / e[1]) / std::log(2.0);
  const double bias = std::abs(std::log2(rms[0] / rms[1]) - 1.0);
  std::printf("strong order, eta 0.05/0.025: %.4f +- %.4f (exact rms slope %.4f)\n", slope, slope_se,
              std::log2(rms[0] / rms[1]));
  EXPECT_NEAR(slope, 1.0, 5.0 * slope_se + bias);
  EXPECT_LT(bias, 0.1);
}

TEST(StrongCoupling, IdenticalForAnyThreadCountAndBlock) {
  const std::vector<std::string> sets = {"dynamics.trajectories=150", "dynamics.substeps=4", "dynamics.eta=0.2",
                                         "dynamics.steps=5",          "observe.every=1",     "checks.0.at_step=5",
                                         "checks.1.at_step=5"};
  const RunResult a = run_experiment(build(sets, 1));
  auto more = sets;
  more.push_back("dynamics.block=16");
  const RunResult b = run_experiment(build(more, 3));
  ASSERT_EQ(a.record.series.size(), b.record.series.size());
  EXPECT_TRUE((a.record.final_state.array() == b.record.final_state.array()).all());
  for (std::size_t t = 0; t < a.record.series.size(); ++t)
    for (std::size_t j = 0; j < a.record.series[t].values.size(); ++j) {
      EXPECT_EQ(a.record.series[t].values[j].name, b.record.series[t].values[j].name);
      EXPECT_EQ(a.record.series[t].values[j].est.value, b.record.series[t].values[j].est.value);
      EXPECT_EQ(a.record.series[t].values[j].est.se, b.record.series[t].values[j].est.se);
    }
}

TEST(StrongCoupling, RefusesNoiseThatIsNotGaussianMultiplicative) {
  auto expect_error = [](const std::vector<std::string>& sets, const std::string& key) {
    try {
      build(sets);
      ADD_FAILURE() << "no error for " << key;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
    }
  };
  expect_error({"noise.kind=sgd", "noise.batch=2"}, "noise.kind");
  expect_error({"noise.kind=none"}, "noise.kind");
  expect_error({"noise.type=bernoulli"}, "noise.type");
  expect_error({"dynamics.substeps=0"}, "dynamics.substeps");
  // Odd M: no half reference, so reference_error is not recorded and cannot be checked.
  expect_error({"dynamics.substeps=3"}, "checks.1.result");
  const auto loss = small_lstsq();
  const auto bern = std::make_shared<const MultiplicativeNoise>(loss, MultiplicativeNoise::Type::bernoulli, 0.5);
  EXPECT_THROW(StrongCoupling(loss, bern, 0.1, 4), std::invalid_argument);
}

}  // namespace
}  // namespace sgdnoise
