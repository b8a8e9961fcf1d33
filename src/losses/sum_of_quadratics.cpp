#include "losses/sum_of_quadratics.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>

#include "core/kernels.hpp"
#include "core/rng.hpp"

namespace sgdnoise {

namespace {
Mat& scratch(Index rows, Index cols) {
  thread_local Mat P;
  if (P.rows() != rows || P.cols() != cols) P.resize(rows, cols);
  return P;
}

void check_pairs(std::vector<Mat>& H, const Mat& c, const char* which) {
  if (static_cast<Index>(H.size()) != c.rows())
    throw std::invalid_argument(std::string("sum of quadratics: ") + which + ": " + std::to_string(H.size()) +
                                " Hessians but " + std::to_string(c.rows()) + " centres");
  const Index d = c.cols();
  for (std::size_t i = 0; i < H.size(); ++i) {
    Mat& h = H[i];
    const std::string name = std::string(which) + " Hessian " + std::to_string(i);
    if (h.rows() != d || h.cols() != d)
      throw std::invalid_argument("sum of quadratics: " + name + " is not " + std::to_string(d) + " x " +
                                  std::to_string(d));
    if (!h.allFinite()) throw std::invalid_argument("sum of quadratics: " + name + " is not finite");
    const double big = std::max(1.0, h.cwiseAbs().maxCoeff());
    if ((h - h.transpose()).cwiseAbs().maxCoeff() > 1e-12 * big)
      throw std::invalid_argument("sum of quadratics: " + name + " is not symmetric");
    h = 0.5 * (h + h.transpose()).eval();  // indefinite H_i are allowed: saddles (paper 4, docs/theory.md 5.3)
  }
}

// (1/m) sum_i l_i as 1/2 theta^T A theta - theta^T a + kappa.
struct Aggregate {
  Mat A;
  Vec a;
  double kappa = 0.0;
};
Aggregate aggregate(const std::vector<Mat>& H, const Mat& c) {
  const Index d = c.cols();
  const double m = static_cast<double>(H.size());
  Aggregate g{Mat::Zero(d, d), Vec::Zero(d), 0.0};
  for (std::size_t i = 0; i < H.size(); ++i) {
    const Vec ci = c.row(static_cast<Index>(i)).transpose();
    const Vec bi = H[i] * ci;
    g.A += H[i];
    g.a += bi;
    g.kappa += 0.5 * ci.dot(bi);
  }
  g.A /= m;
  g.a /= m;
  g.kappa /= m;
  return g;
}
}  // namespace

SumOfQuadratics::SumOfQuadratics(std::vector<Mat> hessians, Mat centres, std::vector<Mat> test_hessians,
                                 Mat test_centres)
    : H_(std::move(hessians)),
      centres_(std::move(centres)),
      test_H_(std::move(test_hessians)),
      test_centres_(std::move(test_centres)) {
  if (centres_.rows() < 1 || centres_.cols() < 1) throw std::invalid_argument("sum of quadratics: no samples");
  if (!centres_.allFinite()) throw std::invalid_argument("sum of quadratics: centres must be finite");
  check_pairs(H_, centres_, "training");
  if (!test_H_.empty() && test_centres_.cols() != centres_.cols())
    throw std::invalid_argument("sum of quadratics: the test set does not match the training dimension");
  check_pairs(test_H_, test_centres_, "test");
  const Index n = n_samples(), d = dim();
  B_.resize(d, n);
  for (Index i = 0; i < n; ++i) B_.col(i) = H_[static_cast<std::size_t>(i)] * centres_.row(i).transpose();
  const Aggregate g = aggregate(H_, centres_);
  Hbar_ = g.A;
  bbar_ = g.a;
  if (!test_H_.empty()) {
    const Aggregate t = aggregate(test_H_, test_centres_);
    test_A_ = t.A;
    test_a_ = t.a;
    test_kappa_ = t.kappa;
  }
  // A reference point: the minimum-norm least-squares solution of Hbar theta = bbar. It is a
  // stationary point when the residual vanishes (always for PSD H_i: each H_i c_i lies in the
  // range of H_i, inside that of sum H_i); a minimizer when, in addition, Hbar is PSD. An
  // indefinite Hbar makes it a saddle and L unbounded below; a PSD but singular Hbar with
  // bbar outside its range leaves L unbounded below along the null space (no stationary point).
  theta_ref_ = Hbar_.completeOrthogonalDecomposition().solve(bbar_);
  grad_ref_ = Hbar_ * theta_ref_ - bbar_;
  const double scale =
      std::max({1.0, Hbar_.cwiseAbs().maxCoeff() * theta_ref_.cwiseAbs().maxCoeff(), bbar_.cwiseAbs().maxCoeff()});
  stationary_ = grad_ref_.cwiseAbs().maxCoeff() <= 1e-10 * scale;
  if (stationary_) grad_ref_.setZero();
  Eigen::SelfAdjointEigenSolver<Mat> es(Hbar_, Eigen::EigenvaluesOnly);
  lambda_min_ = es.eigenvalues().minCoeff();
  convex_ = lambda_min_ >= -1e-12 * std::max(1.0, es.eigenvalues().cwiseAbs().maxCoeff());
  value_ref_ = 0.0;
  for (Index i = 0; i < n; ++i) value_ref_ += sample_loss(theta_ref_, i);
  value_ref_ /= static_cast<double>(n);
}

std::optional<Vec> SumOfQuadratics::minimizer() const {
  if (!(convex_ && stationary_)) return std::nullopt;
  return theta_ref_;
}

std::optional<double> SumOfQuadratics::minimum_value() const {
  if (!(convex_ && stationary_)) return std::nullopt;
  return value_ref_;
}

std::optional<Vec> SumOfQuadratics::stationary_point() const {
  if (!stationary_) return std::nullopt;
  return theta_ref_;
}

std::string SumOfQuadratics::no_minimizer_reason() const {
  std::ostringstream m;
  if (!convex_)
    m << "the mean Hessian Hbar = (1/n) sum H_i has the negative eigenvalue " << lambda_min_
      << ", so L is unbounded below" << (stationary_ ? " and its stationary point is a saddle" : "");
  else if (!stationary_)
    m << "Hbar is singular and (1/n) sum H_i c_i lies outside its range, so L is unbounded below";
  return m.str();
}

SumOfQuadratics SumOfQuadratics::synthetic(const Synthetic& s) {
  if (s.n < 1 || s.d < 1 || s.n_test < 0) throw std::invalid_argument("sum of quadratics: sizes must be positive");
  if (!(s.spread >= 0.0 && s.spread <= 1.0)) throw std::invalid_argument("sum of quadratics: spread must be in [0, 1]");
  if (!(s.lambda_max > 0.0) || !(s.condition >= 1.0) || !(s.centre_spread >= 0.0))
    throw std::invalid_argument("sum of quadratics: lambda_max > 0, condition >= 1 and centre_spread >= 0 required");
  const Index d = s.d;
  Vec root(d);  // S^{1/2}, S = diag(lambda_max .. lambda_max / condition), log-spaced
  for (Index j = 0; j < d; ++j) {
    const double t = d == 1 ? 0.0 : static_cast<double>(j) / static_cast<double>(d - 1);
    root[j] = std::sqrt(s.lambda_max * std::pow(1.0 / s.condition, t));
  }
  // Draws from the counter-based stream keyed by the data seed: "trajectory" index 1 =
  // training Z_i (row i holds Z_i column-major), 2 = training centres, 3/4 = the same for
  // the test set.
  auto normals = [&](std::uint64_t which, Index rows, Index cols) {
    Mat Z(rows, cols);
    if (Z.size() > 0) fill_normals({s.seed, Purpose::initial_state, which}, 0, 0, Z);
    return Z;
  };
  auto draw = [&](std::uint64_t which, Index m, std::vector<Mat>& H, Mat& c) {
    const Mat Z = normals(which, m, d * d);
    H.resize(static_cast<std::size_t>(m));
    for (Index i = 0; i < m; ++i) {
      const Mat Zi = Z.row(i).reshaped(d, d);
      Mat M = s.spread / static_cast<double>(d) * Zi * Zi.transpose();
      M.diagonal().array() += 1.0 - s.spread;
      H[static_cast<std::size_t>(i)] = root.asDiagonal() * M * root.asDiagonal();
    }
    c = s.centre_spread * normals(which + 1, m, d);
  };
  std::vector<Mat> H, Ht;
  Mat c, ct;
  draw(1, s.n, H, c);
  draw(3, s.n_test, Ht, ct);
  if (s.n_test == 0) ct.resize(0, d);
  return SumOfQuadratics(std::move(H), std::move(c), std::move(Ht), std::move(ct));
}

double SumOfQuadratics::sample_loss(const Vec& theta, Index i) const {
  const Vec e = theta - centres_.row(i).transpose();
  return 0.5 * e.dot(H_[static_cast<std::size_t>(i)] * e);
}

void SumOfQuadratics::value(ConstBlockRef T, Eigen::Ref<Vec> out) const {
  // L(theta) = L(theta_r) + g_r . e + 1/2 e^T Hbar e, e = theta - theta_r: exact for this
  // quadratic and, with theta_r a stationary point (g_r = 0), free of the cancellation of the
  // expanded form near it.
  const Index rows = T.rows(), d = dim();
  Mat& E = scratch(rows, d);
  E = T.rowwise() - theta_ref_.transpose();
  thread_local Mat P;
  if (P.rows() != rows || P.cols() != d) P.resize(rows, d);
  rows_times(E, Hbar_, P);
  for (Index t = 0; t < rows; ++t) out[t] = value_ref_ + E.row(t).dot(grad_ref_) + 0.5 * P.row(t).dot(E.row(t));
}

void SumOfQuadratics::test_value(ConstBlockRef T, Eigen::Ref<Vec> out) const {
  const Index rows = T.rows(), d = dim();
  Mat& P = scratch(rows, d);
  rows_times(T, test_A_, P);
  for (Index t = 0; t < rows; ++t) out[t] = 0.5 * P.row(t).dot(T.row(t)) - T.row(t).dot(test_a_) + test_kappa_;
}

void SumOfQuadratics::gradient(ConstBlockRef T, BlockRef G) const {
  rows_times(T, Hbar_, G);  // Hbar symmetric: row t is (Hbar theta_t)^T
  G.rowwise() -= bbar_.transpose();
}

void SumOfQuadratics::dense_weighted_gradient(ConstBlockRef T, ConstBlockRef W, BlockRef G) const {
  const Index rows = T.rows(), d = dim(), n = n_samples();
  Mat& P = scratch(rows, d);
  G.setZero();
  for (Index i = 0; i < n; ++i) {
    rows_times(T, H_[static_cast<std::size_t>(i)], P);  // row t: (H_i theta_t)^T
    const double* w = W.col(i).data();
    for (Index c = 0; c < d; ++c) {
      const double bic = B_(c, i);
      const double* p = P.col(c).data();
      double* g = G.col(c).data();
      for (Index t = 0; t < rows; ++t) g[t] += w[t] * (p[t] - bic);
    }
  }
}

void SumOfQuadratics::sparse_weighted_gradient(ConstBlockRef T, const IndexBlock& idx, ConstBlockRef w,
                                               BlockRef G) const {
  const Index rows = T.rows(), d = dim(), m = idx.cols();
  thread_local Vec theta, g;
  theta.resize(d);
  g.resize(d);
  for (Index t = 0; t < rows; ++t) {
    theta = T.row(t).transpose();
    g.setZero();
    for (Index j = 0; j < m; ++j) {
      const Index i = idx(t, j);
      g.noalias() += w(t, j) * (H_[static_cast<std::size_t>(i)] * theta - B_.col(i));
    }
    G.row(t) = g.transpose();
  }
}

Mat SumOfQuadratics::sample_gradients(const Vec& theta) const {
  Mat Gm(dim(), n_samples());
  for (Index i = 0; i < n_samples(); ++i) Gm.col(i) = H_[static_cast<std::size_t>(i)] * theta - B_.col(i);
  return Gm;
}

std::optional<Vec> SumOfQuadratics::sample_values(const Vec& theta) const {
  Vec v(n_samples());
  for (Index i = 0; i < n_samples(); ++i) v[i] = sample_loss(theta, i);
  return v;
}

std::optional<Mat> SumOfQuadratics::sample_hessian(const Vec&, Index i) const {
  if (i < 0 || i >= n_samples())
    throw std::out_of_range("SumOfQuadratics::sample_hessian: no sample " + std::to_string(i));
  return H_[static_cast<std::size_t>(i)];
}

}  // namespace sgdnoise
