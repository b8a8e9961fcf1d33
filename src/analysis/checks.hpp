#pragma once
// A check compares a measured estimate with a prediction:
// pass iff |measured - predicted| <= sigmas * se + allowance.
// The false-alarm probability of a check whose allowance is zero is the
// two-sided tail of the estimator's reference distribution at `sigmas`.
#include <string>

#include "analysis/predictions/predict.hpp"
#include "core/stats.hpp"

namespace sgdnoise {

struct CheckOutcome {
  std::string result;
  std::int64_t k = 0;
  double tau = 0.0;
  std::string prediction_kind;
  double sigmas = 0.0;
  Estimate measured;
  Prediction predicted;
  double z = 0.0;            // (measured - predicted) / se
  double false_alarm = 0.0;  // probability that a correct simulator fails this check
  bool passed = false;
  std::string reason;
};

CheckOutcome evaluate_check(const std::string& result, std::int64_t k, double tau, const std::string& prediction_kind,
                            double sigmas, const Estimate& measured, const Prediction& predicted);

}  // namespace sgdnoise
