#include "analysis/predictions/gmam.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <vector>

#include <Eigen/Cholesky>
#include <Eigen/LU>

namespace sgdnoise {

namespace {

/// Rows of `path` moved to equal Euclidean arc length by linear interpolation; the ends stay.
void reparametrise(Mat& path) {
  const Index n = path.rows();
  Vec s(n);
  s[0] = 0.0;
  for (Index i = 1; i < n; ++i) s[i] = s[i - 1] + (path.row(i) - path.row(i - 1)).norm();
  const double len = s[n - 1];
  if (!(len > 0.0)) return;
  Mat out(n, path.cols());
  out.row(0) = path.row(0);
  out.row(n - 1) = path.row(n - 1);
  Index j = 0;
  for (Index i = 1; i + 1 < n; ++i) {
    const double target = len * static_cast<double>(i) / static_cast<double>(n - 1);
    while (j + 2 < n && s[j + 1] < target) ++j;
    const double seg = s[j + 1] - s[j];
    const double w = seg > 0.0 ? std::clamp((target - s[j]) / seg, 0.0, 1.0) : 0.0;
    out.row(i) = (1.0 - w) * path.row(j) + w * path.row(j + 1);
  }
  path.swap(out);
}

double curve_length(const Mat& path) {
  double len = 0.0;
  for (Index i = 1; i < path.rows(); ++i) len += (path.row(i) - path.row(i - 1)).norm();
  return len;
}

/// The largest spectral radius of K = A J^T A^{-1} J over the points of `path`, by power
/// iteration (K is similar to the symmetric positive semi-definite A^{1/2} J^T A^{-1} J A^{1/2}).
double stiffness(const GmamDrift& b, const Mat& A, const Mat& Ainv, const Mat& path) {
  double rho = 0.0;
  const Index d = path.cols();
  for (Index i = 0; i < path.rows(); ++i) {
    const Vec x = path.row(i).transpose();
    Vec v = Vec::Constant(d, 1.0 / std::sqrt(static_cast<double>(d)));
    if (d > 1) v[0] += 0.5;  // not orthogonal to a coordinate eigenvector
    double r = 0.0;
    for (int it = 0; it < 30; ++it) {
      const Vec w = A * b.jacobian_transpose_vector(x, Ainv * b.jacobian_vector(x, v));
      const double nw = w.norm(), nv = v.norm();
      if (!(nw > 0.0) || !(nv > 0.0)) break;
      r = nw / nv;
      v = w / nw;
    }
    rho = std::max(rho, r);
  }
  return rho;
}

std::string regime_words(double r) {
  std::ostringstream s;
  s.precision(3);
  s << "dV/eps = " << r << ": ";
  if (!(r > 0.0))
    s << "no barrier; the large-deviation exponent does not apply";
  else if (r < 1.0)
    s << "barrier below the noise; the large-deviation exponent does not apply";
  else if (r < 5.0)
    s << "weak barrier; log rate = -dV/eps + O(1), the O(1) (the log prefactor) unknown";
  else
    s << "small noise; log rate = -dV/eps + O(1), the O(1) (the log prefactor) unknown";
  return s.str();
}

bool symmetric_positive_definite(const Mat& S) {
  if (S.rows() != S.cols() || S.rows() == 0 || !S.allFinite()) return false;
  if ((S - S.transpose()).norm() > 1e-12 * S.norm()) return false;
  const Eigen::LLT<Mat> llt(S);
  return llt.info() == Eigen::Success;
}

}  // namespace

GmamDrift preconditioned_gradient_drift(const Loss& loss, const Mat& M) {
  GmamDrift b;
  b.dim = loss.dim();
  const bool plain = M.size() == 0;
  const Mat Mt = plain ? Mat() : Mat(M.transpose());
  b.drift = [&loss, M, plain](ConstBlockRef X, BlockRef B) {
    loss.gradient(X, B);
    if (!plain)
      B = -(B * M.transpose());
    else
      B = -B;
  };
  b.jacobian_vector = [&loss, M, plain](const Vec& x, const Vec& v) -> Vec {
    const Vec hv = loss.hessian_vector(x, v);
    return plain ? Vec(-hv) : Vec(-(M * hv));
  };
  b.jacobian_transpose_vector = [&loss, Mt, plain](const Vec& x, const Vec& w) -> Vec {
    return -loss.hessian_vector(x, plain ? w : Vec(Mt * w));  // (M H)^T w = H M^T w
  };
  b.jacobian = [&loss, M, plain](const Vec& x) -> Mat {
    return plain ? Mat(-loss.hessian(x)) : Mat(-(M * loss.hessian(x)));
  };
  return b;
}

GmamDrift linear_drift(const Mat& B) {
  GmamDrift b;
  b.dim = B.rows();
  b.drift = [B](ConstBlockRef X, BlockRef out) { out = X * B.transpose(); };
  b.jacobian_vector = [B](const Vec&, const Vec& v) -> Vec { return B * v; };
  b.jacobian_transpose_vector = [B](const Vec&, const Vec& w) -> Vec { return B.transpose() * w; };
  b.jacobian = [B](const Vec&) -> Mat { return B; };
  return b;
}

double geometric_action(const GmamDrift& b, const Mat& A, const Mat& path, Vec* cumulative) {
  const Index n = path.rows();
  const Eigen::LLT<Mat> llt(A);
  if (cumulative) cumulative->setZero(n);
  if (n < 2) return 0.0;
  const Mat mid = 0.5 * (path.topRows(n - 1) + path.bottomRows(n - 1));
  Mat bm(n - 1, path.cols());
  b.drift(mid, bm);
  double total = 0.0;
  for (Index j = 0; j + 1 < n; ++j) {
    const Vec dphi = (path.row(j + 1) - path.row(j)).transpose();
    const Vec bj = bm.row(j).transpose();
    const Vec Ainv_b = llt.solve(bj);
    const double bb = bj.dot(Ainv_b), pp = dphi.dot(llt.solve(dphi));
    // |b||dphi| - <b, dphi> >= 0 by Cauchy-Schwarz in the A^{-1} inner product.
    total += std::max(0.0, std::sqrt(std::max(bb, 0.0) * std::max(pp, 0.0)) - dphi.dot(Ainv_b));
    if (cumulative) (*cumulative)[j + 1] = total;
  }
  return total;
}

GmamResult geometric_minimum_action(const GmamDrift& b, const Mat& A, const Vec& from, const Vec& to,
                                    const GmamOptions& opt, const Mat* initial) {
  GmamResult res;
  const Index d = b.dim, n = opt.points;
  if (from.size() != d || to.size() != d || A.rows() != d || A.cols() != d)
    throw std::invalid_argument("geometric_minimum_action: sizes differ");
  if (n < 5) {
    res.reason = "needs at least 5 points";
    return res;
  }
  if (!symmetric_positive_definite(A)) {
    res.reason = "the diffusion shape A must be symmetric positive definite";
    return res;
  }
  const Eigen::LLT<Mat> llt(A);
  const Mat Ainv = llt.solve(Mat::Identity(d, d));
  auto a_norm = [&](const Vec& v) { return std::sqrt(std::max(0.0, v.dot(Ainv * v))); };

  Mat phi(n, d);
  if (initial) {
    if (initial->rows() != n || initial->cols() != d)
      throw std::invalid_argument("geometric_minimum_action: the initial path must be points x dim");
    phi = *initial;
  } else {
    for (Index i = 0; i < n; ++i) {
      const double t = static_cast<double>(i) / static_cast<double>(n - 1);
      phi.row(i) = ((1.0 - t) * from + t * to).transpose();
    }
  }
  phi.row(0) = from.transpose();
  phi.row(n - 1) = to.transpose();
  reparametrise(phi);

  // Up to implicit_max_dim coordinates the stiff linear part is implicit (block tridiagonal solve).
  const bool block = d <= opt.implicit_max_dim;
  std::vector<Mat> K(block ? static_cast<std::size_t>(n) : 0), G(block ? static_cast<std::size_t>(n) : 0);
  double dtau = opt.dtau;
  if (!(dtau > 0.0)) {
    const double rho = stiffness(b, A, Ainv, phi);
    dtau = rho > 0.0 ? (block ? opt.implicit_dtau_factor : 0.2) / rho : 1.0;
  }
  const double h = 1.0 / static_cast<double>(n - 1);
  Mat B(n, d), rhs(n, d), dphi(n, d);
  Vec lambda(n), c(n), cp(n);
  double action = geometric_action(b, A, phi, nullptr);
  const double action_floor = 1e-6 * std::abs(action) + 1e-300;  // an increase below it is never unstable
  std::deque<double> history{action};
  Index quiet = 0;  // consecutive steps with small moves

  for (Index k = 0; k < opt.max_iterations; ++k) {
    b.drift(phi, B);
    // phi' by central differences inside, one-sided at the ends (for lambda').
    dphi.row(0) = (phi.row(1) - phi.row(0)) / h;
    dphi.row(n - 1) = (phi.row(n - 1) - phi.row(n - 2)) / h;
    for (Index i = 1; i + 1 < n; ++i) dphi.row(i) = (phi.row(i + 1) - phi.row(i - 1)) / (2.0 * h);
    for (Index i = 0; i < n; ++i) {
      const double np = a_norm(dphi.row(i).transpose());
      lambda[i] = np > 0.0 ? a_norm(B.row(i).transpose()) / np : 0.0;
    }
    rhs.setZero();
    Mat next = phi;
    for (Index i = 1; i + 1 < n; ++i) c[i] = dtau * lambda[i] * lambda[i] / (h * h);
    for (Index i = 1; i + 1 < n; ++i) {
      const Vec x = phi.row(i).transpose(), p = dphi.row(i).transpose(), bi = B.row(i).transpose();
      const Vec theta = Ainv * (lambda[i] * p - bi);
      const double dlambda = (lambda[i + 1] - lambda[i - 1]) / (2.0 * h);
      const Vec f =
          -lambda[i] * b.jacobian_vector(x, p) + A * b.jacobian_transpose_vector(x, theta) + lambda[i] * dlambda * p;
      rhs.row(i) = phi.row(i) + dtau * f.transpose();
      if (block) {
        // The stiff part of f, -K (phi - phi_i) with K = A J^T A^{-1} J (from A J^T theta^'s -b), implicit.
        Mat J(d, d);
        if (b.jacobian)
          J = b.jacobian(x);
        else
          for (Index col = 0; col < d; ++col) J.col(col) = b.jacobian_vector(x, Vec::Unit(d, col));
        K[static_cast<std::size_t>(i)] = A * J.transpose() * (Ainv * J);
        rhs.row(i) += dtau * (K[static_cast<std::size_t>(i)] * x).transpose();
      }
    }
    rhs.row(1) += c[1] * phi.row(0);
    rhs.row(n - 2) += c[n - 2] * phi.row(n - 1);
    if (!block) {
      // (1 + 2 c_i) phi_i - c_i (phi_{i-1} + phi_{i+1}) = rhs_i, c_i = dtau lambda_i^2 / h^2, ends fixed:
      // the Thomas algorithm, one tridiagonal system shared by every coordinate.
      double denom = 1.0 + 2.0 * c[1];
      cp[1] = -c[1] / denom;
      rhs.row(1) /= denom;
      for (Index i = 2; i + 1 < n; ++i) {
        denom = 1.0 + 2.0 * c[i] + c[i] * cp[i - 1];
        cp[i] = -c[i] / denom;
        rhs.row(i) = (rhs.row(i) + c[i] * rhs.row(i - 1)) / denom;
      }
      next.row(n - 2) = rhs.row(n - 2);
      for (Index i = n - 3; i >= 1; --i) next.row(i) = rhs.row(i) - cp[i] * next.row(i + 1);
    } else {
      // Block tridiagonal: ((1 + 2 c_i) I + dtau K_i) phi_i - c_i (phi_{i-1} + phi_{i+1}) = rhs_i,
      // block Thomas: G_i = -c_i T_i^{-1}, y_i = T_i^{-1} (rhs_i + c_i y_{i-1}),
      // T_i = (1 + 2 c_i) I + dtau K_i + c_i G_{i-1}; then phi_i = y_i - G_i phi_{i+1}.
      const Mat I = Mat::Identity(d, d);
      Mat y(n, d);
      for (Index i = 1; i + 1 < n; ++i) {
        const auto si = static_cast<std::size_t>(i);
        Mat T = (1.0 + 2.0 * c[i]) * I + dtau * K[si];
        Vec r = rhs.row(i).transpose();
        if (i > 1) {
          T += c[i] * G[si - 1];
          r += c[i] * y.row(i - 1).transpose();
        }
        const Eigen::PartialPivLU<Mat> lu(T);
        G[si] = -c[i] * lu.inverse();
        y.row(i) = lu.solve(r).transpose();
      }
      next.row(n - 2) = y.row(n - 2);
      for (Index i = n - 3; i >= 1; --i)
        next.row(i) = y.row(i) - (G[static_cast<std::size_t>(i)] * next.row(i + 1).transpose()).transpose();
    }
    reparametrise(next);

    const double new_action = geometric_action(b, A, next, nullptr);
    if (!std::isfinite(new_action) || !next.allFinite() || new_action > 2.0 * std::max(action, action_floor)) {
      // Unstable step: halve dtau and retry from the same curve.
      dtau *= 0.5;
      if (dtau < 1e-30) {
        res.reason = "the gMAM step became unstable at every step size";
        break;
      }
      continue;
    }
    const double len = std::max(curve_length(next), 1e-300);
    res.last_path_change = (next - phi).rowwise().norm().maxCoeff() / len;
    phi.swap(next);
    action = new_action;
    res.iterations = k + 1;
    history.push_back(action);
    if (static_cast<Index>(history.size()) > 2 * opt.window + 1) history.pop_front();
    quiet = res.last_path_change <= opt.path_tol ? quiet + 1 : 0;
    if (static_cast<Index>(history.size()) == 2 * opt.window + 1) {
      // The action changes of the last two windows, d1 then d2; a geometric tail d2 q/(1 - q),
      // q = d2/d1, estimates how far the action still is from its limit.
      const double scale = std::max(std::abs(action), 1e-300);
      const double d1 = std::abs(history[static_cast<std::size_t>(opt.window)] - history.front()) / scale;
      const double d2 = std::abs(history.back() - history[static_cast<std::size_t>(opt.window)]) / scale;
      res.last_action_change = d2;
      if (d2 <= 1e-14)
        res.estimated_remaining = d2;  // rounding
      else if (d2 < d1)
        res.estimated_remaining = d2 * (d2 / d1) / (1.0 - d2 / d1);
      else
        res.estimated_remaining = std::numeric_limits<double>::infinity();
      if (quiet >= opt.window && res.estimated_remaining <= opt.action_tol) {
        res.converged = true;
        break;
      }
    }
  }
  res.dtau = dtau;
  res.path = phi;
  res.action = geometric_action(b, A, phi, &res.cumulative_action);
  Mat coarse(n / 2 + 1, d);
  Index m = 0;
  for (Index i = 0; i < n; i += 2) coarse.row(m++) = phi.row(i);
  if (m < coarse.rows()) coarse.conservativeResize(m, d);
  if ((n - 1) % 2 != 0) {  // an even number of points: keep the end
    coarse.conservativeResize(m + 1, d);
    coarse.row(m) = phi.row(n - 1);
  }
  res.discretisation_error = std::abs(res.action - geometric_action(b, A, coarse, nullptr)) / 3.0;
  res.ok = std::isfinite(res.action);
  if (!res.ok) res.reason = "the action is not finite";
  if (res.ok && !res.converged && res.reason.empty()) {
    std::ostringstream s;
    s << "not converged after " << res.iterations << " steps (last relative path move " << res.last_path_change
      << ", relative action change over " << opt.window << " steps " << res.last_action_change
      << ", estimated remaining " << res.estimated_remaining << ")";
    res.reason = s.str();
  }
  return res;
}

RatePrediction quasi_potential_rate(const Loss& loss, const CriticalPoint& minimum, const CriticalPoint& saddle,
                                    const Mat& D, const Mat& M, const GmamOptions& options, GmamResult* path) {
  RatePrediction p;
  p.exponent_only = true;
  p.source =
      "large deviations (Freidlin & Wentzell): log rate ~ -dV/eps, dV the quasi-potential barrier by the geometric "
      "minimum action method (Heymann & Vanden-Eijnden 2008, CPAM 61, 1052)";
  p.note = "exponent only: dV from gMAM (Heymann & Vanden-Eijnden 2008); prefactor not computed";
  const Index d = loss.dim();
  if (D.rows() != d || D.cols() != d || M.rows() != d || M.cols() != d || minimum.theta.size() != d ||
      saddle.theta.size() != d) {
    p.reason = "D, M and the critical points differ in size from the loss";
    return p;
  }
  if (!symmetric_positive_definite(M)) {
    p.reason = "the preconditioner M must be symmetric positive definite";
    return p;
  }
  if (!symmetric_positive_definite(D)) {
    p.reason = "the diffusion D must be symmetric positive definite (degenerate noise has no quasi-potential here)";
    return p;
  }
  p.eps = D.trace() / (2.0 * M.trace());
  const Mat A = D / p.eps;
  const GmamDrift b = preconditioned_gradient_drift(loss, M);
  GmamResult r = geometric_minimum_action(b, A, minimum.theta, saddle.theta, options);
  if (!r.ok || !r.converged) {
    p.reason = "gMAM: " + r.reason;
    if (path) *path = std::move(r);
    return p;
  }
  p.barrier = r.action;
  p.barrier_over_eps = r.action / p.eps;
  p.log_rate = -p.barrier_over_eps;
  p.regime = regime_words(p.barrier_over_eps);
  p.available = p.barrier > 0.0;
  if (!p.available) p.reason = "gMAM gave no positive barrier";
  if (path) *path = std::move(r);
  return p;
}

}  // namespace sgdnoise
