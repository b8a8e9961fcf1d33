#include "analysis/escape_regions.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sgdnoise {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

/// The fraction of a step where an affine margin crosses zero, from phi_b < 0 to phi_a >= 0.
double linear_fraction(double phi_b, double phi_a) {
  if (phi_b >= 0.0) return 0.0;
  if (!(phi_a > phi_b)) return 1.0;
  return std::clamp(phi_b / (phi_b - phi_a), 0.0, 1.0);
}

}  // namespace

void Region::entry_fraction(ConstBlockRef before, ConstBlockRef after, Eigen::Ref<Vec> f) const {
  const Index n = before.rows();
  if (!has_margin()) {
    f.setOnes();
    return;
  }
  Vec mb(n), ma(n);
  margin(before, mb);
  margin(after, ma);
  for (Index i = 0; i < n; ++i) f[i] = linear_fraction(mb[i], ma[i]);
}

Ball::Ball(Vec centre, double radius, bool outside) : centre_(std::move(centre)), radius_(radius), outside_(outside) {
  if (!(radius_ > 0.0)) throw std::invalid_argument("ball: radius must be positive");
}

void Ball::margin(ConstBlockRef X, Eigen::Ref<Vec> out) const {
  const Index n = X.rows();
  Vec r2 = Vec::Zero(n);
  for (Index j = 0; j < X.cols(); ++j)
    for (Index i = 0; i < n; ++i) {
      const double y = X(i, j) - centre_[j];
      r2[i] += y * y;
    }
  for (Index i = 0; i < n; ++i) {
    const double dist = std::sqrt(r2[i]) - radius_;
    out[i] = outside_ ? dist : -dist;
  }
}

void Ball::inside(ConstBlockRef X, std::vector<char>& out) const {
  Vec m(X.rows());
  margin(X, m);
  out.assign(static_cast<std::size_t>(X.rows()), 0);
  for (Index i = 0; i < X.rows(); ++i) out[i] = m[i] >= 0.0 ? 1 : 0;
}

void Ball::entry_fraction(ConstBlockRef before, ConstBlockRef after, Eigen::Ref<Vec> f) const {
  // |u + t v| = radius with u = before - centre, v = after - before: the smaller root
  // when entering the ball, the larger when leaving it (Press et al., Numerical Recipes
  // 3rd ed., sec. 5.6, for the cancellation-free roots).
  for (Index i = 0; i < before.rows(); ++i) {
    double uu = 0.0, uv = 0.0, vv = 0.0;
    for (Index j = 0; j < before.cols(); ++j) {
      const double u = before(i, j) - centre_[j], v = after(i, j) - before(i, j);
      uu += u * u;
      uv += u * v;
      vv += v * v;
    }
    const double c0 = uu - radius_ * radius_;
    if (outside_ ? c0 >= 0.0 : c0 <= 0.0) {
      f[i] = 0.0;
      continue;
    }
    const double disc = uv * uv - vv * c0;
    if (!(vv > 0.0) || disc < 0.0) {
      f[i] = 1.0;
      continue;
    }
    const double q = -(uv + std::copysign(std::sqrt(disc), uv));
    const double r1 = q / vv, r2 = q != 0.0 ? c0 / q : r1;
    const double t = outside_ ? std::max(r1, r2) : std::min(r1, r2);
    f[i] = std::isfinite(t) ? std::clamp(t, 0.0, 1.0) : 1.0;
  }
}

HalfSpace::HalfSpace(Vec normal, double offset) {
  const double norm = normal.norm();
  if (!(norm > 0.0) || !std::isfinite(norm))
    throw std::invalid_argument("half-space: the normal must be nonzero and finite");
  unit_normal_ = normal / norm;
  offset_ = offset / norm;
}

void HalfSpace::margin(ConstBlockRef X, Eigen::Ref<Vec> out) const {
  const Index n = X.rows();
  for (Index i = 0; i < n; ++i) out[i] = -offset_;
  for (Index j = 0; j < X.cols(); ++j) {
    const double u = unit_normal_[j];
    for (Index i = 0; i < n; ++i) out[i] += u * X(i, j);
  }
}

void HalfSpace::inside(ConstBlockRef X, std::vector<char>& out) const {
  Vec m(X.rows());
  margin(X, m);
  out.assign(static_cast<std::size_t>(X.rows()), 0);
  for (Index i = 0; i < X.rows(); ++i) out[i] = m[i] >= 0.0 ? 1 : 0;
}

CoordinateThreshold::CoordinateThreshold(Index coord, double value, Side side)
    : coord_(coord), value_(value), side_(side) {
  if (coord_ < 0) throw std::invalid_argument("coordinate threshold: negative coordinate");
}

