// The least-squares sample-gradient kernels (the W3 hot loop): the AVX-512 and AVX2
// kernels, which take samples four (AVX2) or eight (AVX-512) at a time with vector accumulators, give the bits of
// the one-sample-at-a-time reference with correctly rounded fma; the baseline (two
// roundings) agrees to rounding; and every kernel equals the dense formula
// sum_j w_j x_ij (x_ij^T theta - y_ij) to rounding. Batch sizes cover full groups of four
// and remainders; dimensions cover full lanes of eight and remainders.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "losses/least_squares.hpp"

using namespace sgdnoise;

TEST(LeastSquaresKernels, VectorKernelsGiveTheReferenceBits) {
  const auto kernels = LeastSquares::sample_kernels();
  ASSERT_NE(std::find(kernels.begin(), kernels.end(), "fma_reference"), kernels.end());
  std::mt19937_64 gen(3);
  std::normal_distribution<double> z;
  for (const Index d : {Index{3}, Index{8}, Index{13}, Index{100}}) {
    LeastSquares::Synthetic s;
    s.n = 57;
    s.d = d;
    s.n_test = 0;
    s.seed = 9;
    const LeastSquares loss = LeastSquares::synthetic(s);
    for (const Index m : {Index{1}, Index{3}, Index{4}, Index{7}, Index{8}, Index{9}, Index{15}, Index{32}}) {
      const Index rows = 19;
      Mat T(rows, d + 2);  // wider than d: the kernels read the first d columns
      for (Index i = 0; i < T.size(); ++i) T.data()[i] = z(gen);
      IndexBlock idx(rows, m);
      Mat w(rows, m);
      std::uniform_int_distribution<int> pick(0, static_cast<int>(s.n) - 1);
      for (Index i = 0; i < idx.size(); ++i) idx.data()[i] = pick(gen);
      for (Index i = 0; i < w.size(); ++i) w.data()[i] = 0.5 + std::abs(z(gen));
      Mat ref = Mat::Zero(rows, d);
      loss.sparse_weighted_gradient_with("fma_reference", T, idx, w, ref);
      // The dense formula.
      Mat dense = Mat::Zero(rows, d);
      const Mat Xf = loss.features();
      for (Index t = 0; t < rows; ++t)
        for (Index j = 0; j < m; ++j) {
          const Index i = idx(t, j);
          const double r = Xf.row(i).dot(T.row(t).head(d)) - loss.labels()[i];
          dense.row(t) += w(t, j) * r * Xf.row(i);
        }
      EXPECT_LT((ref - dense).cwiseAbs().maxCoeff(), 1e-12 * (1.0 + dense.cwiseAbs().maxCoeff())) << d << " " << m;
      for (const auto& k : kernels) {
        Mat G = Mat::Constant(rows, d, 7.0);
        loss.sparse_weighted_gradient_with(k, T, idx, w, G);
        if (k == "baseline") {
          EXPECT_LT((G - ref).cwiseAbs().maxCoeff(), 1e-12 * (1.0 + ref.cwiseAbs().maxCoeff())) << k << d << " " << m;
        } else {
          EXPECT_TRUE(G.cwiseEqual(ref).all()) << k << " d=" << d << " m=" << m;
        }
      }
      // The default path is the first kernel.
      Mat G = Mat::Zero(rows, d);
      loss.sparse_weighted_gradient(T, idx, w, G);
      Mat F = Mat::Zero(rows, d);
      loss.sparse_weighted_gradient_with(kernels.front(), T, idx, w, F);
      EXPECT_TRUE(G.cwiseEqual(F).all());
    }
  }
  EXPECT_THROW(
      {
        Mat G(1, 3);
        LeastSquares::synthetic({}).sparse_weighted_gradient_with("nope", Mat::Zero(1, 10), IndexBlock::Zero(1, 1),
                                                                  Mat::Ones(1, 1), G);
      },
      std::invalid_argument);
}
