#include "core/stats.hpp"

#include <boost/math/distributions/students_t.hpp>

namespace sgdnoise {

Estimate mean_estimate(const Eigen::Ref<const Vec>& x) {
  Estimate e;
  e.n = x.size();
  if (e.n == 0) {
    e.value = e.se = std::numeric_limits<double>::quiet_NaN();
    return e;
  }
  // Shifted by the first value, so a constant sample has exactly zero spread.
  const double x0 = x[0];
  double sum = 0.0;
  for (Index i = 0; i < e.n; ++i) sum += x[i] - x0;
  e.value = x0 + sum / static_cast<double>(e.n);
  if (e.n < 2) {
    e.se = std::numeric_limits<double>::infinity();
    return e;
  }
  double ss = 0.0;
  for (Index i = 0; i < e.n; ++i) {
    const double r = x[i] - e.value;
    ss += r * r;
  }
  e.se = std::sqrt(ss / static_cast<double>(e.n - 1) / static_cast<double>(e.n));
  return e;
}

double two_sided_tail(double z, double dof) {
  if (!(dof < std::numeric_limits<double>::infinity())) return std::erfc(std::abs(z) / std::sqrt(2.0));
  boost::math::students_t t(dof);
  return 2.0 * boost::math::cdf(boost::math::complement(t, std::abs(z)));
}

}  // namespace sgdnoise
