// Contract suites instantiated from the kind registry (scenario/registry.hpp; STYLE.md: one
// property suite for every type): every example instance of every registered loss kind and
// noise kind, so a new kind is tested the moment it is registered, and a registered kind
// without an instance fails here.
//
// Losses: the dimension its entry derives equals the built loss's; the gradient and Hessian
// against central differences, H symmetric, the Hessian-vector product equal to H v
// (test::expect_derivatives_match); batch evaluation bitwise equal to pointwise
// (docs/conventions.md, determinism); a finite sum's per-sample gradients average to the
// gradient and its data size is what the memory estimate counts.
// Noises: on a small least-squares loss, the draws at two points have mean grad L (0 for
// weight noise) and the stated covariance, every entry within 5 standard errors
// (noise_contract_util.hpp, which derives the standard error); a kind that states no
// covariance says why; a kind that needs a finite sum is refused on a quadratic; a short
// discrete run is bitwise the same on 1 and 2 threads and two block sizes.
// Dynamics: each instance's short run is bitwise the same on 1 and 2 threads and two block
// sizes (docs/conventions.md, determinism).
// Escape regions: membership by inside() and by the escape loop's record_entries agree, the
// margin's sign agrees with membership, and an escape run is thread and block invariant.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "losses/callback_loss.hpp"
#include "noise_contract_util.hpp"
#include "scenario/experiment.hpp"
#include "scenario/registry.hpp"
#include "scenario/runner.hpp"
#include "test_util.hpp"

using namespace sgdnoise;

namespace {

// The `python` kind's example instance: a callback loss defined here in C++, as the Python
// module defines one (L = x^4/4 - x^2/2 + 3/2 y^2 + x y / 2, batched callbacks).
const bool kCallbackDefined = [] {
  CallbackLossSpec s;
  s.name = "contract_callback";
  s.dim = 2;
  s.gradient = [](ConstBlockRef X, BlockRef G) {
    G.col(0) = X.col(0).array().cube() - X.col(0).array() + 0.5 * X.col(1).array();
    G.col(1) = 3.0 * X.col(1).array() + 0.5 * X.col(0).array();
  };
  s.value = [](ConstBlockRef X, Eigen::Ref<Vec> out) {
    out = 0.25 * X.col(0).array().pow(4) - 0.5 * X.col(0).array().square() + 1.5 * X.col(1).array().square() +
          0.5 * X.col(0).array() * X.col(1).array();
  };
  s.hessian = [](const Vec& t) {
    Mat H(2, 2);
    H << 3.0 * t(0) * t(0) - 1.0, 0.5, 0.5, 3.0;
    return H;
  };
  CallbackLossTable::instance().define(std::move(s), std::make_shared<CallbackStatus>());
  return true;
}();

struct Instance {
  std::string kind;
  std::vector<std::string> sets;  // empty with `uncovered`: the kind has no example
  bool uncovered = false;
  std::string label;
};

template <class K>
std::vector<Instance> instances_of(const std::vector<K>& kinds) {
  std::vector<Instance> out;
  for (const auto& k : kinds) {
    if (k.examples.empty()) out.push_back({k.schema.name, {}, true, k.schema.name + "_uncovered"});
    for (std::size_t i = 0; i < k.examples.size(); ++i)
      out.push_back({k.schema.name, k.examples[i], false, k.schema.name + "_" + std::to_string(i)});
  }
  return out;
}

std::string label(const ::testing::TestParamInfo<Instance>& i) { return i.param.label; }

const char* const kDynamics = R"(
[dynamics]
kind = "discrete"
eta = 0.1
steps = 1
trajectories = 1
)";

class LossKindContract : public ::testing::TestWithParam<Instance> {};
class NoiseKindContract : public ::testing::TestWithParam<Instance> {};
class DynamicsKindContract : public ::testing::TestWithParam<Instance> {};

// The run of `text` with `sets` on 1 thread in blocks of 256 and on 2 threads in blocks of 5:
// the same series and the same final state, bit for bit.
void expect_thread_and_block_invariance(const std::string& text, const std::vector<std::string>& sets) {
  auto run = [&](int threads, Index block) {
    Experiment ex = build_experiment(Scenario::parse(text, "contract.toml", sets), threads);
    ex.spec.block = block;
    return run_experiment(ex).record;
  };
  const RunRecord a = run(1, 256), b = run(2, 5);
  ASSERT_EQ(a.status, RunStatus::completed) << a.failure;
  ASSERT_EQ(a.series.size(), b.series.size());
  for (std::size_t i = 0; i < a.series.size(); ++i) {
    ASSERT_EQ(a.series[i].values.size(), b.series[i].values.size());
    for (std::size_t j = 0; j < a.series[i].values.size(); ++j)
      EXPECT_EQ(a.series[i].values[j].est.value, b.series[i].values[j].est.value) << "series " << i << ", " << j;
  }
  ASSERT_EQ(a.final_state.size(), b.final_state.size());
  EXPECT_EQ(0, std::memcmp(a.final_state.data(), b.final_state.data(), sizeof(double) * a.final_state.size()));
}

}  // namespace

