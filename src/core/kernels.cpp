#include "core/kernels.hpp"

#include "core/platform.hpp"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

namespace sgdnoise {

// out(i, j) (+)= sum_k X(i, k) M(k, j), k = 0, 1, ... in order, every term added with one
// multiply-add: the same operations for every trajectory i, whether it falls in a
// register tile or in the row remainder, so results never depend on the block size.
// Tiles of kR rows x 4 columns stay in registers across the k loop (the DGEMM
// micro-kernel idea without reordering k). Kernels are compiled per instruction set and
// chosen once at run time; those with FMA (AVX-512, AVX2) round a * b + c once and agree
// bit for bit, the baseline rounds twice (docs/conventions.md: across instruction sets,
// results agree statistically).
namespace {

struct ProductArgs {
  const double* X;
  Index ldx, n, inner;
  const double* M;
  Index ldm, cols;
  double* O;
  Index ldo;
  bool accumulate;
};

template <bool kFma>
[[gnu::always_inline]] inline double madd(double a, double b, double c) {
  if constexpr (kFma)
    return __builtin_fma(a, b, c);
  else
    return a * b + c;
}

template <bool kFma, int kR, int kC>
[[gnu::always_inline]] inline void tile(const ProductArgs& a, Index i0, Index j0) {
  double acc[kC][kR];
  for (int q = 0; q < kC; ++q)
    for (int l = 0; l < kR; ++l) acc[q][l] = a.accumulate ? a.O[(j0 + q) * a.ldo + i0 + l] : 0.0;
  for (Index k = 0; k < a.inner; ++k) {
    const double* x = a.X + k * a.ldx + i0;
    for (int q = 0; q < kC; ++q) {
      const double m = a.M[(j0 + q) * a.ldm + k];
      for (int l = 0; l < kR; ++l) acc[q][l] = madd<kFma>(x[l], m, acc[q][l]);
    }
  }
  for (int q = 0; q < kC; ++q)
    for (int l = 0; l < kR; ++l) a.O[(j0 + q) * a.ldo + i0 + l] = acc[q][l];
}

// The row remainder, one row at a time with the same per-element arithmetic.
template <bool kFma, int kC>
[[gnu::always_inline]] inline void tail_rows(const ProductArgs& a, Index i0, Index j0) {
  for (Index i = i0; i < a.n; ++i)
    for (int q = 0; q < kC; ++q) {
      double s = a.accumulate ? a.O[(j0 + q) * a.ldo + i] : 0.0;
      for (Index k = 0; k < a.inner; ++k) s = madd<kFma>(a.X[k * a.ldx + i], a.M[(j0 + q) * a.ldm + k], s);
      a.O[(j0 + q) * a.ldo + i] = s;
    }
}

template <bool kFma, int kR>
[[gnu::always_inline]] inline void product(const ProductArgs& a) {
  const Index nr = a.n - a.n % kR;
  Index j = 0;
  for (; j + 4 <= a.cols; j += 4) {
    for (Index i = 0; i < nr; i += kR) tile<kFma, kR, 4>(a, i, j);
    tail_rows<kFma, 4>(a, nr, j);
  }
  for (; j < a.cols; ++j) {
    for (Index i = 0; i < nr; i += kR) tile<kFma, kR, 1>(a, i, j);
    tail_rows<kFma, 1>(a, nr, j);
  }
}

void product_baseline(const ProductArgs& a) {
#ifdef FP_FAST_FMA
  product<true, 4>(a);
#else
  product<false, 4>(a);
#endif
}
#if defined(__x86_64__) && defined(__GNUC__)
// The x86 kernels with intrinsics (GCC 12 vectorizes the generic tile across k with
// permutes and spills): 2 vectors of rows x 4 columns of accumulators in registers.
#define SGDNOISE_PRODUCT_KERNEL(NAME, TARGET, V, W, LOADU, STOREU, SET1, ZERO, FMADD)                                 \
  [[gnu::target(TARGET)]] void NAME(const ProductArgs& a) {                                                           \
    constexpr Index kR = 2 * (W);                                                                                     \
    const Index nr = a.n - a.n % kR, nv = a.n - a.n % (W);                                                            \
    Index j = 0;                                                                                                      \
    for (; j + 4 <= a.cols; j += 4) {                                                                                 \
      for (Index i = 0; i < nr; i += kR) {                                                                            \
        V c00, c01, c10, c11, c20, c21, c30, c31;                                                                     \
        double* o = a.O + j * a.ldo + i;                                                                              \
        if (a.accumulate) {                                                                                           \
          c00 = LOADU(o), c01 = LOADU(o + (W)), c10 = LOADU(o + a.ldo), c11 = LOADU(o + a.ldo + (W));                 \
          c20 = LOADU(o + 2 * a.ldo), c21 = LOADU(o + 2 * a.ldo + (W));                                               \
          c30 = LOADU(o + 3 * a.ldo), c31 = LOADU(o + 3 * a.ldo + (W));                                               \
        } else {                                                                                                      \
          c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = ZERO();                                                     \
        }                                                                                                             \
        const double* m = a.M + j * a.ldm;                                                                            \
        for (Index k = 0; k < a.inner; ++k) {                                                                         \
          const double* x = a.X + k * a.ldx + i;                                                                      \
          const V x0 = LOADU(x), x1 = LOADU(x + (W));                                                                 \
          const V m0 = SET1(m[k]), m1 = SET1(m[a.ldm + k]), m2 = SET1(m[2 * a.ldm + k]), m3 = SET1(m[3 * a.ldm + k]); \
          c00 = FMADD(x0, m0, c00), c01 = FMADD(x1, m0, c01), c10 = FMADD(x0, m1, c10);                               \
          c11 = FMADD(x1, m1, c11), c20 = FMADD(x0, m2, c20), c21 = FMADD(x1, m2, c21);                               \
          c30 = FMADD(x0, m3, c30), c31 = FMADD(x1, m3, c31);                                                         \
        }                                                                                                             \
        STOREU(o, c00), STOREU(o + (W), c01), STOREU(o + a.ldo, c10), STOREU(o + a.ldo + (W), c11);                   \
        STOREU(o + 2 * a.ldo, c20), STOREU(o + 2 * a.ldo + (W), c21);                                                 \
        STOREU(o + 3 * a.ldo, c30), STOREU(o + 3 * a.ldo + (W), c31);                                                 \
      }                                                                                                               \
      tail_rows<true, 4>(a, nr, j);                                                                                   \
    }                                                                                                                 \
    for (; j < a.cols; ++j) {                                                                                         \
      for (Index i = 0; i < nv; i += (W)) {                                                                           \
        double* o = a.O + j * a.ldo + i;                                                                              \
        V c = a.accumulate ? LOADU(o) : ZERO();                                                                       \
        for (Index k = 0; k < a.inner; ++k) c = FMADD(LOADU(a.X + k * a.ldx + i), SET1(a.M[j * a.ldm + k]), c);       \
        STOREU(o, c);                                                                                                 \
      }                                                                                                               \
      tail_rows<true, 1>(a, nv, j);                                                                                   \
    }                                                                                                                 \
  }
SGDNOISE_PRODUCT_KERNEL(product_avx2, "avx2,fma", __m256d, 4, _mm256_loadu_pd, _mm256_storeu_pd, _mm256_set1_pd,
                        _mm256_setzero_pd, _mm256_fmadd_pd)
SGDNOISE_PRODUCT_KERNEL(product_avx512, "avx512f,avx512dq,avx512vl,avx2,fma", __m512d, 8, _mm512_loadu_pd,
                        _mm512_storeu_pd, _mm512_set1_pd, _mm512_setzero_pd, _mm512_fmadd_pd)
#undef SGDNOISE_PRODUCT_KERNEL
#endif

using ProductKernel = void (*)(const ProductArgs&);
ProductKernel product_kernel() {
#if defined(__x86_64__) && defined(__GNUC__)
  switch (cpu_level()) {
    case CpuLevel::avx512:
      return &product_avx512;
    case CpuLevel::avx2_fma:
      return &product_avx2;
    case CpuLevel::baseline:
      break;
  }
#endif
  return &product_baseline;
}

void rows_times_impl(ConstBlockRef X, const Mat& M, BlockRef out, bool accumulate) {
  product_kernel()({X.data(), X.outerStride(), X.rows(), X.cols(), M.data(), M.rows(), M.cols(), out.data(),
                    out.outerStride(), accumulate});
}
}  // namespace

void rows_times(ConstBlockRef X, const Mat& M, BlockRef out) { rows_times_impl(X, M, out, false); }
void rows_times_add(ConstBlockRef X, const Mat& M, BlockRef out) { rows_times_impl(X, M, out, true); }

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
