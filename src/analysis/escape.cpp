#include "analysis/escape.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <boost/math/special_functions/gamma.hpp>

#include "core/bytes.hpp"

namespace sgdnoise {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

/// The fraction of a step where an affine margin crosses zero, from phi_b < 0 to phi_a >= 0.
double linear_fraction(double phi_b, double phi_a) {
  if (phi_b >= 0.0) return 0.0;
  if (!(phi_a > phi_b)) return 1.0;
  return std::clamp(phi_b / (phi_b - phi_a), 0.0, 1.0);
}

Mat gather_rows(ConstBlockRef X, const std::vector<Index>& rows) {
  Mat out(static_cast<Index>(rows.size()), X.cols());
  for (Index j = 0; j < X.cols(); ++j)
    for (std::size_t r = 0; r < rows.size(); ++r) out(static_cast<Index>(r), j) = X(rows[r], j);
  return out;
}

double normal_quantile(double p) { return boost::math::quantile(boost::math::normal(), p); }

}  // namespace

// ------------------------------------------------------------------------------ Regions

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

void CoordinateThreshold::record_entries(ConstBlockRef X, const std::uint64_t* ids, std::int64_t step,
                                         std::int64_t* first_passage) const {
  const double* x = X.col(coord_).data();
  const double sign = side_ == Side::above ? 1.0 : -1.0, v = sign * value_;
  auto record = [&](Index i) {
    if (sign * x[i] >= v) {
      std::int64_t& f = first_passage[ids[i]];
      if (f < 0) f = step;
    }
  };
  // A row is rarely inside: a vectorized count over 16 rows, then the rows one by one
  // only where some row is inside.
  constexpr Index kGroup = 16;
  const Index n = X.rows(), full = n - n % kGroup;
  for (Index i0 = 0; i0 < full; i0 += kGroup) {
    int hits = 0;
    for (Index j = 0; j < kGroup; ++j) hits += sign * x[i0 + j] >= v ? 1 : 0;
    if (hits > 0)
      for (Index j = 0; j < kGroup; ++j) record(i0 + j);
  }
  for (Index i = full; i < n; ++i) record(i);
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

double bridge_crossing_probability(double a, double b, double sigma2_dt) {
  if (a <= 0.0 || b <= 0.0) return 1.0;
  if (!(sigma2_dt > 0.0)) return 0.0;
  return std::exp(-2.0 * a * b / sigma2_dt);
}

// --------------------------------------------------------------------------- Tracking

std::string to_string(EscapeState s) {
  switch (s) {
    case EscapeState::running:
      return "running";
    case EscapeState::escaped:
      return "escaped";
    case EscapeState::censored:
      return "censored";
    case EscapeState::diverged:
      return "diverged";
  }
  return "unknown";
}

EscapeTracker::EscapeTracker(std::vector<std::shared_ptr<const Region>> targets, Index n_trajectories,
                             EscapeTrackerSpec spec)
    : targets_(std::move(targets)), spec_(spec) {
  if (targets_.empty()) throw std::invalid_argument("escape tracker: no target region");
  for (const auto& t : targets_)
    if (!t) throw std::invalid_argument("escape tracker: null target region");
  if (n_trajectories < 0) throw std::invalid_argument("escape tracker: negative number of trajectories");
  if (!(spec_.eta > 0.0)) throw std::invalid_argument("escape tracker: eta must be positive");
  results_.resize(static_cast<std::size_t>(n_trajectories));
  live_.resize(static_cast<std::size_t>(n_trajectories));
  std::iota(live_.begin(), live_.end(), Index{0});
}

Index EscapeTracker::start(std::int64_t k0, ConstBlockRef X0) {
  const auto n_before = static_cast<Index>(live_.size());
  const Index expected = spec_.layout == RowLayout::all_rows ? n_trajectories() : n_before;
  if (X0.rows() != expected) throw std::invalid_argument("escape tracker: start() got the wrong number of rows");
  started_ = true;
  Index stopped;
  if (spec_.layout == RowLayout::all_rows && n_before != n_trajectories()) {
    const Mat A = gather_rows(X0, live_);
    stopped = process(k0, k0, A, A, 0.0, nullptr, true);
  } else {
    stopped = process(k0, k0, X0, X0, 0.0, nullptr, true);
  }
  return stopped;
}

Index EscapeTracker::update(std::int64_t k0, std::int64_t k1, ConstBlockRef before, ConstBlockRef after) {
  return update_impl(k0, k1, before, after, 0.0, nullptr);
}

Index EscapeTracker::update_with_bridge(std::int64_t k0, std::int64_t k1, ConstBlockRef before, ConstBlockRef after,
                                        double sigma2_dt, const Eigen::Ref<const Vec>& uniforms) {
  if (uniforms.size() != after.rows()) throw std::invalid_argument("escape tracker: one uniform per row needed");
  const Vec u = uniforms;
  return update_impl(k0, k1, before, after, sigma2_dt, &u);
}

Index EscapeTracker::update_impl(std::int64_t k0, std::int64_t k1, ConstBlockRef before, ConstBlockRef after,
                                 double sigma2_dt, const Vec* uniforms) {
  if (!(k1 > k0)) throw std::invalid_argument("escape tracker: update needs k1 > k0");
  const auto n_live = static_cast<Index>(live_.size());
  const Index expected = spec_.layout == RowLayout::all_rows ? n_trajectories() : n_live;
  if (before.rows() != expected || after.rows() != expected || before.cols() != after.cols())
    throw std::invalid_argument(
        "escape tracker: update() got the wrong number of rows (live_rows layout: was the ensemble compacted?)");
  started_ = true;
  if (spec_.layout == RowLayout::all_rows && n_live != n_trajectories()) {
    const Mat B = gather_rows(before, live_), A = gather_rows(after, live_);
    Vec u;
    if (uniforms) {
      u.resize(n_live);
      for (Index p = 0; p < n_live; ++p) u[p] = (*uniforms)[live_[static_cast<std::size_t>(p)]];
    }
    return process(k0, k1, B, A, sigma2_dt, uniforms ? &u : nullptr, false);
  }
  return process(k0, k1, before, after, sigma2_dt, uniforms, false);
}

Index EscapeTracker::process(std::int64_t k0, std::int64_t k1, ConstBlockRef B, ConstBlockRef A, double sigma2_dt,
                             const Vec* uniforms, bool at_start) {
  const Index nl = A.rows(), d = A.cols();
  // Divergence: non-finite or beyond the bound (docs/conventions.md: never written as numbers).
  std::vector<char> diverged(static_cast<std::size_t>(nl), 0);
  for (Index j = 0; j < d; ++j)
    for (Index p = 0; p < nl; ++p) {
      const double v = A(p, j);
      if (!std::isfinite(v) || std::abs(v) > spec_.divergence_bound) diverged[p] = 1;
    }
  Vec best_f = Vec::Constant(nl, kInf);
  std::vector<int> best_j(static_cast<std::size_t>(nl), -1);
  std::vector<char> interp(static_cast<std::size_t>(nl), 0), bridged(static_cast<std::size_t>(nl), 0);
  std::vector<char> in;
  for (std::size_t j = 0; j < targets_.size(); ++j) {
    const Region& region = *targets_[j];
    region.inside(A, in);
    std::vector<Index> rows;
    for (Index p = 0; p < nl; ++p)
      if (in[p] && !diverged[p]) rows.push_back(p);
    if (rows.empty()) continue;
    Vec f = Vec::Constant(static_cast<Index>(rows.size()), at_start ? 0.0 : 1.0);
    const bool interpolate = !at_start && spec_.interpolate;
    if (interpolate) {
      const Mat Bj = gather_rows(B, rows), Aj = gather_rows(A, rows);
      region.entry_fraction(Bj, Aj, f);
    }
    for (std::size_t r = 0; r < rows.size(); ++r) {
      const Index p = rows[r];
      const double fr = std::isfinite(f[static_cast<Index>(r)]) ? std::clamp(f[static_cast<Index>(r)], 0.0, 1.0) : 1.0;
      if (fr < best_f[p]) {
        best_f[p] = fr;
        best_j[p] = static_cast<int>(j);
        interp[p] = static_cast<char>(interpolate && region.has_margin());
      }
    }
  }
  if (uniforms && !at_start) {
    Vec cum = Vec::Zero(nl), mb(nl), ma(nl);
    for (std::size_t j = 0; j < targets_.size(); ++j) {
      const Region& region = *targets_[j];
      if (!region.flat_boundary()) continue;
      region.margin(B, mb);
      region.margin(A, ma);
      for (Index p = 0; p < nl; ++p) {
        if (diverged[p] || best_j[p] >= 0) continue;
        const double a = -mb[p], b = -ma[p];
        cum[p] += bridge_crossing_probability(a, b, sigma2_dt);
        if ((*uniforms)[p] < cum[p]) {
          best_j[p] = static_cast<int>(j);
          best_f[p] = a + b > 0.0 ? a / (a + b) : 0.5;
          bridged[p] = 1;
        }
      }
    }
  }
  last_keep_.assign(static_cast<std::size_t>(nl), 1);
  std::vector<Index> next_live;
  next_live.reserve(live_.size());
  Index stopped = 0;
  for (Index p = 0; p < nl; ++p) {
    const Index o = live_[static_cast<std::size_t>(p)];
    TrajectoryEscape& r = results_[static_cast<std::size_t>(o)];
    if (diverged[p]) {
      r.state = EscapeState::diverged;
      r.steps = static_cast<double>(k1);
    } else if (best_j[p] >= 0) {
      r.state = EscapeState::escaped;
      r.destination = best_j[p];
      r.steps = static_cast<double>(k0) + best_f[p] * static_cast<double>(k1 - k0);
      r.interpolated = interp[p] != 0;
      r.by_bridge = bridged[p] != 0;
      if (at_start) ++started_inside_;
    } else if (!at_start && k1 >= spec_.cap) {
      r.state = EscapeState::censored;
      r.steps = static_cast<double>(k1);
    } else {
      next_live.push_back(o);
      continue;
    }
    r.tau = r.steps * spec_.eta;
    r.detected_at = k1;
    last_keep_[static_cast<std::size_t>(p)] = 0;
    ++stopped;
  }
  live_ = std::move(next_live);
  last_step_ = k1;
  return stopped;
}

Index EscapeTracker::observe(std::int64_t k, ConstBlockRef X) {
  Index stopped;
  if (!started_) {
    stopped = start(k, X);
  } else {
    stopped = update(prev_k_, k, prev_, X);
  }
  prev_ = X;
  if (spec_.layout == RowLayout::live_rows) compact(prev_);
  prev_k_ = k;
  return stopped;
}

std::string EscapeTracker::saved_state() const {
  if (spec_.layout != RowLayout::all_rows) throw std::logic_error("escape tracker: saved_state() needs all_rows");
  ByteWriter w;
  w.pod<std::uint64_t>(results_.size());
  for (const auto& r : results_) {
    w.pod<std::int32_t>(static_cast<std::int32_t>(r.state));
    w.pod<std::int32_t>(r.destination);
    w.pod<double>(r.steps);
    w.pod<double>(r.tau);
    w.pod<std::int64_t>(r.detected_at);
    w.pod<std::uint8_t>(r.interpolated ? 1 : 0);
    w.pod<std::uint8_t>(r.by_bridge ? 1 : 0);
  }
  w.pod<std::uint64_t>(live_.size());
  for (const Index o : live_) w.pod<std::int64_t>(o);
  w.pod<std::uint64_t>(last_keep_.size());
  for (const char c : last_keep_) w.pod<char>(c);
  w.pod<std::int64_t>(started_inside_);
  w.pod<std::int64_t>(last_step_);
  w.pod<std::uint8_t>(started_ ? 1 : 0);
  w.pod<std::int64_t>(prev_k_);
  return w.take();
}

void EscapeTracker::restore_state(const std::string& bytes, ConstBlockRef prev) {
  if (spec_.layout != RowLayout::all_rows) throw std::logic_error("escape tracker: restore_state() needs all_rows");
  const auto n = static_cast<std::uint64_t>(results_.size());
  try {
    ByteReader r(bytes);
    if (r.pod<std::uint64_t>() != n) throw std::invalid_argument("escape state: another number of trajectories");
    std::vector<TrajectoryEscape> res(static_cast<std::size_t>(n));
    for (auto& t : res) {
      const auto st = r.pod<std::int32_t>();
      if (st < 0 || st > static_cast<std::int32_t>(EscapeState::diverged))
        throw std::invalid_argument("escape state: bad trajectory state");
      t.state = static_cast<EscapeState>(st);
      t.destination = r.pod<std::int32_t>();
      t.steps = r.pod<double>();
      t.tau = r.pod<double>();
      t.detected_at = r.pod<std::int64_t>();
      t.interpolated = r.pod<std::uint8_t>() != 0;
      t.by_bridge = r.pod<std::uint8_t>() != 0;
    }
    std::vector<Index> live(static_cast<std::size_t>(r.count(sizeof(std::int64_t))));
    for (auto& o : live) {
      o = r.pod<std::int64_t>();
      if (o < 0 || static_cast<std::uint64_t>(o) >= n) throw std::invalid_argument("escape state: bad live index");
    }
    std::vector<char> keep(static_cast<std::size_t>(r.count(1)));
    for (auto& c : keep) c = r.pod<char>();
    const auto inside = r.pod<std::int64_t>();
    const auto last = r.pod<std::int64_t>();
    const bool started = r.pod<std::uint8_t>() != 0;
    const auto pk = r.pod<std::int64_t>();
    if (!r.done()) throw std::invalid_argument("escape state: trailing bytes");
    if (static_cast<std::uint64_t>(prev.rows()) != n)
      throw std::invalid_argument("escape state: the ensemble has another number of rows");
    results_ = std::move(res);
    live_ = std::move(live);
    last_keep_ = std::move(keep);
    started_inside_ = inside;
    last_step_ = last;
    started_ = started;
    prev_k_ = pk;
    prev_ = prev;
  } catch (const BytesError& e) {
    throw std::invalid_argument(std::string("escape state: ") + e.what());
  }
}

Index EscapeTracker::censor_running(std::int64_t k) {
  last_keep_.assign(live_.size(), 0);
  for (Index o : live_) {
    TrajectoryEscape& r = results_[static_cast<std::size_t>(o)];
    r.state = EscapeState::censored;
    r.steps = static_cast<double>(k);
    r.tau = r.steps * spec_.eta;
    r.detected_at = k;
  }
  const auto n = static_cast<Index>(live_.size());
  live_.clear();
  last_step_ = k;
  return n;
}

void EscapeTracker::compact(Mat& X) const {
  if (spec_.layout != RowLayout::live_rows)
    throw std::logic_error("escape tracker: compact() is for the live_rows layout");
  if (X.rows() == static_cast<Index>(live_.size())) return;
  if (X.rows() != static_cast<Index>(last_keep_.size()))
    throw std::invalid_argument(
        "escape tracker: compact() got a matrix of neither the previous nor the current live size");
  Index w = 0;
  for (Index p = 0; p < X.rows(); ++p)
    if (last_keep_[static_cast<std::size_t>(p)]) {
      if (w != p) X.row(w) = X.row(p);
      ++w;
    }
  X.conservativeResize(w, Eigen::NoChange);
}

// ------------------------------------------------------------------------- Statistics

SurvivalData survival_data(const std::vector<TrajectoryEscape>& results, std::int64_t last_step, double eta,
                           bool in_tau, DivergedAs diverged) {
  SurvivalData s;
  const double unit = in_tau ? eta : 1.0;
  for (const TrajectoryEscape& r : results) {
    switch (r.state) {
      case EscapeState::escaped:
        s.time.push_back(r.steps * unit);
        s.event.push_back(1);
        break;
      case EscapeState::censored:
        s.time.push_back(r.steps * unit);
        s.event.push_back(0);
        break;
      case EscapeState::diverged:
        if (diverged == DivergedAs::censored) {
          s.time.push_back(r.steps * unit);
          s.event.push_back(0);
        }
        break;
      case EscapeState::running:
        s.time.push_back(static_cast<double>(last_step) * unit);
        s.event.push_back(0);
        break;
    }
  }
  return s;
}

KaplanMeier kaplan_meier(const SurvivalData& data) {
  KaplanMeier km;
  const std::size_t n = data.time.size();
  km.n = static_cast<Index>(n);
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  // Increasing time; at equal times events first (they are at risk of each other, and
  // the censored ones count as at risk at that time).
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (data.time[a] != data.time[b]) return data.time[a] < data.time[b];
    return data.event[a] > data.event[b];
  });
  double S = 1.0, greenwood = 0.0;
  bool exhausted = false;
  Index at_risk = km.n;
  std::size_t i = 0;
  while (i < n) {
    const double t = data.time[order[i]];
    Index d = 0, c = 0;
    std::size_t j = i;
    while (j < n && data.time[order[j]] == t) {
      if (data.event[order[j]])
        ++d;
      else
        ++c;
      ++j;
    }
    if (d > 0) {
      S *= 1.0 - static_cast<double>(d) / static_cast<double>(at_risk);
      if (d < at_risk)
        greenwood += static_cast<double>(d) / (static_cast<double>(at_risk) * static_cast<double>(at_risk - d));
      else
        exhausted = true;
      km.time.push_back(t);
      km.at_risk.push_back(at_risk);
      km.events.push_back(d);
      km.survival.push_back(S);
      km.se.push_back(exhausted ? 0.0 : S * std::sqrt(greenwood));
    }
    km.n_events += d;
    km.n_censored += c;
    at_risk -= d + c;
    km.max_time = t;
    i = j;
  }
  return km;
}