TEST_P(LossKindContract, DerivativesBatchesAndSizes) {
  const Instance& in = GetParam();
  ASSERT_FALSE(in.uncovered) << "loss kind \"" << in.kind << "\" is registered without a contract instance "
                             << "(LossKind::examples, scenario/registry.hpp)";
  const Scenario s = Scenario::parse("name = \"contract\"\n[loss]\nkind = \"" + in.kind + "\"\n" + kDynamics,
                                     "contract.toml", in.sets);
  const LossKind& k = loss_kind(s);
  const BuiltLoss b = build_loss(s, 0);
  const Loss& loss = *b.loss;
  const Index d = loss.dim();
  EXPECT_EQ(k.dim(s), d);
  if (!k.capabilities.callback) {
    EXPECT_EQ(k.capabilities.finite_sum, b.finite_sum != nullptr);
  }

  Mat X(3, d);
  X.row(0) = 0.4 * Vec::LinSpaced(d, -1.0, 1.3).transpose();
  X.row(1) = Vec::LinSpaced(d, 0.9, -0.6).transpose();
  X.row(2) = loss.initial_point().value_or(loss.minimizer().value_or(Vec::Constant(d, 0.3))).transpose() +
             Eigen::RowVectorXd::Constant(d, 0.05);
  for (Index r = 0; r < X.rows(); ++r) {
    const Vec theta = X.row(r).transpose();
    SCOPED_TRACE("point " + std::to_string(r));
    const double scale = std::max(1.0, loss.hessian(theta).cwiseAbs().maxCoeff());
    test::expect_derivatives_match(loss, theta, {1e-5, 1e-6 * scale, 1e-13 * scale, 1e-11 * scale});
  }
  // Batch evaluation is pointwise evaluation, bit for bit.
  Vec values(X.rows());
  Mat G(X.rows(), d);
  loss.value(X, values);
  loss.gradient(X, G);
  for (Index r = 0; r < X.rows(); ++r) {
    EXPECT_EQ(values[r], loss.value_at(X.row(r).transpose())) << "row " << r;
    EXPECT_TRUE(G.row(r) == loss.gradient_at(X.row(r).transpose()).transpose()) << "row " << r;
  }
  const LossData data = k.data(s, static_cast<double>(d));
  if (b.finite_sum) {
    const FiniteSumLoss& fs = *b.finite_sum;
    EXPECT_EQ(data.n, static_cast<double>(fs.n_samples()));
    const Vec theta = X.row(1).transpose();
    const Mat Gs = fs.sample_gradients(theta);
    ASSERT_EQ(Gs.cols(), fs.n_samples());
    const Vec g = loss.gradient_at(theta);
    EXPECT_LT((Gs.rowwise().mean() - g).cwiseAbs().maxCoeff(), 1e-12 * std::max(1.0, g.cwiseAbs().maxCoeff()));
    Mat Gw(1, d);
    fs.dense_weighted_gradient(X.row(1), Mat::Constant(1, fs.n_samples(), 1.0 / static_cast<double>(fs.n_samples())),
                               Gw);
    EXPECT_LT((Gw.row(0).transpose() - g).cwiseAbs().maxCoeff(), 1e-12 * std::max(1.0, g.cwiseAbs().maxCoeff()));
  } else {
    EXPECT_EQ(data.n, 0.0);
    EXPECT_FALSE((k.capabilities.per_sample_gradients && !k.capabilities.callback) || k.capabilities.fresh_data);
  }
}

INSTANTIATE_TEST_SUITE_P(Registry, LossKindContract, ::testing::ValuesIn(instances_of(kind_registry().losses())),
                         label);

namespace {
// The small least-squares loss of the noise suites (n = 12, d = 3), with the instance's sets.
std::string noise_scenario(const std::string& kind, const std::string& loss) {
  return "name = \"contract\"\n[loss]\n" + loss + "\n[noise]\nkind = \"" + kind + "\"\n" + kDynamics +
         "start = [0.8, 0.2, -0.4]\n";
}
const char* const kLeastSquares =
    "kind = \"least_squares\"\ndim = 3\nsamples = 12\ntest_samples = 0\ncondition = 4.0\nlabel_noise = 0.7\n"
    "data_seed = 9";
}  // namespace

TEST_P(NoiseKindContract, StatedCovarianceOrWhyNone) {
  const Instance& in = GetParam();
  ASSERT_FALSE(in.uncovered) << "noise kind \"" << in.kind << "\" is registered without a contract instance "
                             << "(NoiseKind::examples, scenario/registry.hpp)";
  const NoiseKind& k = *kind_registry().find_noise(in.kind);
  const Experiment ex =
      build_experiment(Scenario::parse(noise_scenario(in.kind, kLeastSquares), "contract.toml", in.sets), 1);
  const std::vector<Vec> points = test::two_points();
  if (!ex.noise || !ex.noise->covariance(points[0])) {
    EXPECT_FALSE(k.capabilities.exact_covariance) << "states a covariance, yet the model gives none";
    EXPECT_FALSE(k.capabilities.no_covariance_why.empty()) << "states no covariance and not why";
  } else {
    SCOPED_TRACE(ex.noise->kind());
    test::expect_contract(*ex.noise, *ex.loss, points, 50000);
  }
  if (k.capabilities.needs_finite_sum) {
    const std::string quadratic = "kind = \"quadratic\"\ndim = 3\nspectrum = \"log\"";
    EXPECT_THROW(build_experiment(Scenario::parse(noise_scenario(in.kind, quadratic), "contract.toml", in.sets), 1),
                 InputError);
  }
}

