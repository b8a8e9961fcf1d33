// Paper 5's current-batch penalty (analysis/batch_penalty.hpp, docs/theory.md 1.6 and 6.2): the
// per-sample losses and Hessians of the finite sums against their value and Hessian, the
// moments of batch means against exact enumeration of every batch, the measured mean penalties
// against their exact expectations (5 standard errors of the mean over batches, fixed seed),
// and bad input, in the analysis and through `sgdnoise batch-penalty`.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <functional>

#include "analysis/batch_penalty.hpp"
#include "losses/least_squares.hpp"
#include "losses/logistic.hpp"
#include "losses/sum_of_quadratics.hpp"
#include "test_util.hpp"

using namespace sgdnoise;
namespace fs = std::filesystem;
using Scheme = SgdSampling::Scheme;

namespace {

std::shared_ptr<const LeastSquares> small_lstsq(Index n = 12, Index d = 3) {
  LeastSquares::Synthetic s;
  s.n = n;
  s.d = d;
  s.n_test = 0;
  s.condition = 4.0;
  s.seed = 7;
  return std::make_shared<LeastSquares>(LeastSquares::synthetic(s));
}

// Every ordered b-tuple of sample indices (with replacement) or of distinct ones (without),
// each equally likely: the exact distribution of the batch's multiset of samples.
void for_each_batch(Index n, Index b, bool distinct, const std::function<void(const std::vector<Index>&)>& f) {
  std::vector<Index> idx(static_cast<std::size_t>(b), 0);
  std::function<void(Index)> rec = [&](Index pos) {
    if (pos == b) return f(idx);
    for (Index a = 0; a < n; ++a) {
      if (distinct && std::find(idx.begin(), idx.begin() + pos, a) != idx.begin() + pos) continue;
      idx[static_cast<std::size_t>(pos)] = a;
      rec(pos + 1);
    }
  };
  rec(0);
}

}  // namespace

TEST(SampleLosses, MeanOfSampleValuesAndHessiansIsTheLoss) {
  SumOfQuadratics::Synthetic sq;
  sq.n = 9;
  sq.d = 3;
  Logistic::Synthetic lg;
  lg.n = 11;
  lg.d = 3;
  lg.l2 = 0.1;
  const std::vector<std::shared_ptr<const FiniteSumLoss>> losses = {
      small_lstsq(), std::make_shared<SumOfQuadratics>(SumOfQuadratics::synthetic(sq)),
      std::make_shared<Logistic>(Logistic::synthetic(lg))};
  const Vec theta = Vec::LinSpaced(3, -0.7, 0.9);
  for (const auto& loss : losses) {
    const Vec v = *loss->sample_values(theta);
    ASSERT_EQ(v.size(), loss->n_samples()) << loss->kind();
    EXPECT_NEAR(v.mean(), loss->value_at(theta), 1e-12) << loss->kind();
    Mat H = Mat::Zero(3, 3);
    for (Index i = 0; i < loss->n_samples(); ++i) H += *loss->sample_hessian(theta, i);
    EXPECT_LT((H / static_cast<double>(loss->n_samples()) - loss->hessian(theta)).cwiseAbs().maxCoeff(), 1e-12)
        << loss->kind();
    // Each sample's Hessian against central differences of its gradient (column i of G).
    const Index i = 2;
    const Mat Hi = *loss->sample_hessian(theta, i);
    for (Index c = 0; c < 3; ++c) {
      Vec e = Vec::Zero(3);
      e[c] = 1e-5;
      const Vec col = (loss->sample_gradients(theta + e).col(i) - loss->sample_gradients(theta - e).col(i)) / 2e-5;
      for (Index r = 0; r < 3; ++r) EXPECT_NEAR(Hi(r, c), col[r], 1e-7) << loss->kind();
    }
    EXPECT_THROW(loss->sample_hessian(theta, loss->n_samples()), std::out_of_range);
  }
}

