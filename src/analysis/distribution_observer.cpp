#include "analysis/distribution_observer.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>

namespace sgdnoise {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}

double sorted_quantile(const std::vector<double>& x, double p) {
  if (x.empty()) return kNaN;
  const double h = p * static_cast<double>(x.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(h));
  if (lo + 1 >= x.size()) return x.back();
  return x[lo] + (h - static_cast<double>(lo)) * (x[lo + 1] - x[lo]);
}

DistributionObserver::DistributionObserver(DistributionSpec spec, LossInstances losses, Vec centre)
    : spec_(std::move(spec)), losses_(std::move(losses)), centre_(std::move(centre)) {
  quantiles_.resize(spec_.of.size());
  counts_.resize(spec_.of.size());
}

Vec DistributionObserver::values(const std::string& of, ConstBlockRef X, const TrajectoryIds& ids, int threads) const {
  if (of == "loss")
    return per_trajectory(X, ids, losses_, threads,
                          [](const Loss& l, ConstBlockRef B, Eigen::Ref<Vec> o) { l.value(B, o); });
  if (of == "dist2") return (X.rowwise() - centre_.transpose()).rowwise().squaredNorm();
  const Index j = std::stoll(of.substr(6));  // "theta_J", validated by the builder
  return X.col(j);
}

void DistributionObserver::observe(std::int64_t k, ConstBlockRef X, const TrajectoryIds& ids, int threads,
                                   std::vector<Observation>&) {
  if (k == 0) {  // a fresh run (the experiment may be run again)
    steps_.clear();
    paths_.clear();
    for (auto& q : quantiles_) q.clear();
    for (auto& c : counts_) c.clear();
  }
  steps_.push_back(k);
  const Index d = X.cols();
  // Paths: the chosen trajectories' rows, NaN where one is not observed (diverged).
  for (const Index id : spec_.path_ids) {
    Index row = -1;
    if (ids.empty()) {
      row = id < X.rows() ? id : -1;
    } else {
      const auto it = std::lower_bound(ids.begin(), ids.end(), id);
      if (it != ids.end() && *it == id) row = static_cast<Index>(it - ids.begin());
    }
    for (Index j = 0; j < d; ++j) paths_.push_back(row >= 0 ? X(row, j) : kNaN);
  }
  for (std::size_t o = 0; o < spec_.of.size(); ++o) {
    const Vec v = values(spec_.of[o], X, ids, threads);
    std::vector<double> sorted;
    sorted.reserve(static_cast<std::size_t>(v.size()));
    for (Index i = 0; i < v.size(); ++i)
      if (std::isfinite(v[i])) sorted.push_back(v[i]);
    std::sort(sorted.begin(), sorted.end());
    for (const double p : spec_.quantiles) quantiles_[o].push_back(sorted_quantile(sorted, p));
    if (spec_.histogram_bins > 0) {
      const Index B = spec_.histogram_bins;
      std::vector<double> c(static_cast<std::size_t>(B + 2), 0.0);  // bins, then below and above the range
      const double w = (spec_.histogram_hi - spec_.histogram_lo) / static_cast<double>(B);
      for (const double x : sorted) {
        if (x < spec_.histogram_lo) {
          c[static_cast<std::size_t>(B)] += 1.0;
        } else if (x > spec_.histogram_hi) {
          c[static_cast<std::size_t>(B + 1)] += 1.0;
        } else {
          const auto b = std::min<Index>(static_cast<Index>((x - spec_.histogram_lo) / w), B - 1);
          c[static_cast<std::size_t>(b)] += 1.0;
        }
      }
      counts_[o].insert(counts_[o].end(), c.begin(), c.end());
    }
  }
}

