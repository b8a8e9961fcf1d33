#include "analysis/checks.hpp"

#include <cmath>
#include <sstream>

namespace sgdnoise {

CheckOutcome evaluate_check(const std::string& result, std::int64_t k, double tau, const std::string& prediction_kind,
                            double sigmas, const Estimate& measured, const Prediction& predicted) {
  CheckOutcome c{result, k, tau, prediction_kind, sigmas, measured, predicted, 0.0, 0.0, false, ""};
  c.false_alarm = two_sided_tail(sigmas, measured.dof);
  if (!predicted.available) {
    c.reason = "prediction unavailable: " + predicted.reason;
    return c;
  }
  if (!std::isfinite(measured.value) || !std::isfinite(measured.se)) {
    c.reason = "the measured value or its standard error is not finite";
    return c;
  }
  const double diff = measured.value - predicted.value;
  c.z = measured.se > 0.0 ? diff / measured.se : (diff == 0.0 ? 0.0 : std::copysign(INFINITY, diff));
  const double tol = sigmas * measured.se + predicted.allowance;
  c.passed = std::abs(diff) <= tol;
  std::ostringstream m;
  m << "|measured - predicted| = " << std::abs(diff) << (c.passed ? " <= " : " > ") << tol << " (" << sigmas << " se"
    << (predicted.allowance > 0.0 ? " + allowance" : "") << ")";
  c.reason = m.str();
  return c;
}

}  // namespace sgdnoise