double KaplanMeier::survival_at(double t) const {
  const auto it = std::upper_bound(time.begin(), time.end(), t);
  if (it == time.begin()) return 1.0;
  return survival[static_cast<std::size_t>(it - time.begin() - 1)];
}

double KaplanMeier::se_at(double t) const {
  const auto it = std::upper_bound(time.begin(), time.end(), t);
  if (it == time.begin()) return 0.0;
  return se[static_cast<std::size_t>(it - time.begin() - 1)];
}

MeanTime mean_escape_time(const SurvivalData& data, double cap, double level) {
  MeanTime m;
  m.ci.level = level;
  const Index n = data.size();
  for (char e : data.event)
    if (!e) ++m.n_censored;
  if (n < 2) {
    m.statement = "fewer than two trajectories: no mean escape time with an error";
    return m;
  }
  if (m.n_censored == 0) {
    const Vec t = Eigen::Map<const Vec>(data.time.data(), n);
    m.est = mean_estimate(t);
    m.est.dof = static_cast<double>(n - 1);
    m.est.method = "mean";
    const double q = boost::math::quantile(boost::math::students_t(m.est.dof), 0.5 + 0.5 * level);
    m.ci.lo = m.est.value - q * m.est.se;
    m.ci.hi = m.est.value + q * m.est.se;
    m.available = true;
    m.statement = "mean escape time over " + std::to_string(n) + " trajectories, none censored; interval mean +- t se";
    return m;
  }
  // Restricted mean survival time int_0^h S (Klein & Moeschberger 2003, sec. 4.5).
  const KaplanMeier km = kaplan_meier(data);
  const double h = std::min(cap, km.max_time);
  std::vector<double> upto;  // int_0^{t_i} S for each event time t_i <= h
  double area = 0.0, prev_t = 0.0, S = 1.0;
  std::size_t used = 0;
  for (; used < km.time.size() && km.time[used] <= h; ++used) {
    area += S * (km.time[used] - prev_t);
    upto.push_back(area);
    S = km.survival[used];
    prev_t = km.time[used];
  }
  area += S * (h - prev_t);
  double var = 0.0;
  for (std::size_t i = 0; i < used; ++i) {
    const double Ai = area - upto[i];
    const double ni = static_cast<double>(km.at_risk[i]), di = static_cast<double>(km.events[i]);
    if (ni > di) var += Ai * Ai * di / (ni * (ni - di));
  }
  m.restricted = true;
  m.restricted_to = h;
  m.est.value = area;
  m.est.se = std::sqrt(var);
  m.est.n = n;
  m.est.method = "restricted_mean";
  const double z = normal_quantile(0.5 + 0.5 * level);
  m.ci.lo = area - z * m.est.se;
  m.ci.hi = area + z * m.est.se;
  m.available = true;
  m.statement = "restricted mean escape time E min(T, h) up to h = " + std::to_string(h) + " (" +
                std::to_string(m.n_censored) + " of " + std::to_string(n) +
                " censored): a lower bound on the mean escape time, not the mean itself";
  return m;
}

