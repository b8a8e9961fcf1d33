#pragma once
// Exact first and second moments of linear dynamics on a quadratic
// L = L* + 1/2 (theta - theta*)^T H (theta - theta*), H = U diag(lambda) U^T,
// with state-independent Gaussian noise (docs/theory.md 1.4, [DERIVED+CHECKED]).
//
// Discrete:   e_{k+1} = A e_k + zeta_k, A = I - h H, Cov zeta = Q  (e = theta - theta*)
//   mean_k = A^k e_0,  S_k = sum_{j<k} A^j Q A^j   (S_{k+1} = A S_k A + Q).
// Continuous: de = -H e dtau + D^{1/2} dW
//   mean(tau) = e^{-H tau} e_0,  S(tau) = int_0^tau e^{-Hs} D e^{-Hs} ds
//   (the solution of dS/dtau = -HS - SH + D, S(0) = 0; Gardiner, Stochastic Methods, sec. 4.5.6).
// Both are evaluated in H's eigenbasis, where entry (i, j) of S is Q~_ij times a
// scalar geometric sum or integral. The k-step sums are exact for any h lambda of
// either sign (the closed form (I - A^{2k})(2I - hH)^{-1} is singular at
// h lambda = 2; docs/theory.md 1.4, item 2).
#include <cstdint>
#include <optional>
#include <string>

#include "core/series.hpp"
#include "core/types.hpp"
#include "losses/quadratic.hpp"

namespace sgdnoise {

struct Moments {
  Vec mean;  // E theta, original coordinates
  Mat cov;   // Cov theta
};

/// Why a stationary prediction does not exist, or empty where it does.
struct Existence {
  bool exists = true;
  std::string reason;
};

class QuadraticMoments {
 public:
  explicit QuadraticMoments(const Quadratic& q) : q_(q) {}

  /// Moments after k steps of e_{k+1} = (I - hH) e_k + zeta, Cov zeta = Q, from theta_0.
  Moments discrete(double h, const Mat& Q, const Vec& theta0, std::int64_t k) const;
  /// Stationary covariance of the discrete recursion (discrete Lyapunov S = A S A + Q).
  Existence discrete_stationary_exists(double h, const Mat& Q) const;
  Mat discrete_stationary(double h, const Mat& Q) const;

  /// Moments of the OU process at time tau with diffusion D, from theta_0.
  Moments continuous(const Mat& D, const Vec& theta0, double tau) const;
  /// Stationary covariance (continuous Lyapunov H S + S H = D).
  Existence continuous_stationary_exists(const Mat& D) const;
  Mat continuous_stationary(const Mat& D) const;

  /// E L for given moments: L* + 1/2 (m - theta*)^T H (m - theta*) + 1/2 Tr(H S).
  double expected_loss(const Moments& m) const;

 private:
  Mat to_eigen(const Mat& M) const { return q_.eigenvectors().transpose() * M * q_.eigenvectors(); }
  Mat from_eigen(const Mat& M) const { return q_.eigenvectors() * M * q_.eigenvectors().transpose(); }
  const Quadratic& q_;
};

}  // namespace sgdnoise
