#include "analysis/escape_tracker.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

#include "core/bytes.hpp"

namespace sgdnoise {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

Mat gather_rows(ConstBlockRef X, const std::vector<Index>& rows) {
  Mat out(static_cast<Index>(rows.size()), X.cols());
  for (Index j = 0; j < X.cols(); ++j)
    for (std::size_t r = 0; r < rows.size(); ++r) out(static_cast<Index>(r), j) = X(rows[r], j);
  return out;
}

}  // namespace

double bridge_crossing_probability(double a, double b, double sigma2_dt) {
  if (a <= 0.0 || b <= 0.0) return 1.0;
  if (!(sigma2_dt > 0.0)) return 0.0;
  return std::exp(-2.0 * a * b / sigma2_dt);
}

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

}  // namespace sgdnoise
