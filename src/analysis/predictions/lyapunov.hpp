#pragma once
// Dense Lyapunov solvers for general (non-symmetric) matrices.
//
// They know nothing of H's eigenbasis, so they cross-check the closed forms of
// QuadraticMoments (docs/theory.md 1.4, items 1 and 2) and cover linearisations whose
// drift matrix is not symmetric.
//
// Discrete:   S = A S A^T + Q, the stationary covariance of e_{k+1} = A e_k + zeta_k,
//             Cov zeta = Q; it exists (and equals sum_j A^j Q A^jT) iff rho(A) < 1.
// Continuous: H S + S H^T = D, the stationary covariance of de = -H e dtau + D^{1/2} dW;
//             it exists iff every eigenvalue of H has positive real part
//             (Gardiner, Stochastic Methods, sec. 4.5.6).
#include <string>

#include "core/types.hpp"

namespace sgdnoise {

/// Spectra-style status: S is meaningful only when ok; reason says why not.
struct LyapunovResult {
  bool ok = false;
  Mat S;
  int iterations = 0;  // Smith doubling steps (discrete); 0 for the direct continuous solver
  std::string reason;
};

/// S = A S A^T + Q by Smith's doubling iteration. Stops when the last increment
/// is at most rel_tol * ||S||_F, or fails after max_iterations (2^max_iterations
/// terms of the series). Throws std::invalid_argument only for mismatched sizes.
LyapunovResult solve_discrete_lyapunov(const Mat& A, const Mat& Q, double rel_tol = 1e-15, int max_iterations = 100);

/// H S + S H^T = D by Bartels-Stewart on the complex Schur form of H. Fails when
/// H has an eigenvalue with non-positive real part (no stationary covariance) or
/// when lambda_i + conj(lambda_j) vanishes to rounding (singular equation).
/// Throws std::invalid_argument only for mismatched sizes.
LyapunovResult solve_continuous_lyapunov(const Mat& H, const Mat& D);

}  // namespace sgdnoise
