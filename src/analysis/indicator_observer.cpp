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

void IndicatorObserver::observe(std::int64_t k, ConstBlockRef X, int, std::vector<Observation>& out) const {
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
    const Values v = at(X.row(t).transpose(), step);
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
