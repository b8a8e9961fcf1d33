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

void IndicatorObserver::observe(std::int64_t k, ConstBlockRef X, const TrajectoryIds& ids, int threads,
                                std::vector<Observation>& out) {
  const auto step = static_cast<std::uint64_t>(k);
  auto group = [&](std::int64_t t) { return t < 0 ? Index{0} : loss_.groups.of(static_cast<std::uint64_t>(t)); };
  for (auto& o : observe_at_points(X, ids, trajectories_, threads, names(),
                                   [&](const Vec&theta, std::int64_t t) -> std::vector<PointValue> {
                                     const Values v = at(group(t), theta, step);
                                     return {{v.trace_H_C, ""},
                                             {v.trace_H_Cbar, ""},
                                             {v.trace_C, ""},
                                             {v.ratio, std::isfinite(v.ratio) ? "" : "Tr H Tr C = 0"}};
                                   }))
    out.push_back(std::move(o));
}

}  // namespace sgdnoise
