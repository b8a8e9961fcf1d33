#include "losses/landscapes.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>

#include "core/rng.hpp"

namespace sgdnoise {

namespace {

int count_negative(const Mat& H) {
  Eigen::SelfAdjointEigenSolver<Mat> es(H, Eigen::EigenvaluesOnly);
  int neg = 0;
  for (Index i = 0; i < es.eigenvalues().size(); ++i)
    if (es.eigenvalues()[i] < 0.0) ++neg;
  return neg;
}

/// The root of a monotone function f on [lo, hi] with f(lo), f(hi) of opposite signs,
/// by bisection until the bracket stops shrinking (machine precision).
template <class F>
double bisect(F f, double lo, double hi) {
  double flo = f(lo);
  for (int it = 0; it < 2000; ++it) {
    const double mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;
    const double fm = f(mid);
    if (fm == 0.0) return mid;
    if ((fm < 0.0) == (flo < 0.0)) {
      lo = mid;
      flo = fm;
    } else {
      hi = mid;
    }
  }
  return 0.5 * (lo + hi);
}

void check_positive(const Vec& v, const char* what) {
  for (Index i = 0; i < v.size(); ++i)
    if (!(v[i] > 0.0)) throw std::invalid_argument(std::string(what) + " must be positive");
}

}  // namespace

// ---------------------------------------------------------------------------- DoubleWell

DoubleWell::DoubleWell(Spec spec) : spec_(std::move(spec)) {
  if (!(spec_.barrier > 0.0)) throw std::invalid_argument("double well: barrier must be positive");
  if (!(spec_.a > 0.0)) throw std::invalid_argument("double well: a must be positive");
  check_positive(spec_.transverse, "double well: transverse curvatures");
  inv_a2_ = 1.0 / (spec_.a * spec_.a);
  const double a = spec_.a;
  // Wells merge when |c| reaches max |U0'| on the concave branch |x| < a/sqrt(3) of the
  // untilted quartic: 8 dL / (3 sqrt(3) a).
  const double c_crit = 8.0 * spec_.barrier / (3.0 * std::sqrt(3.0) * a);
  if (!(std::abs(spec_.tilt) < c_crit))
    throw std::invalid_argument("double well: |tilt| must be below 8 barrier / (3 sqrt(3) a), where the wells merge");
  if (spec_.tilt == 0.0) {
    left_ = point_at(-a);
    right_ = point_at(a);
    saddle_ = point_at(0.0);
    return;
  }
  // L' is increasing on (-inf, -a/sqrt3], decreasing between the inflection points and
  // increasing on [a/sqrt3, inf): one root on each branch.
  auto dU = [this](double x) { return potential_1d_derivative(x); };
  const double xi = a / std::sqrt(3.0);
  double lo = -xi - a;
  while (dU(lo) > 0.0) lo -= 2.0 * (-xi - lo);
  double hi = xi + a;
  while (dU(hi) < 0.0) hi += 2.0 * (hi - xi);
  left_ = point_at(bisect(dU, lo, -xi));
  saddle_ = point_at(bisect(dU, -xi, xi));
  right_ = point_at(bisect(dU, xi, hi));
}

double DoubleWell::potential_1d(double x) const {
  const double u = x * x * inv_a2_ - 1.0;
  return spec_.barrier * u * u + spec_.tilt * x;
}
double DoubleWell::potential_1d_derivative(double x) const {
  return 4.0 * spec_.barrier * x * (x * x * inv_a2_ - 1.0) * inv_a2_ + spec_.tilt;
}
double DoubleWell::potential_1d_curvature(double x) const {
  return 4.0 * spec_.barrier * (3.0 * x * x * inv_a2_ - 1.0) * inv_a2_;
}

CriticalPoint DoubleWell::point_at(double x1) const {
  CriticalPoint p;
  p.theta = Vec::Zero(dim());
  p.theta[0] = x1;
  p.value = potential_1d(x1);
  p.hessian = hessian(p.theta);
  p.morse_index = count_negative(p.hessian);
  return p;
}

void DoubleWell::value(ConstBlockRef X, Eigen::Ref<Vec> out) const {
  const Index n = X.rows();
  const double h = spec_.barrier, c = spec_.tilt, ia2 = inv_a2_;
  for (Index i = 0; i < n; ++i) {
    const double x = X(i, 0);
    const double u = x * x * ia2 - 1.0;
    out[i] = h * u * u + c * x;
  }
  for (Index j = 1; j < dim(); ++j) {
    const double k = 0.5 * spec_.transverse[j - 1];
    for (Index i = 0; i < n; ++i) out[i] += k * X(i, j) * X(i, j);
  }
}

void DoubleWell::gradient(ConstBlockRef X, BlockRef G) const {
  const Index n = X.rows();
  const double h4 = 4.0 * spec_.barrier * inv_a2_, c = spec_.tilt, ia2 = inv_a2_;
  for (Index i = 0; i < n; ++i) {
    const double x = X(i, 0);
    G(i, 0) = h4 * x * (x * x * ia2 - 1.0) + c;
  }
  for (Index j = 1; j < dim(); ++j) {
    const double k = spec_.transverse[j - 1];
    for (Index i = 0; i < n; ++i) G(i, j) = k * X(i, j);
  }
}

Mat DoubleWell::hessian(const Vec& theta) const {
  Mat H = Mat::Zero(dim(), dim());
  H(0, 0) = potential_1d_curvature(theta[0]);
  for (Index j = 1; j < dim(); ++j) H(j, j) = spec_.transverse[j - 1];
  return H;
}

std::optional<Vec> DoubleWell::minimizer() const { return left_.value < right_.value ? left_.theta : right_.theta; }
std::optional<double> DoubleWell::minimum_value() const { return std::min(left_.value, right_.value); }

// -------------------------------------------------------------------------- StrictSaddle

StrictSaddle::StrictSaddle(Spec spec) : spec_(std::move(spec)) {
  if (!(spec_.lambda_minus > 0.0)) throw std::invalid_argument("strict saddle: lambda_minus must be positive");
  if (!(spec_.beta > 0.0)) throw std::invalid_argument("strict saddle: beta must be positive");
  check_positive(spec_.lambda, "strict saddle: curvatures lambda");
}

void StrictSaddle::value(ConstBlockRef X, Eigen::Ref<Vec> out) const {
  const Index n = X.rows();
  const double lm = spec_.lambda_minus, b = spec_.beta;
  for (Index i = 0; i < n; ++i) {
    const double x2 = X(i, 0) * X(i, 0);
    out[i] = x2 * (0.25 * b * x2 - 0.5 * lm);
  }
  for (Index j = 1; j < dim(); ++j) {
    const double k = 0.5 * spec_.lambda[j - 1];
    for (Index i = 0; i < n; ++i) out[i] += k * X(i, j) * X(i, j);
  }
}

void StrictSaddle::gradient(ConstBlockRef X, BlockRef G) const {
  const Index n = X.rows();
  const double lm = spec_.lambda_minus, b = spec_.beta;
  for (Index i = 0; i < n; ++i) {
    const double x = X(i, 0);
    G(i, 0) = x * (b * x * x - lm);
  }
  for (Index j = 1; j < dim(); ++j) {
    const double k = spec_.lambda[j - 1];
    for (Index i = 0; i < n; ++i) G(i, j) = k * X(i, j);
  }
}

Mat StrictSaddle::hessian(const Vec& theta) const {
  Mat H = Mat::Zero(dim(), dim());
  H(0, 0) = 3.0 * spec_.beta * theta[0] * theta[0] - spec_.lambda_minus;
  for (Index j = 1; j < dim(); ++j) H(j, j) = spec_.lambda[j - 1];
  return H;
}

CriticalPoint StrictSaddle::point_at(double x1) const {
  CriticalPoint p;
  p.theta = Vec::Zero(dim());
  p.theta[0] = x1;
  p.value = value_at(p.theta);
  p.hessian = hessian(p.theta);
  p.morse_index = count_negative(p.hessian);
  return p;
}

std::optional<Vec> StrictSaddle::minimizer() const {
  return point_at(std::sqrt(spec_.lambda_minus / spec_.beta)).theta;
}
std::optional<double> StrictSaddle::minimum_value() const {
  return -spec_.lambda_minus * spec_.lambda_minus / (4.0 * spec_.beta);
}
std::vector<CriticalPoint> StrictSaddle::minima() const {
  const double x = std::sqrt(spec_.lambda_minus / spec_.beta);
  return {point_at(-x), point_at(x)};
}
std::vector<CriticalPoint> StrictSaddle::saddles() const { return {point_at(0.0)}; }

// -------------------------------------------------------------------------- MuellerBrown

namespace {
// Mueller & Brown (1979), Table 1 constants.
constexpr std::array<double, 4> kMbA{-200.0, -100.0, -170.0, 15.0};
constexpr std::array<double, 4> kMba{-1.0, -1.0, -6.5, 0.7};
constexpr std::array<double, 4> kMbb{0.0, 0.0, 11.0, 0.6};
constexpr std::array<double, 4> kMbc{-10.0, -10.0, -6.5, 0.7};
constexpr std::array<double, 4> kMbx0{1.0, 0.0, -0.5, -1.0};
constexpr std::array<double, 4> kMby0{0.0, 0.5, 1.5, 1.0};
}  // namespace

MuellerBrown::MuellerBrown(double scale) : scale_(scale) {
  if (!(scale > 0.0)) throw std::invalid_argument("mueller-brown: scale must be positive");
  const double mins[3][2] = {{-0.558, 1.442}, {0.623, 0.028}, {-0.050, 0.467}};
  const double sads[2][2] = {{-0.822, 0.624}, {0.212, 0.293}};
  for (const auto& m : mins) minima_.push_back(refine((Vec(2) << m[0], m[1]).finished(), 0));
  for (const auto& s : sads) saddles_.push_back(refine((Vec(2) << s[0], s[1]).finished(), 1));
}

CriticalPoint MuellerBrown::refine(Vec theta, int expected_index) {
  // Newton's method on grad V = 0 from the published approximate location.
  bool converged = false;
  for (int it = 0; it < 100 && !converged; ++it) {
    const Vec g = gradient_at(theta);
    if (g.norm() < 1e-10 * scale_) {
      converged = true;
      break;
    }
    theta -= hessian(theta).lu().solve(g);
  }
  CriticalPoint p;
  p.theta = theta;
  p.value = value_at(theta);
  p.hessian = hessian(theta);
  p.morse_index = count_negative(p.hessian);
  if (!converged || p.morse_index != expected_index) refined_ = false;
  return p;
}

void MuellerBrown::value(ConstBlockRef X, Eigen::Ref<Vec> out) const {
  const Index n = X.rows();
  for (Index i = 0; i < n; ++i) {
    const double x = X(i, 0), y = X(i, 1);
    double v = 0.0;
    for (std::size_t k = 0; k < 4; ++k) {
      const double dx = x - kMbx0[k], dy = y - kMby0[k];
      v += kMbA[k] * std::exp(kMba[k] * dx * dx + kMbb[k] * dx * dy + kMbc[k] * dy * dy);
    }
    out[i] = scale_ * v;
  }
}

void MuellerBrown::gradient(ConstBlockRef X, BlockRef G) const {
  const Index n = X.rows();
  for (Index i = 0; i < n; ++i) {
    const double x = X(i, 0), y = X(i, 1);
    double gx = 0.0, gy = 0.0;
    for (std::size_t k = 0; k < 4; ++k) {
      const double dx = x - kMbx0[k], dy = y - kMby0[k];
      const double e = kMbA[k] * std::exp(kMba[k] * dx * dx + kMbb[k] * dx * dy + kMbc[k] * dy * dy);
      gx += e * (2.0 * kMba[k] * dx + kMbb[k] * dy);
      gy += e * (kMbb[k] * dx + 2.0 * kMbc[k] * dy);
    }
    G(i, 0) = scale_ * gx;
    G(i, 1) = scale_ * gy;
  }
}

Mat MuellerBrown::hessian(const Vec& theta) const {
  Mat H = Mat::Zero(2, 2);
  for (std::size_t k = 0; k < 4; ++k) {
    const double dx = theta[0] - kMbx0[k], dy = theta[1] - kMby0[k];
    const double e = kMbA[k] * std::exp(kMba[k] * dx * dx + kMbb[k] * dx * dy + kMbc[k] * dy * dy);
    const double qx = 2.0 * kMba[k] * dx + kMbb[k] * dy, qy = kMbb[k] * dx + 2.0 * kMbc[k] * dy;
    H(0, 0) += e * (qx * qx + 2.0 * kMba[k]);
    H(0, 1) += e * (qx * qy + kMbb[k]);
    H(1, 1) += e * (qy * qy + 2.0 * kMbc[k]);
  }
  H(1, 0) = H(0, 1);
  return scale_ * H;
}

// --------------------------------------------------------------------------- SharpFlat2D

namespace {
// docs/theory.md 4.4A: c = s = 1/sqrt(2), k1 = (c, -s), k2 = (c, s), mu1 = (1, 1), mu2 = (-1, -1).
constexpr double kC = 0.70710678118654752440;

/// The active branch of sample x at w, its loss, and its gradient (gx, gy).
/// Sharp: 10 p^2 + 100 q^2 with p = k1.r, q = k2.r, r = w - x - mu1; flat: |w - x - mu2|^2.
inline bool sharp_flat_sample(double w0, double w1, double x0, double x1, double& loss, double& gx, double& gy) {
  const double rx = w0 - x0 - 1.0, ry = w1 - x1 - 1.0;
  const double p = kC * (rx - ry), q = kC * (rx + ry);
  const double fs = 10.0 * p * p + 100.0 * q * q;
  const double sx = w0 - x0 + 1.0, sy = w1 - x1 + 1.0;
  const double ff = sx * sx + sy * sy;
  if (fs <= ff) {
    loss = fs;
    gx = kC * (20.0 * p + 200.0 * q);
    gy = kC * (-20.0 * p + 200.0 * q);
    return true;
  }
  loss = ff;
  gx = 2.0 * sx;
  gy = 2.0 * sy;
  return false;
}

/// The sharp branch's Hessian 20 k1k1^T + 200 k2k2^T.
Mat sharp_hessian() { return (Mat(2, 2) << 110.0, 90.0, 90.0, 110.0).finished(); }
}  // namespace

SharpFlat2D::SharpFlat2D(Mat data) : data_(std::move(data)) {
  if (data_.cols() != 2 || data_.rows() < 1) throw std::invalid_argument("sharp_flat_2d: data must be n x 2, n >= 1");
  const Vec xbar = data_.colwise().mean().transpose();
  auto make = [&](const Vec& mu, bool sharp) {
    CriticalPoint p;
    p.theta = mu + xbar;
    // The mean of the active branch's quadratics is minimised at mu + xbar provided every
    // sample's active branch is that basin's there.
    for (Index i = 0; i < n_samples(); ++i) {
      double l, gx, gy;
      if (sharp_flat_sample(p.theta[0], p.theta[1], data_(i, 0), data_(i, 1), l, gx, gy) != sharp)
        throw std::invalid_argument("sharp_flat_2d: data too spread for the two basins to be separate");
    }
    p.value = value_at(p.theta);
    p.hessian = sharp ? sharp_hessian() : Mat(2.0 * Mat::Identity(2, 2));
    p.morse_index = 0;
    return p;
  };
  sharp_ = make(Vec::Constant(2, 1.0), true);
  flat_ = make(Vec::Constant(2, -1.0), false);
}

SharpFlat2D SharpFlat2D::synthetic(const Synthetic& s) {
  if (s.n < 1) throw std::invalid_argument("sharp_flat_2d: n must be positive");
  // run.py: X = randn(n, 2) * [sqrt(10), 1] @ K * 1e-2, K = [[c, -s], [s, c]] (row vectors),
  // i.e. x_i = scale (sqrt(10) z_i1 k1 + z_i2 k2). Normals from the stream keyed by the data seed.
  Mat Z(s.n, 2);
  fill_normals({s.seed, Purpose::initial_state, 0}, 0, 0, Z);
  Mat X(s.n, 2);
  const double r10 = std::sqrt(10.0);
  for (Index i = 0; i < s.n; ++i) {
    const double u = r10 * Z(i, 0), v = Z(i, 1);
    X(i, 0) = s.scale * kC * (u + v);
    X(i, 1) = s.scale * kC * (-u + v);
  }
  return SharpFlat2D(std::move(X));
}

double SharpFlat2D::sample_loss(const Vec& w, Index i, Vec* grad) const {
  double l, gx, gy;
  sharp_flat_sample(w[0], w[1], data_(i, 0), data_(i, 1), l, gx, gy);
  if (grad) *grad = (Vec(2) << gx, gy).finished();
  return l;
}

void SharpFlat2D::value(ConstBlockRef X, Eigen::Ref<Vec> out) const {
  const Index rows = X.rows(), n = n_samples();
  for (Index t = 0; t < rows; ++t) out[t] = 0.0;
  for (Index i = 0; i < n; ++i) {
    const double x0 = data_(i, 0), x1 = data_(i, 1);
    for (Index t = 0; t < rows; ++t) {
      double l, gx, gy;
      sharp_flat_sample(X(t, 0), X(t, 1), x0, x1, l, gx, gy);
      out[t] += l;
    }
  }
  out *= 1.0 / static_cast<double>(n);
}

void SharpFlat2D::dense_weighted_gradient(ConstBlockRef X, ConstBlockRef W, BlockRef G) const {
  const Index rows = X.rows(), n = n_samples();
  G.setZero();
  for (Index i = 0; i < n; ++i) {
    const double x0 = data_(i, 0), x1 = data_(i, 1);
    for (Index t = 0; t < rows; ++t) {
      double l, gx, gy;
      sharp_flat_sample(X(t, 0), X(t, 1), x0, x1, l, gx, gy);
      G(t, 0) += W(t, i) * gx;
      G(t, 1) += W(t, i) * gy;
    }
  }
}

void SharpFlat2D::gradient(ConstBlockRef X, BlockRef G) const {
  const Index rows = X.rows(), n = n_samples();
  G.setZero();
  for (Index i = 0; i < n; ++i) {
    const double x0 = data_(i, 0), x1 = data_(i, 1);
    for (Index t = 0; t < rows; ++t) {
      double l, gx, gy;
      sharp_flat_sample(X(t, 0), X(t, 1), x0, x1, l, gx, gy);
      G(t, 0) += gx;
      G(t, 1) += gy;
    }
  }
  G *= 1.0 / static_cast<double>(n);
}

void SharpFlat2D::sparse_weighted_gradient(ConstBlockRef X, const IndexBlock& idx, ConstBlockRef w, BlockRef G) const {
  const Index rows = X.rows(), m = idx.cols();
  for (Index t = 0; t < rows; ++t) {
    double ax = 0.0, ay = 0.0;
    for (Index j = 0; j < m; ++j) {
      const Index i = idx(t, j);
      double l, gx, gy;
      sharp_flat_sample(X(t, 0), X(t, 1), data_(i, 0), data_(i, 1), l, gx, gy);
      ax += w(t, j) * gx;
      ay += w(t, j) * gy;
    }
    G(t, 0) = ax;
    G(t, 1) = ay;
  }
}

Mat SharpFlat2D::sample_gradients(const Vec& theta) const {
  const Index n = n_samples();
  Mat Gm(2, n);
  for (Index i = 0; i < n; ++i) {
    double l, gx, gy;
    sharp_flat_sample(theta[0], theta[1], data_(i, 0), data_(i, 1), l, gx, gy);
    Gm(0, i) = gx;
    Gm(1, i) = gy;
  }
  return Gm;
}

Mat SharpFlat2D::hessian(const Vec& theta) const {
  // The mean of the active branches' Hessians (what autograd returns in eval_Hess).
  Index n_sharp = 0;
  const Index n = n_samples();
  for (Index i = 0; i < n; ++i) {
    double l, gx, gy;
    if (sharp_flat_sample(theta[0], theta[1], data_(i, 0), data_(i, 1), l, gx, gy)) ++n_sharp;
  }
  const double fs = static_cast<double>(n_sharp) / static_cast<double>(n);
  return fs * sharp_hessian() + (1.0 - fs) * 2.0 * Mat::Identity(2, 2);
}

std::optional<Vec> SharpFlat2D::minimizer() const { return sharp_.value < flat_.value ? sharp_.theta : flat_.theta; }
std::optional<double> SharpFlat2D::minimum_value() const { return std::min(sharp_.value, flat_.value); }

}  // namespace sgdnoise
