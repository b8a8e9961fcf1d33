#pragma once
// Escape-time predictions: the exact mean first-passage time of a 1-D diffusion in a
// potential, Kramers' rate in 1-D and the Eyring-Kramers rate in d dimensions.
//
// Time is tau (docs/conventions.md): the dynamics is d theta = -M grad L dtau + D^{1/2} dW,
// and Kramers' temperature eps is defined by D = 2 eps M (M = I for plain dynamics). A
// rate per step is rate * eta, a time in steps is time / eta. Every prediction carries
// the regime dU/eps it was made in: the rate formulas are the leading term as
// eps -> 0, with relative corrections of order eps/dU (Bovier, Gayrard & Klein 2004).
#include <functional>
#include <optional>
#include <string>

#include "core/types.hpp"

namespace sgdnoise {

/// dX = -U'(X) dtau + sqrt(2 eps) dW from x0 until X first reaches `target`. On the other
/// side of x0 a reflecting boundary at `reflecting`, or, when it is empty, none: the
/// potential must then confine (grow without a deeper well) on that side.
struct MfptProblem {
  std::function<double(double)> potential;  // U
  double eps = 1.0;
  double x0 = 0.0;
  double target = 1.0;
  std::optional<double> reflecting;
};

struct MfptOptions {
  double rel_tol = 1e-10;   // per Gauss-Kronrod integral
  unsigned max_depth = 15;  // bisections of each adaptive integral
  Index grid = 4096;        // samples of U used to find extrema (the integrals' break points)
  double cut = 46.0;        // open side: integrate while (U - min U)/eps < cut (e^-46 ~ 1e-20)
};

struct MfptResult {
  bool ok = false;
  double value = 0.0;           // T(x0) in tau; only where finite (see log_value)
  double log_value = 0.0;       // ln T(x0), also where T overflows a double
  double error_estimate = 0.0;  // relative, from the Gauss-Kronrod error estimates
  /// The regime: max over y in [x0, target] of (U(y) - min_{z between the far side and y} U(z)) / eps,
  /// the barrier over eps (dU/eps for an escape over a saddle).
  double barrier_over_eps = 0.0;
  double far_end = 0.0;  // the far-side boundary used (the reflecting wall, or the cut)
  std::string source, reason;
};

/// The exact mean first-passage time (Gardiner, Stochastic Methods, sec. 5.2.7, with
/// A = -U', B = 2 eps): for x0 < b with a reflecting wall at a < x0,
///   T(x0) = (1/eps) int_{x0}^{b} dy e^{U(y)/eps} int_{a}^{y} dz e^{-U(z)/eps},
/// mirrored when the target lies left of x0. Evaluated by nested adaptive Gauss-Kronrod
/// quadrature (Boost.Math) split at the extrema of U, in the stable form
/// e^{(U(y) - U(z))/eps} with the largest exponent factored out, so ln T is exact even
/// where T overflows.
MfptResult mean_first_passage_time_1d(const MfptProblem& problem, const MfptOptions& options = {});

struct RatePrediction {
  bool available = false;
  double rate = 0.0;  // per unit tau (0 where it underflows: see log_rate)
  double log_rate = 0.0;
  double mean_time = 0.0;  // 1/rate, in tau (where finite)
  double prefactor = 0.0;  // rate = prefactor exp(-barrier/eps)
  double barrier = 0.0;    // dU = L(saddle) - L(minimum)
  double eps = 0.0;
  double barrier_over_eps = 0.0;
  std::string regime;  // the regime in words, with the size of the neglected corrections
  std::string source, reason;
  /// Only the exponent is known (log rate ~ -barrier/eps as eps -> 0, quasi_potential_rate
  /// in gmam.hpp): rate and prefactor are 0 and log_rate is -barrier/eps.
  bool exponent_only = false;
  std::string note;
};

/// Kramers' rate, overdamped limit (Kramers 1940; Haenggi, Talkner & Borkovec 1990, Rev. Mod. Phys. 62, 251):
/// k = sqrt(U''(min) |U''(saddle)|) / (2 pi) exp(-dU/eps).
RatePrediction kramers_rate_1d(double curvature_min, double curvature_saddle, double barrier, double eps);

/// Eyring-Kramers (Berglund 2011, "Kramers' law: validity, derivations and
/// generalisations", arXiv:1106.5799; Bovier, Gayrard & Klein 2004):
/// k = |lambda_-| / (2 pi) sqrt(det H_min / |det H_saddle|) exp(-dU/eps), with lambda_- the
/// negative eigenvalue of H_saddle, or of M H_saddle for the reversible preconditioned
/// dynamics d theta = -M grad L dtau + sqrt(2 eps M) dW (M symmetric positive definite;
/// the determinant ratio does not change). Unavailable, with the reason, when H_min is
/// not positive definite, H_saddle does not have exactly one negative and no zero
/// eigenvalue, or M is not symmetric positive definite.
RatePrediction eyring_kramers_rate(const Mat& H_min, const Mat& H_saddle, double barrier, double eps,
                                   const Mat* M = nullptr);

/// Eyring-Kramers for the dynamics d theta = -M grad L dtau + D^{1/2} dW with a given
/// diffusion D (docs/conventions.md; M = I for plain noisy GD). The dynamics is reversible with
/// Gibbs measure e^{-L/eps} exactly when D = 2 eps M for a scalar eps; then the rate is
/// eyring_kramers_rate(..., eps, M). Otherwise (anisotropic D not matched to the drift)
/// the dynamics is non-reversible and there is no Eyring-Kramers formula: unavailable,
/// with that reason.
RatePrediction eyring_kramers_for_diffusion(const Mat& H_min, const Mat& H_saddle, double barrier, const Mat& D,
                                            const Mat& M);

}  // namespace sgdnoise