RateEstimate exponential_rate(const SurvivalData& data, double level) {
  RateEstimate r;
  r.ci.level = level;
  for (std::size_t i = 0; i < data.time.size(); ++i) {
    r.exposure += data.time[i];
    if (data.event[i]) ++r.events;
  }
  if (!(r.exposure > 0.0)) {
    r.reason = "no time at risk";
    return r;
  }
  const double D = static_cast<double>(r.events), alpha = 1.0 - level;
  r.rate = D / r.exposure;
  r.se = std::sqrt(D) / r.exposure;
  r.ci.lo = r.events > 0 ? boost::math::gamma_p_inv(D, 0.5 * alpha) / r.exposure : 0.0;
  r.ci.hi = boost::math::gamma_p_inv(D + 1.0, 1.0 - 0.5 * alpha) / r.exposure;
  r.available = true;
  return r;
}

Interval wilson_interval(Index successes, Index trials, double level) {
  Interval ci;
  ci.level = level;
  if (trials <= 0) {
    ci.lo = 0.0;
    ci.hi = 1.0;
    return ci;
  }
  const double z = normal_quantile(0.5 + 0.5 * level), n = static_cast<double>(trials);
  const double p = static_cast<double>(successes) / n, z2 = z * z;
  const double denom = 1.0 + z2 / n;
  const double centre = (p + z2 / (2.0 * n)) / denom;
  const double half = z / denom * std::sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n));
  ci.lo = successes == 0 ? 0.0 : std::max(0.0, centre - half);
  ci.hi = successes == trials ? 1.0 : std::min(1.0, centre + half);
  return ci;
}

