#include "analysis/predictions/lyapunov.hpp"

#include <Eigen/Eigenvalues>
#include <cmath>
#include <complex>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace sgdnoise {

namespace {

void require_square_pair(const Mat& A, const Mat& Q, const char* who) {
  if (A.rows() != A.cols() || Q.rows() != Q.cols() || A.rows() != Q.rows())
    throw std::invalid_argument(std::string(who) + ": matrices must be square and of the same size");
}

}  // namespace

LyapunovResult solve_discrete_lyapunov(const Mat& A, const Mat& Q, double rel_tol, int max_iterations) {
  require_square_pair(A, Q, "solve_discrete_lyapunov");
  if (!(rel_tol > 0.0) || max_iterations < 1)
    throw std::invalid_argument("solve_discrete_lyapunov: rel_tol must be positive and max_iterations >= 1");
  LyapunovResult r;
  if (!A.allFinite() || !Q.allFinite()) {
    r.reason = "A or Q has a non-finite entry";
    return r;
  }
  const Index d = A.rows();
  if (d == 0) {
    r.ok = true;
    r.S = Mat(0, 0);
    return r;
  }
  // The series sum_j A^j Q A^jT converges for every Q iff rho(A) < 1; check first so
  // that a divergent case says why instead of running into the iteration cap.
  // Computed eigenvalues carry a backward error of order d eps ||A||, so a radius
  // within that margin of 1 cannot be told from 1 (e.g. eta lambda = 2 in a rotated
  // basis); the series would then sum rounding noise amplified by 1 / (1 - rho).
  const double rho = Eigen::EigenSolver<Mat>(A, false).eigenvalues().cwiseAbs().maxCoeff();
  const double margin = 16.0 * static_cast<double>(d) * std::numeric_limits<double>::epsilon() * A.norm();
  if (!(rho < 1.0 - margin)) {
    std::ostringstream m;
    m << "spectral radius of A >= 1 to rounding (rho = " << rho << ", margin " << margin
      << "): no stationary covariance";
    r.reason = m.str();
    return r;
  }
  // Smith's doubling: after k steps S_k = sum_{j < 2^k} A^j Q A^jT, because
  // S_{k+1} = S_k + A^{2^k} S_k A^{2^k T} and A_{k+1} = A_k^2 (Smith 1968; the
  // error after k steps is O(rho^{2^{k+1}}), so convergence is quadratic once rho^{2^k} < 1).
  Mat S = Q;
  Mat Ak = A;
  for (int it = 1; it <= max_iterations; ++it) {
    const Mat inc = Ak * S * Ak.transpose();
    S += inc;
    r.iterations = it;
    if (!S.allFinite()) {
      r.reason = "Smith iteration overflowed";
      return r;
    }
    if (inc.norm() <= rel_tol * S.norm()) {
      r.ok = true;
      r.S = std::move(S);
      return r;
    }
    Ak = (Ak * Ak).eval();
  }
  std::ostringstream m;
  m << "Smith iteration did not converge in " << max_iterations << " doubling steps (rho(A) = " << rho
    << ", too close to 1)";
  r.reason = m.str();
  return r;
}

LyapunovResult solve_continuous_lyapunov(const Mat& H, const Mat& D) {
  require_square_pair(H, D, "solve_continuous_lyapunov");
  LyapunovResult r;
  if (!H.allFinite() || !D.allFinite()) {
    r.reason = "H or D has a non-finite entry";
    return r;
  }
  const Index d = H.rows();
  if (d == 0) {
    r.ok = true;
    r.S = Mat(0, 0);
    return r;
  }
  using CMat = Eigen::MatrixXcd;
  using Cplx = std::complex<double>;
  // H = U T U^*, T upper triangular (Bartels & Stewart 1972, with the complex Schur
  // form so that no 2x2 blocks arise). H is real, so H^T = H^* = U T^* U^*; with
  // X = U^* S U and F = U^* D U the equation becomes T X + X T^* = F.
  Eigen::ComplexSchur<Mat> schur(H);
  if (schur.info() != Eigen::Success) {
    r.reason = "complex Schur decomposition of H did not converge";
    return r;
  }
  const CMat& T = schur.matrixT();
  const CMat& U = schur.matrixU();
  for (Index i = 0; i < d; ++i)
    if (!(T(i, i).real() > 0.0)) {
      std::ostringstream m;
      m << "H is not stable: eigenvalue " << T(i, i).real() << (T(i, i).imag() < 0 ? " - " : " + ")
        << std::abs(T(i, i).imag()) << "i has non-positive real part (no stationary covariance)";
      r.reason = m.str();
      return r;
    }
  const CMat F = U.adjoint() * D.cast<Cplx>() * U;
  // Entry (i, j) of T X + X T^*: sum_{k>=i} T_ik X_kj + sum_{k>=j} X_ik conj(T_jk).
  // Solving from the bottom-right corner, X_ij needs only X_kj (k > i) and X_ik (k > j).
  // The divisor lambda_i + conj(lambda_j) counts as zero below a backward-error scale
  // of T (a relative perturbation of order eps in T moves it by about that much).
  const double small = 64.0 * std::numeric_limits<double>::epsilon() * T.norm();
  CMat X = CMat::Zero(d, d);
  for (Index j = d - 1; j >= 0; --j)
    for (Index i = d - 1; i >= 0; --i) {
      Cplx rhs = F(i, j);
      for (Index k = i + 1; k < d; ++k) rhs -= T(i, k) * X(k, j);
      for (Index k = j + 1; k < d; ++k) rhs -= X(i, k) * std::conj(T(j, k));
      const Cplx den = T(i, i) + std::conj(T(j, j));
      if (std::abs(den) <= small) {
        std::ostringstream m;
        m << "lambda_i + conj(lambda_j) = " << std::abs(den) << " is zero to rounding (scale " << small
          << "): the Lyapunov equation is singular";
        r.reason = m.str();
        return r;
      }
      X(i, j) = rhs / den;
    }
  r.S = (U * X * U.adjoint()).real();
  if (!r.S.allFinite()) {
    r.reason = "Bartels-Stewart back-substitution overflowed";
    r.S.resize(0, 0);
    return r;
  }
  r.ok = true;
  return r;
}

}  // namespace sgdnoise
