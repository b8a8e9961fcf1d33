#include "losses/least_squares.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/kernels.hpp"
#include "core/platform.hpp"
#include "core/rng.hpp"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

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
// identical bits; the baseline rounds twice (docs/conventions.md: across instruction sets,
// results agree statistically).
struct SampleArgs {
  const double* X;  // n x d, row-major
  const double* y;
  Index d;
  const double* theta;
  const std::int32_t* idx;  // sample j: idx[j * stride]
  const double* w;          // its weight: w[j * stride]
  Index stride;
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
    const Index i = a.idx[j * a.stride];
    const double* x = a.X + i * d;
    double acc[kLanes] = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
    for (Index c = 0; c < d8; c += kLanes)
      for (Index l = 0; l < kLanes; ++l) acc[l] = madd<kFma>(x[c + l], a.theta[c + l], acc[l]);
    for (Index l = 0; l < d - d8; ++l) acc[l] = madd<kFma>(x[d8 + l], a.theta[d8 + l], acc[l]);
    const double dot = ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
    const double r = (dot - a.y[i]) * a.w[j * a.stride];
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
// GCC 12 leaves the eight-sum dot product above scalar (eight vfmadd231sd per eight
// coordinates), so the FMA kernels write it with intrinsics: lane l of the vector
// accumulators is partial sum l, accumulated in the same order with the same fma, so
// the bits are those of sample_gradient<true>. kGroup samples at a time give the core
// independent fma chains; their updates of g are applied in sample order.
template <int kGroup, class Dot>
[[gnu::always_inline]] inline void sample_gradient_grouped(const SampleArgs& a, Dot dot8) {
  constexpr Index kLanes = 8;
  const Index d = a.d, d8 = d - d % kLanes;
  for (Index c = 0; c < d; ++c) a.g[c] = 0.0;
  Index j0 = 0;
  for (; j0 + kGroup <= a.m; j0 += kGroup) {
    const double* x[kGroup];
    alignas(64) double acc[kGroup][kLanes];
    for (int q = 0; q < kGroup; ++q) x[q] = a.X + static_cast<Index>(a.idx[(j0 + q) * a.stride]) * d;
    // The next group's rows are random rows of X, known from the indices: ask for them now,
    // so that their loads overlap this group's arithmetic (no effect on the result).
    for (int q = 0; q < kGroup && j0 + kGroup + q < a.m; ++q) {
      const double* nx = a.X + static_cast<Index>(a.idx[(j0 + kGroup + q) * a.stride]) * d;
      for (Index c = 0; c < d; c += 8) __builtin_prefetch(nx + c);
      __builtin_prefetch(nx + d - 1);
    }
    dot8(x, a.theta, d8, acc);
    double r[kGroup];
    for (int q = 0; q < kGroup; ++q) {
      double* s = acc[q];
      for (Index l = 0; l < d - d8; ++l) s[l] = __builtin_fma(x[q][d8 + l], a.theta[d8 + l], s[l]);
      const double dt = ((s[0] + s[4]) + (s[2] + s[6])) + ((s[1] + s[5]) + (s[3] + s[7]));
      r[q] = (dt - a.y[a.idx[(j0 + q) * a.stride]]) * a.w[(j0 + q) * a.stride];
    }
    // g += r_0 x_0, then r_1 x_1, ...: in sample order, one pass over g.
    for (Index c = 0; c < d; ++c) {
      double gc = a.g[c];
      for (int q = 0; q < kGroup; ++q) gc = __builtin_fma(r[q], x[q][c], gc);
      a.g[c] = gc;
    }
  }
  // The last samples one at a time, as sample_gradient<true> (g already holds the others).
  for (Index j = j0; j < a.m; ++j) {
    const std::int32_t i = a.idx[j * a.stride];
    const double* x[1] = {a.X + static_cast<Index>(i) * d};
    alignas(64) double acc[1][kLanes];
    // one sample: the grouped dot with a group of one is not instantiated; plain loop
    for (Index l = 0; l < kLanes; ++l) acc[0][l] = 0.0;
    for (Index c = 0; c < d8; c += kLanes)
      for (Index l = 0; l < kLanes; ++l) acc[0][l] = __builtin_fma(x[0][c + l], a.theta[c + l], acc[0][l]);
    double* s = acc[0];
    for (Index l = 0; l < d - d8; ++l) s[l] = __builtin_fma(x[0][d8 + l], a.theta[d8 + l], s[l]);
    const double dt = ((s[0] + s[4]) + (s[2] + s[6])) + ((s[1] + s[5]) + (s[3] + s[7]));
    const double r = (dt - a.y[i]) * a.w[j * a.stride];
    for (Index c = 0; c < d; ++c) a.g[c] = __builtin_fma(r, x[0][c], a.g[c]);
  }
}

constexpr int kSampleGroup = 4;

[[gnu::target("avx2,fma")]] void sample_gradient_avx2(const SampleArgs& a) {
  sample_gradient_grouped<kSampleGroup>(
      a, [](const double* const* x, const double* th, Index d8, double(*acc)[8]) __attribute__((target("avx2,fma"))) {
        __m256d lo[kSampleGroup], hi[kSampleGroup];
        for (int q = 0; q < kSampleGroup; ++q) lo[q] = hi[q] = _mm256_setzero_pd();
        for (Index c = 0; c < d8; c += 8) {
          const __m256d t0 = _mm256_loadu_pd(th + c), t1 = _mm256_loadu_pd(th + c + 4);
          for (int q = 0; q < kSampleGroup; ++q) {
            lo[q] = _mm256_fmadd_pd(_mm256_loadu_pd(x[q] + c), t0, lo[q]);
            hi[q] = _mm256_fmadd_pd(_mm256_loadu_pd(x[q] + c + 4), t1, hi[q]);
          }
        }
        for (int q = 0; q < kSampleGroup; ++q) {
          _mm256_store_pd(acc[q], lo[q]);
          _mm256_store_pd(acc[q] + 4, hi[q]);
        }
      });
}

// Eight samples at a time with AVX-512's 32 vector registers: each sample's dot product is
// one chain of dependent fma (d / 8 long), so eight chains keep both fma units busy where
// four left them waiting on the latency. The rest of the group's work is vector work too: the
// dot's last d mod 8 coordinates as a masked fma into their lanes, the eight partial sums of
// the eight samples added in the reference's tree by three rounds of shuffles (lanes l and l +
// 4, then 0 + 2 and 1 + 3, then those two: the same additions of the same operands, so the
// same bits), the residuals r = (dot - y) w as one vector, and g += r_q x_q in sample order,
// eight coordinates at a time. Samples past the last full group go one at a time. No software
// prefetch of the next group's rows: with the rest vectorized it cost 10 % (W3, 2026-12-08);
// the hardware prefetcher follows each row.
constexpr int kSampleGroup512 = 8;

[[gnu::target("avx512f,avx512dq,avx512vl,avx2,fma")]] void sample_gradient_avx512(const SampleArgs& a) {
  constexpr int G = kSampleGroup512;
  const Index d = a.d, d8 = d - d % 8;
  const auto tail = static_cast<__mmask8>((1U << (d - d8)) - 1U);
  for (Index c = 0; c < d; ++c) a.g[c] = 0.0;
  const __m512i pair_lo = _mm512_set_epi64(13, 12, 9, 8, 5, 4, 1, 0);
  const __m512i pair_hi = _mm512_set_epi64(15, 14, 11, 10, 7, 6, 3, 2);
  const __m512i even = _mm512_set_epi64(14, 12, 10, 8, 6, 4, 2, 0);
  const __m512i odd = _mm512_set_epi64(15, 13, 11, 9, 7, 5, 3, 1);
  Index j0 = 0;
  for (; j0 + G <= a.m; j0 += G) {
    const double* x[G];
    for (int q = 0; q < G; ++q) x[q] = a.X + static_cast<Index>(a.idx[(j0 + q) * a.stride]) * d;
    __m512d s[G];
    for (int q = 0; q < G; ++q) s[q] = _mm512_setzero_pd();
    for (Index c = 0; c < d8; c += 8) {
      const __m512d t = _mm512_loadu_pd(a.theta + c);
      for (int q = 0; q < G; ++q) s[q] = _mm512_fmadd_pd(_mm512_loadu_pd(x[q] + c), t, s[q]);
    }
    if (tail) {  // coordinate d8 + l into lane l; the other lanes keep their sums
      const __m512d t = _mm512_maskz_loadu_pd(tail, a.theta + d8);
      for (int q = 0; q < G; ++q) s[q] = _mm512_mask3_fmadd_pd(_mm512_maskz_loadu_pd(tail, x[q] + d8), t, s[q], tail);
    }
    // Lanes l + (l + 4), two samples a vector: [u0 u1 u2 u3 | the next sample's].
    // (The zero-masked shuffle with a full mask: GCC 12 flags the plain one's undefined source.)
    __m512d u[G / 2];
    for (int p = 0; p < G / 2; ++p)
      u[p] = _mm512_add_pd(_mm512_maskz_shuffle_f64x2(0xFF, s[2 * p], s[2 * p + 1], 0x44),
                           _mm512_maskz_shuffle_f64x2(0xFF, s[2 * p], s[2 * p + 1], 0xEE));
    // u0 + u2 and u1 + u3, four samples a vector; then their sum, eight samples.
    const __m512d v0 =
        _mm512_add_pd(_mm512_permutex2var_pd(u[0], pair_lo, u[1]), _mm512_permutex2var_pd(u[0], pair_hi, u[1]));
    const __m512d v1 =
        _mm512_add_pd(_mm512_permutex2var_pd(u[2], pair_lo, u[3]), _mm512_permutex2var_pd(u[2], pair_hi, u[3]));
    const __m512d dot = _mm512_add_pd(_mm512_permutex2var_pd(v0, even, v1), _mm512_permutex2var_pd(v0, odd, v1));
    alignas(64) double yq[G], wq[G], r[G];
    for (int q = 0; q < G; ++q) {
      yq[q] = a.y[a.idx[(j0 + q) * a.stride]];
      wq[q] = a.w[(j0 + q) * a.stride];
    }
    _mm512_store_pd(r, _mm512_mul_pd(_mm512_sub_pd(dot, _mm512_load_pd(yq)), _mm512_load_pd(wq)));
    // g += r_0 x_0, then r_1 x_1, ...: in sample order, one pass over g.
    __m512d rb[G];
    for (int q = 0; q < G; ++q) rb[q] = _mm512_set1_pd(r[q]);
    for (Index c = 0; c < d8; c += 8) {
      __m512d gc = _mm512_loadu_pd(a.g + c);
      for (int q = 0; q < G; ++q) gc = _mm512_fmadd_pd(rb[q], _mm512_loadu_pd(x[q] + c), gc);
      _mm512_storeu_pd(a.g + c, gc);
    }
    if (tail) {
      __m512d gc = _mm512_maskz_loadu_pd(tail, a.g + d8);
      for (int q = 0; q < G; ++q) gc = _mm512_fmadd_pd(rb[q], _mm512_maskz_loadu_pd(tail, x[q] + d8), gc);
      _mm512_mask_storeu_pd(a.g + d8, tail, gc);
    }
  }
  // The last samples one at a time, as sample_gradient<true> (g already holds the others).
  for (Index j = j0; j < a.m; ++j) {
    const std::int32_t i = a.idx[j * a.stride];
    const double* x = a.X + static_cast<Index>(i) * d;
    double acc[8] = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
    for (Index c = 0; c < d8; c += 8)
      for (Index l = 0; l < 8; ++l) acc[l] = __builtin_fma(x[c + l], a.theta[c + l], acc[l]);
    for (Index l = 0; l < d - d8; ++l) acc[l] = __builtin_fma(x[d8 + l], a.theta[d8 + l], acc[l]);
    const double dt = ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
    const double r = (dt - a.y[i]) * a.w[j * a.stride];
    for (Index c = 0; c < d; ++c) a.g[c] = __builtin_fma(r, x[c], a.g[c]);
  }
}
#endif

using SampleKernel = void (*)(const SampleArgs&);

// sample_gradient<true> compiled for any x86-64: fma through libm (correctly rounded, so
// the bits of the FMA kernels, slowly); for the tests.
void sample_gradient_reference(const SampleArgs& a) { sample_gradient<true>(a); }

struct NamedSampleKernel {
  const char* name;
  SampleKernel fn;
};

// The kernels this CPU can run, the one used first.
std::vector<NamedSampleKernel> usable_sample_kernels() {
  std::vector<NamedSampleKernel> k;
#if defined(__x86_64__) && defined(__GNUC__)
  if (cpu_level() >= CpuLevel::avx512) k.push_back({"avx512", &sample_gradient_avx512});
  if (cpu_level() >= CpuLevel::avx2_fma) k.push_back({"avx2", &sample_gradient_avx2});
#endif
  k.push_back({"baseline", &sample_gradient_baseline});
  k.push_back({"fma_reference", &sample_gradient_reference});
  return k;
}

const std::vector<NamedSampleKernel>& sample_kernels_list() {
  static const std::vector<NamedSampleKernel> k = usable_sample_kernels();
  return k;
}

SampleKernel sample_kernel() { return sample_kernels_list().front().fn; }
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

namespace {
// Trajectories are taken kTile at a time: their theta rows are gathered into contiguous
// columns of a small buffer (one cache line of each column of the block per coordinate),
// the kernel runs on each, and the gradients are scattered back the same way. The
// buffers stay in the L1 cache, and no pass reads or writes a whole column of the block
// with the block's stride, which a transpose of the block did: its rows, one stride apart,
// fell into a few cache sets (14 % of W3's time). Copies only: the kernel's bits are the
// same whatever the tiling.
constexpr Index kTile = 8;
using RowMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
void run_sample_kernel(SampleKernel kernel, const RowMat& Xrow, const Vec& y, ConstBlockRef T, const IndexBlock& idx,
                       ConstBlockRef w, BlockRef G) {
  const Index rows = T.rows(), d = Xrow.cols(), m = idx.cols();
  thread_local std::vector<double> th, gr;  // kTile columns of d: theta_t and g_t contiguous
  thread_local Mat Wc;
  th.resize(static_cast<std::size_t>(kTile * d));
  gr.resize(static_cast<std::size_t>(kTile * d));
  // Indices and weights read in place, trajectory t at row t (stride: the rows).
  const std::int32_t* ip = idx.data();
  const double* wp = w.data();
  Index istride = idx.rows(), wstride = w.outerStride();
  if (istride != wstride) {  // one stride for both: copy the weights into the indices' layout
    Wc = w.leftCols(m);
    wp = Wc.data();
    wstride = Wc.rows();
  }
  const double* tp = T.data();
  double* gp = G.data();
  const Index tld = T.outerStride(), gld = G.outerStride();
  for (Index t0 = 0; t0 < rows; t0 += kTile) {
    const Index tb = std::min(kTile, rows - t0);
    for (Index c = 0; c < d; ++c)
      for (Index l = 0; l < tb; ++l) th[static_cast<std::size_t>(l * d + c)] = tp[c * tld + t0 + l];
    for (Index l = 0; l < tb; ++l) {
      const Index t = t0 + l;
      kernel({Xrow.data(), y.data(), d, th.data() + l * d, ip + t, wp + t, istride, m, gr.data() + l * d});
    }
    for (Index c = 0; c < d; ++c)
      for (Index l = 0; l < tb; ++l) gp[c * gld + t0 + l] = gr[static_cast<std::size_t>(l * d + c)];
  }
}
}  // namespace

void LeastSquares::sparse_weighted_gradient(ConstBlockRef T, const IndexBlock& idx, ConstBlockRef w, BlockRef G) const {
  run_sample_kernel(sample_kernel(), Xrow_, y_, T, idx, w, G);
}

std::vector<std::string> LeastSquares::sample_kernels() {
  std::vector<std::string> names;
  for (const auto& k : sample_kernels_list()) names.emplace_back(k.name);
  return names;
}

void LeastSquares::sparse_weighted_gradient_with(const std::string& kernel, ConstBlockRef T, const IndexBlock& idx,
                                                 ConstBlockRef w, BlockRef G) const {
  for (const auto& k : sample_kernels_list())
    if (kernel == k.name) return run_sample_kernel(k.fn, Xrow_, y_, T, idx, w, G);
  throw std::invalid_argument("least squares: no sample-gradient kernel '" + kernel + "' on this CPU");
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