Proportion escape_probability(const SurvivalData& data, double horizon, double level) {
  Proportion pr;
  pr.trials = data.size();
  for (std::size_t i = 0; i < data.time.size(); ++i) {
    if (!data.event[i] && data.time[i] < horizon) ++pr.censored_before_horizon;
    if (data.event[i] && data.time[i] <= horizon) ++pr.successes;
  }
  if (pr.censored_before_horizon == 0) {
    pr.method = "binomial_wilson";
    pr.value = pr.trials > 0 ? static_cast<double>(pr.successes) / static_cast<double>(pr.trials) : 0.0;
    pr.ci = wilson_interval(pr.successes, pr.trials, level);
    return pr;
  }
  const KaplanMeier km = kaplan_meier(data);
  pr.method = "kaplan_meier";
  pr.value = 1.0 - km.survival_at(horizon);
  const double z = normal_quantile(0.5 + 0.5 * level), se = km.se_at(horizon);
  pr.ci.level = level;
  pr.ci.lo = std::max(0.0, pr.value - z * se);
  pr.ci.hi = std::min(1.0, pr.value + z * se);
  return pr;
}

EscapeCounts count_escapes(const std::vector<TrajectoryEscape>& results, Index n_targets) {
  EscapeCounts c;
  c.n = static_cast<Index>(results.size());
  c.by_destination.assign(static_cast<std::size_t>(n_targets), 0);
  for (const TrajectoryEscape& r : results) {
    switch (r.state) {
      case EscapeState::escaped:
        ++c.escaped;
        if (r.destination >= 0 && r.destination < n_targets)
          ++c.by_destination[static_cast<std::size_t>(r.destination)];
        break;
      case EscapeState::censored:
        ++c.censored;
        break;
      case EscapeState::diverged:
        ++c.diverged;
        break;
      case EscapeState::running:
        ++c.running;
        break;
    }
  }
  return c;
}

EscapeSummary summarize_escapes(const EscapeTracker& tracker, double horizon_steps, DivergedAs diverged, double level) {
  EscapeSummary s;
  const double eta = tracker.spec().eta;
  s.counts = count_escapes(tracker.results(), tracker.n_targets());
  s.started_inside = tracker.started_inside();
  s.diverged_as = diverged;
  s.horizon_steps = horizon_steps;
  const SurvivalData steps = survival_data(tracker.results(), tracker.last_step(), eta, false, diverged);
  const SurvivalData tau = survival_data(tracker.results(), tracker.last_step(), eta, true, diverged);
  const double cap = static_cast<double>(std::min(tracker.spec().cap, tracker.last_step()));
  s.survival_steps = kaplan_meier(steps);
  s.mean_steps = mean_escape_time(steps, cap, level);
  s.mean_tau = mean_escape_time(tau, cap * eta, level);
  s.rate_per_step = exponential_rate(steps, level);
  s.rate_per_tau = exponential_rate(tau, level);
  s.within_horizon = escape_probability(steps, horizon_steps, level);
  return s;
}

}  // namespace sgdnoise
