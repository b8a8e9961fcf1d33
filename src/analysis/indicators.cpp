#include "analysis/indicators.hpp"

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace sgdnoise {

namespace {

/// True when the trace of M is zero to rounding: a sum of d diagonal entries carries
/// an error up to about d * eps * sum |M_ii| (Higham, Accuracy and Stability, sec. 4.2),
/// so a smaller trace cannot be told from 0.
bool trace_is_zero(const Mat& M, double trace) {
  const double bound =
      static_cast<double>(M.rows()) * std::numeric_limits<double>::epsilon() * M.diagonal().cwiseAbs().sum();
  return std::abs(trace) <= bound;
}

// Paper 3's alignment u_1^T C u_1 Tr H / (lambda_1 Tr C) (docs/theory.md 4.3 (P-b), condition 2).
void set_alignment(const Mat& H, const Mat& C, double trace_H, Indicators& ind) {
  const Index d = H.rows();
  if (d == 0) {
    ind.alignment_reason = "d = 0";
    return;
  }
  Eigen::SelfAdjointEigenSolver<Mat> es(0.5 * (H + H.transpose()));
  if (es.info() != Eigen::Success) {
    ind.alignment_reason = "alignment undefined: the dense symmetric eigensolver did not converge on H";
    return;
  }
  const Vec& lam = es.eigenvalues();  // ascending
  const double lambda1 = lam[d - 1];
  // Eigenvalues agree to rounding within about d eps ||H||_2 (Golub & Van Loan, 8.1).
  const double tol =
      static_cast<double>(d) * std::numeric_limits<double>::epsilon() * std::max(std::abs(lam[0]), std::abs(lambda1));
  std::ostringstream m;
  if (!(lambda1 > tol)) {
    m << "alignment undefined: the top Hessian eigenvalue lambda_1 = " << lambda1
      << " is not positive, so there is no curvature direction to align with";
  } else if (!(trace_H > 0.0) || trace_is_zero(H, trace_H)) {
    m << "alignment undefined: Tr H = " << trace_H << " is not positive";
  } else if (!(ind.trace_C > 0.0) || trace_is_zero(C, ind.trace_C)) {
    m << "alignment undefined: Tr C = " << ind.trace_C << " is not positive (no noise)";
  }
  if (!m.str().empty()) {
    ind.alignment_reason = m.str();
    return;
  }
  Index mult = 0;
  double u_C_u = 0.0;  // Tr(P_1 C) over the top eigenspace
  for (Index i = d - 1; i >= 0 && lambda1 - lam[i] <= tol; --i, ++mult) {
    const auto u = es.eigenvectors().col(i);
    u_C_u += u.dot(C * u);
  }
  u_C_u /= static_cast<double>(mult);
  ind.top_multiplicity = mult;
  ind.alignment = u_C_u * trace_H / (lambda1 * ind.trace_C);
}

}  // namespace

Indicators noise_indicators(const Mat& H, const Mat& C, double eta) {
  if (H.rows() != H.cols() || C.rows() != C.cols() || H.rows() != C.rows())
    throw std::invalid_argument("noise_indicators: H and C must be square and of the same size");
  if (!std::isfinite(eta)) throw std::invalid_argument("noise_indicators: eta must be finite");
  const Index d = H.rows();
  Indicators ind;
  // Tr(HC) = sum_ij H_ji C_ij, without forming the product (O(d^2)).
  ind.trace_H_C = H.transpose().cwiseProduct(C).sum();
  // Sigma_step = eta^2 C for gradient noise (docs/conventions.md).
  ind.trace_H_Sigma_step = eta * eta * ind.trace_H_C;
  ind.trace_C = C.trace();
  ind.frobenius_C = C.norm();

  const double trace_H = H.trace();
  if (d == 0) {
    ind.anisotropy_reason = "d = 0";
  } else if (trace_is_zero(H, trace_H) || trace_is_zero(C, ind.trace_C)) {
    std::ostringstream m;
    m << "anisotropy ratio undefined: Tr H * Tr C = " << trace_H << " * " << ind.trace_C
      << " is zero (to rounding), so the isotropic comparison Tr(H C_bar) = Tr H Tr C / d vanishes";
    ind.anisotropy_reason = m.str();
  } else {
    // Tr(HC) / (Tr H Tr C / d), docs/theory.md 1.4 item 3.
    ind.anisotropy_ratio = ind.trace_H_C * static_cast<double>(d) / (trace_H * ind.trace_C);
  }
  set_alignment(H, C, trace_H, ind);
  return ind;
}

}  // namespace sgdnoise
