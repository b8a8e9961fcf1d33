#pragma once
// Fokker-Planck references on a grid: the stationary density and the mean first-passage
// time of d theta = -grad U dtau + D(theta)^{1/2} dW (Ito; time tau, D the diffusion of
// docs/conventions.md, D = 2 eps for Kramers' temperature eps), by finite volumes.
//
// Forward equation in conservative flux form (Gardiner, Stochastic Methods, sec. 5.2 / 6.2):
//   dp/dtau = -div J,   J = -grad U p - 1/2 div(D p).
// Cells of width h with centres x_i; the flux through the face between cells a and b is
//   J_ab = A_ab (p_a + p_b) / 2 - (D_b p_b - D_a p_a) / (2 h),   A_ab = -(U_b - U_a) / h,
// second order in h; zero flux through the outer faces. The scheme keeps positivity (an
// M-matrix) while the cell Peclet number |A_ab| h / D < 1; beyond it the result is refused.
// For constant D and a gradient drift the exact stationary density is Gibbs,
// p ~ exp(-2 U / D) = exp(-U / eps); in 1-D with D(x) it is p ~ exp(-int 2 U'/D) / D
// (Gardiner 5.2.2, Ito convention).
//
// The mean first-passage time solves the backward (Kolmogorov) equation L* T = -1,
// L* T = -U' T' + 1/2 D T'', with T = 0 at the absorbing target and T' = 0 at the reflecting
// wall (Gardiner 5.2.7). We discretise L* as the transpose of the forward matrix above, so T
// is exactly the mean exit time of the continuous-time Markov chain on the cells; consistent
// at second order. The exact quadrature of analysis/predictions/escape_time is the check.
#include <functional>
#include <string>

#include "core/types.hpp"

namespace sgdnoise {

struct FpDensity1d {
  bool ok = false;
  Vec x;        // cell centres
  Vec density;  // p at the cell centres, sum p h = 1
  double h = 0.0;
  double max_cell_peclet = 0.0;
  std::string source, reason;
};

/// Stationary density on [lo, hi] with zero-flux walls, `cells` cells. In 1-D the zero-flux
/// walls force J = 0 on every face, so the null space of the forward matrix is the
/// two-term recursion p_{i+1} (D_{i+1} - A h) = p_i (D_i + A h), evaluated in logs.
FpDensity1d stationary_density_1d(const std::function<double(double)>& U, const std::function<double(double)>& D,
                                  double lo, double hi, Index cells);

struct FpMfptProblem1d {
  std::function<double(double)> potential;  // U
  std::function<double(double)> diffusion;  // D(x) > 0
  double x0 = 0.0;
  double target = 1.0;      // absorbing
  double reflecting = 0.0;  // reflecting wall on the other side of x0
};

struct FpMfpt1d {
  bool ok = false;
  double value = 0.0;  // T(x0) in tau
  Vec x, T;            // the grid (reflecting side first, in the problem's coordinates) and T on it
  double h = 0.0;
  double max_cell_peclet = 0.0;
  std::string source, reason;
};

/// T(x0) from the backward equation on `cells` cells between the wall and the target (the
/// target is the centre of one more, absorbing, cell); T(x0) by linear interpolation.
FpMfpt1d mean_first_passage_time_fp_1d(const FpMfptProblem1d& problem, Index cells);

struct FpDensity2d {
  bool ok = false;
  Vec x, y;     // cell centres
  Mat density;  // density(i, j) at (x_i, y_j), sum p hx hy = 1
  double hx = 0.0, hy = 0.0;
  double max_cell_peclet = 0.0;
  double residual = 0.0;  // max |M p| / max |diag(M)| p of the solved system
  std::string source, reason;
};

/// Stationary density of d theta = -grad U dtau + diag(Dx, Dy)^{1/2} dW on a rectangle with
/// zero-flux walls: the null space of the sparse forward matrix M (5-point, conservative),
/// found with Eigen's SparseLU after pinning p at the cell of lowest U (M has rank n - 1).
FpDensity2d stationary_density_2d(const std::function<double(double, double)>& U, double Dx, double Dy, double x_lo,
                                  double x_hi, Index nx, double y_lo, double y_hi, Index ny);

}  // namespace sgdnoise
