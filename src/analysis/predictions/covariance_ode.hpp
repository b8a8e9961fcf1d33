#pragma once
// The covariance ODE of linear dynamics, integrated numerically:
//   dS/dtau = -H S - S H^T + D,  S(0) = S0,
// the second moment of de = -H e dtau + D^{1/2} dW (Gardiner, Stochastic Methods,
// sec. 4.5.6). H need not be symmetric nor commute with D, so this cross-checks
// the eigenbasis closed form of QuadraticMoments::continuous (docs/theory.md 1.4, item 1)
// and serves linearisations with a non-symmetric drift.
//
// Boost.Odeint's adaptive Dormand-Prince 5(4) (runge_kutta_dopri5 under a
// controlled stepper) integrates the d*d entries of S, column-major.
#include <cstddef>
#include <string>
#include <vector>

#include "core/types.hpp"

namespace sgdnoise {

struct CovarianceOdeResult {
  bool ok = false;
  Mat S;                  // S(tau)
  std::size_t steps = 0;  // accepted steps of the adaptive stepper
  std::string reason;
};

struct CovarianceOdeSeries {
  bool ok = false;
  std::vector<double> times;  // as requested
  std::vector<Mat> S;         // S(times[i])
  std::size_t steps = 0;
  std::string reason;
};

/// S(tau) from S(0) = S0 with local error tolerances abs_tol, rel_tol (Odeint's
/// error checker: |err_i| <= abs_tol + rel_tol |S_i|). Throws std::invalid_argument
/// for mismatched sizes, tau < 0 or non-positive tolerances.
CovarianceOdeResult integrate_covariance(const Mat& H, const Mat& D, const Mat& S0, double tau, double abs_tol = 1e-12,
                                         double rel_tol = 1e-12);

/// S at each of times (non-decreasing, >= 0), from S(0) = S0, in one integration.
CovarianceOdeSeries integrate_covariance_at(const Mat& H, const Mat& D, const Mat& S0, const std::vector<double>& times,
                                            double abs_tol = 1e-12, double rel_tol = 1e-12);

}  // namespace sgdnoise
