#pragma once
// The quasi-potential of a diffusion with small noise, by the geometric minimum action
// method (gMAM; Heymann & Vanden-Eijnden 2008, "The geometric minimum action method: a
// least action principle on the space of curves", Comm. Pure Appl. Math. 61, 1052), and
// the escape-rate exponent it gives where the dynamics is not reversible.
//
// Dynamics d theta = b(theta) dtau + (eps A(theta))^{1/2} dW, the shape A symmetric positive
// definite at every point: constant (the fast path) or state-dependent. Freidlin and
// Wentzell's action of a path over [0, T] is (1/2) int |phi' - b|^2_A dt with
// |v|_A^2 = v^T A(phi)^{-1} v; the quasi-potential V(x) is its infimum over T and over paths
// from the attractor to x, and escape over a saddle s has rate ~ e^{-(V(s) - V(min))/eps}
// (log-asymptotically as eps -> 0). The Hamiltonian is H(x, theta) = <b(x), theta> + (1/2)
// <theta, A(x) theta>; gMAM minimises the time-free (geometric) action
//   S(phi) = int_0^1 (|phi'|_A |b|_A - <phi', b>_A) d alpha = int_0^1 <theta^(phi, phi'), phi'> d alpha,
//   theta^ = A(phi)^{-1}(lambda phi' - b),  lambda = |b|_A / |phi'|_A,
// over curves phi(alpha) with fixed ends, which is independent of the parametrisation.
// Where A varies, the relaxation gains the terms of its derivatives (geometric_minimum_action
// below): H_theta_x = J + [(d_1 A) theta^, ..., (d_d A) theta^] and
// H_x = J^T theta^ + (1/2) grad_x <theta^, A(x) theta^>.
//
// Convention for eps (the same as Eyring-Kramers', escape_time.hpp): for the drift
// b = -M grad L and a diffusion D, eps = tr D / (2 tr M) and A = D / eps; for a
// state-dependent D(x), eps = tr D(minimum) / (2 tr M) and A(x) = D(x) / eps. Then
// D = 2 eps M (reversible) gives A = 2M and Delta V = Delta L exactly, and in every case
// the exponent Delta V / eps does not depend on the convention (A -> c A scales V by 1/c).
// docs/theory.md 8.7 has the derivations and the exact cases the tests use.
#include <functional>
#include <string>

#include "analysis/predictions/escape_time.hpp"
#include "core/types.hpp"
#include "losses/landscapes.hpp"
#include "losses/loss.hpp"

