#include "analysis/sharpness_observer.hpp"

#include <cmath>
#include <limits>

#include "analysis/spectrum.hpp"

namespace sgdnoise {

PointValue SharpnessObserver::at(const Vec& theta, Index group) const {
  const SpectrumResult s = top_eigenvalues(loss_[group], theta, 1, true, tol_, maxit_);
  if (!s.converged) return {std::numeric_limits<double>::quiet_NaN(), s.method + ": " + s.reason};
  if (!std::isfinite(s.eigenvalues[0])) return {s.eigenvalues[0], s.method + ": non-finite eigenvalue"};
  return {s.eigenvalues[0], ""};
}

void SharpnessObserver::observe(std::int64_t, ConstBlockRef X, const TrajectoryIds& ids, int threads,
                                std::vector<Observation>& out) {
  auto group = [&](std::int64_t t) { return t < 0 ? Index{0} : loss_.groups.of(static_cast<std::uint64_t>(t)); };
  for (auto& o : observe_at_points(
           X, ids, trajectories_, threads, names(),
           [&](const Vec&theta, std::int64_t t) -> std::vector<PointValue> { return {at(theta, group(t))}; }))
    out.push_back(std::move(o));
}

}  // namespace sgdnoise
