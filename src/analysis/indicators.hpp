#pragma once
// Scalar indicators of the noise at one point, each under its CONVENTIONS.md name.
//
// Inputs are H (the Hessian) and C (the gradient-noise covariance); with step eta,
// Sigma_step = eta^2 C. The anisotropy ratio compares Tr(HC) with the same-trace
// isotropic noise C_bar = (Tr C / d) I, for which Tr(H C_bar) = Tr H Tr C / d
// (papers.md 1.4, item 3; paper 3's comparison). It is undefined when Tr H or Tr C
// is zero; it is then empty and anisotropy_reason says why (never NaN).
#include <optional>
#include <string>

#include "core/types.hpp"

namespace sgdnoise {

struct Indicators {
  double trace_H_C = 0.0;                  // Tr(H C)
  double trace_H_Sigma_step = 0.0;         // Tr(H Sigma_step) = eta^2 Tr(H C)
  double trace_C = 0.0;                    // Tr C
  double frobenius_C = 0.0;                // ||C||_F
  std::optional<double> anisotropy_ratio;  // Tr(HC) / Tr(H C_bar)
  std::string anisotropy_reason;           // why the ratio is undefined; empty otherwise
};

/// Throws std::invalid_argument when H and C are not square of one size or eta is
/// not finite.
Indicators noise_indicators(const Mat& H, const Mat& C, double eta);

}  // namespace sgdnoise
