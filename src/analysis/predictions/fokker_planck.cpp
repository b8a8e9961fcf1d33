#include "analysis/predictions/fokker_planck.hpp"

#include <Eigen/Sparse>
#include <Eigen/SparseLU>
#include <algorithm>
#include <cmath>
#include <sstream>
#include <vector>

namespace sgdnoise {

namespace {

constexpr const char* kSrcDensity =
    "stationary Fokker-Planck equation, conservative finite volumes with zero-flux walls (Gardiner, Stochastic "
    "Methods, sec. 5.2 and 6.2)";
constexpr const char* kSrcMfpt =
    "backward Kolmogorov equation L* T = -1, absorbing target and reflecting wall (Gardiner, Stochastic Methods, "
    "sec. 5.2.7), discretised as the transpose of the conservative forward matrix";

std::string peclet_reason(double pe) {
  std::ostringstream m;
  m << "grid too coarse: cell Peclet number |grad U| h / D = " << pe << " >= 1 (refine the grid)";
  return m.str();
}

}  // namespace

FpDensity1d stationary_density_1d(const std::function<double(double)>& U, const std::function<double(double)>& D,
                                  double lo, double hi, Index cells) {
  FpDensity1d r;
  r.source = kSrcDensity;
  if (!(hi > lo) || cells < 2) {
    r.reason = "need hi > lo and at least 2 cells";
    return r;
  }
  const double h = (hi - lo) / static_cast<double>(cells);
  r.h = h;
  r.x.resize(cells);
  Vec u(cells), dd(cells);
  for (Index i = 0; i < cells; ++i) {
    r.x[i] = lo + (static_cast<double>(i) + 0.5) * h;
    u[i] = U(r.x[i]);
    dd[i] = D(r.x[i]);
    if (!(dd[i] > 0.0) || !std::isfinite(u[i])) {
      r.reason = "D must be > 0 and U finite on the grid";
      return r;
    }
  }
  // J_{i+1/2} = 0: p_{i+1} (D_{i+1} - A h) = p_i (D_i + A h), A = -(U_{i+1} - U_i) / h.
  Vec logp(cells);
  logp[0] = 0.0;
  for (Index i = 0; i + 1 < cells; ++i) {
    const double Ah = -(u[i + 1] - u[i]);
    r.max_cell_peclet = std::max(r.max_cell_peclet, std::abs(Ah) / std::min(dd[i], dd[i + 1]));
    const double num = dd[i] + Ah, den = dd[i + 1] - Ah;
    if (!(num > 0.0) || !(den > 0.0)) {
      r.reason = peclet_reason(r.max_cell_peclet);
      return r;
    }
    logp[i + 1] = logp[i] + std::log(num / den);
  }
  r.density = (logp.array() - logp.maxCoeff()).exp();
  r.density /= r.density.sum() * h;
  r.ok = true;
  return r;
}

FpMfpt1d mean_first_passage_time_fp_1d(const FpMfptProblem1d& p, Index cells) {
  FpMfpt1d r;
  r.source = kSrcMfpt;
  if (cells < 2) {
    r.reason = "need at least 2 cells";
    return r;
  }
  // Work in y = s x with s = +1 when the target lies right of x0, so that the wall is on the left.
  const double s = p.target > p.x0 ? 1.0 : -1.0;
  const double a = s * p.reflecting, b = s * p.target, y0 = s * p.x0;
  if (!(a <= y0 && y0 <= b) || !(b > a)) {
    r.reason = "need the reflecting wall and the target on opposite sides of x0";
    return r;
  }
  auto U = [&](double y) { return p.potential(s * y); };
  auto D = [&](double y) { return p.diffusion ? p.diffusion(s * y) : 1.0; };
  // Cells 0..N-1 of width h from the wall; the absorbing target is the centre of cell N.
  const Index N = cells;
  const double h = (b - a) / (static_cast<double>(N) + 0.5);
  r.h = h;
  Vec y(N + 1), u(N + 1), dd(N + 1);
  for (Index i = 0; i <= N; ++i) {
    y[i] = a + (static_cast<double>(i) + 0.5) * h;
    u[i] = U(y[i]);
    dd[i] = D(y[i]);
    if (!(dd[i] > 0.0) || !std::isfinite(u[i])) {
      r.reason = "D must be > 0 and U finite on the grid";
      return r;
    }
  }
  // Row i of M^T T = -1 (M the forward matrix of the header):
  //   (A_{i+1/2}/(2h) + D_i/(2h^2)) (T_{i+1} - T_i) + (D_i/(2h^2) - A_{i-1/2}/(2h)) (T_{i-1} - T_i) = -1,
  // without the i-1 term at the wall (zero flux) and with T_N = 0.
  Vec lower(N), diag(N), upper(N), rhs = Vec::Constant(N, -1.0);
  for (Index i = 0; i < N; ++i) {
    const double Ar = -(u[i + 1] - u[i]) / h;
    r.max_cell_peclet = std::max(r.max_cell_peclet, std::abs(Ar) * h / std::min(dd[i], dd[i + 1]));
    const double cr = Ar / (2.0 * h) + dd[i] / (2.0 * h * h);
    double cl = 0.0;
    if (i > 0) {
      const double Al = -(u[i] - u[i - 1]) / h;
      cl = dd[i] / (2.0 * h * h) - Al / (2.0 * h);
      if (!(cl > 0.0)) {
        r.reason = peclet_reason(std::abs(Al) * h / dd[i]);
        return r;
      }
    }
    if (!(cr > 0.0)) {
      r.reason = peclet_reason(std::abs(Ar) * h / dd[i]);
      return r;
    }
    lower[i] = cl;
    upper[i] = cr;
    diag[i] = -(cl + cr);
  }
  // Thomas algorithm (the matrix is a weakly diagonally dominant M-matrix; no pivoting needed).
  Vec c(N), dv(N);
  c[0] = N > 1 ? upper[0] / diag[0] : 0.0;
  dv[0] = rhs[0] / diag[0];
  for (Index i = 1; i < N; ++i) {
    const double m = diag[i] - lower[i] * c[i - 1];
    c[i] = i + 1 < N ? upper[i] / m : 0.0;
    dv[i] = (rhs[i] - lower[i] * dv[i - 1]) / m;
  }
  Vec T(N + 1);
  T[N] = 0.0;
  T[N - 1] = dv[N - 1];
  for (Index i = N - 2; i >= 0; --i) T[i] = dv[i] - c[i] * T[i + 1];
  if (!T.allFinite()) {
    r.reason = "the mean first-passage time overflowed";
    return r;
  }
  // T(y0): linear interpolation between cell centres; T' = 0 at the wall, so constant below y_0.
  double value = T[0];
  if (y0 > y[0]) {
    const auto i = std::min<Index>(static_cast<Index>(std::floor((y0 - y[0]) / h)), N - 1);
    const double w = (y0 - y[i]) / h;
    value = (1.0 - w) * T[i] + w * T[i + 1];
  }
  r.value = value;
  r.x = s * y;
  r.T = T;
  r.ok = true;
  return r;
}

FpDensity2d stationary_density_2d(const std::function<double(double, double)>& U, double Dx, double Dy, double x_lo,
                                  double x_hi, Index nx, double y_lo, double y_hi, Index ny) {
  FpDensity2d r;
  r.source = kSrcDensity;
  if (!(x_hi > x_lo) || !(y_hi > y_lo) || nx < 2 || ny < 2 || !(Dx > 0.0) || !(Dy > 0.0)) {
    r.reason = "need a non-empty rectangle, at least 2 cells per side and Dx, Dy > 0";
    return r;
  }
  const double hx = (x_hi - x_lo) / static_cast<double>(nx), hy = (y_hi - y_lo) / static_cast<double>(ny);
  r.hx = hx;
  r.hy = hy;
  r.x.resize(nx);
  r.y.resize(ny);
  for (Index i = 0; i < nx; ++i) r.x[i] = x_lo + (static_cast<double>(i) + 0.5) * hx;
  for (Index j = 0; j < ny; ++j) r.y[j] = y_lo + (static_cast<double>(j) + 0.5) * hy;
  const Index n = nx * ny;
  Vec u(n);
  for (Index j = 0; j < ny; ++j)
    for (Index i = 0; i < nx; ++i) u[i + nx * j] = U(r.x[i], r.y[j]);
  if (!u.allFinite()) {
    r.reason = "U must be finite on the grid";
    return r;
  }
  std::vector<Eigen::Triplet<double>> trip;
  trip.reserve(static_cast<std::size_t>(5 * n));
  // Flux from cell a to cell b through their face (width h along the face normal):
  // J = A (p_a + p_b)/2 - D (p_b - p_a)/(2h); dp_a -= J/h, dp_b += J/h.
  auto face = [&](Index ca, Index cb, double h, double Dd) {
    const double A = -(u[cb] - u[ca]) / h;
    r.max_cell_peclet = std::max(r.max_cell_peclet, std::abs(A) * h / Dd);
    const double wa = (A / 2.0 + Dd / (2.0 * h)) / h;  // J's coefficient of p_a, over h
    const double wb = (A / 2.0 - Dd / (2.0 * h)) / h;  // J's coefficient of p_b, over h
    const auto ia = static_cast<int>(ca), ib = static_cast<int>(cb);
    trip.emplace_back(ia, ia, -wa);
    trip.emplace_back(ia, ib, -wb);
    trip.emplace_back(ib, ia, wa);
    trip.emplace_back(ib, ib, wb);
  };
  for (Index j = 0; j < ny; ++j)
    for (Index i = 0; i < nx; ++i) {
      const Index c = i + nx * j;
      if (i + 1 < nx) face(c, c + 1, hx, Dx);
      if (j + 1 < ny) face(c, c + nx, hy, Dy);
    }
  if (r.max_cell_peclet >= 1.0) {
    r.reason = peclet_reason(r.max_cell_peclet);
    return r;
  }
  Eigen::SparseMatrix<double> M(n, n);
  M.setFromTriplets(trip.begin(), trip.end());
  // M has rank n - 1 (columns sum to zero: mass is conserved). Pin p = 1 at the cell of
  // lowest U, replacing its row, and solve; then normalise.
  Index pin = 0;
  u.minCoeff(&pin);
  Eigen::SparseMatrix<double> A = M;
  A.prune([&](const Index& row, const Index&, const double&) { return row != pin; });
  A.coeffRef(pin, pin) = 1.0;
  A.makeCompressed();
  Vec rhs = Vec::Zero(n);
  rhs[pin] = 1.0;
  Eigen::SparseLU<Eigen::SparseMatrix<double>, Eigen::COLAMDOrdering<int>> lu;
  lu.compute(A);
  if (lu.info() != Eigen::Success) {
    r.reason = "SparseLU could not factorise the pinned Fokker-Planck matrix";
    return r;
  }
  Vec p = lu.solve(rhs);
  if (lu.info() != Eigen::Success || !p.allFinite()) {
    r.reason = "SparseLU solve failed";
    return r;
  }
  const double scale = M.diagonal().cwiseAbs().maxCoeff() * p.cwiseAbs().maxCoeff();
  r.residual = (M * p).cwiseAbs().maxCoeff() / scale;
  p /= p.sum() * hx * hy;
  r.density = Eigen::Map<const Mat>(p.data(), nx, ny);
  r.ok = true;
  return r;
}

}  // namespace sgdnoise
