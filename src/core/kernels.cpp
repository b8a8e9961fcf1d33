#include "core/kernels.hpp"

namespace sgdnoise {

namespace {
template <bool Accumulate>
void rows_times_impl(ConstBlockRef X, const Mat& M, BlockRef out) {
  const Index n = X.rows(), inner = X.cols();
  for (Index j = 0; j < M.cols(); ++j) {
    double* o = out.col(j).data();
    if constexpr (!Accumulate) {
      for (Index i = 0; i < n; ++i) o[i] = 0.0;
    }
    for (Index k = 0; k < inner; ++k) {
      const double m = M(k, j);
      if (m == 0.0) continue;  // same skip for every trajectory: order unchanged
      const double* x = X.col(k).data();
#pragma omp simd
      for (Index i = 0; i < n; ++i) o[i] += x[i] * m;
    }
  }
}
}  // namespace

void rows_times(ConstBlockRef X, const Mat& M, BlockRef out) { rows_times_impl<false>(X, M, out); }
void rows_times_add(ConstBlockRef X, const Mat& M, BlockRef out) { rows_times_impl<true>(X, M, out); }

void rows_times_diag(ConstBlockRef X, const Vec& v, BlockRef out) {
  const Index n = X.rows();
  for (Index j = 0; j < X.cols(); ++j) {
    const double m = v[j];
    const double* x = X.col(j).data();
    double* o = out.col(j).data();
#pragma omp simd
    for (Index i = 0; i < n; ++i) o[i] = x[i] * m;
  }
}

}  // namespace sgdnoise