namespace sgdnoise {

/// A drift b(x) with its Jacobian J = db/dx through products.
struct GmamDrift {
  Index dim = 0;
  std::function<void(ConstBlockRef X, BlockRef B)> drift;                    // B.row(i) = b(X.row(i))
  std::function<Vec(const Vec& x, const Vec& v)> jacobian_vector;            // J(x) v
  std::function<Vec(const Vec& x, const Vec& w)> jacobian_transpose_vector;  // J(x)^T w
  std::function<Mat(const Vec& x)> jacobian;  // dense J(x); optional (else built from d products)
};

/// b = -M grad L (J = -M Hess L); M = I when it is empty. The loss must outlive the drift.
GmamDrift preconditioned_gradient_drift(const Loss& loss, const Mat& M = Mat());
/// b = B x (an Ornstein-Uhlenbeck drift for B = -H).
GmamDrift linear_drift(const Mat& B);

/// A state-dependent diffusion shape A(x) (symmetric positive definite where the path goes).
struct GmamDiffusion {
  Index dim = 0;
  std::function<Mat(const Vec& x)> shape;  // A(x)
  /// dA/dx_k at x; optional (else central differences of `shape`, step 1e-5 max(1, |x|)).
  std::function<Mat(const Vec& x, Index k)> shape_derivative;
};

struct GmamOptions {
  Index points = 101;            // N, the ends included
  Index max_iterations = 50000;  // gMAM steps
  /// Converged when, over the last `window` steps, no point moved by more than
  /// path_tol * (curve length) in one step, and the action's distance to its limit,
  /// estimated from its changes over the last two windows as a geometric tail, is at most
  /// action_tol * |action| (a minimiser: the action converges quadratically in the path, so
  /// the path tolerance is the looser one).
  double path_tol = 1e-8;
  double action_tol = 1e-10;
  Index window = 50;
  /// Up to this dimension the stiff linear part of the update, -A J^T A^{-1} J (phi - phi^k),
  /// is implicit too (a block-tridiagonal solve, O(N d^3) per step), which allows steps
  /// implicit_dtau_factor / rho instead of 0.2 / rho.
  Index implicit_max_dim = 64;
  double implicit_dtau_factor = 20.0;
  double dtau = 0.0;  // the step in the gMAM relaxation time; 0: automatic, c / rho(A J^T A^{-1} J) on the path
};

struct GmamResult {
  bool ok = false;         // a finite action was computed (the path may still be unconverged)
  bool converged = false;  // the stopping rule of GmamOptions was met
  Mat path;                // N x d, from `from` to `to`, equal Euclidean arc length
  Vec cumulative_action;   // N: the action from path(0) to path(i) along the path (V(path(i)) - V(from) on an uphill
                           // minimiser)
  double action = 0.0;     // S of the whole path: Delta V when `from` is the attractor
  /// |S(path) - S(every other point)| / 3: the Richardson estimate of the quadrature error
  /// of the midpoint rule (second order), an estimate of the discretisation error.
  double discretisation_error = 0.0;
  Index iterations = 0;
  double last_path_change = 0.0;     // largest point move in the last step, over the curve length
  double last_action_change = 0.0;   // relative action change over the last `window` steps
  double estimated_remaining = 0.0;  // the relative distance of the action to its limit (geometric tail)
  double dtau = 0.0;
  std::string reason;  // why not ok, or why not converged
};

/// The geometric action S of a discretised curve (rows are points) by the midpoint rule:
/// sum_j |b(m_j)|_A |dphi_j|_A - <b(m_j), dphi_j>_A, m_j the segment midpoints. Fills
/// `cumulative` (the partial sums, cumulative[0] = 0) when given.
double geometric_action(const GmamDrift& b, const Mat& A, const Mat& path, Vec* cumulative = nullptr);
/// The same with A(m_j) at each segment midpoint; NaN when A is not symmetric positive
/// definite at one of them.
double geometric_action(const GmamDrift& b, const GmamDiffusion& A, const Mat& path, Vec* cumulative = nullptr);

/// gMAM from `from` to `to` with the diffusion shape A (symmetric positive definite):
/// Heymann & Vanden-Eijnden's simplified update, semi-implicit in alpha,
///   (phi^{k+1} - phi^k)/dtau = lambda^2 phi''^{k+1} - lambda J phi' + A J^T theta^ + lambda lambda' phi',
/// (the gradient flow of S preconditioned by lambda A) followed by a reparametrisation to
/// equal arc length. The initial curve is the straight segment, or `initial` (N x d rows,
/// its ends replaced by from and to). Does not assume reversibility.
GmamResult geometric_minimum_action(const GmamDrift& b, const Mat& A, const Vec& from, const Vec& to,
                                    const GmamOptions& options = {}, const Mat* initial = nullptr);
/// gMAM for a state-dependent shape A(x): Heymann & Vanden-Eijnden's (2008) update for a
/// general Hamiltonian, every A at the point:
///   (phi^{k+1} - phi^k)/dtau = lambda^2 phi''^{k+1} - lambda H_theta_x phi' + A H_x + lambda lambda' phi',
/// H_theta_x phi' = J phi' + C phi', H_x = J^T theta^ + (1/2) C^T theta^, C the matrix with
/// columns (d_k A) theta^. The d_k A terms are explicit; the stiff part is implicit as above
/// with A(phi_i) at each point. Per point and step: 2d evaluations of A (central differences)
/// or d of shape_derivative, and O(d^3) work. Not ok, with the point named, when A is not
/// symmetric positive definite on the initial curve; a step into such a region is refused
/// like an unstable one. A constant A given this way gives the constant form's result (it
/// pays for the derivatives, which vanish).
GmamResult geometric_minimum_action(const GmamDrift& b, const GmamDiffusion& A, const Vec& from, const Vec& to,
                                    const GmamOptions& options = {}, const Mat* initial = nullptr);

/// The escape-rate exponent from `minimum` over `saddle` for d theta = -M grad L dtau + D^{1/2} dW
/// with a constant diffusion D: eps = tr D / (2 tr M), A = D / eps, Delta V by gMAM from the
/// minimum to the saddle, log rate ~ -Delta V / eps. Exponent only: the Bouchet-Reygner
/// prefactor (Ann. Henri Poincare 17, 2016) is not computed, so `rate` and `prefactor` stay 0,
/// `exponent_only` is true and `note` says so; `barrier` is Delta V and `log_rate` the
/// exponent -Delta V / eps. Unavailable, with the reason, when the sizes disagree, D or M is
/// not symmetric positive definite, or gMAM does not converge. `path` receives the gMAM result.
RatePrediction quasi_potential_rate(const Loss& loss, const CriticalPoint& minimum, const CriticalPoint& saddle,
                                    const Mat& D, const Mat& M, const GmamOptions& options = {},
                                    GmamResult* path = nullptr);

/// The same exponent for a state-dependent diffusion D(x): eps = tr D(minimum) / (2 tr M) (the
/// constant case's convention at the minimum), A(x) = D(x) / eps, Delta V by gMAM with A(x)
/// (derivatives by central differences). `source` and `note` say "state-dependent diffusion"
/// and exponent only. Unavailable, with the reason naming the point, where D(x) is not
/// symmetric positive definite at the minimum or the saddle (e.g. the SGD noise of an
/// interpolating minimum vanishes there) or on the path.
RatePrediction quasi_potential_rate(const Loss& loss, const CriticalPoint& minimum, const CriticalPoint& saddle,
                                    const std::function<Mat(const Vec&)>& D, const Mat& M,
                                    const GmamOptions& options = {}, GmamResult* path = nullptr);
/// A matrix expression for D is the constant form (Eigen expressions look callable to std::function).
template <typename Derived>
RatePrediction quasi_potential_rate(const Loss& loss, const CriticalPoint& minimum, const CriticalPoint& saddle,
                                    const Eigen::MatrixBase<Derived>& D, const Mat& M, const GmamOptions& options = {},
                                    GmamResult* path = nullptr) {
  return quasi_potential_rate(loss, minimum, saddle, Mat(D), M, options, path);
}

}  // namespace sgdnoise
