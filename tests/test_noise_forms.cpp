// Each Gaussian covariance form: the sampler's empirical covariance against the
// matrix it states, the trace normalisation, and the OU and Euler-Maruyama
// steppers against their exact one-step moments.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "analysis/observers.hpp"
#include "analysis/predictions/quadratic_moments.hpp"
#include "dynamics/ou_exact.hpp"
#include "noise/gaussian.hpp"
#include "scenario/experiment.hpp"
#include "test_util.hpp"

using namespace sgdnoise;

namespace {
const char* kBase = R"(name = "forms"
[loss]
kind = "quadratic"
dim = 4
eigenvalues = [3.0, 1.0, 0.5, 0.1]
basis = "random"
basis_seed = 2
[dynamics]
kind = "discrete"
eta = 0.1
steps = 1
trajectories = 10
)";

Experiment with_noise(const std::string& noise) {
  return build_experiment(Scenario::parse(std::string(kBase) + "[noise]\n" + noise, "forms.toml"), 1);
}

// Entry-wise 5-sigma test of an empirical covariance of n Gaussian draws against S:
// Var(S_hat_ij) = (S_ij^2 + S_ii S_jj) / (n - 1) for Gaussian samples.
void expect_samples_match(const NoiseModel& noise, const Mat& S, Index n = 200000) {
  const Index d = S.rows();
  Mat X = Mat::Zero(n, d), out = Mat::Zero(n, d);
  noise.add_sample({77, Purpose::gradient_noise, 0}, 0, X, 1.0, out);
  const Mat E = empirical_covariance(out);
  for (Index i = 0; i < d; ++i)
    for (Index j = 0; j < d; ++j) {
      const double se = std::sqrt((S(i, j) * S(i, j) + S(i, i) * S(j, j)) / static_cast<double>(n - 1));
      EXPECT_NEAR(E(i, j), S(i, j), 5.0 * se + 1e-15) << "entry " << i << "," << j;
    }
}
}  // namespace

TEST(NoiseForms, EveryFormSamplesItsStatedCovariance) {
  const Mat M = test::random_psd(4, 4, 3);
  std::ostringstream mat;
  mat << "[";
  for (Index i = 0; i < 4; ++i) {
    mat << (i ? ", [" : "[");
    for (Index j = 0; j < 4; ++j) mat << (j ? ", " : "") << M(i, j);
    mat << "]";
  }
  mat << "]";
  const std::vector<std::string> forms = {
      "kind = \"isotropic\"\nvariance = 2.0",
      "kind = \"diagonal\"\nvariances = [1.0, 0.0, 3.0, 0.5]",
      "kind = \"gaussian\"\ncovariance = \"matrix\"\nmatrix = " + mat.str(),
      "kind = \"gaussian\"\ncovariance = \"factor\"\nfactor = [[1.0], [2.0], [0.0], [-1.0]]",
      "kind = \"gaussian\"\ncovariance = \"hessian_power\"\npower = 1.0\ntrace = 4.0",
      "kind = \"gaussian\"\ncovariance = \"hessian_power\"\npower = 0.5",
      "kind = \"gaussian\"\ncovariance = \"top_eigenvector\"\nscale = 2.0",
      "kind = \"gaussian\"\ncovariance = \"random\"\nrank = 2\nseed = 4\ntrace = 3.0",
  };
  for (const auto& f : forms) {
    SCOPED_TRACE(f);
    const Experiment ex = with_noise(f);
    const Mat S = *ex.noise->covariance(ex.theta0);
    expect_samples_match(*ex.noise, S);
  }
}

TEST(NoiseForms, StatedCovariancesFollowTheirDefinitions) {
  const Experiment base = with_noise("kind = \"none\"");
  const Mat H = base.quadratic->H();
  const Mat u1 = base.quadratic->eigenvectors().col(0);  // eigenvalue 3.0, the largest
  const auto S_of = [](const std::string& f) {
    const Experiment ex = with_noise(f);
    return *ex.noise->covariance(ex.theta0);
  };
  const Mat Sh = S_of("kind = \"gaussian\"\ncovariance = \"hessian_power\"\ntrace = 4.0");
  EXPECT_LT((Sh - 4.0 / H.trace() * H).cwiseAbs().maxCoeff(), 1e-12);
  const Mat Sh2 = S_of("kind = \"gaussian\"\ncovariance = \"hessian_power\"\npower = 2\nscale = 0.5");
  EXPECT_LT((Sh2 - 0.5 * H * H).cwiseAbs().maxCoeff(), 1e-12);
  const Mat St = S_of("kind = \"gaussian\"\ncovariance = \"top_eigenvector\"\ntrace = 2.0");
  EXPECT_LT((St - 2.0 * u1 * u1.transpose()).cwiseAbs().maxCoeff(), 1e-12);
  const Mat Sr = S_of("kind = \"gaussian\"\ncovariance = \"random\"\nseed = 9\ntrace = 7.0");
  EXPECT_NEAR(Sr.trace(), 7.0, 1e-12);
  EXPECT_GT((Sr * H - H * Sr).norm(), 1e-3);  // does not commute with H
}

