#include "losses/logistic.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include "core/format.hpp"
#include "core/kernels.hpp"
#include "core/rng.hpp"

namespace sgdnoise {

double softplus(double z) { return std::max(z, 0.0) + std::log1p(std::exp(-std::abs(z))); }

double sigmoid(double z) {
  if (z >= 0.0) return 1.0 / (1.0 + std::exp(-z));
  const double e = std::exp(z);
  return e / (1.0 + e);
}

namespace {
Mat& scratch(int which, Index rows, Index cols) {
  thread_local Mat buf[2];
  Mat& m = buf[which];
  if (m.rows() != rows || m.cols() != cols) m.resize(rows, cols);
  return m;
}

void check_labels(const Vec& y, const char* which) {
  for (Index i = 0; i < y.size(); ++i)
    if (y[i] != 0.0 && y[i] != 1.0)
      throw std::invalid_argument(std::string("logistic: ") + which + " label " + std::to_string(i) + " is " +
                                  format_g(y[i]) + "; labels must be 0 or 1");
}
}  // namespace

Logistic::Logistic(Mat X, Vec y, double l2, Mat Xtest, Vec ytest)
    : X_(std::move(X)), Xrow_(X_), y_(std::move(y)), l2_(l2), Xtest_(std::move(Xtest)), ytest_(std::move(ytest)) {
  if (X_.rows() != y_.size()) throw std::invalid_argument("logistic: features and labels differ in length");
  if (X_.rows() < 1 || X_.cols() < 1) throw std::invalid_argument("logistic: no data");
  if (Xtest_.rows() != ytest_.size() || (Xtest_.rows() > 0 && Xtest_.cols() != X_.cols()))
    throw std::invalid_argument("logistic: test set does not match the training set");
  if (!(l2_ >= 0.0) || !std::isfinite(l2_)) throw std::invalid_argument("logistic: l2 must be finite and >= 0");
  if (!X_.allFinite() || !Xtest_.allFinite()) throw std::invalid_argument("logistic: features must be finite");
  check_labels(y_, "training");
  check_labels(ytest_, "test");
  Xt_ = X_.transpose();
  Xtest_t_ = Xtest_.transpose();
  newton();
}

Logistic Logistic::synthetic(const Synthetic& s) {
  if (s.n < 1 || s.d < 1 || s.n_test < 0) throw std::invalid_argument("logistic: sizes must be positive");
  Vec scale(s.d);
  for (Index j = 0; j < s.d; ++j) {
    const double t = s.d == 1 ? 0.0 : static_cast<double>(j) / static_cast<double>(s.d - 1);
    scale[j] = std::sqrt(std::pow(1.0 / s.condition, t));  // feature variances log-spaced 1 .. 1/condition
  }
  // Draws from the counter-based stream keyed by the data seed: "trajectory" index 0 =
  // teacher, 1 = training features, 2 = training label uniforms, 3/4 = test features/uniforms.
  auto draws = [&](std::uint64_t which, Index rows, Index cols, bool normal) {
    Mat Z(rows, cols);
    if (Z.size() > 0) {
      if (normal)
        fill_normals({s.seed, Purpose::initial_state, which}, 0, 0, Z);
      else
        fill_uniforms({s.seed, Purpose::initial_state, which}, 0, 0, Z);
    }
    return Z;
  };
  const Vec teacher = s.teacher_scale * draws(0, 1, s.d, true).row(0).transpose() / std::sqrt(static_cast<double>(s.d));
  auto labels = [&](const Mat& X, std::uint64_t which) {
    const Vec u = draws(which, X.rows(), 1, false).col(0);
    const Vec z = X * teacher;
    Vec y(X.rows());
    for (Index i = 0; i < X.rows(); ++i) y[i] = u[i] < sigmoid(z[i]) ? 1.0 : 0.0;  // y ~ Bernoulli(sigmoid(z))
    return y;
  };
  Mat X = draws(1, s.n, s.d, true) * scale.asDiagonal();
  Vec y = labels(X, 2);
  Mat Xt = draws(3, s.n_test, s.d, true) * scale.asDiagonal();
  Vec yt = labels(Xt, 4);
  Logistic out(std::move(X), std::move(y), s.l2, std::move(Xt), std::move(yt));
  out.teacher_ = teacher;
  return out;
}

void Logistic::mean_log_loss(const Mat& Xt, const Vec& y, ConstBlockRef T, Eigen::Ref<Vec> out) const {
  const Index rows = T.rows(), n = Xt.cols();
  Mat& R = scratch(0, rows, n);
  rows_times(T, Xt, R);  // R(t, i) = x_i^T theta_t
  for (Index t = 0; t < rows; ++t) out[t] = 0.0;
  for (Index i = 0; i < n; ++i) {
    const double yi = y[i];
    const double* r = R.col(i).data();
    for (Index t = 0; t < rows; ++t) out[t] += softplus(r[t]) - yi * r[t];
  }
  out /= static_cast<double>(n);
  if (l2_ > 0.0)
    for (Index t = 0; t < rows; ++t) out[t] += 0.5 * l2_ * T.row(t).squaredNorm();
}

void Logistic::value(ConstBlockRef T, Eigen::Ref<Vec> out) const { mean_log_loss(Xt_, y_, T, out); }
void Logistic::test_value(ConstBlockRef T, Eigen::Ref<Vec> out) const { mean_log_loss(Xtest_t_, ytest_, T, out); }

void Logistic::dense_weighted_gradient(ConstBlockRef T, ConstBlockRef W, BlockRef G) const {
  const Index rows = T.rows(), n = n_samples();
  Mat& R = scratch(1, rows, n);
  rows_times(T, Xt_, R);
  for (Index i = 0; i < n; ++i) {
    const double yi = y_[i];
    double* r = R.col(i).data();
    const double* w = W.col(i).data();
    for (Index t = 0; t < rows; ++t) r[t] = (sigmoid(r[t]) - yi) * w[t];
  }
  rows_times(R, X_, G);  // G(t, :) = sum_i W(t, i) (s_i(t) - y_i) x_i^T
  if (l2_ > 0.0) {
    // The L2 part of sum_i W(t, i) grad l_i is l2 (sum_i W(t, i)) theta_t.
    for (Index t = 0; t < rows; ++t) {
      double wsum = 0.0;
      for (Index i = 0; i < n; ++i) wsum += W(t, i);
      G.row(t) += l2_ * wsum * T.row(t);
    }
  }
}

void Logistic::gradient(ConstBlockRef T, BlockRef G) const {
  const Index rows = T.rows(), n = n_samples();
  Mat& R = scratch(1, rows, n);
  rows_times(T, Xt_, R);
  const double inv_n = 1.0 / static_cast<double>(n);
  for (Index i = 0; i < n; ++i) {
    const double yi = y_[i];
    double* r = R.col(i).data();
    for (Index t = 0; t < rows; ++t) r[t] = (sigmoid(r[t]) - yi) * inv_n;
  }
  rows_times(R, X_, G);
  if (l2_ > 0.0) G += l2_ * T;
}

void Logistic::sparse_weighted_gradient(ConstBlockRef T, const IndexBlock& idx, ConstBlockRef w, BlockRef G) const {
  const Index rows = T.rows(), d = dim(), m = idx.cols();
  thread_local Vec theta, g;
  theta.resize(d);
  g.resize(d);
  for (Index t = 0; t < rows; ++t) {
    theta = T.row(t).transpose();
    g.setZero();
    double wsum = 0.0;
    for (Index j = 0; j < m; ++j) {
      const Index i = idx(t, j);
      const double* x = Xrow_.row(i).data();
      double z = 0.0;
      for (Index c = 0; c < d; ++c) z += x[c] * theta[c];
      const double r = (sigmoid(z) - y_[i]) * w(t, j);
      for (Index c = 0; c < d; ++c) g[c] += r * x[c];
      wsum += w(t, j);
    }
    if (l2_ > 0.0) g += l2_ * wsum * theta;
    G.row(t) = g.transpose();
  }
}

Mat Logistic::sample_gradients(const Vec& theta) const {
  const Vec z = X_ * theta;
  Vec r(z.size());
  for (Index i = 0; i < z.size(); ++i) r[i] = sigmoid(z[i]) - y_[i];
  Mat Gm = Xt_ * r.asDiagonal();  // column i: (s_i - y_i) x_i
  if (l2_ > 0.0) Gm.colwise() += l2_ * theta;
  return Gm;
}

Mat Logistic::hessian(const Vec& theta) const {
  const Vec z = X_ * theta;
  Vec c(z.size());
  for (Index i = 0; i < z.size(); ++i) c[i] = sigmoid(z[i]) * sigmoid(-z[i]);  // s (1 - s) without cancellation
  Mat H = Xt_ * c.asDiagonal() * X_ / static_cast<double>(n_samples());
  H.diagonal().array() += l2_;
  return H;
}

Vec Logistic::hessian_vector(const Vec& theta, const Vec& v) const {
  const Vec z = X_ * theta, u = X_ * v;
  Vec c(z.size());
  for (Index i = 0; i < z.size(); ++i) c[i] = sigmoid(z[i]) * sigmoid(-z[i]) * u[i];
  return Xt_ * c / static_cast<double>(n_samples()) + l2_ * v;
}

void Logistic::newton() {
  // Newton's method with Armijo backtracking (Nocedal & Wright 3.1, 3.3) from theta = 0.
  // Accepted only where the Hessian is positive definite on the scale of the data, so a
  // minimizer "at infinity" (separable data, l2 = 0) is reported as none.
  const Index d = dim();
  Vec theta = Vec::Zero(d);
  double f = value_at(theta);
  const double g0 = gradient_at(theta).cwiseAbs().maxCoeff();
  const double tol = 1e-12 * std::max(1.0, g0);
  const double data_scale = X_.squaredNorm() / static_cast<double>(n_samples() * d) + l2_;
  for (int it = 0; it < 100; ++it) {
    const Vec g = gradient_at(theta);
    const Mat H = hessian(theta);
    auto accept = [&] {
      Eigen::SelfAdjointEigenSolver<Mat> es(hessian(theta), Eigen::EigenvaluesOnly);
      if (es.eigenvalues().minCoeff() > 1e-8 * data_scale) {
        theta_min_ = theta;
        min_value_ = value_at(theta);
      }
    };
    if (g.cwiseAbs().maxCoeff() <= tol) return accept();
    Eigen::LDLT<Mat> ldlt(H);
    if (ldlt.info() != Eigen::Success) return;
    const Vec p = -ldlt.solve(g);
    if (!p.allFinite()) return;
    const double slope = g.dot(p);  // minus the squared Newton decrement
    if (!(slope < 0.0)) return;
    if (-slope <= 1e-24 * std::max(1.0, std::abs(f))) {
      // f - L* is about -slope / 2 (Boyd & Vandenberghe 9.5.1): below rounding, so one last
      // full step and stop; a line search would only compare rounding errors.
      theta += p;
      return accept();
    }
    double t = 1.0, ft = value_at(theta + p);
    while (!(ft <= f + 1e-4 * t * slope) && t > 1e-10) {
      t *= 0.5;
      ft = value_at(theta + t * p);
    }
    if (!(ft <= f)) return;
    theta += t * p;
    f = ft;
  }
}

std::optional<Vec> Logistic::sample_values(const Vec& theta) const {
  const Vec z = X_ * theta;
  Vec v(z.size());
  const double ridge = 0.5 * l2_ * theta.squaredNorm();
  for (Index i = 0; i < z.size(); ++i) v[i] = softplus(z[i]) - y_[i] * z[i] + ridge;
  return v;
}

std::optional<Mat> Logistic::sample_hessian(const Vec& theta, Index i) const {
  if (i < 0 || i >= n_samples()) throw std::out_of_range("Logistic::sample_hessian: no sample " + std::to_string(i));
  const double s = sigmoid(X_.row(i).dot(theta));
  Mat H = s * (1.0 - s) * Xt_.col(i) * Xt_.col(i).transpose();
  H.diagonal().array() += l2_;
  return H;
}

}  // namespace sgdnoise
