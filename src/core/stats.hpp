#pragma once
// Small statistics with a fixed reduction order: every function here reads its
// input in index order, so a result never depends on how the ensemble was split.
#include <cmath>
#include <limits>
#include <string>

#include "core/types.hpp"

namespace sgdnoise {

/// A stochastic estimate: value, its standard error, the sample size, and the
/// degrees of freedom of the error (infinite for a CLT-normal mean).
struct Estimate {
  double value = 0.0;
  double se = 0.0;
  Index n = 0;
  double dof = std::numeric_limits<double>::infinity();
  std::string method = "mean";  // how se was obtained
};

/// Sample mean and its standard error s/sqrt(n) (s: unbiased sample standard deviation).
/// Two passes (mean, then centred sum of squares), both in index order.
Estimate mean_estimate(const Eigen::Ref<const Vec>& x);

/// Two-sided probability that |T| > z for the estimator's reference distribution
/// (standard normal for infinite dof, Student t otherwise): the false-alarm
/// probability of a z-standard-error check.
double two_sided_tail(double z, double dof);

}  // namespace sgdnoise