TEST(NoiseForms, NonPsdOrMisshapedCovarianceIsAnInputError) {
  const auto expect_error = [](const std::string& f, const std::string& key, const std::string& reason) {
    try {
      with_noise(f);
      ADD_FAILURE() << "accepted: " << f;
    } catch (const InputError& e) {
      EXPECT_EQ(e.key(), key) << e.what();
      EXPECT_NE(std::string(e.what()).find(reason), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("forms.toml"), std::string::npos) << e.what();
    }
  };
  expect_error("kind = \"gaussian\"\ncovariance = \"matrix\"\nmatrix = [[1,0,0,0],[0,-1,0,0],[0,0,1,0],[0,0,0,1]]",
               "noise.matrix", "not positive semidefinite");
  expect_error("kind = \"gaussian\"\ncovariance = \"matrix\"\nmatrix = [[1,2,0,0],[0,1,0,0],[0,0,1,0],[0,0,0,1]]",
               "noise.matrix", "not symmetric");
  expect_error("kind = \"gaussian\"\ncovariance = \"matrix\"\nmatrix = [[1,0],[0,1]]", "noise.matrix", "4 x 4");
  expect_error("kind = \"gaussian\"\ncovariance = \"matrix\"", "noise.matrix", "required");
  expect_error("kind = \"gaussian\"\ncovariance = \"factor\"\nfactor = [[1.0]]", "noise.factor", "expected 4 rows");
  expect_error("kind = \"gaussian\"\ncovariance = \"file\"\nmatrix_file = \"absent.csv\"", "noise.matrix_file",
               "cannot open");
  expect_error("kind = \"diagonal\"\nvariances = [1, 2]", "noise.variances", "expected 4");
  expect_error("kind = \"gaussian\"\ncovariance = \"isotropic\"\nscale = 0.0\ntrace = 1.0", "noise.trace",
               "zero covariance");
}

// One OU step from theta* has covariance exactly Q_eta = int_0^eta e^{-Hs} D e^{-Hs} ds:
// entry-wise 5-sigma Gaussian test of the empirical covariance of 2e5 transitions.
TEST(OUExact, OneStepCovarianceIsExact) {
  const Experiment ex = with_noise("kind = \"gaussian\"\ncovariance = \"random\"\nseed = 2\ntrace = 4.0");
  const double eta = 0.7;
  OUExact ou(ex.quadratic, ex.noise, eta);
  const Index n = 200000, d = 4;
  Mat X = ex.quadratic->stationary_point().transpose().replicate(n, 1);
  ou.advance(5, 0, 0, X);
  const NoiseForms f = noise_forms(*ex.noise->covariance(ex.theta0), ex.noise->target(), eta);
  const Mat Q = QuadraticMoments(*ex.quadratic).continuous(f.D, ex.theta0, eta).cov;
  const Mat E = empirical_covariance(X);
  for (Index i = 0; i < d; ++i)
    for (Index j = 0; j < d; ++j) {
      const double se = std::sqrt((Q(i, j) * Q(i, j) + Q(i, i) * Q(j, j)) / static_cast<double>(n - 1));
      EXPECT_NEAR(E(i, j), Q(i, j), 5.0 * se);
    }
  // The mean contracts by e^{-H eta} exactly (no noise).
  OUExact quiet(ex.quadratic, nullptr, eta);
  Mat Y = Vec::Constant(d, 1.0).transpose();
  quiet.advance(5, 0, 0, Y);
  const Vec expect = ex.quadratic->stationary_point() +
                     QuadraticMoments(*ex.quadratic).continuous(Mat::Zero(d, d), Vec::Constant(d, 1.0), eta).mean -
                     ex.quadratic->stationary_point();
  EXPECT_LT((Y.row(0).transpose() - expect).cwiseAbs().maxCoeff(), 1e-14);
}
