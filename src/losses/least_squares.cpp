#include "losses/least_squares.hpp"

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/kernels.hpp"
#include "core/platform.hpp"
#include "core/rng.hpp"

namespace sgdnoise {

namespace {
Mat& scratch(int which, Index rows, Index cols) {
  thread_local Mat buf[3];
  Mat& m = buf[which];
  if (m.rows() != rows || m.cols() != cols) m.resize(rows, cols);
  return m;
}

// The gradient of one trajectory's weighted samples, g = sum_j w_j x_{i_j} (x_{i_j}^T theta
// - y_{i_j}) (the per-sample gradients of the header). The dot product keeps eight partial
// sums (coordinate c goes to sum c mod 8) added in a fixed tree, so it vectorizes without
// reassociation by the compiler: the same operations for every trajectory wherever it lies
// in a block. The kernels for CPUs with FMA (AVX-512, AVX2) round a * b + c once and give
// identical bits; the baseline rounds twice (CONVENTIONS.md: across instruction sets,
// results agree statistically).
struct SampleArgs {
  const double* X;  // n x d, row-major
  const double* y;
  Index d;
  const double* theta;
  const std::int32_t* idx;
  const double* w;
  Index m;
  double* g;
};

template <bool kFma>
[[gnu::always_inline]] inline double madd(double a, double b, double c) {
  if constexpr (kFma)
    return __builtin_fma(a, b, c);
  else
    return a * b + c;
}

template <bool kFma>
[[gnu::always_inline]] inline void sample_gradient(const SampleArgs& a) {
  constexpr Index kLanes = 8;
  const Index d = a.d, d8 = d - d % kLanes;
  for (Index c = 0; c < d; ++c) a.g[c] = 0.0;
  for (Index j = 0; j < a.m; ++j) {
    const Index i = a.idx[j];
    const double* x = a.X + i * d;
    double acc[kLanes] = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
    for (Index c = 0; c < d8; c += kLanes)
      for (Index l = 0; l < kLanes; ++l) acc[l] = madd<kFma>(x[c + l], a.theta[c + l], acc[l]);
    for (Index l = 0; l < d - d8; ++l) acc[l] = madd<kFma>(x[d8 + l], a.theta[d8 + l], acc[l]);
    const double dot = ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
    const double r = (dot - a.y[i]) * a.w[j];
    for (Index c = 0; c < d; ++c) a.g[c] = madd<kFma>(r, x[c], a.g[c]);
  }
}

void sample_gradient_baseline(const SampleArgs& a) {
#ifdef FP_FAST_FMA
  sample_gradient<true>(a);
#else
  sample_gradient<false>(a);
#endif
}
#if defined(__x86_64__) && defined(__GNUC__)
[[gnu::target("avx2,fma")]] void sample_gradient_avx2(const SampleArgs& a) { sample_gradient<true>(a); }
[[gnu::target("avx512f,avx512dq,avx512vl,avx2,fma")]] void sample_gradient_avx512(const SampleArgs& a) {
  sample_gradient<true>(a);
}
#endif

using SampleKernel = void (*)(const SampleArgs&);
SampleKernel sample_kernel() {
#if defined(__x86_64__) && defined(__GNUC__)
  switch (cpu_level()) {
    case CpuLevel::avx512:
      return &sample_gradient_avx512;
    case CpuLevel::avx2_fma:
      return &sample_gradient_avx2;
    case CpuLevel::baseline:
      break;
  }
#endif
  return &sample_gradient_baseline;
}
}  // namespace

LeastSquares::LeastSquares(Mat X, Vec y, Mat Xtest, Vec ytest)
    : X_(std::move(X)), Xrow_(X_), y_(std::move(y)), Xtest_(std::move(Xtest)), ytest_(std::move(ytest)) {
  if (X_.rows() != y_.size()) throw std::invalid_argument("least squares: features and labels differ in length");
  if (X_.rows() < 1 || X_.cols() < 1) throw std::invalid_argument("least squares: no data");
  if (Xtest_.rows() != ytest_.size() || (Xtest_.rows() > 0 && Xtest_.cols() != X_.cols()))
    throw std::invalid_argument("least squares: test set does not match the training set");
  Xt_ = X_.transpose();
  Xtest_t_ = Xtest_.transpose();
  const double n = static_cast<double>(X_.rows());
  H_ = X_.transpose() * X_ / n;
  // Minimum-norm minimizer (complete orthogonal decomposition handles rank deficiency).
  theta_min_ = X_.completeOrthogonalDecomposition().solve(y_);
  min_value_ = 0.5 * (X_ * theta_min_ - y_).squaredNorm() / n;
}

namespace {
// The synthetic data's draws, from the counter-based stream keyed by the data seed:
// trajectory index 0 = teacher, 1 = training features, 2 = training label noise, 3/4 =
// test features/noise.
Mat synthetic_normals(std::uint64_t seed, std::uint64_t which, Index rows, Index cols) {
  Mat Z(rows, cols);
  if (Z.size() > 0) fill_normals({seed, Purpose::initial_state, which}, 0, 0, Z);
  return Z;
}

Vec feature_scales(const LeastSquares::Synthetic& s) {
  if (s.n < 1 || s.d < 1 || s.n_test < 0) throw std::invalid_argument("least squares: sizes must be positive");
  Vec scale(s.d);
  for (Index j = 0; j < s.d; ++j) {
    const double t = s.d == 1 ? 0.0 : static_cast<double>(j) / static_cast<double>(s.d - 1);
    scale[j] = std::sqrt(std::pow(1.0 / s.condition, t));  // feature variances log-spaced 1 .. 1/condition
  }
  return scale;
}
}  // namespace

Mat LeastSquares::synthetic_features(const Synthetic& s) {
  return synthetic_normals(s.seed, 1, s.n, s.d) * feature_scales(s).asDiagonal();
}

LeastSquares LeastSquares::synthetic(const Synthetic& s) {
  const Vec scale = feature_scales(s);
  const Vec teacher = synthetic_normals(s.seed, 0, 1, s.d).row(0).transpose() / std::sqrt(static_cast<double>(s.d));
  Mat X = synthetic_features(s);
  Vec y = X * teacher + s.label_noise * synthetic_normals(s.seed, 2, s.n, 1).col(0);
  Mat Xt = synthetic_normals(s.seed, 3, s.n_test, s.d) * scale.asDiagonal();
  Vec yt = Xt * teacher + s.label_noise * synthetic_normals(s.seed, 4, s.n_test, 1).col(0);
  return LeastSquares(std::move(X), std::move(y), std::move(Xt), std::move(yt));
}

void LeastSquares::half_mse(const Mat& X, const Vec& y, const Mat& Xt, ConstBlockRef T, Eigen::Ref<Vec> out) {
  const Index rows = T.rows(), n = X.rows();
  Mat& R = scratch(0, rows, n);
  rows_times(T, Xt, R);  // R(t, i) = x_i^T theta_t
  for (Index t = 0; t < rows; ++t) out[t] = 0.0;
  for (Index i = 0; i < n; ++i) {
    const double yi = y[i];
    const double* r = R.col(i).data();
    for (Index t = 0; t < rows; ++t) {
      const double e = r[t] - yi;
      out[t] += e * e;
    }
  }
  out *= 0.5 / static_cast<double>(n);
}

void LeastSquares::value(ConstBlockRef T, Eigen::Ref<Vec> out) const { half_mse(X_, y_, Xt_, T, out); }
void LeastSquares::test_value(ConstBlockRef T, Eigen::Ref<Vec> out) const {
  half_mse(Xtest_, ytest_, Xtest_t_, T, out);
}

void LeastSquares::dense_weighted_gradient(ConstBlockRef T, ConstBlockRef W, BlockRef G) const {
  const Index rows = T.rows(), n = n_samples();
  Mat& R = scratch(1, rows, n);
  rows_times(T, Xt_, R);  // residuals before the label
  for (Index i = 0; i < n; ++i) {
    const double yi = y_[i];
    double* r = R.col(i).data();
    const double* w = W.col(i).data();
#pragma omp simd
    for (Index t = 0; t < rows; ++t) r[t] = (r[t] - yi) * w[t];
  }
  rows_times(R, X_, G);  // G(t, :) = sum_i W(t,i) r_i(t) x_i^T
}

void LeastSquares::gradient(ConstBlockRef T, BlockRef G) const {
  const Index rows = T.rows(), n = n_samples();
  Mat& W = scratch(2, rows, n);
  W.setConstant(1.0 / static_cast<double>(n));
  dense_weighted_gradient(T, W, G);
}

void LeastSquares::sparse_weighted_gradient(ConstBlockRef T, const IndexBlock& idx, ConstBlockRef w, BlockRef G) const {
  const Index rows = T.rows(), d = dim(), m = idx.cols();
  thread_local std::vector<double> theta, g, ws;
  thread_local std::vector<std::int32_t> is;
  theta.resize(static_cast<std::size_t>(d));
  g.resize(static_cast<std::size_t>(d));
  ws.resize(static_cast<std::size_t>(m));
  is.resize(static_cast<std::size_t>(m));
  const SampleKernel kernel = sample_kernel();
  for (Index t = 0; t < rows; ++t) {
    for (Index c = 0; c < d; ++c) theta[static_cast<std::size_t>(c)] = T(t, c);
    for (Index j = 0; j < m; ++j) {
      is[static_cast<std::size_t>(j)] = idx(t, j);
      ws[static_cast<std::size_t>(j)] = w(t, j);
    }
    kernel({Xrow_.data(), y_.data(), d, theta.data(), is.data(), ws.data(), m, g.data()});
    for (Index c = 0; c < d; ++c) G(t, c) = g[static_cast<std::size_t>(c)];
  }
}

Mat LeastSquares::sample_gradients(const Vec& theta) const {
  const Vec r = X_ * theta - y_;
  return Xt_ * r.asDiagonal();  // column i: x_i r_i
}

std::optional<Vec> LeastSquares::sample_values(const Vec& theta) const {
  const Vec r = X_ * theta - y_;
  return Vec(0.5 * r.array().square());
}

std::optional<Mat> LeastSquares::sample_hessian(const Vec&, Index i) const {
  if (i < 0 || i >= n_samples())
    throw std::out_of_range("LeastSquares::sample_hessian: no sample " + std::to_string(i));
  return Mat(Xt_.col(i) * Xt_.col(i).transpose());
}

}  // namespace sgdnoise
