#pragma once
// Exact second moments of the coupled run of dynamics/strong_coupling.hpp on a finite-sum
// loss with an affine gradient (least squares, sum of quadratics): E|theta_k - X_k|^2 and
// E|X_k - Y_k|^2, with X the M-sub-step reference and Y the M/2-sub-step half reference.
//
// With g_i(theta) = g_i(0) + H_i theta every update of the run is affine in the state and
// linear in the Gaussians of its sub-step. Over one sub-step the augmented state
// u = (theta, T, X, Y, Q, 1) (T, Q: the discrete and the half-reference step being
// accumulated) moves as u' = A u + sum_l xi_l N_l u, xi ~ N(0, I_n), so its second moment
// moves exactly as S' = A S A^T + sum_l N_l S N_l^T ([DERIVED]; the recursion of docs/theory.md
// 1.4 item 2 with state-dependent, affine noise). The noise's factor F = Cov(V)^{1/2} comes
// from its stated Cov(V) (docs/theory.md 1.2): Cov V = a P + b I gives F = sqrt(a + b) P + sqrt(b) 1 1^T / n.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "losses/loss.hpp"
#include "noise/sampling.hpp"

namespace sgdnoise {

struct CoupledSecondMoments {
  std::vector<double> strong_sq;     // E|theta_k - X_k|^2, k = 0 .. steps
  std::vector<double> reference_sq;  // E|X_k - Y_k|^2 (M even; else empty)
};

/// Empty with the reason in *why when the loss's gradient is not affine.
std::optional<CoupledSecondMoments> coupled_second_moments(const FiniteSumLoss& loss, const MultiplicativeNoise& noise,
                                                           double eta, int substeps, const Vec& theta0,
                                                           std::int64_t steps, std::string* why = nullptr);

}  // namespace sgdnoise
