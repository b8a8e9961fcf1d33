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

bool symmetric_positive_definite(const Mat& S) {
  if (S.rows() != S.cols() || S.rows() == 0 || !S.allFinite()) return false;
  if ((S - S.transpose()).norm() > 1e-12 * S.norm()) return false;
  const Eigen::LLT<Mat> llt(S);
  return llt.info() == Eigen::Success;
}

/// A, its Cholesky factor and its inverse at one point.
struct PointShape {
  Mat A, Ainv;
  Eigen::LLT<Mat> llt;
};

/// The diffusion shape as the solver sees it: a constant A, factorised once (the fast path),
/// or a field A(x), factorised at every point asked about.
class ShapeField {
 public:
  explicit ShapeField(const Mat& A) : constant_(factor(A)) {}
  explicit ShapeField(const GmamDiffusion& diffusion) : diffusion_(&diffusion) {}
  bool varies() const { return diffusion_ != nullptr; }

  /// Factorises A at the rows of X into `cache` (nothing to do for a constant A). Returns the
  /// first row where A is not symmetric positive definite, or -1.
  Index evaluate(const Mat& X, std::vector<PointShape>& cache) const {
    if (!varies()) return -1;
    cache.resize(static_cast<std::size_t>(X.rows()));
    for (Index i = 0; i < X.rows(); ++i) {
      const Mat A = diffusion_->shape(X.row(i).transpose());
      if (!symmetric_positive_definite(A)) return i;
      cache[static_cast<std::size_t>(i)] = factor(A);
    }
    return -1;
  }
  const PointShape& at(const std::vector<PointShape>& cache, Index i) const {
    return varies() ? cache[static_cast<std::size_t>(i)] : constant_;
  }

  /// The matrix whose column k is (d_k A)(x) theta: H_theta_x - J, and (1/2) of its transpose
  /// times theta is H_x - J^T theta (zero for a constant A). Central differences with step
  /// 1e-5 max(1, |x|) when the caller gives no derivative: truncation O(step^2), rounding
  /// O(1e-16 / step), both near 1e-10 relative.
  Mat derivative_columns(const Vec& x, const Vec& theta) const {
    const Index d = x.size();
    Mat C(d, d);
    if (diffusion_->shape_derivative) {
      for (Index k = 0; k < d; ++k) C.col(k) = diffusion_->shape_derivative(x, k) * theta;
      return C;
    }
    const double step = 1e-5 * std::max(1.0, x.norm());
    for (Index k = 0; k < d; ++k) {
      Vec xp = x, xm = x;
      xp[k] += step;
      xm[k] -= step;
      C.col(k) = (diffusion_->shape(xp) - diffusion_->shape(xm)) * theta / (xp[k] - xm[k]);
    }
    return C;
  }

 private:
  static PointShape factor(const Mat& A) {
    PointShape p;
    p.A = A;
    p.llt.compute(A);
    p.Ainv = p.llt.solve(Mat::Identity(A.rows(), A.cols()));
    return p;
  }
  const GmamDiffusion* diffusion_ = nullptr;
  PointShape constant_;
};

std::string point_words(const Vec& x) {
  std::ostringstream s;
  s.precision(6);
  s << "(";
  for (Index k = 0; k < x.size(); ++k) s << (k ? ", " : "") << x[k];
  s << ")";
  return s.str();
}