TEST(BatchPenalty, MomentsOfBatchMeansMatchEnumeration) {
  const Index n = 5;
  const Vec h = (Vec(n) << 0.3, -1.2, 2.0, 0.7, -0.4).finished();
  const Vec u = (Vec(n) << 1.1, 0.2, -0.8, 1.5, 0.9).finished();
  const Vec v = (Vec(n) << -0.5, 1.3, 0.4, 0.6, -1.7).finished();
  for (const bool wr : {true, false})
    for (Index b = 1; b <= (wr ? 4 : 5); ++b) {
      double m2 = 0.0, m3 = 0.0, count = 0.0;
      for_each_batch(n, b, !wr, [&](const std::vector<Index>& idx) {
        double mh = 0.0, mu = 0.0, mv = 0.0;
        for (Index a : idx) mh += h[a], mu += u[a], mv += v[a];
        mh /= static_cast<double>(b), mu /= static_cast<double>(b), mv /= static_cast<double>(b);
        m2 += mu * mv;
        m3 += mh * mu * mv;
        count += 1.0;
      });
      const Scheme s = wr ? Scheme::with_replacement : Scheme::without_replacement;
      EXPECT_NEAR(batch_mean_moment2(u, v, b, s), m2 / count, 1e-13) << "b = " << b << " wr = " << wr;
      EXPECT_NEAR(batch_mean_moment3(h, u, v, b, s), m3 / count, 1e-13) << "b = " << b << " wr = " << wr;
    }
  EXPECT_THROW(batch_mean_moment2(u, v, 6, Scheme::without_replacement), std::invalid_argument);
  EXPECT_THROW(batch_mean_moment2(u, v, 0, Scheme::with_replacement), std::invalid_argument);
  EXPECT_THROW(batch_mean_moment3(h, u, v, 2, Scheme::reshuffle), std::invalid_argument);
  EXPECT_THROW(batch_mean_moment3(h.head(3), u, v, 2, Scheme::with_replacement), std::invalid_argument);
}

// Least squares: every sample loss is quadratic, so each batch's penalty is exactly the cross
// term (allowance: rounding) and each mean over batches is within 5 se of its expectation.
// The current batch pays more than another one at b = 1 (H_B = x x^T, g_B = x r: the penalty
// is 1/2 eta^2 r^2 sum_{i != j} x_i^2 x_j^2 > 0 on every batch), and all three coincide at
// b = n without replacement (B = B' = every sample).
TEST(BatchPenalty, MeasuredPenaltiesMatchTheirExpectations) {
  const auto loss = small_lstsq(12, 3);
  const Vec theta = (Vec(3) << 1.0, -1.0, 0.5).finished();
  for (const Scheme s : {Scheme::with_replacement, Scheme::without_replacement}) {
    const BatchPenaltyReport r = batch_penalty(loss, theta, 0.1, s, {1, 3, 12}, 20000, 11);
    ASSERT_EQ(r.rows.size(), 3u);
    for (const auto& row : r.rows)
      for (const auto* p : {&row.current, &row.another, &row.full, &row.current_minus_another}) {
        EXPECT_TRUE(p->passed) << "b = " << row.batch << ": " << p->measured.value << " +- " << p->measured.se
                               << " against " << p->predicted;
        EXPECT_EQ(p->measured.n, 20000);
        EXPECT_LT(p->allowance, 1e-10);
      }
    EXPECT_GT(r.rows[0].current.measured.value, 0.0);
    EXPECT_GT(r.rows[0].current_minus_another.measured.value, 5.0 * r.rows[0].current_minus_another.measured.se);
    if (s == Scheme::without_replacement) {
      const auto& all = r.rows[2];
      EXPECT_NEAR(all.current.predicted, all.another.predicted, 1e-12);
      EXPECT_LT(all.current_minus_another.measured.se, 1e-12);
    }
    EXPECT_TRUE(r.all_passed());
  }
}

// A logistic loss is not quadratic: the allowance carries the O(eta^3) remainder, positive.
TEST(BatchPenalty, NonQuadraticLossesCarryTheirRemainder) {
  Logistic::Synthetic lg;
  lg.n = 20;
  lg.d = 3;
  const auto loss = std::make_shared<Logistic>(Logistic::synthetic(lg));
  const BatchPenaltyReport r = batch_penalty(loss, Vec::Constant(3, 0.5), 0.05, Scheme::with_replacement, {2}, 2000, 3);
  EXPECT_GT(r.rows[0].current.allowance, 0.0);
  EXPECT_TRUE(r.all_passed());
}

