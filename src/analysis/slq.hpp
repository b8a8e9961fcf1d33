#pragma once
// Hessian spectral density by stochastic Lanczos quadrature (Ubaru, Chen & Saad 2017,
// SIAM J. Matrix Anal. Appl. 38(4); Ghorbani, Krishnan & Xiao 2019, ICML), matrix-free on
// Hessian-vector products.
//
// For a probe v = z / sqrt(d), z Rademacher, m Lanczos steps from v give a tridiagonal T_m
// with eigenpairs (theta_j, y_j); the Gauss quadrature v^T f(H) v ~ sum_j tau_j f(theta_j),
// tau_j = (e_1^T y_j)^2, is exact for polynomials of degree <= 2m - 1 (Golub & Meurant,
// Matrices, Moments and Quadrature, 2010, ch. 6). Hutchinson's estimator (E z z^T = I) then
// gives Tr f(H) ~ d * mean over probes of sum_j tau_j f(theta_j), with its standard error
// from the spread over probes. The spectral density is the mixture of the probes' nodes and
// weights broadened by a Gaussian of width sigma (Ghorbani et al. 2019, sec. 2):
//   phi(t) = (1/P) sum_p sum_j tau_j^p N(t; theta_j^p, sigma^2), integrating to 1 (the
// normalised spectral measure; d phi counts eigenvalues per unit length).
//
// Lanczos is run with full reorthogonalisation (classical Gram-Schmidt twice against every
// earlier vector; Giraud et al. 2005, "twice is enough"), so nodes are Ritz values of H and
// lie in [lambda_min, lambda_max] (Cauchy interlacing). A probe whose Krylov space is
// invariant before m steps (beta_j ~ 0) stops there, and its quadrature is then exact.
// Probes come from the counter-based stream with purpose slq_probe, step = probe index.
#include <cstdint>
#include <functional>
#include <vector>

#include "core/stats.hpp"
#include "core/types.hpp"
#include "losses/loss.hpp"

namespace sgdnoise {

struct SlqOptions {
  Index probes = 16;        // P
  Index steps = 30;         // m Lanczos steps per probe (capped at d)
  std::uint64_t seed = 0;   // key of the probe stream
  Index grid_points = 201;  // density grid
  double sigma = 0.0;       // Gaussian broadening; 0: 1% of the node range (or of max(1, |node|))
};

struct SlqProbe {
  Vec nodes;               // Ritz values theta_j, ascending
  Vec weights;             // tau_j, summing to 1
  bool invariant = false;  // the Krylov space became invariant before m steps
};

struct SlqResult {
  Index d = 0;
  Index steps = 0;  // m actually requested (after the cap at d)
  std::vector<SlqProbe> probes;
  double node_min = 0.0, node_max = 0.0;
  double sigma = 0.0;
  Vec grid, density;     // phi on the grid (integrates to 1)
  Index operations = 0;  // Hessian-vector products

  /// Tr f(H) ~ d * mean_p sum_j tau_j f(theta_j), with its standard error over the probes
  /// (method "slq_probes"; se undefined for P = 1).
  Estimate trace(const std::function<double(double)>& f) const;
};

/// SLQ for the symmetric operator y = A x given as a function (d = its size).
SlqResult slq(const std::function<Vec(const Vec&)>& apply, Index d, const SlqOptions& opt);
/// SLQ for the Hessian of loss at theta through Loss::hessian_vector.
SlqResult hessian_slq(const Loss& loss, const Vec& theta, const SlqOptions& opt);

}  // namespace sgdnoise