/// The largest spectral radius of K = A J^T A^{-1} J over the points of `path`, by power
/// iteration (K is similar to the symmetric positive semi-definite A^{1/2} J^T A^{-1} J A^{1/2}).
double stiffness(const GmamDrift& b, const ShapeField& field, const std::vector<PointShape>& cache, const Mat& path) {
  double rho = 0.0;
  const Index d = path.cols();
  for (Index i = 0; i < path.rows(); ++i) {
    const Vec x = path.row(i).transpose();
    const PointShape& s = field.at(cache, i);
    Vec v = Vec::Constant(d, 1.0 / std::sqrt(static_cast<double>(d)));
    if (d > 1) v[0] += 0.5;  // not orthogonal to a coordinate eigenvector
    double r = 0.0;
    for (int it = 0; it < 30; ++it) {
      const Vec w = s.A * b.jacobian_transpose_vector(x, s.Ainv * b.jacobian_vector(x, v));
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

namespace {

/// The midpoint rule for the geometric action, A at the segment midpoints; NaN where A is not
/// symmetric positive definite at one of them.
double action_of(const GmamDrift& b, const ShapeField& field, const Mat& path, Vec* cumulative) {
  const Index n = path.rows();
  if (cumulative) cumulative->setZero(n);
  if (n < 2) return 0.0;
  const Mat mid = 0.5 * (path.topRows(n - 1) + path.bottomRows(n - 1));
  std::vector<PointShape> cache;
  if (field.evaluate(mid, cache) >= 0) return std::numeric_limits<double>::quiet_NaN();
  Mat bm(n - 1, path.cols());
  b.drift(mid, bm);
  double total = 0.0;
  for (Index j = 0; j + 1 < n; ++j) {
    const Eigen::LLT<Mat>& llt = field.at(cache, j).llt;
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

std::string not_positive_definite_words(const Mat& path, Index i) {
  return "the diffusion shape A(x) is not symmetric positive definite at x = " + point_words(path.row(i).transpose()) +
         " (point " + std::to_string(i) + " of the path)";
}

/// gMAM for either shape (geometric_minimum_action's comment); the sizes are checked.
GmamResult minimum_action(const GmamDrift& b, const ShapeField& field, const Vec& from, const Vec& to,
                          const GmamOptions& opt, const Mat* initial) {
  GmamResult res;
  const Index d = b.dim, n = opt.points;
  if (n < 5) {
    res.reason = "needs at least 5 points";
    return res;
  }
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
  std::vector<PointShape> at_phi, at_next;  // A(x) at the points (empty for a constant A)
  if (const Index bad = field.evaluate(phi, at_phi); bad >= 0) {
    res.reason = not_positive_definite_words(phi, bad);
    return res;
  }
  auto shape = [&](Index i) -> const PointShape& { return field.at(at_phi, i); };
  auto a_norm = [&](Index i, const Vec& v) { return std::sqrt(std::max(0.0, v.dot(shape(i).Ainv * v))); };

  // Up to implicit_max_dim coordinates the stiff linear part is implicit (block tridiagonal solve).
  const bool block = d <= opt.implicit_max_dim;
  std::vector<Mat> K(block ? static_cast<std::size_t>(n) : 0), G(block ? static_cast<std::size_t>(n) : 0);
  double dtau = opt.dtau;
  if (!(dtau > 0.0)) {
    const double rho = stiffness(b, field, at_phi, phi);
    dtau = rho > 0.0 ? (block ? opt.implicit_dtau_factor : 0.2) / rho : 1.0;
  }
  const double h = 1.0 / static_cast<double>(n - 1);
  Mat B(n, d), rhs(n, d), dphi(n, d);
  Vec lambda(n), c(n), cp(n);
  double action = action_of(b, field, phi, nullptr);
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
      const double np = a_norm(i, dphi.row(i).transpose());
      lambda[i] = np > 0.0 ? a_norm(i, B.row(i).transpose()) / np : 0.0;
    }
    rhs.setZero();
    Mat next = phi;
    for (Index i = 1; i + 1 < n; ++i) c[i] = dtau * lambda[i] * lambda[i] / (h * h);
    for (Index i = 1; i + 1 < n; ++i) {
      const Vec x = phi.row(i).transpose(), p = dphi.row(i).transpose(), bi = B.row(i).transpose();
      const PointShape& s = shape(i);
      const Vec theta = s.Ainv * (lambda[i] * p - bi);
      const double dlambda = (lambda[i + 1] - lambda[i - 1]) / (2.0 * h);
      Vec f =
          -lambda[i] * b.jacobian_vector(x, p) + s.A * b.jacobian_transpose_vector(x, theta) + lambda[i] * dlambda * p;
      if (field.varies()) {
        // The terms of dA: H_theta_x phi' = J phi' + C phi' and H_x = J^T theta + (1/2) C^T theta,
        // C = [(d_1 A) theta, ..., (d_d A) theta] (Heymann & Vanden-Eijnden 2008, the simplified
        // update for a general Hamiltonian; docs/theory.md 8.7).
        const Mat C = field.derivative_columns(x, theta);
        f += -lambda[i] * (C * p) + s.A * (0.5 * (C.transpose() * theta));
      }
      rhs.row(i) = phi.row(i) + dtau * f.transpose();
      if (block) {
        // The stiff part of f, -K (phi - phi_i) with K = A J^T A^{-1} J (from A J^T theta^'s -b), implicit.
        Mat J(d, d);
        if (b.jacobian)
          J = b.jacobian(x);
        else
          for (Index col = 0; col < d; ++col) J.col(col) = b.jacobian_vector(x, Vec::Unit(d, col));
        K[static_cast<std::size_t>(i)] = s.A * J.transpose() * (s.Ainv * J);
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

    // A step into where A(x) is not positive definite counts as unstable.
    const bool inside = next.allFinite() && field.evaluate(next, at_next) < 0;
    const double new_action = inside ? action_of(b, field, next, nullptr) : std::numeric_limits<double>::quiet_NaN();
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
    at_phi.swap(at_next);
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
  res.action = action_of(b, field, phi, &res.cumulative_action);
  Mat coarse(n / 2 + 1, d);
  Index m = 0;
  for (Index i = 0; i < n; i += 2) coarse.row(m++) = phi.row(i);
  if (m < coarse.rows()) coarse.conservativeResize(m, d);
  if ((n - 1) % 2 != 0) {  // an even number of points: keep the end
    coarse.conservativeResize(m + 1, d);
    coarse.row(m) = phi.row(n - 1);
  }
  res.discretisation_error = std::abs(res.action - action_of(b, field, coarse, nullptr)) / 3.0;
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

}  // namespace

double geometric_action(const GmamDrift& b, const Mat& A, const Mat& path, Vec* cumulative) {
  return action_of(b, ShapeField(A), path, cumulative);
}

double geometric_action(const GmamDrift& b, const GmamDiffusion& A, const Mat& path, Vec* cumulative) {
  return action_of(b, ShapeField(A), path, cumulative);
}

GmamResult geometric_minimum_action(const GmamDrift& b, const Mat& A, const Vec& from, const Vec& to,
                                    const GmamOptions& opt, const Mat* initial) {
  const Index d = b.dim;
  if (from.size() != d || to.size() != d || A.rows() != d || A.cols() != d)
    throw std::invalid_argument("geometric_minimum_action: sizes differ");
  if (!symmetric_positive_definite(A)) {
    GmamResult res;
    res.reason = "the diffusion shape A must be symmetric positive definite";
    return res;
  }
  return minimum_action(b, ShapeField(A), from, to, opt, initial);
}

GmamResult geometric_minimum_action(const GmamDrift& b, const GmamDiffusion& A, const Vec& from, const Vec& to,
                                    const GmamOptions& opt, const Mat* initial) {
  const Index d = b.dim;
  if (from.size() != d || to.size() != d || A.dim != d || !A.shape)
    throw std::invalid_argument("geometric_minimum_action: sizes differ or the diffusion has no shape");
  return minimum_action(b, ShapeField(A), from, to, opt, initial);
}

namespace {

/// The exponent from a converged gMAM path (p.eps already set): barrier dV, dV/eps and the log
/// rate -dV/eps; `path` receives the gMAM result.
RatePrediction& exponent_from(RatePrediction& p, GmamResult r, GmamResult* path) {
  if (!r.ok || !r.converged) {
    p.reason = "gMAM: " + r.reason;
  } else {
    p.barrier = r.action;
    p.barrier_over_eps = r.action / p.eps;
    p.log_rate = -p.barrier_over_eps;
    p.regime = regime_words(p.barrier_over_eps);
    p.available = p.barrier > 0.0;
    if (!p.available) p.reason = "gMAM gave no positive barrier";
  }
  if (path) *path = std::move(r);
  return p;
}

/// The checks shared by both forms; an empty string when the input is usable.
std::string rate_input_problem(const Loss& loss, const CriticalPoint& minimum, const CriticalPoint& saddle,
                               const Mat& M) {
  const Index d = loss.dim();
  if (M.rows() != d || M.cols() != d || minimum.theta.size() != d || saddle.theta.size() != d)
    return "D, M and the critical points differ in size from the loss";
  if (!symmetric_positive_definite(M)) return "the preconditioner M must be symmetric positive definite";
  return {};
}

}  // namespace

RatePrediction quasi_potential_rate(const Loss& loss, const CriticalPoint& minimum, const CriticalPoint& saddle,
                                    const Mat& D, const Mat& M, const GmamOptions& options, GmamResult* path) {
  RatePrediction p;
  p.exponent_only = true;
  p.source =
      "large deviations (Freidlin & Wentzell): log rate ~ -dV/eps, dV the quasi-potential barrier by the geometric "
      "minimum action method (Heymann & Vanden-Eijnden 2008, CPAM 61, 1052)";
  p.note = "exponent only: dV from gMAM (Heymann & Vanden-Eijnden 2008); prefactor not computed";
  const Index d = loss.dim();
  p.reason = rate_input_problem(loss, minimum, saddle, M);
  if (p.reason.empty() && (D.rows() != d || D.cols() != d))
    p.reason = "D, M and the critical points differ in size from the loss";
  if (p.reason.empty() && !symmetric_positive_definite(D))
    p.reason = "the diffusion D must be symmetric positive definite (degenerate noise has no quasi-potential here)";
  if (!p.reason.empty()) return p;
  p.eps = D.trace() / (2.0 * M.trace());
  const GmamDrift b = preconditioned_gradient_drift(loss, M);
  return exponent_from(p, geometric_minimum_action(b, Mat(D / p.eps), minimum.theta, saddle.theta, options), path);
}

RatePrediction quasi_potential_rate(const Loss& loss, const CriticalPoint& minimum, const CriticalPoint& saddle,
                                    const std::function<Mat(const Vec&)>& D, const Mat& M, const GmamOptions& options,
                                    GmamResult* path) {
  RatePrediction p;
  p.exponent_only = true;
  p.source =
      "large deviations (Freidlin & Wentzell) for a state-dependent diffusion D(x): log rate ~ -dV/eps, dV the "
      "quasi-potential barrier of H = <b, theta> + (1/2) <theta, A(x) theta> by the geometric minimum action method "
      "(Heymann & Vanden-Eijnden 2008, CPAM 61, 1052)";
  p.note =
      "exponent only: state-dependent diffusion, dV from gMAM (Heymann & Vanden-Eijnden 2008); prefactor not computed";
  p.reason = rate_input_problem(loss, minimum, saddle, M);
  if (!p.reason.empty()) return p;
  const Index d = loss.dim();
  for (const auto& [name, point] : {std::pair{"minimum", &minimum}, std::pair{"saddle", &saddle}}) {
    const Mat Dx = D(point->theta);
    if (Dx.rows() != d || Dx.cols() != d) {
      p.reason = std::string("D(x) at the ") + name + " differs in size from the loss";
      return p;
    }
    if (!symmetric_positive_definite(Dx)) {
      p.reason = std::string("the diffusion D(x) is not symmetric positive definite at the ") + name +
                 " x = " + point_words(point->theta) + " (degenerate noise has no quasi-potential here)";
      return p;
    }
  }
  // eps from the noise at the minimum, the constant case's convention; A(x) = D(x) / eps.
  p.eps = D(minimum.theta).trace() / (2.0 * M.trace());
  GmamDiffusion A;
  A.dim = d;
  A.shape = [&D, eps = p.eps](const Vec& x) -> Mat { return D(x) / eps; };
  const GmamDrift b = preconditioned_gradient_drift(loss, M);
  return exponent_from(p, geometric_minimum_action(b, A, minimum.theta, saddle.theta, options), path);
}

}  // namespace sgdnoise
