#include "analysis/indicators.hpp"

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

}  // namespace

Indicators noise_indicators(const Mat& H, const Mat& C, double eta) {
  if (H.rows() != H.cols() || C.rows() != C.cols() || H.rows() != C.rows())
    throw std::invalid_argument("noise_indicators: H and C must be square and of the same size");
  if (!std::isfinite(eta)) throw std::invalid_argument("noise_indicators: eta must be finite");
  const Index d = H.rows();
  Indicators ind;
  // Tr(HC) = sum_ij H_ji C_ij, without forming the product (O(d^2)).
  ind.trace_H_C = H.transpose().cwiseProduct(C).sum();
  // Sigma_step = eta^2 C for gradient noise (CONVENTIONS.md).
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
    // Tr(HC) / (Tr H Tr C / d), papers.md 1.4 item 3.
    ind.anisotropy_ratio = ind.trace_H_C * static_cast<double>(d) / (trace_H * ind.trace_C);
  }
  return ind;
}

}  // namespace sgdnoise
