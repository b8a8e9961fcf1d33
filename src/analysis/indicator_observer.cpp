#include "analysis/indicator_observer.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace sgdnoise {

IndicatorObserver::IndicatorObserver(LossInstances loss, std::vector<std::shared_ptr<const NoiseModel>> noise,
                                     double eta, Index trajectories)
    : loss_(std::move(loss)), noise_(std::move(noise)), eta_(eta), trajectories_(trajectories) {
  if (noise_.size() != static_cast<std::size_t>(loss_.size()))
    throw std::invalid_argument("indicator observer: one noise per loss instance");
  if (loss_.size() > 1 && trajectories_ == 0)
    throw std::invalid_argument("indicator observer: the ensemble-mean point belongs to no loss instance");
}

IndicatorObserver::Values IndicatorObserver::at(Index group, const Vec& theta, std::uint64_t k) const {
  const NoiseModel& noise = *noise_[static_cast<std::size_t>(group)];
  const auto S = noise.covariance_at_step(theta, k);
  if (!S) throw std::logic_error("indicator observer: the noise states no covariance");
  const Mat C = noise_forms(*S, noise.target(), eta_).C;
  const Mat H = loss_[group].hessian(theta);
  const double d = static_cast<double>(theta.size());
  Values v;
  v.trace_H_C = H.cwiseProduct(C).sum();  // Tr(H C) for symmetric H and C
  v.trace_C = C.trace();
  v.trace_H_Cbar = H.trace() * v.trace_C / d;  // Tr(H (Tr C / d) I)
  v.ratio = v.trace_H_Cbar != 0.0 ? v.trace_H_C / v.trace_H_Cbar : std::numeric_limits<double>::quiet_NaN();
  return v;
}

void IndicatorObserver::observe(std::int64_t k, ConstBlockRef X, const TrajectoryIds& ids, int,
                                std::vector<Observation>& out) const {
  const auto step = static_cast<std::uint64_t>(k);
  if (trajectories_ == 0) {
    const Values v = at(X.colwise().mean().transpose(), step);
    const Index n = X.rows();
    const std::string how = "exact at the ensemble mean";
    out.push_back({"trace_H_C", {v.trace_H_C, 0.0, n, std::numeric_limits<double>::infinity(), how}});
    out.push_back({"trace_H_Cbar", {v.trace_H_Cbar, 0.0, n, std::numeric_limits<double>::infinity(), how}});
    out.push_back({"trace_C", {v.trace_C, 0.0, n, std::numeric_limits<double>::infinity(), how}});
    out.push_back({"anisotropy_ratio",
                   {v.ratio, std::isfinite(v.ratio) ? 0.0 : v.ratio, n, std::numeric_limits<double>::infinity(),
                    std::isfinite(v.ratio) ? how : "undefined: Tr H Tr C = 0"}});
    return;
  }
  const Index m = std::min(trajectories_, X.rows());
  Vec a(m), b(m), c(m), r(m);
  for (Index t = 0; t < m; ++t) {
    const Values v = at(loss_.groups.of(static_cast<std::uint64_t>(ids.empty() ? t : ids[static_cast<std::size_t>(t)])),
                        X.row(t).transpose(), step);
    a[t] = v.trace_H_C;
    b[t] = v.trace_H_Cbar;
    c[t] = v.trace_C;
    r[t] = v.ratio;
  }
  auto est = [&](const Vec& x) {
    Estimate e = mean_estimate(x);
    e.method = "mean over the first " + std::to_string(m) + " trajectories";
    return e;
  };
  out.push_back({"trace_H_C", est(a)});
  out.push_back({"trace_H_Cbar", est(b)});
  out.push_back({"trace_C", est(c)});
  out.push_back({"anisotropy_ratio", est(r)});
}

}  // namespace sgdnoise
