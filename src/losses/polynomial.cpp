#include "losses/polynomial.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace sgdnoise {

void Polynomial::Terms::add(double c, const Eigen::RowVectorXi& e, const std::vector<int>& offset) {
  coef.push_back(c);
  for (Index j = 0; j < e.size(); ++j)
    if (e[j] > 0) cols.push_back(offset[static_cast<std::size_t>(j)] + e[j] - 1);
  begin.push_back(static_cast<int>(cols.size()));
}

Polynomial::Polynomial(Vec coefficients, const Mat& exponents)
    : dim_(exponents.cols()), coefficients_(std::move(coefficients)) {
  const Index M = coefficients_.size();
  if (dim_ < 1) throw std::invalid_argument("polynomial: the dimension must be at least 1");
  if (M < 1) throw std::invalid_argument("polynomial: needs at least one monomial");
  if (exponents.rows() != M) throw std::invalid_argument("polynomial: one row of exponents per coefficient");
  if (!coefficients_.allFinite()) throw std::invalid_argument("polynomial: coefficients must be finite");
  exponents_.resize(M, dim_);
  for (Index m = 0; m < M; ++m)
    for (Index j = 0; j < dim_; ++j) {
      const double e = exponents(m, j);
      if (!(e >= 0.0 && e <= kMaxExponent && e == std::floor(e)))
        throw std::invalid_argument("polynomial: exponents must be integers in [0, " + std::to_string(kMaxExponent) +
                                    "]");
      exponents_(m, j) = static_cast<int>(e);
    }
  // The power table: theta_j^1 .. theta_j^{max_m e_mj}, variable after variable.
  offset_.resize(static_cast<std::size_t>(dim_));
  int col = 0;
  for (Index j = 0; j < dim_; ++j) {
    offset_[static_cast<std::size_t>(j)] = col;
    col += exponents_.col(j).maxCoeff();
  }
  n_powers_ = col;
  // L, its first and its second derivatives, term by term.
  gradient_.resize(static_cast<std::size_t>(dim_));
  hessian_.resize(static_cast<std::size_t>(dim_ * dim_));
  for (Index m = 0; m < M; ++m) {
    const Eigen::RowVectorXi e = exponents_.row(m);
    const double c = coefficients_[m];
    value_.add(c, e, offset_);
    for (Index j = 0; j < dim_; ++j) {
      if (e[j] == 0) continue;
      Eigen::RowVectorXi ej = e;
      ej[j] -= 1;
      const double cj = c * e[j];
      gradient_[static_cast<std::size_t>(j)].add(cj, ej, offset_);
      for (Index k = j; k < dim_; ++k) {
        if (ej[k] == 0) continue;
        Eigen::RowVectorXi ejk = ej;
        ejk[k] -= 1;
        hessian_[static_cast<std::size_t>(j * dim_ + k)].add(cj * ej[k], ejk, offset_);
      }
    }
  }
}

void Polynomial::fill_powers(ConstBlockRef X, Index r0, Index rows, double* P) const {
  for (Index j = 0; j < dim_; ++j) {
    const int top = exponents_.col(j).maxCoeff();
    if (top == 0) continue;
    const double* x = X.data() + j * X.outerStride() + r0;
    double* p = P + offset_[static_cast<std::size_t>(j)] * rows;
    for (Index r = 0; r < rows; ++r) p[r] = x[r];
    for (int q = 2; q <= top; ++q) {
      double* next = p + rows;
      for (Index r = 0; r < rows; ++r) next[r] = p[r] * x[r];
      p = next;
    }
  }
}

void Polynomial::evaluate(const Terms& t, const double* P, Index rows, double* tmp, double* out, bool absolute) {
  for (Index r = 0; r < rows; ++r) out[r] = 0.0;
  for (std::size_t i = 0; i < t.coef.size(); ++i) {
    const double c = t.coef[i];
    for (Index r = 0; r < rows; ++r) tmp[r] = c;
    for (int k = t.begin[i]; k < t.begin[i + 1]; ++k) {
      const double* p = P + t.cols[static_cast<std::size_t>(k)] * rows;
      for (Index r = 0; r < rows; ++r) tmp[r] *= p[r];
    }
    if (absolute)
      for (Index r = 0; r < rows; ++r) out[r] += std::abs(tmp[r]);
    else
      for (Index r = 0; r < rows; ++r) out[r] += tmp[r];
  }
}

void Polynomial::value(ConstBlockRef X, Eigen::Ref<Vec> out) const {
  const Index n = X.rows();
  std::vector<double> buf(static_cast<std::size_t>((n_powers_ + 1) * std::min(n, kChunk)));
  double* tmp = buf.data();
  double* P = tmp + std::min(n, kChunk);
  for (Index r0 = 0; r0 < n; r0 += kChunk) {
    const Index rows = std::min(kChunk, n - r0);
    fill_powers(X, r0, rows, P);
    evaluate(value_, P, rows, tmp, out.data() + r0);
  }
}

