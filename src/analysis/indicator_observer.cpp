#include "analysis/indicator_observer.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace sgdnoise {

IndicatorObserver::Values IndicatorObserver::at(const Vec& theta, std::uint64_t k) const {
  const auto S = noise_->covariance_at_step(theta, k);
  if (!S) throw std::logic_error("indicator observer: the noise states no covariance");
  const Mat C = noise_forms(*S, noise_->target(), eta_).C;
  const Mat H = loss_->hessian(theta);
  const double d = static_cast<double>(theta.size());
  Values v;
  v.trace_H_C = H.cwiseProduct(C).sum();  // Tr(H C) for symmetric H and C
  v.trace_C = C.trace();
  v.trace_H_Cbar = H.trace() * v.trace_C / d;  // Tr(H (Tr C / d) I)
  v.ratio = v.trace_H_Cbar != 0.0 ? v.trace_H_C / v.trace_H_Cbar : std::numeric_limits<double>::quiet_NaN();
  return v;
}

void IndicatorObserver::observe(std::int64_t k, ConstBlockRef X, int threads, std::vector<Observation>& out) const {
  const auto step = static_cast<std::uint64_t>(k);
  for (auto& o :
       observe_at_points(X, trajectories_, threads, names(), [&](const Vec& theta) -> std::vector<PointValue> {
         const Values v = at(theta, step);
         return {{v.trace_H_C, ""},
                 {v.trace_H_Cbar, ""},
                 {v.trace_C, ""},
                 {v.ratio, std::isfinite(v.ratio) ? "" : "Tr H Tr C = 0"}};
       }))
    out.push_back(std::move(o));
}

}  // namespace sgdnoise