void CoordinateThreshold::margin(ConstBlockRef X, Eigen::Ref<Vec> out) const {
  const double s = side_ == Side::above ? 1.0 : -1.0;
  for (Index i = 0; i < X.rows(); ++i) out[i] = s * (X(i, coord_) - value_);
}

void CoordinateThreshold::inside(ConstBlockRef X, std::vector<char>& out) const {
  out.resize(static_cast<std::size_t>(X.rows()));
  const auto x = X.col(coord_);
  if (side_ == Side::above) {
    for (Index i = 0; i < X.rows(); ++i) out[static_cast<std::size_t>(i)] = x[i] >= value_ ? 1 : 0;
  } else {
    for (Index i = 0; i < X.rows(); ++i) out[static_cast<std::size_t>(i)] = x[i] <= value_ ? 1 : 0;
  }
}

namespace {
// Which of x[0..16) are inside, bit j for row j: x >= v above the threshold, x <= v below
// (the same test as sign * x >= sign * v, negation being exact). SSE2, the portable
// build's baseline: eight compares and movemasks per 16 rows instead of a scalar multiply
// and compare per row.
template <bool kAbove>
[[gnu::always_inline]] inline unsigned inside_mask16(const double* x, double v) {
  unsigned mask = 0;
#if defined(__SSE2__)
  const __m128d vv = _mm_set1_pd(v);
  for (int j = 0; j < 16; j += 2) {
    const __m128d xj = _mm_loadu_pd(x + j);
    mask |= static_cast<unsigned>(_mm_movemask_pd(kAbove ? _mm_cmpge_pd(xj, vv) : _mm_cmple_pd(xj, vv))) << j;
  }
#else
  for (int j = 0; j < 16; ++j) mask |= (kAbove ? x[j] >= v : x[j] <= v) ? 1u << j : 0u;
#endif
  return mask;
}

template <bool kAbove>
void record_threshold(const double* x, Index n, double v, const std::uint64_t* ids, std::int64_t step,
                      std::int64_t* first_passage) {
  auto record = [&](Index i) {
    std::int64_t& f = first_passage[ids[i]];
    if (f < 0) f = step;
  };
  // A row is rarely inside: 16 rows tested at once, then only the rows inside visited.
  constexpr Index kGroup = 16;
  const Index full = n - n % kGroup;
  for (Index i0 = 0; i0 < full; i0 += kGroup)
    for (unsigned m = inside_mask16<kAbove>(x + i0, v); m != 0; m &= m - 1) record(i0 + std::countr_zero(m));
  for (Index i = full; i < n; ++i)
    if (kAbove ? x[i] >= v : x[i] <= v) record(i);
}
}  // namespace

void CoordinateThreshold::record_entries(ConstBlockRef X, const std::uint64_t* ids, std::int64_t step,
                                         std::int64_t* first_passage) const {
  const double* x = X.col(coord_).data();
  if (side_ == Side::above)
    record_threshold<true>(x, X.rows(), value_, ids, step, first_passage);
  else
    record_threshold<false>(x, X.rows(), value_, ids, step, first_passage);
}

void Region::record_entries(ConstBlockRef X, const std::uint64_t* ids, std::int64_t step,
                            std::int64_t* first_passage) const {
  thread_local std::vector<char> in;
  inside(X, in);
  for (Index i = 0; i < X.rows(); ++i)
    if (in[static_cast<std::size_t>(i)]) {
      std::int64_t& f = first_passage[ids[i]];
      if (f < 0) f = step;
    }
}

LevelSet::LevelSet(std::shared_ptr<const Loss> loss, double level) : loss_(std::move(loss)), level_(level) {
  if (!loss_) throw std::invalid_argument("level set: no loss");
}

void LevelSet::margin(ConstBlockRef X, Eigen::Ref<Vec> out) const {
  loss_->value(X, out);
  out.array() -= level_;
}

void LevelSet::inside(ConstBlockRef X, std::vector<char>& out) const {
  Vec m(X.rows());
  margin(X, m);
  out.assign(static_cast<std::size_t>(X.rows()), 0);
  for (Index i = 0; i < X.rows(); ++i) out[i] = m[i] > 0.0 ? 1 : 0;
}

AllOf::AllOf(std::vector<std::shared_ptr<const Region>> parts) : parts_(std::move(parts)) {
  if (parts_.empty()) throw std::invalid_argument("all_of: no regions");
  for (const auto& p : parts_)
    if (!p) throw std::invalid_argument("all_of: null region");
}

void AllOf::inside(ConstBlockRef X, std::vector<char>& out) const {
  out.assign(static_cast<std::size_t>(X.rows()), 1);
  std::vector<char> part;
  for (const auto& p : parts_) {
    p->inside(X, part);
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<char>(out[i] && part[i]);
  }
}

