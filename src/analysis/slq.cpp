#include "analysis/slq.hpp"

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>

#include "core/rng.hpp"

namespace sgdnoise {

namespace {

// m steps of Lanczos from the unit vector q0 with full reorthogonalisation; returns the
// quadrature nodes and weights of the tridiagonal matrix (Golub & Meurant 2010, ch. 6).
SlqProbe lanczos_quadrature(const std::function<Vec(const Vec&)>& apply, const Vec& q0, Index m, Index& ops) {
  const Index d = q0.size();
  Mat Q(d, m);
  Vec alpha(m), beta(m);
  Q.col(0) = q0;
  Index k = 0;         // steps done
  double scale = 0.0;  // running estimate of ||A|| from the alphas and betas
  bool invariant = false;
  for (Index j = 0; j < m; ++j) {
    Vec w = apply(Q.col(j));
    ++ops;
    alpha[j] = Q.col(j).dot(w);
    // Full reorthogonalisation against q_0 .. q_j, twice (it also removes the three-term part).
    for (int pass = 0; pass < 2; ++pass) w.noalias() -= Q.leftCols(j + 1) * (Q.leftCols(j + 1).transpose() * w);
    beta[j] = w.norm();
    scale = std::max({scale, std::abs(alpha[j]), beta[j]});
    k = j + 1;
    if (j + 1 == m) break;
    // A (numerically) invariant Krylov space: beta_j <= sqrt(eps) ||A||. Dropping that coupling
    // moves the nodes by at most beta_j (Weyl's inequality), far below the probe error.
    if (beta[j] <= std::sqrt(std::numeric_limits<double>::epsilon()) * scale) {
      invariant = true;
      break;
    }
    Q.col(j + 1) = w / beta[j];
  }
  Eigen::SelfAdjointEigenSolver<Mat> es;
  const Vec diag = alpha.head(k);
  const Vec sub = k > 1 ? Vec(beta.head(k - 1)) : Vec(0);
  es.computeFromTridiagonal(diag, sub, Eigen::ComputeEigenvectors);
  SlqProbe p;
  p.nodes = es.eigenvalues();
  p.weights = es.eigenvectors().row(0).transpose().array().square();
  p.invariant = invariant;
  return p;
}

}  // namespace

Estimate SlqResult::trace(const std::function<double(double)>& f) const {
  Vec x(static_cast<Index>(probes.size()));
  for (std::size_t p = 0; p < probes.size(); ++p) {
    double s = 0.0;
    for (Index j = 0; j < probes[p].nodes.size(); ++j) s += probes[p].weights[j] * f(probes[p].nodes[j]);
    x[static_cast<Index>(p)] = static_cast<double>(d) * s;  // z^T f(H) z with z = sqrt(d) v
  }
  Estimate e = mean_estimate(x);
  e.method = "slq_probes";
  return e;
}

SlqResult slq(const std::function<Vec(const Vec&)>& apply, Index d, const SlqOptions& opt) {
  if (d < 1) throw std::invalid_argument("slq: d must be >= 1");
  if (opt.probes < 1 || opt.steps < 1) throw std::invalid_argument("slq: probes and steps must be >= 1");
  if (opt.grid_points < 2) throw std::invalid_argument("slq: at least 2 grid points");
  if (!(opt.sigma >= 0.0) || !std::isfinite(opt.sigma)) throw std::invalid_argument("slq: sigma must be >= 0");
  SlqResult r;
  r.d = d;
  r.steps = std::min(opt.steps, d);
  Mat U(1, d);
  const double inv_sqrt_d = 1.0 / std::sqrt(static_cast<double>(d));
  for (Index p = 0; p < opt.probes; ++p) {
    // Rademacher probe: z_i = +-1 from one uniform each (purpose slq_probe, step = p).
    fill_uniforms({opt.seed, Purpose::slq_probe, static_cast<std::uint64_t>(p)}, 0, 0, U);
    const Vec q0 = (U.row(0).transpose().array() < 0.5).select(Vec::Constant(d, inv_sqrt_d), -inv_sqrt_d);
    r.probes.push_back(lanczos_quadrature(apply, q0, r.steps, r.operations));
  }
  r.node_min = std::numeric_limits<double>::infinity();
  r.node_max = -std::numeric_limits<double>::infinity();
  for (const auto& p : r.probes) {
    r.node_min = std::min(r.node_min, p.nodes.minCoeff());
    r.node_max = std::max(r.node_max, p.nodes.maxCoeff());
  }
  const double range = r.node_max - r.node_min;
  r.sigma = opt.sigma > 0.0
                ? opt.sigma
                : 0.01 * (range > 0.0 ? range : std::max(1.0, std::max(std::abs(r.node_min), std::abs(r.node_max))));
  r.grid = Vec::LinSpaced(opt.grid_points, r.node_min - 3.0 * r.sigma, r.node_max + 3.0 * r.sigma);
  r.density = Vec::Zero(opt.grid_points);
  const double norm = 1.0 / (static_cast<double>(opt.probes) * r.sigma * std::sqrt(2.0 * std::numbers::pi));
  for (const auto& p : r.probes)
    for (Index j = 0; j < p.nodes.size(); ++j)
      r.density += (p.weights[j] * norm) * (-0.5 * ((r.grid.array() - p.nodes[j]) / r.sigma).square()).exp().matrix();
  return r;
}

SlqResult hessian_slq(const Loss& loss, const Vec& theta, const SlqOptions& opt) {
  if (theta.size() != loss.dim()) throw std::invalid_argument("hessian_slq: theta's size differs from the loss's");
  return slq([&](const Vec& v) { return loss.hessian_vector(theta, v); }, loss.dim(), opt);
}

}  // namespace sgdnoise