TEST_P(NoiseKindContract, ThreadsAndBlockSizesGiveIdenticalResults) {
  const Instance& in = GetParam();
  ASSERT_FALSE(in.uncovered) << "noise kind \"" << in.kind << "\" is registered without a contract instance";
  std::vector<std::string> sets = in.sets;
  sets.insert(sets.end(), {"dynamics.steps=6", "dynamics.trajectories=37"});
  expect_thread_and_block_invariance(noise_scenario(in.kind, kLeastSquares), sets);
}

INSTANTIATE_TEST_SUITE_P(Registry, NoiseKindContract, ::testing::ValuesIn(instances_of(kind_registry().noises())),
                         label);

TEST_P(DynamicsKindContract, ThreadsAndBlockSizesGiveIdenticalResults) {
  const Instance& in = GetParam();
  ASSERT_FALSE(in.uncovered) << "dynamics kind \"" << in.kind << "\" is registered without a contract instance "
                             << "(DynamicsKind::examples, scenario/registry.hpp)";
  expect_thread_and_block_invariance(
      "name = \"contract\"\nseed = 11\n[loss]\nkind = \"least_squares\"\ndim = 3\n"
      "[dynamics]\nkind = \"" +
          in.kind + "\"\neta = 0.05\nsteps = 6\ntrajectories = 37\nstart = [0.8, 0.2, -0.4]\n",
      in.sets);
}

INSTANTIATE_TEST_SUITE_P(Registry, DynamicsKindContract, ::testing::ValuesIn(instances_of(kind_registry().dynamics())),
                         label);

namespace {
class RegionKindContract : public ::testing::TestWithParam<Instance> {};
}  // namespace

// Regions: on a 2-D double well, built from the scenario like any run, for 400 points spread
// over [-2, 2]^2: record_entries (the per-step test of the escape loop) marks exactly the rows
// that inside() says are in the region; where the region has a margin phi, phi >= 0 inside and
// phi < 0 outside; the escape engine runs with it on 1 and 2 threads and two block sizes alike.
TEST_P(RegionKindContract, MembershipMarginAndInvariance) {
  const Instance& in = GetParam();
  ASSERT_FALSE(in.uncovered) << "region kind \"" << in.kind << "\" is registered without a contract instance "
                             << "(RegionKind::examples, scenario/registry.hpp)";
  const std::string text =
      "name = \"contract\"\nseed = 5\n[loss]\nkind = \"double_well\"\ntransverse = [2.0]\n"
      "[noise]\nkind = \"isotropic\"\nvariance = 0.5\n"
      "[dynamics]\nkind = \"discrete\"\neta = 0.05\nsteps = 40\ntrajectories = 37\nstart = [-1.0, 0.0]\n"
      "[observe]\nevery = 5\n[escape]\nregion = \"" +
      in.kind + "\"\n";
  const Experiment ex = build_experiment(Scenario::parse(text, "contract.toml", in.sets), 1);
  const auto target = build_region(ex.scenario, ex.loss, 1);
  ASSERT_TRUE(target);
  EXPECT_FALSE(target->kind().empty());
  Mat X(400, 2);
  for (Index i = 0; i < 20; ++i)
    for (Index j = 0; j < 20; ++j)
      X.row(i * 20 + j) << -2.0 + 4.0 * static_cast<double>(i) / 19.0, -2.0 + 4.0 * static_cast<double>(j) / 19.0;
  std::vector<char> inside;
  target->inside(X, inside);
  ASSERT_EQ(inside.size(), 400u);
  std::vector<std::uint64_t> ids(400);
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = i;
  std::vector<std::int64_t> fp(400, -1);
  target->record_entries(X, ids.data(), 7, fp.data());
  Index in_count = 0;
  for (std::size_t i = 0; i < 400; ++i) {
    EXPECT_EQ(fp[i] == 7, inside[i] == 1) << "row " << i;
    in_count += inside[i];
  }
  EXPECT_GT(in_count, 0) << "the example region contains none of the grid points";
  EXPECT_LT(in_count, 400) << "the example region contains every grid point";
  if (target->has_margin()) {
    Vec phi(400);
    target->margin(X, phi);
    for (Index i = 0; i < 400; ++i) EXPECT_EQ(phi[i] >= 0.0, inside[static_cast<std::size_t>(i)] == 1) << "row " << i;
  }
  expect_thread_and_block_invariance(text, in.sets);
}

INSTANTIATE_TEST_SUITE_P(Registry, RegionKindContract, ::testing::ValuesIn(instances_of(kind_registry().regions())),
                         label);