bool AllOf::has_margin() const {
  return std::all_of(parts_.begin(), parts_.end(), [](const auto& p) { return p->has_margin(); });
}

void AllOf::margin(ConstBlockRef X, Eigen::Ref<Vec> out) const {
  out.setConstant(kInf);
  Vec m(X.rows());
  for (const auto& p : parts_) {
    p->margin(X, m);
    out = out.cwiseMin(m);
  }
}

void AllOf::entry_fraction(ConstBlockRef before, ConstBlockRef after, Eigen::Ref<Vec> f) const {
  // Each part holds on a final sub-interval [t_j, 1] of a step that ends inside it (exact
  // for half-spaces); the intersection holds from max_j t_j.
  f.setZero();
  Vec fj(before.rows());
  std::vector<char> was_in;
  for (const auto& p : parts_) {
    p->entry_fraction(before, after, fj);
    p->inside(before, was_in);
    for (Index i = 0; i < before.rows(); ++i)
      if (!was_in[i]) f[i] = std::max(f[i], fj[i]);
  }
}

Basin::Basin(std::shared_ptr<const Loss> loss, std::vector<Vec> minima, Index target, GradientFlowSpec flow)
    : loss_(std::move(loss)), minima_(std::move(minima)), target_(target), flow_(flow) {
  if (!loss_) throw std::invalid_argument("basin: no loss");
  if (target_ < 0 || target_ >= static_cast<Index>(minima_.size()))
    throw std::invalid_argument("basin: the target is not in the list of minima");
  for (const Vec& m : minima_)
    if (m.size() != loss_->dim()) throw std::invalid_argument("basin: a minimum has the wrong dimension");
  if (!(flow_.dt > 0.0) || !(flow_.time >= 0.0) || !(flow_.capture_radius > 0.0))
    throw std::invalid_argument("basin: the gradient flow needs dt > 0, time >= 0, capture_radius > 0");
}

void Basin::classify(ConstBlockRef X, std::vector<int>& label) const {
  const Index n = X.rows(), d = X.cols();
  label.assign(static_cast<std::size_t>(n), -1);
  std::vector<Index> active(static_cast<std::size_t>(n));
  std::iota(active.begin(), active.end(), Index{0});
  Mat Y = X;
  const double r2 = flow_.capture_radius * flow_.capture_radius;
  // Labels rows of Y that reached a minimum, drops them and non-finite rows from the
  // active set; returns true when none is left.
  auto capture = [&]() {
    std::vector<Index> keep;
    for (std::size_t a = 0; a < active.size(); ++a) {
      const auto row = static_cast<Index>(a);
      if (!Y.row(row).allFinite()) continue;  // diverged: label stays -1
      bool hit = false;
      for (std::size_t m = 0; m < minima_.size() && !hit; ++m) {
        if ((Y.row(row).transpose() - minima_[m]).squaredNorm() <= r2) {
          label[static_cast<std::size_t>(active[a])] = static_cast<int>(m);
          hit = true;
        }
      }
      if (!hit) keep.push_back(row);
    }
    if (keep.size() != active.size()) {
      Mat Z(static_cast<Index>(keep.size()), d);
      std::vector<Index> next(keep.size());
      for (std::size_t r = 0; r < keep.size(); ++r) {
        Z.row(static_cast<Index>(r)) = Y.row(keep[r]);
        next[r] = active[static_cast<std::size_t>(keep[r])];
      }
      Y = std::move(Z);
      active = std::move(next);
    }
    return active.empty();
  };
  // Classical RK4 (Hairer, Norsett & Wanner, Solving ODEs I, sec. II.1).
  const auto steps = static_cast<std::int64_t>(std::ceil(flow_.time / flow_.dt));
  const double h = flow_.dt;
  Mat K1, K2, K3, K4, T;
  for (std::int64_t s = 0; s < steps; ++s) {
    if (capture()) return;
    const Index m = Y.rows();
    K1.resize(m, d);
    K2.resize(m, d);
    K3.resize(m, d);
    K4.resize(m, d);
    loss_->gradient(Y, K1);
    T = Y - 0.5 * h * K1;
    loss_->gradient(T, K2);
    T = Y - 0.5 * h * K2;
    loss_->gradient(T, K3);
    T = Y - h * K3;
    loss_->gradient(T, K4);
    Y -= (h / 6.0) * (K1 + 2.0 * K2 + 2.0 * K3 + K4);
  }
  capture();
}

void Basin::inside(ConstBlockRef X, std::vector<char>& out) const {
  std::vector<int> label;
  classify(X, label);
  out.assign(label.size(), 0);
  for (std::size_t i = 0; i < label.size(); ++i) out[i] = label[i] == static_cast<int>(target_) ? 1 : 0;
}

}  // namespace sgdnoise
