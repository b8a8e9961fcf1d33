#include "analysis/checks.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace sgdnoise {

std::string to_string(CheckStatus s) {
  switch (s) {
    case CheckStatus::passed:
      return "passed";
    case CheckStatus::failed:
      return "failed";
    case CheckStatus::unavailable:
      break;
  }
  return "unavailable";
}

std::string CheckOutcome::decided_by() const {
  if (status == CheckStatus::unavailable) return "";
  return predicted.allowance > 0.0 ? "z_after_allowance" : "z";
}

bool CheckOutcome::passed_by_allowance() const { return passed && predicted.allowance > 0.0 && std::abs(z) > sigmas; }

namespace {
double z_of(double diff, double se) {
  return se > 0.0 ? diff / se : (diff == 0.0 ? 0.0 : std::copysign(INFINITY, diff));
}
}  // namespace

CheckOutcome unavailable_check(const std::string& result, std::int64_t k, double tau,
                               const std::string& prediction_kind, double sigmas, const Prediction& predicted,
                               const std::string& reason) {
  CheckOutcome c;
  c.result = result;
  c.k = k;
  c.tau = tau;
  c.prediction_kind = prediction_kind;
  c.sigmas = sigmas;
  c.measured.value = c.measured.se = NAN;
  c.predicted = predicted;
  c.z = c.z_after_allowance = NAN;
  c.status = CheckStatus::unavailable;
  c.reason = reason;
  return c;
}

CheckOutcome evaluate_check(const std::string& result, std::int64_t k, double tau, const std::string& prediction_kind,
                            double sigmas, const Estimate& measured, const Prediction& predicted) {
  if (!predicted.available)
    return unavailable_check(result, k, tau, prediction_kind, sigmas, predicted,
                             "prediction unavailable: " + predicted.reason);
  if (measured.n == 0 || !std::isfinite(measured.value) || !std::isfinite(measured.se)) {
    CheckOutcome c = unavailable_check(result, k, tau, prediction_kind, sigmas, predicted,
                                       measured.n == 0 ? "no trajectory to measure at this step"
                                                       : "the measured value or its standard error is not finite");
    if (measured.n > 0) c.measured = measured;
    return c;
  }
  CheckOutcome c = unavailable_check(result, k, tau, prediction_kind, sigmas, predicted, "");
  c.measured = measured;
  c.false_alarm = two_sided_tail(sigmas, measured.dof);
  const double diff = measured.value - predicted.value;
  c.z = z_of(diff, measured.se);
  c.z_after_allowance =
      predicted.allowance > 0.0
          ? z_of(std::copysign(std::max(std::abs(diff) - predicted.allowance, 0.0), diff), measured.se)
          : c.z;
  const double tol = sigmas * measured.se + predicted.allowance;
  c.passed = std::abs(diff) <= tol;
  c.status = c.passed ? CheckStatus::passed : CheckStatus::failed;
  std::ostringstream m;
  m << "|measured - predicted| = " << std::abs(diff) << (c.passed ? " <= " : " > ") << tol << " (" << sigmas << " se"
    << (predicted.allowance > 0.0 ? " + allowance" : "") << ")";
  if (predicted.allowance > 0.0)
    m << "; z = " << c.z << " against the " << prediction_kind << " prediction, " << c.z_after_allowance
      << " after the allowance " << predicted.allowance << " (decided)";
  c.reason = m.str();
  return c;
}

}  // namespace sgdnoise