void Polynomial::gradient(ConstBlockRef X, BlockRef G) const {
  const Index n = X.rows();
  std::vector<double> buf(static_cast<std::size_t>((n_powers_ + 1) * std::min(n, kChunk)));
  double* tmp = buf.data();
  double* P = tmp + std::min(n, kChunk);
  for (Index r0 = 0; r0 < n; r0 += kChunk) {
    const Index rows = std::min(kChunk, n - r0);
    fill_powers(X, r0, rows, P);
    for (Index j = 0; j < dim_; ++j) evaluate(gradient_[static_cast<std::size_t>(j)], P, rows, tmp, &G(r0, j));
  }
}

Mat Polynomial::hessian(const Vec& theta) const {
  const Mat X = theta.transpose();
  std::vector<double> P(static_cast<std::size_t>(n_powers_) + 1);
  fill_powers(X, 0, 1, P.data());
  Mat H(dim_, dim_);
  double tmp = 0.0;
  for (Index j = 0; j < dim_; ++j)
    for (Index k = j; k < dim_; ++k) {
      evaluate(hessian_[static_cast<std::size_t>(j * dim_ + k)], P.data(), 1, &tmp, &H(j, k));
      H(k, j) = H(j, k);
    }
  return H;
}

Vec Polynomial::absolute_terms(const Vec& theta) const {
  const Mat X = theta.transpose();
  std::vector<double> P(static_cast<std::size_t>(n_powers_) + 1);
  fill_powers(X, 0, 1, P.data());
  Vec s(dim_ + 1);
  double tmp = 0.0;
  evaluate(value_, P.data(), 1, &tmp, &s[0], true);
  for (Index j = 0; j < dim_; ++j) evaluate(gradient_[static_cast<std::size_t>(j)], P.data(), 1, &tmp, &s[j + 1], true);
  return s;
}

Polynomial::Refinement Polynomial::refine(Vec guess) const {
  Refinement out;
  Vec theta = std::move(guess);
  constexpr double eps = std::numeric_limits<double>::epsilon();
  auto finish = [&](bool converged, std::string reason) {
    out.converged = converged;
    out.reason = std::move(reason);
    out.point.theta = theta;
    out.point.value = value_at(theta);
    out.point.hessian = hessian(theta);
    if (out.point.hessian.allFinite()) {
      out.eigenvalues = Eigen::SelfAdjointEigenSolver<Mat>(out.point.hessian, Eigen::EigenvaluesOnly).eigenvalues();
      out.point.morse_index = static_cast<int>((out.eigenvalues.array() < 0.0).count());
    }
    return out;
  };
  if (theta.size() != dim_ || !theta.allFinite()) {
    out.reason = "the starting point is not d = " + std::to_string(dim_) + " finite numbers";
    out.point.theta = theta;
    return out;
  }
  for (int it = 0; it < kMaxIterations; ++it) {
    out.iterations = it;
    const Vec g = gradient_at(theta);
    if (!g.allFinite()) return finish(false, "the gradient is not finite at an iterate");
    // Zero within the rounding error of its terms (header: accuracy).
    const Vec s = absolute_terms(theta);
    if ((g.array().abs() <= kGradientUlps * eps * s.tail(dim_).array()).all()) return finish(true, "");
    const Mat H = hessian(theta);
    if (!H.allFinite()) return finish(false, "the Hessian is not finite at an iterate");
    const Eigen::FullPivLU<Mat> lu(H);
    if (!lu.isInvertible())
      return finish(false, "the Hessian is singular at an iterate (a degenerate critical point, or a bad guess)");
    const Vec step = lu.solve(g);
    theta -= step;
    if (!theta.allFinite()) return finish(false, "the iterates diverged");
    if (step.lpNorm<Eigen::Infinity>() <= 4.0 * eps * std::max(1.0, theta.lpNorm<Eigen::Infinity>())) {
      out.iterations = it + 1;
      return finish(true, "");
    }
  }
  out.iterations = kMaxIterations;
  return finish(false, "no convergence in " + std::to_string(kMaxIterations) + " Newton steps");
}

PolynomialLandscape::PolynomialLandscape(Polynomial p, std::vector<CriticalPoint> minima,
                                         std::vector<CriticalPoint> saddles)
    : Polynomial(std::move(p)), minima_(std::move(minima)), saddles_(std::move(saddles)) {}

std::optional<Vec> PolynomialLandscape::minimizer() const {
  if (minima_.empty()) return std::nullopt;
  const auto it = std::min_element(minima_.begin(), minima_.end(),
                                   [](const CriticalPoint& a, const CriticalPoint& b) { return a.value < b.value; });
  return it->theta;
}

std::optional<double> PolynomialLandscape::minimum_value() const {
  if (minima_.empty()) return std::nullopt;
  double v = minima_[0].value;
  for (const auto& m : minima_) v = std::min(v, m.value);
  return v;
}

}  // namespace sgdnoise