TEST(BatchPenalty, BadInputIsRefused) {
  const auto loss = small_lstsq(6, 3);
  const Vec theta = Vec::Ones(3);
  EXPECT_THROW(batch_penalty(loss, Vec::Ones(2), 0.1, Scheme::with_replacement, {1}, 100, 1), std::invalid_argument);
  EXPECT_THROW(batch_penalty(loss, theta, 0.0, Scheme::with_replacement, {1}, 100, 1), std::invalid_argument);
  EXPECT_THROW(batch_penalty(loss, theta, NAN, Scheme::with_replacement, {1}, 100, 1), std::invalid_argument);
  EXPECT_THROW(batch_penalty(loss, theta, 0.1, Scheme::with_replacement, {1}, 1, 1), std::invalid_argument);
  EXPECT_THROW(batch_penalty(loss, theta, 0.1, Scheme::with_replacement, {}, 100, 1), std::invalid_argument);
  EXPECT_THROW(batch_penalty(loss, theta, 0.1, Scheme::without_replacement, {7}, 100, 1), std::invalid_argument);
  EXPECT_THROW(batch_penalty(loss, theta, 0.1, Scheme::reshuffle, {2}, 100, 1), std::invalid_argument);
  EXPECT_THROW(batch_penalty(nullptr, theta, 0.1, Scheme::with_replacement, {2}, 100, 1), std::invalid_argument);
}

namespace {

const char* kScenario = R"(name = "bp"
seed = 3
[loss]
kind = "least_squares"
dim = 3
samples = 20
test_samples = 0
data_seed = 2
[noise]
kind = "sgd"
sampling = "with_replacement"
batch = 2
[dynamics]
kind = "discrete"
eta = 0.1
steps = 1
trajectories = 2
start = [1.0, -1.0, 0.5]
)";

fs::path write(const fs::path& dir, const std::string& name, const std::string& text) {
  std::ofstream(dir / name) << text;
  return dir / name;
}

}  // namespace

TEST(CliBatchPenalty, WritesTheReportAndRefusesBadInput) {
  const fs::path dir = test::fresh_dir("batch-penalty");
  const fs::path sc = write(dir, "bp.toml", kScenario);
  const fs::path out = dir / "bp.json";
  auto r = test::run_cli("batch-penalty " + sc.string() + " --batch-sizes 1,4 --batches 3000 --json " + out.string());
  ASSERT_EQ(r.code, 0) << r.output;
  std::ifstream in(out);
  const auto j = nlohmann::json::parse(in);
  ASSERT_EQ(j["rows"].size(), 2u);
  EXPECT_EQ(j["rows"][1]["batch"], 4);
  EXPECT_EQ(j["rows"][0]["current"]["n"], 3000);
  EXPECT_TRUE(j["all_passed"].get<bool>());
  EXPECT_EQ(j["sampling"], "with_replacement");
  // The table, with the scenario's own batch size by default.
  r = test::run_cli("batch-penalty " + sc.string() + " --batches 100");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("current"), std::string::npos);

  // Bad input: exit 2, naming the key.
  r = test::run_cli("batch-penalty " + sc.string() + " --set noise.sampling=reshuffle");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("noise.sampling"), std::string::npos) << r.output;
  r = test::run_cli("batch-penalty " + sc.string() + " --set noise.sampling=without_replacement --batch-sizes 21");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--batch-sizes"), std::string::npos) << r.output;
  r = test::run_cli("batch-penalty " + sc.string() + " --set noise.kind=none");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("noise.kind"), std::string::npos) << r.output;
  r = test::run_cli("batch-penalty " + sc.string() + " --batches 1");
  EXPECT_EQ(r.code, 2) << r.output;
  r = test::run_cli("batch-penalty " + sc.string() + " --at 1,2");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--at"), std::string::npos) << r.output;
  fs::remove_all(dir);
}
