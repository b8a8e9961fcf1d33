#include "analysis/observers.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/openmp_env.hpp"

namespace sgdnoise {

Vec per_trajectory(ConstBlockRef X, int threads, const std::function<void(ConstBlockRef, Eigen::Ref<Vec>)>& f) {
  const Index N = X.rows();
  constexpr Index kBlock = 512;
  const Index nblocks = (N + kBlock - 1) / kBlock;
  Vec out(N);
#pragma omp parallel for schedule(static) num_threads(threads_for(static_cast <double>(X.size()), threads))
  for (Index b = 0; b < nblocks; ++b) {
    const Index r0 = b * kBlock, rows = std::min(kBlock, N - r0);
    f(X.middleRows(r0, rows), out.segment(r0, rows));
  }
  return out;
}

std::vector<Observation> observe_at_points(ConstBlockRef X, const TrajectoryIds& ids, Index trajectories, int threads,
                                           const std::vector<std::string>& names,
                                           const std::function<std::vector<PointValue>(const Vec&, std::int64_t)>& f) {
  constexpr double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<Observation> out;
  if (trajectories == 0) {
    const std::vector<PointValue> v = f(X.colwise().mean().transpose(), -1);
    for (std::size_t i = 0; i < names.size(); ++i) {
      const bool ok = v[i].undefined.empty();
      out.push_back({names[i],
                     {ok ? v[i].value : nan, ok ? 0.0 : nan, X.rows(), inf,
                      ok ? "exact at the ensemble mean" : "undefined at the ensemble mean: " + v[i].undefined}});
    }
    return out;
  }
  const Index m = std::min(trajectories, X.rows());
  std::vector<std::vector<PointValue>> at(static_cast<std::size_t>(m));
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (Index t = 0; t < m; ++t)
    at[static_cast<std::size_t>(t)] =
        f(X.row(t).transpose(), ids.empty() ? t : static_cast<std::int64_t>(ids[static_cast<std::size_t>(t)]));
  for (std::size_t i = 0; i < names.size(); ++i) {
    Vec values(m);
    std::string why;
    for (Index t = 0; t < m; ++t) {
      const PointValue& v = at[static_cast<std::size_t>(t)][i];
      values[t] = v.value;
      if (!v.undefined.empty() && why.empty())
        why = "undefined at trajectory " + std::to_string(t) + ": " + v.undefined;
    }
    Estimate e = mean_estimate(values);
    e.method = "mean over the first " + std::to_string(m) + " trajectories";
    if (!why.empty()) e = {nan, nan, m, inf, why};
    out.push_back({names[i], e});
  }
  return out;
}

Vec per_trajectory(ConstBlockRef X, const TrajectoryIds& ids, const LossInstances& losses, int threads,
                   const std::function<void(const Loss&, ConstBlockRef, Eigen::Ref<Vec>)>& f) {
  if (losses.size() == 1)
    return per_trajectory(X, threads, [&](ConstBlockRef B, Eigen::Ref<Vec> o) { f(losses[0], B, o); });
  const Index N = X.rows();
  constexpr Index kBlock = 512;
  const Index nblocks = (N + kBlock - 1) / kBlock;
  Vec out(N);
#pragma omp parallel for schedule(static) num_threads(threads_for(static_cast <double>(X.size()), threads))
  for (Index b = 0; b < nblocks; ++b) {
    const Index r0 = b * kBlock, rows = std::min(kBlock, N - r0);
    auto id_of = [&](Index i) {
      return static_cast<std::uint64_t>(ids.empty() ? r0 + i : ids[static_cast<std::size_t>(r0 + i)]);
    };
    for_each_group_run(losses.groups, rows, id_of, [&](Index g, Index i0, Index n) {
      f(losses[g], X.middleRows(r0 + i0, n), out.segment(r0 + i0, n));
    });
  }
  return out;
}

void ScreenedValues::keep(std::int64_t k, const TrajectoryIds& ids, Vec values) {
  k_ = k;
  ids_ = ids;
  values_ = std::move(values);
}

std::optional<Vec> ScreenedValues::take(std::int64_t k, const TrajectoryIds& ids, Index rows) {
  std::optional<Vec> out;
  if (k == k_) {
    // Both id lists ascend (original order): walk the kept ones once.
    const Index kept = values_.size();
    auto kept_id = [&](Index j) { return ids_.empty() ? j : ids_[static_cast<std::size_t>(j)]; };
    Vec v(rows);
    Index j = 0;
    bool all = true;
    for (Index r = 0; r < rows && all; ++r) {
      const Index id = ids.empty() ? r : ids[static_cast<std::size_t>(r)];
      while (j < kept && kept_id(j) < id) ++j;
      all = j < kept && kept_id(j) == id;
      if (all) v[r] = values_[j++];
    }
    if (all) out = std::move(v);
  }
  k_ = -1;
  ids_.clear();
  values_.resize(0);
  return out;
}

Vec LossObserver::values(ConstBlockRef X, const TrajectoryIds& ids, int threads) const {
  if (test_)
    return per_trajectory(X, ids, loss_, threads,
                          [](const Loss& l, ConstBlockRef B, Eigen::Ref<Vec> o) { l.test_value(B, o); });
  return per_trajectory(X, ids, loss_, threads,
                        [](const Loss& l, ConstBlockRef B, Eigen::Ref<Vec> o) { l.value(B, o); });
}

void LossObserver::screen(std::int64_t k, ConstBlockRef X, const TrajectoryIds& ids, int threads,
                          std::vector<char>& bad) {
  Vec v = values(X, ids, threads);
  flag_unrepresentable(v, bad);
  screened_.keep(k, ids, std::move(v));
}

void LossObserver::observe(std::int64_t k, ConstBlockRef X, const TrajectoryIds& ids, int threads,
                           std::vector<Observation>& out) {
  std::optional<Vec> v = screened_.take(k, ids, X.rows());
  if (!v) v = values(X, ids, threads);
  out.push_back({names().front(), mean_estimate(*v)});
}

}  // namespace sgdnoise

