#include "analysis/sharpness_observer.hpp"

#include <cmath>
#include <limits>

#include "analysis/spectrum.hpp"

namespace sgdnoise {

PointValue SharpnessObserver::at(const Vec& theta) const {
  const SpectrumResult s = top_eigenvalues(*loss_, theta, 1, true, tol_, maxit_);
  if (!s.converged) return {std::numeric_limits<double>::quiet_NaN(), s.method + ": " + s.reason};
  if (!std::isfinite(s.eigenvalues[0])) return {s.eigenvalues[0], s.method + ": non-finite eigenvalue"};
  return {s.eigenvalues[0], ""};
}

void SharpnessObserver::observe(std::int64_t, ConstBlockRef X, int threads, std::vector<Observation>& out) const {
  for (auto& o : observe_at_points(X, trajectories_, threads, names(),
                                   [&](const Vec& theta) -> std::vector<PointValue> { return {at(theta)}; }))
    out.push_back(std::move(o));
}

}  // namespace sgdnoise
