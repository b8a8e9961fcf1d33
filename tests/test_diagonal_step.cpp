// The fused step of noisy GD on an axis-aligned quadratic with isotropic or diagonal
// Gaussian weight noise (core/diagonal_step.hpp, the W1 hot loop): NoisyGD takes it, and it
// gives bit for bit the generic path's four passes (noise buffer, noise, gradient, update);
// so does the fused noise-and-update pass after any other loss's gradient (W4's double well);
// every update kernel gives the same bits; and a block advanced in pieces, at any row split
// and with compacted (mapped) rows, equals the block advanced whole.
#include <gtest/gtest.h>

#include <memory>
#include <numeric>
#include <random>
#include <vector>

#include "core/diagonal_step.hpp"
#include "dynamics/stepper.hpp"
#include "losses/landscapes.hpp"
#include "losses/quadratic.hpp"
#include "noise/gaussian.hpp"

using namespace sgdnoise;

namespace {

struct Problem {
  std::shared_ptr<const Quadratic> loss;
  std::shared_ptr<const GaussianNoise> noise;
};

Problem diagonal_problem(Index d, bool isotropic) {
  Vec lambda(d), center(d), var(d);
  for (Index j = 0; j < d; ++j) {
    lambda[j] = std::pow(10.0, -3.0 * static_cast<double>(j) / static_cast<double>(std::max<Index>(d - 1, 1)));
    center[j] = 0.25 * static_cast<double>(j % 5) - 0.3;
    var[j] = 0.01 + 0.07 * static_cast<double>(j % 3);
  }
  Problem p;
  p.loss = std::make_shared<Quadratic>(lambda, Mat::Identity(d, d), center);
  p.noise = std::make_shared<GaussianNoise>(isotropic ? GaussianNoise::isotropic(d, 0.1, NoiseTarget::weights)
                                                      : GaussianNoise::diagonal(var, NoiseTarget::weights));
  return p;
}

Mat random_block(Index n, Index d, unsigned seed) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> z;
  Mat X(n, d);
  for (Index i = 0; i < X.size(); ++i) X.data()[i] = z(gen);
  return X;
}

// The generic path of NoisyGD::advance for plain SGD with weight noise, as written there.
Mat generic_step(const Problem& p, double h, const StreamCoords& s, RowIds traj, const Mat& X) {
  const Index n = X.rows(), d = X.cols();
  Mat zeta = Mat::Zero(n, d);
  p.noise->add_sample(s, traj, X, 1.0, zeta);
  Mat G(n, d);
  p.loss->gradient(X, G);
  Mat out = X;
  out = (out - h * G) + zeta;
  return out;
}

}  // namespace

TEST(DiagonalStep, NoisyGdGivesTheGenericPathBits) {
  for (const bool iso : {true, false})
    for (const Index d : {Index{1}, Index{2}, Index{3}, Index{100}})
      for (const Index n : {Index{1}, Index{5}, Index{33}, Index{300}, Index{700}}) {
        const Problem p = diagonal_problem(d, iso);
        const NoisyGD gd(p.loss, p.noise, 0.1);
        const Mat X0 = random_block(n, d, static_cast<unsigned>(d * 1000 + n));
        for (const std::uint64_t k : {std::uint64_t{0}, std::uint64_t{7}, (std::uint64_t{1} << 33) + 5}) {
          const Mat ref = generic_step(p, 0.1, {11, Purpose::gradient_noise, k}, RowIds(40), X0);
          Mat X = X0;
          gd.advance(11, k, RowIds(40), X);
          EXPECT_TRUE(X.cwiseEqual(ref).all()) << "iso=" << iso << " d=" << d << " n=" << n << " k=" << k;
        }
      }
}

TEST(DiagonalStep, EveryKernelGivesTheSameBits) {
  const auto kernels = diagonal_step_kernels();
  ASSERT_FALSE(kernels.empty());
  EXPECT_EQ(kernels.back(), "baseline");
  for (const Index d : {Index{2}, Index{5}, Index{100}})
    for (const Index n : {Index{3}, Index{257}, Index{1031}}) {
      const Problem p = diagonal_problem(d, false);
      const Vec& lambda = p.loss->eigenvalues();
      const Vec& center = p.loss->stationary_point();
      const Vec& sigma = p.noise->stddev();
      const DiagonalStep step{lambda.data(), center.data(), sigma.data(), 0.05};
      const StreamCoords s{3, Purpose::gradient_noise, 9};
      const Mat X0 = random_block(n, d, 17);
      const Mat ref = generic_step(p, 0.05, s, RowIds(0), X0);
      for (const auto& k : kernels) {
        Mat X = X0;
        diagonal_noisy_step_with(k, step, s, RowIds(0), X);
        EXPECT_TRUE(X.cwiseEqual(ref).all()) << k << " d=" << d << " n=" << n;
      }
      Mat X = X0;
      diagonal_noisy_step(step, s, RowIds(0), X);
      EXPECT_TRUE(X.cwiseEqual(ref).all()) << "default d=" << d << " n=" << n;
    }
  Mat X(1, 1);
  const Vec one = Vec::Ones(1);
  EXPECT_THROW(diagonal_noisy_step_with("no-such-kernel", {one.data(), one.data(), one.data(), 0.1}, {}, RowIds(0), X),
               std::invalid_argument);
}

