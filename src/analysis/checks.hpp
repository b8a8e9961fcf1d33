#pragma once
// A check compares a measured estimate with a prediction:
// pass iff |measured - predicted| <= sigmas * se + allowance.
// The false-alarm probability of a check whose allowance is zero is the
// two-sided tail of the estimator's reference distribution at `sigmas`.
#include <string>

#include "analysis/predictions/predict.hpp"
#include "core/stats.hpp"

namespace sgdnoise {

/// passed / failed: the comparison was made; unavailable: it could not be (no measurement
/// at the step because every trajectory had diverged, an undefined estimate, or no
/// prediction). An unavailable check is never passed: it counts as failed, with its reason.
enum class CheckStatus { passed, failed, unavailable };
std::string to_string(CheckStatus s);

struct CheckOutcome {
  std::string result;
  std::int64_t k = 0;
  double tau = 0.0;
  std::string prediction_kind;
  double sigmas = 0.0;
  Estimate measured;
  Prediction predicted;
  /// (measured - predicted) / se: the distance to the requested prediction, the value the
  /// check tests.
  double z = 0.0;
  /// sign(d) max(|d| - allowance, 0) / se with d = measured - predicted: the distance left
  /// once the allowance (the exact difference between the requested prediction and the
  /// simulated scheme's own) is granted. Equal to z when the allowance is zero. The check
  /// passes iff |z_after_allowance| <= sigmas.
  double z_after_allowance = 0.0;
  double false_alarm = 0.0;  // probability that a correct simulator fails this check
  bool passed = false;
  CheckStatus status = CheckStatus::unavailable;
  std::string reason;
  /// Which z decided: "z" (no allowance) or "z_after_allowance"; empty when unavailable.
  std::string decided_by() const;
  /// True when the check passed only through its allowance: |z| > sigmas against the
  /// requested prediction.
  bool passed_by_allowance() const;
};

CheckOutcome evaluate_check(const std::string& result, std::int64_t k, double tau, const std::string& prediction_kind,
                            double sigmas, const Estimate& measured, const Prediction& predicted);

/// A check that could not be compared (status unavailable, not passed), with the reason.
CheckOutcome unavailable_check(const std::string& result, std::int64_t k, double tau,
                               const std::string& prediction_kind, double sigmas, const Prediction& predicted,
                               const std::string& reason);

}  // namespace sgdnoise
