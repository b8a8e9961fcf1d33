#pragma once
// Scalar indicators of the noise at one point, each under its docs/conventions.md name.
//
// Inputs are H (the Hessian) and C (the gradient-noise covariance); with step eta,
// Sigma_step = eta^2 C. The anisotropy ratio compares Tr(HC) with the same-trace
// isotropic noise C_bar = (Tr C / d) I, for which Tr(H C_bar) = Tr H Tr C / d
// (docs/theory.md 1.4, item 3; paper 3's comparison). It is undefined when Tr H or Tr C
// is zero; it is then empty and anisotropy_reason says why (never NaN).
//
// The alignment of paper 3 (Zhu et al. 2019, condition 2 of its proposition on anisotropic
// noise; docs/theory.md 4.3 (P-b)): u_1^T C u_1 Tr H / (lambda_1 Tr C), with (lambda_1, u_1) the top
// eigenpair of H. The condition reads alignment >= a > 0; C proportional to H gives exactly 1,
// isotropic C gives Tr H / (d lambda_1) <= 1 and C = Tr C u_1 u_1^T gives Tr H / lambda_1.
// It needs lambda_1 > 0, Tr H > 0 and Tr C > 0 (H and C positive semidefinite in the paper);
// otherwise it is empty and alignment_reason says why. Ours, not the paper's: when lambda_1 is
// degenerate (to rounding), u_1 is any unit vector of the top eigenspace and u_1^T C u_1
// depends on that choice; we then use its mean over the eigenspace, Tr(P_1 C) / m (P_1 the
// projector, m the multiplicity), which is u_1^T C u_1 when lambda_1 is simple.
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
  std::optional<double> alignment;         // u_1^T C u_1 Tr H / (lambda_1 Tr C)
  std::string alignment_reason;            // why the alignment is undefined; empty otherwise
  Index top_multiplicity = 0;              // m, the multiplicity of lambda_1 used for u_1
};

/// Throws std::invalid_argument when H and C are not square of one size or eta is
/// not finite. Costs one dense symmetric eigendecomposition of H (O(d^3)) for the alignment.
Indicators noise_indicators(const Mat& H, const Mat& C, double eta);

}  // namespace sgdnoise