// Blocks of any size and compacted rows: row i of a piece is the trajectory it was in the
// whole block, so the pieces draw the whole block's numbers.
TEST(DiagonalStep, PiecesAndMappedRowsEqualTheWholeBlock) {
  const Index n = 613, d = 3;
  const Problem p = diagonal_problem(d, true);
  const NoisyGD gd(p.loss, p.noise, 0.1);
  const Mat X0 = random_block(n, d, 5);
  Mat whole = X0;
  gd.advance(2, 4, RowIds(100), whole);
  for (const Index piece : {Index{1}, Index{31}, Index{64}, Index{255}, Index{256}, Index{300}}) {
    Mat X = X0;
    for (Index r = 0; r < n; r += piece) {
      const Index rb = std::min(piece, n - r);
      Mat B = X.middleRows(r, rb);
      gd.advance(2, 4, RowIds(100 + static_cast<std::uint64_t>(r)), B);
      X.middleRows(r, rb) = B;
    }
    EXPECT_TRUE(X.cwiseEqual(whole).all()) << "piece " << piece;
  }
  // A compacted ensemble: every third row, stepped under its original trajectory index.
  std::vector<std::uint64_t> ids;
  for (Index i = 0; i < n; i += 3) ids.push_back(100 + static_cast<std::uint64_t>(i));
  Mat C(static_cast<Index>(ids.size()), d);
  for (Index r = 0; r < C.rows(); ++r) C.row(r) = X0.row(3 * r);
  gd.advance(2, 4, RowIds::mapped(ids.data()), C);
  for (Index r = 0; r < C.rows(); ++r) EXPECT_TRUE(C.row(r).cwiseEqual(whole.row(3 * r)).all()) << "row " << r;
}

// Any other loss (the double well of W4, 1-D and 2-D, rotated quadratics): the loss's
// gradient, then the normals and the update in one pass, with the generic path's bits.
TEST(DiagonalStep, WeightNoiseStepGivesTheGenericPathBits) {
  for (const Index d : {Index{1}, Index{2}, Index{5}}) {
    DoubleWell::Spec spec;
    spec.tilt = 0.1;
    spec.transverse = Vec::LinSpaced(d - 1, 1.0, 3.0);
    const auto well = std::make_shared<DoubleWell>(spec);
    for (const bool iso : {true, false}) {
      Problem p = diagonal_problem(d, iso);
      const auto generic = [&](const StreamCoords& s, RowIds traj, const Mat& X) {
        Mat zeta = Mat::Zero(X.rows(), d);
        p.noise->add_sample(s, traj, X, 1.0, zeta);
        Mat G(X.rows(), d);
        well->gradient(X, G);
        Mat out = X;
        out = (out - 0.01 * G) + zeta;
        return out;
      };
      const NoisyGD gd(well, p.noise, 0.01);
      for (const Index n : {Index{1}, Index{37}, Index{600}}) {
        const Mat X0 = random_block(n, d, static_cast<unsigned>(n + d));
        const Mat ref = generic({8, Purpose::gradient_noise, 3}, RowIds(9), X0);
        Mat X = X0;
        gd.advance(8, 3, RowIds(9), X);
        EXPECT_TRUE(X.cwiseEqual(ref).all()) << "d=" << d << " n=" << n << " iso=" << iso;
        Mat G(n, d);
        well->gradient(X0, G);
        for (const auto& k : diagonal_step_kernels()) {
          Mat Y = X0;
          weight_noise_step_with(k, {nullptr, nullptr, p.noise->stddev().data(), 0.01}, G,
                                 {8, Purpose::gradient_noise, 3}, RowIds(9), Y);
          EXPECT_TRUE(Y.cwiseEqual(ref).all()) << k << " d=" << d << " n=" << n;
        }
      }
    }
  }
  // A rotated quadratic is not diagonal: the fused noise pass after its dense gradient.
  const Index d = 4;
  const Vec lambda = Vec::LinSpaced(d, 0.1, 1.0);
  const auto rotated = std::make_shared<Quadratic>(lambda, random_orthogonal(d, 3), Vec::Zero(d));
  const auto noise = std::make_shared<GaussianNoise>(GaussianNoise::isotropic(d, 0.2, NoiseTarget::weights));
  const Mat X0 = random_block(70, d, 2);
  Mat zeta = Mat::Zero(70, d), G(70, d);
  noise->add_sample({1, Purpose::gradient_noise, 0}, RowIds(0), X0, 1.0, zeta);
  rotated->gradient(X0, G);
  Mat ref = X0;
  ref = (ref - 0.1 * G) + zeta;
  Mat X = X0;
  NoisyGD(rotated, noise, 0.1).advance(1, 0, RowIds(0), X);
  EXPECT_TRUE(X.cwiseEqual(ref).all());
}
