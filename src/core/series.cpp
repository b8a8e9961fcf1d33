#include "core/series.hpp"

#include <cmath>

namespace sgdnoise {

double geometric_sum(double r, std::int64_t k) {
  if (k <= 0) return 0.0;
  if (r == 1.0) return static_cast<double>(k);
  const double kd = static_cast<double>(k);
  if (r > 0.0 && std::abs(r - 1.0) < 0.5) {
    // (1 - r^k) / (1 - r) with r^k = exp(k log1p(r - 1)): no cancellation near r = 1.
    return -std::expm1(kd * std::log1p(r - 1.0)) / (1.0 - r);
  }
  return (1.0 - std::pow(r, kd)) / (1.0 - r);
}

double exponential_integral(double s, double tau) {
  if (s == 0.0) return tau;
  return -std::expm1(-s * tau) / s;
}

}  // namespace sgdnoise
