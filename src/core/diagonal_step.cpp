#include "core/diagonal_step.hpp"

#include <algorithm>
#include <stdexcept>

#include "core/platform.hpp"

namespace sgdnoise {

// Rows per chunk: the normals of one draw pair for kRows trajectories (2 x 4 kB) stay in
// the L1 cache between their generation and their use. A multiple of the normal kernels'
// 32-lane chunk, so splitting a block into row chunks changes no draw.
namespace {
constexpr Index kRows = 256;
}

// No contraction: every a * b + c below is rounded twice, as in the generic path, on every
// instruction set (the same pragma as core/rng.cpp and core/fast_math.hpp).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
#endif

namespace {

struct ColumnUpdate {
  double* x;
  const double* z;
  const double* g;  // the gradient's column (weight_noise_step), or null: the quadratic's
  Index n;
  double h, lambda, center, sigma;
};

// (x - h ((x - c) lambda)) + (0 + sigma z): the generic path's operations in its order
// (NoisyGD::advance: zeta = 0 + sigma z; the gradient (x - c) lambda; (x - h g) + zeta).
[[gnu::always_inline]] inline void update_column(const ColumnUpdate& a) {
  double* __restrict x = a.x;
  const double* __restrict z = a.z;
  const double h = a.h, lam = a.lambda, c = a.center, sd = a.sigma;
  if (a.g) {  // weight_noise_step: (x - h g) + (0 + sigma z)
    const double* __restrict g = a.g;
    for (Index i = 0; i < a.n; ++i) x[i] = (x[i] - h * g[i]) + (0.0 + sd * z[i]);
    return;
  }
  for (Index i = 0; i < a.n; ++i) x[i] = (x[i] - h * ((x[i] - c) * lam)) + (0.0 + sd * z[i]);
}

void update_baseline(const ColumnUpdate& a) { update_column(a); }
#if defined(__x86_64__) && defined(__GNUC__)
[[gnu::target("avx2,fma")]] void update_avx2(const ColumnUpdate& a) { update_column(a); }
[[gnu::target("avx512f,avx512dq,avx512vl,avx2,fma")]] void update_avx512(const ColumnUpdate& a) { update_column(a); }
#endif

}  // namespace

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif

namespace {

using UpdateKernel = void (*)(const ColumnUpdate&);

struct NamedUpdate {
  const char* name;
  UpdateKernel fn;
};

const std::vector<NamedUpdate>& update_kernels() {
  static const std::vector<NamedUpdate> k = [] {
    std::vector<NamedUpdate> v;
#if defined(__x86_64__) && defined(__GNUC__)
    if (cpu_level() >= CpuLevel::avx512) v.push_back({"avx512", &update_avx512});
    if (cpu_level() >= CpuLevel::avx2_fma) v.push_back({"avx2", &update_avx2});
#endif
    v.push_back({"baseline", &update_baseline});
    return v;
  }();
  return k;
}

// G: the gradient (weight_noise_step), or null (the quadratic's, computed in the update).
void step_with(UpdateKernel kernel, const DiagonalStep& p, const ConstBlockRef* G, const StreamCoords& s, RowIds traj,
               BlockRef theta) {
  const Index n = theta.rows(), d = theta.cols();
  thread_local Mat Z(kRows, 2);  // column-major: the pair's two draws, kRows apart
  for (Index r0 = 0; r0 < n; r0 += kRows) {
    const Index rb = std::min(kRows, n - r0);
    const RowIds rows = traj.from(r0);
    for (Index j = 0; j < d; j += 2) {
      const Index cols = std::min<Index>(2, d - j);
      Eigen::Map<Mat, 0, Eigen::OuterStride<>> z(Z.data(), rb, cols, Eigen::OuterStride<>(kRows));
      fill_normals(s, rows, static_cast<std::uint32_t>(j), z);
      for (Index q = 0; q < cols; ++q)
        kernel({theta.col(j + q).data() + r0, Z.col(q).data(), G ? G->col(j + q).data() + r0 : nullptr, rb, p.h,
                G ? 0.0 : p.lambda[j + q], G ? 0.0 : p.center[j + q], p.sigma[j + q]});
    }
  }
}

}  // namespace

void diagonal_noisy_step(const DiagonalStep& p, const StreamCoords& s, RowIds traj, BlockRef theta) {
  step_with(update_kernels().front().fn, p, nullptr, s, traj, theta);
}

void weight_noise_step(const DiagonalStep& p, ConstBlockRef G, const StreamCoords& s, RowIds traj, BlockRef theta) {
  step_with(update_kernels().front().fn, p, &G, s, traj, theta);
}

std::vector<std::string> diagonal_step_kernels() {
  std::vector<std::string> names;
  for (const auto& k : update_kernels()) names.emplace_back(k.name);
  return names;
}

void diagonal_noisy_step_with(const std::string& kernel, const DiagonalStep& p, const StreamCoords& s, RowIds traj,
                              BlockRef theta) {
  for (const auto& k : update_kernels())
    if (kernel == k.name) return step_with(k.fn, p, nullptr, s, traj, theta);
  throw std::invalid_argument("diagonal_noisy_step_with: no kernel '" + kernel + "' on this CPU");
}

void weight_noise_step_with(const std::string& kernel, const DiagonalStep& p, ConstBlockRef G, const StreamCoords& s,
                            RowIds traj, BlockRef theta) {
  for (const auto& k : update_kernels())
    if (kernel == k.name) return step_with(k.fn, p, &G, s, traj, theta);
  throw std::invalid_argument("weight_noise_step_with: no kernel '" + kernel + "' on this CPU");
}

}  // namespace sgdnoise