// The saved state: the counts of each store, then their doubles, raw (the checkpoint has its
// own CRC; io/checkpoint.hpp).
std::string DistributionObserver::saved_state() const {
  std::vector<double> all;
  all.push_back(static_cast<double>(steps_.size()));
  for (const auto k : steps_) all.push_back(static_cast<double>(k));
  auto put = [&](const std::vector<double>& v) {
    all.push_back(static_cast<double>(v.size()));
    all.insert(all.end(), v.begin(), v.end());
  };
  put(paths_);
  for (const auto& q : quantiles_) put(q);
  for (const auto& c : counts_) put(c);
  std::string s(all.size() * sizeof(double), '\0');
  std::memcpy(s.data(), all.data(), s.size());
  return s;
}

void DistributionObserver::restore_state(const std::string& state, std::int64_t k, ConstBlockRef) {
  if (state.size() % sizeof(double) != 0) throw std::invalid_argument("the distribution observer's state is cut");
  std::vector<double> all(state.size() / sizeof(double));
  std::memcpy(all.data(), state.data(), state.size());
  std::size_t at = 0;
  auto take = [&]() {
    if (at >= all.size()) throw std::invalid_argument("the distribution observer's state is cut");
    return all[at++];
  };
  auto get = [&](std::vector<double>& v) {
    const auto n = static_cast<std::size_t>(take());
    if (n > all.size() - at) throw std::invalid_argument("the distribution observer's state is cut");
    v.assign(all.begin() + static_cast<std::ptrdiff_t>(at), all.begin() + static_cast<std::ptrdiff_t>(at + n));
    at += n;
  };
  const auto n = static_cast<std::size_t>(take());
  steps_.clear();
  for (std::size_t i = 0; i < n; ++i) steps_.push_back(static_cast<std::int64_t>(take()));
  get(paths_);
  for (auto& q : quantiles_) get(q);
  for (auto& c : counts_) get(c);
  if (at != all.size() || steps_.empty() || steps_.back() != k)
    throw std::invalid_argument("the distribution observer's state does not end at step " + std::to_string(k));
}

void DistributionObserver::arrays(std::vector<ObserverArray>& out) const {
  const auto n = static_cast<Index>(steps_.size());
  std::vector<double> k(steps_.begin(), steps_.end()), tau;
  for (const auto s : steps_) tau.push_back(static_cast<double>(s) * spec_.eta);
  if (!spec_.path_ids.empty()) {
    const auto m = static_cast<Index>(spec_.path_ids.size());
    const Index d = n > 0 ? static_cast<Index>(paths_.size()) / (n * m) : 0;
    out.push_back({"paths", "k", {n}, k, true});
    out.push_back({"paths", "tau", {n}, tau, false});
    out.push_back({"paths", "ids", {m}, std::vector<double>(spec_.path_ids.begin(), spec_.path_ids.end()), true});
    out.push_back({"paths", "theta", {n, m, d}, paths_, false});
  }
  if (spec_.of.empty() || (spec_.quantiles.empty() && spec_.histogram_bins == 0)) return;
  out.push_back({"distributions", "k", {n}, k, true});
  out.push_back({"distributions", "tau", {n}, tau, false});
  if (!spec_.quantiles.empty())
    out.push_back({"distributions", "probabilities", {Index(spec_.quantiles.size())}, spec_.quantiles, false});
  if (spec_.histogram_bins > 0) {
    std::vector<double> edges;
    for (Index b = 0; b <= spec_.histogram_bins; ++b)
      edges.push_back(spec_.histogram_lo + (spec_.histogram_hi - spec_.histogram_lo) * static_cast<double>(b) /
                                               static_cast<double>(spec_.histogram_bins));
    out.push_back({"distributions", "edges", {spec_.histogram_bins + 1}, edges, false});
  }
  for (std::size_t o = 0; o < spec_.of.size(); ++o) {
    if (!spec_.quantiles.empty())
      out.push_back(
          {"distributions", "quantiles_" + spec_.of[o], {n, Index(spec_.quantiles.size())}, quantiles_[o], false});
    if (spec_.histogram_bins > 0) {
      // The bins, then the counts below and above the range, per step.
      out.push_back({"distributions", "histogram_" + spec_.of[o], {n, spec_.histogram_bins + 2}, counts_[o], true});
    }
  }
}

}  // namespace sgdnoise