namespace sgdnoise {

std::vector<std::string> MomentObserver::names() const {
  std::vector<std::string> n = {"dist2", "cov_trace", "cov_frobenius"};
  for (const auto& [i, j] : entries_) n.push_back("cov_" + std::to_string(i) + "_" + std::to_string(j));
  return n;
}

Mat empirical_covariance(ConstBlockRef X) {
  const Index N = X.rows();
  const Vec mean = X.colwise().mean().transpose();
  const Mat Y = X.rowwise() - mean.transpose();
  return (Y.transpose() * Y) / static_cast<double>(N - 1);
}

Vec MomentObserver::dist2(ConstBlockRef X, const TrajectoryIds& ids, int threads) const {
  const Index N = X.rows();
  Vec dist2(N);
  if (centres_.size() == 1) {
    dist2 = per_trajectory(X, threads, [&](ConstBlockRef B, Eigen::Ref<Vec> o) {
      o = (B.rowwise() - centres_.front().transpose()).rowwise().squaredNorm();
    });
  } else {
    auto id_of = [&](Index i) {
      return static_cast<std::uint64_t>(ids.empty() ? i : ids[static_cast<std::size_t>(i)]);
    };
    for_each_group_run(groups_, N, id_of, [&](Index g, Index i0, Index n) {
      dist2.segment(i0, n) =
          (X.middleRows(i0, n).rowwise() - centres_[static_cast<std::size_t>(g)].transpose()).rowwise().squaredNorm();
    });
  }
  return dist2;
}

void MomentObserver::screen(std::int64_t, ConstBlockRef X, const TrajectoryIds& ids, int threads,
                            std::vector<char>& bad) {
  flag_unrepresentable(dist2(X, ids, threads), bad);
}

void MomentObserver::observe(std::int64_t, ConstBlockRef X, const TrajectoryIds& ids, int threads,
                             std::vector<Observation>& out) {
  const Index N = X.rows(), d = X.cols();
  const Vec dist2 = this->dist2(X, ids, threads);
  out.push_back({"dist2", mean_estimate(dist2)});

  const Vec mean = X.colwise().mean().transpose();
  const Mat Y = X.rowwise() - mean.transpose();
  Estimate tr = mean_estimate(Y.rowwise().squaredNorm());
  const double f = static_cast<double>(N) / static_cast<double>(N - 1);
  tr.value *= f;
  tr.se *= f;
  tr.method = "mean of |x_i - xbar|^2 * N/(N-1)";
  out.push_back({"cov_trace", tr});

  // Jackknife over G groups of consecutive rows: leave-one-group-out covariances from
  // group sums of Y and Y^T Y (Y centred on the full mean, so the sums stay small).
  const Index G = std::min<Index>(kGroups, N / 2);
  if (G < 2 || N < 4) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    out.push_back({"cov_frobenius", {nan, nan, N, std::numeric_limits<double>::infinity(), "too few trajectories"}});
    for (const auto& [i, j] : entries_)
      out.push_back({"cov_" + std::to_string(i) + "_" + std::to_string(j), {nan, nan, N, 0, "too few trajectories"}});
    return;
  }
  std::vector<Vec> gsum(static_cast<std::size_t>(G));
  std::vector<Mat> gscat(static_cast<std::size_t>(G));
  std::vector<Index> gcount(static_cast<std::size_t>(G));
#pragma omp parallel for schedule(static) num_threads(threads_for(static_cast <double>(Y.size() * d), threads))
  for (Index g = 0; g < G; ++g) {
    const Index r0 = g * N / G, r1 = (g + 1) * N / G;
    const auto Yg = Y.middleRows(r0, r1 - r0);
    gsum[static_cast<std::size_t>(g)] = Yg.colwise().sum().transpose();
    gscat[static_cast<std::size_t>(g)] = Yg.transpose() * Yg;
    gcount[static_cast<std::size_t>(g)] = r1 - r0;
  }
  Vec tsum = Vec::Zero(d);
  Mat tscat = Mat::Zero(d, d);
  for (Index g = 0; g < G; ++g) {
    tsum += gsum[static_cast<std::size_t>(g)];
    tscat += gscat[static_cast<std::size_t>(g)];
  }
  auto cov_from = [](const Vec& s, const Mat& sc, Index n) -> Mat {
    const double nd = static_cast<double>(n);
    return (sc - s * s.transpose() / nd) / (nd - 1.0);
  };
  const Mat full = cov_from(tsum, tscat, N);
  std::vector<Mat> loo(static_cast<std::size_t>(G));
  for (Index g = 0; g < G; ++g) {
    const auto u = static_cast<std::size_t>(g);
    loo[u] = cov_from(tsum - gsum[u], tscat - gscat[u], N - gcount[u]);
  }
  auto jackknife = [&](const std::function<double(const Mat&)>& stat, const std::string& name) {
    const double full_value = stat(full);
    Vec th(G);
    for (Index g = 0; g < G; ++g) th[g] = stat(loo[static_cast<std::size_t>(g)]);
    const double mean_loo = th.mean();
    const double gd = static_cast<double>(G);
    Estimate e;
    e.value = gd * full_value - (gd - 1.0) * mean_loo;  // bias-corrected
    e.se = std::sqrt((gd - 1.0) / gd * (th.array() - mean_loo).square().sum());
    e.n = N;
    e.dof = gd - 1.0;
    e.method = "delete-a-group jackknife, " + std::to_string(G) + " groups";
    out.push_back({name, e});
  };
  jackknife([](const Mat& S) { return S.norm(); }, "cov_frobenius");
  for (const auto& [i, j] : entries_)
    jackknife([i = i, j = j](const Mat& S) { return S(i, j); }, "cov_" + std::to_string(i) + "_" + std::to_string(j));
}

}  // namespace sgdnoise

namespace sgdnoise {

std::vector<std::string> MeanObserver::names() const {
  std::vector<std::string> n;
  for (Index c : coords_) n.push_back("theta_" + std::to_string(c));
  return n;
}

void MeanObserver::observe(std::int64_t, ConstBlockRef X, const TrajectoryIds&, int, std::vector<Observation>& out) {
  for (Index c : coords_) out.push_back({"theta_" + std::to_string(c), mean_estimate(X.col(c))});
}

}  // namespace sgdnoise
