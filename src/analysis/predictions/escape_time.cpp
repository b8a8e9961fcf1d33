#include "analysis/predictions/escape_time.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <vector>

#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <boost/math/tools/minima.hpp>

namespace sgdnoise {

namespace {

constexpr double kPi = 3.14159265358979323846;
using GK = boost::math::quadrature::gauss_kronrod<double, 31>;

struct Integral {
  double value = 0.0, error = 0.0;
};

/// The sum of adaptive Gauss-Kronrod integrals over consecutive break points. Between
/// two extrema of U the integrands e^{+-U/eps} are monotone, so every peak sits at a
/// break point where the rule sees it.
/// Break points closer than `gap` to the previous kept point or to the end are dropped: a
/// sliver between a grid extremum and its refinement would otherwise demand a relative
/// accuracy that the (nested, hence noisy) integrand cannot give.
template <class F>
Integral integrate_pieces(const F& f, const std::vector<double>& pts, double gap, double tol, const MfptOptions& opt) {
  std::vector<double> kept{pts.front()};
  for (std::size_t i = 1; i + 1 < pts.size(); ++i)
    if (pts[i] - kept.back() > gap && pts.back() - pts[i] > gap) kept.push_back(pts[i]);
  kept.push_back(pts.back());
  Integral r;
  for (std::size_t i = 0; i + 1 < kept.size(); ++i) {
    if (!(kept[i + 1] > kept[i])) continue;
    double err = 0.0;
    r.value += GK::integrate(f, kept[i], kept[i + 1], opt.max_depth, tol, &err);
    r.error += err;
  }
  return r;
}

std::string regime_text(double r) {
  std::ostringstream s;
  s.precision(3);
  s << "dU/eps = " << r << ": ";
  if (!(r > 0.0))
    s << "no barrier; the rate formula does not apply";
  else if (r < 1.0)
    s << "barrier below the noise; the asymptotic rate formula does not apply";
  else if (r < 5.0)
    s << "weak barrier; corrections of relative order eps/dU = " << 1.0 / r << " are large";
  else
    s << "asymptotic regime; neglected corrections of relative order eps/dU = " << 1.0 / r;
  return s.str();
}

RatePrediction finish_rate(double log_prefactor, double barrier, double eps, const std::string& source) {
  RatePrediction p;
  p.barrier = barrier;
  p.eps = eps;
  p.barrier_over_eps = barrier / eps;
  p.prefactor = std::exp(log_prefactor);
  p.log_rate = log_prefactor - barrier / eps;
  p.rate = std::exp(p.log_rate);
  p.mean_time = std::exp(-p.log_rate);
  p.regime = regime_text(p.barrier_over_eps);
  p.source = source;
  p.available = std::isfinite(p.log_rate);
  if (!p.available) p.reason = "the rate is not a finite number";
  return p;
}

}  // namespace

MfptResult mean_first_passage_time_1d(const MfptProblem& prob, const MfptOptions& opt) {
  MfptResult res;
  res.source = "exact 1-D mean first-passage time (Gardiner, Stochastic Methods, sec. 5.2.7), adaptive Gauss-Kronrod";
  if (!prob.potential) {
    res.reason = "no potential";
    return res;
  }
  if (!(prob.eps > 0.0) || !std::isfinite(prob.eps)) {
    res.reason = "eps must be positive";
    return res;
  }
  if (opt.grid < 16) {
    res.reason = "the grid needs at least 16 points";
    return res;
  }
  // Mirror so that the target lies right of x0: X -> -X keeps the form of the SDE with U(-x).
  const bool mirror = prob.target < prob.x0;
  const double sgn = mirror ? -1.0 : 1.0;
  const double x0 = sgn * prob.x0, b = sgn * prob.target, eps = prob.eps;
  auto U = [&](double x) { return prob.potential(sgn * x); };
  if (x0 == b) {
    res.ok = true;
    res.value = 0.0;
    res.log_value = -std::numeric_limits<double>::infinity();
    return res;
  }
  // The far end: the reflecting wall, or the point beyond which e^{-U/eps} is negligible.
  double lo;
  if (prob.reflecting) {
    lo = sgn * *prob.reflecting;
    if (!(lo <= x0)) {
      res.reason = "the reflecting boundary must lie on the other side of x0 from the target";
      return res;
    }
  } else {
    double umin = std::min(U(x0), U(b));
    for (int i = 1; i < 64; ++i) umin = std::min(umin, U(x0 + (b - x0) * i / 64.0));
    const double step = b - x0;
    bool found = false;
    lo = x0;
    for (int k = 0; k < 200 && !found; ++k) {
      lo = x0 - step * std::ldexp(1.0, k);
      const double u = U(lo);
      if (!std::isfinite(u)) break;
      umin = std::min(umin, u);
      const double probe = U(lo - 1e-3 * step * std::ldexp(1.0, k));
      if ((u - umin) / eps > opt.cut + 10.0 && probe > u) found = true;
    }
    if (!found) {
      res.reason = "the potential does not confine on the open side: give a reflecting boundary";
      return res;
    }
  }
  // Grid of U on [lo, b]: running minimum, extrema (break points), and on the open side the
  // cut moved in to the first grid point within `cut` of the minimum.
  const Index n = opt.grid;
  const double h = (b - lo) / static_cast<double>(n - 1);
  std::vector<double> xs(static_cast<std::size_t>(n)), us(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) {
    xs[i] = i + 1 == n ? b : lo + h * static_cast<double>(i);
    us[i] = U(xs[i]);
    if (!std::isfinite(us[i])) {
      res.reason = "the potential is not finite on the integration range";
      return res;
    }
  }
  if (!prob.reflecting) {
    const double gmin = *std::min_element(us.begin(), us.end());
    Index first = 0;
    while (first + 1 < n && (us[first] - gmin) / eps > opt.cut) ++first;
    first = std::max<Index>(0, first - 1);
    xs.erase(xs.begin(), xs.begin() + first);
    us.erase(us.begin(), us.begin() + first);
  }
  const auto m = static_cast<Index>(xs.size());
  lo = xs.front();
  res.far_end = sgn * lo;
  // Extrema of U, located on the grid and refined by Brent's method within the two
  // neighbouring cells (Brent 1973), so the reported regime is exact; the refined minima
  // also lower the running minimum used as the exponent's reference.
  std::vector<double> extrema, refined(static_cast<std::size_t>(m));
  for (Index i = 0; i < m; ++i) refined[i] = us[i];
  for (Index i = 1; i + 1 < m; ++i) {
    const double dl = us[i] - us[i - 1], dr = us[i + 1] - us[i];
    const bool is_min = dl < 0.0 && dr >= 0.0, is_max = dl > 0.0 && dr <= 0.0;
    if (!is_min && !is_max) continue;
    const double sign = is_min ? 1.0 : -1.0;
    const auto best = boost::math::tools::brent_find_minima([&](double x) { return sign * U(x); }, xs[i - 1], xs[i + 1],
                                                            std::numeric_limits<double>::digits / 2);
    extrema.push_back(best.first);
    refined[i] = is_min ? std::min(us[i], sign * best.second) : std::max(us[i], sign * best.second);
    if (extrema.size() > 256) {
      res.reason = "the potential has more than 256 extrema on the grid";
      return res;
    }
  }
  std::vector<double> runmin(static_cast<std::size_t>(m));
  runmin[0] = refined[0];
  for (Index i = 1; i < m; ++i) runmin[i] = std::min(runmin[i - 1], refined[i]);
  const double hgrid = (xs.back() - lo) / static_cast<double>(m - 1);
  const double gap = 1e-3 * hgrid;
  // m(y): a reference no smaller than about min_{[lo, y]} U, so that no exponent overflows;
  // the integrand does not depend on it (it cancels exactly).
  auto ref_min = [&](double y) {
    const auto i = std::clamp<Index>(static_cast<Index>(std::floor((y - lo) / hgrid)), 0, m - 1);
    return std::min(runmin[i], U(y));
  };
  // The exponent factored out of the outer integrand: max_y (U(y) - m(y))/eps on [x0, b].
  double M = (U(x0) - ref_min(x0)) / eps;
  for (Index i = 0; i < m; ++i)
    if (xs[i] >= x0) M = std::max(M, (refined[i] - runmin[i]) / eps);
  res.barrier_over_eps = M;

  double inner_error = 0.0;
  auto inner = [&](double y, double mref) {
    std::vector<double> pts{lo};
    for (double e : extrema)
      if (e > lo && e < y) pts.push_back(e);
    pts.push_back(y);
    // The inner integrals are the outer integrand: computed 100 times more accurately, so
    // that their noise stays below the outer tolerance.
    const Integral I = integrate_pieces([&](double z) { return std::exp(-(U(z) - mref) / eps); }, pts, gap,
                                        std::max(1e-2 * opt.rel_tol, 1e-15), opt);
    if (I.value > 0.0) inner_error = std::max(inner_error, I.error / I.value);
    return I.value;
  };
  auto outer_f = [&](double y) {
    const double mref = ref_min(y);
    return std::exp((U(y) - mref) / eps - M) * inner(y, mref);
  };
  std::vector<double> pts{x0};
  for (double e : extrema)
    if (e > x0 && e < b) pts.push_back(e);
  pts.push_back(b);
  const Integral outer = integrate_pieces(outer_f, pts, gap, opt.rel_tol, opt);
  if (!(outer.value > 0.0) || !std::isfinite(outer.value)) {
    res.reason = "the quadrature did not give a positive finite value";
    return res;
  }
  res.log_value = M + std::log(outer.value) - std::log(eps);
  res.value = std::exp(res.log_value);
  res.error_estimate = outer.error / outer.value + inner_error;
  res.ok = true;
  if (!std::isfinite(res.value)) res.reason = "T overflows a double; see log_value";
  return res;
}

RatePrediction kramers_rate_1d(double curvature_min, double curvature_saddle, double barrier, double eps) {
  const std::string source = "Kramers 1940, overdamped: k = sqrt(U''(min) |U''(saddle)|)/(2 pi) exp(-dU/eps)";
  if (!(curvature_min > 0.0) || !(curvature_saddle < 0.0) || !(eps > 0.0) || !(barrier > 0.0)) {
    RatePrediction p;
    p.source = source;
    p.reason = "Kramers' formula needs U''(min) > 0, U''(saddle) < 0, a positive barrier and eps > 0";
    return p;
  }
  const double log_pref = 0.5 * std::log(curvature_min * -curvature_saddle) - std::log(2.0 * kPi);
  return finish_rate(log_pref, barrier, eps, source);
}

RatePrediction eyring_kramers_rate(const Mat& H_min, const Mat& H_saddle, double barrier, double eps, const Mat* M) {
  const std::string source = M ? "Eyring-Kramers, preconditioned reversible dynamics (Berglund 2011, arXiv:1106.5799): "
                                 "k = |lambda_-(M H_s)|/(2 pi) sqrt(det H_min/|det H_s|) exp(-dU/eps)"
                               : "Eyring-Kramers (Berglund 2011, arXiv:1106.5799; Bovier, Gayrard & Klein 2004): "
                                 "k = |lambda_-(H_s)|/(2 pi) sqrt(det H_min/|det H_s|) exp(-dU/eps)";
  RatePrediction fail;
  fail.source = source;
  fail.barrier = barrier;
  fail.eps = eps;
  const Index d = H_min.rows();
  if (H_min.cols() != d || H_saddle.rows() != d || H_saddle.cols() != d || (M && (M->rows() != d || M->cols() != d))) {
    fail.reason = "the matrices differ in size";
    return fail;
  }
  if (!(eps > 0.0) || !(barrier > 0.0)) {
    fail.reason = "Eyring-Kramers needs a positive barrier and eps > 0";
    return fail;
  }
  const Eigen::SelfAdjointEigenSolver<Mat> emin(0.5 * (H_min + H_min.transpose()), Eigen::EigenvaluesOnly);
  const Eigen::SelfAdjointEigenSolver<Mat> esad(0.5 * (H_saddle + H_saddle.transpose()), Eigen::EigenvaluesOnly);
  const Vec& lmin = emin.eigenvalues();
  const Vec& lsad = esad.eigenvalues();  // increasing
  if (!(lmin[0] > 0.0)) {
    fail.reason = "the Hessian at the minimum is not positive definite";
    return fail;
  }
  if (!(lsad[0] < 0.0) || (d > 1 && !(lsad[1] > 0.0))) {
    fail.reason = "the Hessian at the saddle must have exactly one negative eigenvalue and no zero one";
    return fail;
  }
  double lambda_minus = lsad[0];
  if (M) {
    // M H_s is similar to L^T H_s L for M = L L^T, a symmetric matrix with the same inertia
    // as H_s (Sylvester): its one negative eigenvalue is lambda_-(M H_s).
    const Eigen::LLT<Mat> llt(0.5 * (*M + M->transpose()));
    if (llt.info() != Eigen::Success || !M->isApprox(M->transpose(), 1e-12)) {
      fail.reason = "the preconditioner M must be symmetric positive definite";
      return fail;
    }
    const Mat Lm = llt.matrixL();
    const Eigen::SelfAdjointEigenSolver<Mat> es(Lm.transpose() * H_saddle * Lm, Eigen::EigenvaluesOnly);
    lambda_minus = es.eigenvalues()[0];
  }
  double log_det_ratio = 0.0;  // ln(det H_min / |det H_s|), summed in logs
  for (Index i = 0; i < d; ++i) log_det_ratio += std::log(lmin[i]) - std::log(std::abs(lsad[i]));
  const double log_pref = std::log(-lambda_minus) - std::log(2.0 * kPi) + 0.5 * log_det_ratio;
  return finish_rate(log_pref, barrier, eps, source);
}

RatePrediction eyring_kramers_for_diffusion(const Mat& H_min, const Mat& H_saddle, double barrier, const Mat& D,
                                            const Mat& M) {
  RatePrediction fail;
  fail.barrier = barrier;
  fail.source = "Eyring-Kramers (Berglund 2011, arXiv:1106.5799)";
  if (D.rows() != M.rows() || D.cols() != M.cols() || D.rows() != D.cols()) {
    fail.reason = "D and M differ in size";
    return fail;
  }
  const double trM = M.trace();
  if (!(trM > 0.0)) {
    fail.reason = "the preconditioner M must be positive definite";
    return fail;
  }
  // Reversible with invariant measure e^{-L/eps} iff D = 2 eps M (the drift -M grad L is
  // then (1/2) D grad log e^{-L/eps}; Pavliotis 2014, sec. 4.6).
  const double eps = D.trace() / (2.0 * trM);
  if (!(eps > 0.0) || (D - 2.0 * eps * M).norm() > 1e-10 * D.norm()) {
    fail.reason =
        "no formula: the diffusion D is not proportional to the drift's preconditioner M (D != 2 eps M), so "
        "the dynamics is non-reversible and the Eyring-Kramers law does not apply";
    return fail;
  }
  const bool plain = M.isApprox(Mat::Identity(M.rows(), M.cols()), 0.0);
  return eyring_kramers_rate(H_min, H_saddle, barrier, eps, plain ? nullptr : &M);
}

}  // namespace sgdnoise
