#include "losses/relu_network.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "core/rng.hpp"

namespace sgdnoise {

namespace {
// Per-thread scratch: theta of one trajectory, the gradient, pre-activations.
struct Scratch {
  Vec theta, g, u, a;
};
Scratch& scratch(Index d, Index m) {
  thread_local Scratch s;
  if (s.theta.size() != d) {
    s.theta.resize(d);
    s.g.resize(d);
  }
  if (s.u.size() != m) {
    s.u.resize(m);
    s.a.resize(m);
  }
  return s;
}
}  // namespace

ReluNetwork ReluNetwork::synthetic(const Synthetic& s) {
  if (s.n < 1 || s.n_test < 0) throw std::invalid_argument("relu_network: samples must be >= 1, test_samples >= 0");
  if (s.input_dim < 2) throw std::invalid_argument("relu_network: input_dim must be >= 2 (labels compare x_1, x_2)");
  if (s.width < 1) throw std::invalid_argument("relu_network: width must be >= 1");
  if (!(s.delta >= 0.0 && s.delta < 0.5)) throw std::invalid_argument("relu_network: delta must be in [0, 1/2)");
  if (!(s.init_scale >= 0.0) || !std::isfinite(s.init_scale))
    throw std::invalid_argument("relu_network: init_scale must be finite and >= 0");
  ReluNetwork net;
  net.p_ = s.input_dim;
  net.m_ = s.width;
  net.train_output_ = s.train_output;
  net.delta_ = s.delta;
  net.d_ = (net.p_ + 1) * net.m_ + (s.train_output ? net.m_ : 0);
  net.a_fixed_.resize(net.m_);
  for (Index j = 0; j < net.m_; ++j) net.a_fixed_[j] = 2 * j < net.m_ ? 1.0 : -1.0;  // +1 for ceil(m/2) units
  // Draws from the stream keyed by the data seed: "trajectory" 0 = training inputs, 1 = test
  // inputs, 2 = the initial first layer.
  auto uniforms = [&](std::uint64_t which, Index rows) {
    Mat U(rows, s.input_dim);
    if (U.size() > 0) fill_uniforms({s.seed, Purpose::initial_state, which}, 0, 0, U);
    return Mat((4.0 * U.array() - 2.0).matrix());  // uniform on (-2, 2)^p
  };
  auto labels = [](const auto& X) {
    Vec y(X.rows());
    for (Index i = 0; i < X.rows(); ++i) y[i] = X(i, 0) >= X(i, 1) ? 1.0 : 0.0;
    return y;
  };
  net.X_ = uniforms(0, s.n);
  net.y_ = labels(net.X_);
  net.Xtest_ = uniforms(1, s.n_test);
  net.ytest_ = labels(net.Xtest_);
  Mat Z(1, (net.p_ + 1) * net.m_);
  fill_normals({s.seed, Purpose::initial_state, 2}, 0, 0, Z);
  net.init_ = Vec::Zero(net.d_);
  net.init_.head((net.p_ + 1) * net.m_) =
      Z.row(0).transpose() * (s.init_scale / std::sqrt(static_cast<double>(net.m_)));
  if (net.train_output_) net.init_.tail(net.m_) = net.a_fixed_;
  return net;
}

Vec ReluNetwork::output_weights(const Vec& theta) const { return train_output_ ? Vec(theta.tail(m_)) : a_fixed_; }

double ReluNetwork::forward(const double* th, const double* a, const double* x, double* u) const {
  const Index m = m_;
  const double* b = th + p_ * m;
  for (Index j = 0; j < m; ++j) u[j] = b[j];
  for (Index k = 0; k < p_; ++k) {
    const double xk = x[k];
    const double* w = th + k * m;
    for (Index j = 0; j < m; ++j) u[j] += w[j] * xk;
  }
  double z = 0.0;
  for (Index j = 0; j < m; ++j) z += a[j] * std::max(u[j], 0.0);
  return z;
}

void ReluNetwork::add_sample_gradient(const double* th, const double* a, Index i, double w, double* u,
                                      double* g) const {
  const double* x = X_.row(i).data();
  const double z = forward(th, a, x, u);
  const double r = 2.0 * (clip(z) - y_[i]) * inside(z) * w;  // w r_i
  if (r == 0.0) return;
  const Index m = m_;
  // d l_i / d w~_j = r_i a_j s_ij x~_i; d l_i / d a_j = r_i h_ij (see the header).
  double* gb = g + p_ * m;
  for (Index j = 0; j < m; ++j) gb[j] += u[j] > 0.0 ? r * a[j] : 0.0;
  for (Index k = 0; k < p_; ++k) {
    const double rx = r * x[k];
    double* gk = g + k * m;
    for (Index j = 0; j < m; ++j) gk[j] += u[j] > 0.0 ? rx * a[j] : 0.0;
  }
  if (train_output_) {
    double* ga = g + (p_ + 1) * m;
    for (Index j = 0; j < m; ++j) ga[j] += r * std::max(u[j], 0.0);
  }
}

double ReluNetwork::jacobian_row(const double* th, const double* a, Index i, double* u, double* J) const {
  const double* x = X_.row(i).data();
  const double z = forward(th, a, x, u);
  const Index m = m_;
  for (Index j = 0; j < m; ++j) J[p_ * m + j] = u[j] > 0.0 ? a[j] : 0.0;
  for (Index k = 0; k < p_; ++k)
    for (Index j = 0; j < m; ++j) J[k * m + j] = J[p_ * m + j] * x[k];
  if (train_output_)
    for (Index j = 0; j < m; ++j) J[(p_ + 1) * m + j] = std::max(u[j], 0.0);
  return z;
}

double ReluNetwork::mean_loss(const RowMat& X, const Vec& y, const double* theta) const {
  Scratch& s = scratch(d_, m_);
  const double* a = train_output_ ? theta + (p_ + 1) * m_ : a_fixed_.data();
  double sum = 0.0;
  for (Index i = 0; i < X.rows(); ++i) {
    const double e = clip(forward(theta, a, X.row(i).data(), s.u.data())) - y[i];
    sum += e * e;
  }
  return X.rows() > 0 ? sum / static_cast<double>(X.rows()) : 0.0;
}

void ReluNetwork::value(ConstBlockRef T, Eigen::Ref<Vec> out) const {
  for (Index t = 0; t < T.rows(); ++t) {
    Vec& theta = scratch(d_, m_).theta;
    theta = T.row(t).transpose();
    out[t] = mean_loss(X_, y_, theta.data());
  }
}

void ReluNetwork::test_value(ConstBlockRef T, Eigen::Ref<Vec> out) const {
  for (Index t = 0; t < T.rows(); ++t) {
    Vec& theta = scratch(d_, m_).theta;
    theta = T.row(t).transpose();
    out[t] = mean_loss(Xtest_, ytest_, theta.data());
  }
}

double ReluNetwork::accuracy(const Vec& theta) const {
  Scratch& s = scratch(d_, m_);
  const double* a = train_output_ ? theta.data() + (p_ + 1) * m_ : a_fixed_.data();
  Index right = 0;
  for (Index i = 0; i < X_.rows(); ++i)
    right += (clip(forward(theta.data(), a, X_.row(i).data(), s.u.data())) >= 0.5) == (y_[i] == 1.0);
  return static_cast<double>(right) / static_cast<double>(X_.rows());
}

void ReluNetwork::gradient(ConstBlockRef T, BlockRef G) const {
  Scratch& s = scratch(d_, m_);
  const double w = 1.0 / static_cast<double>(n_samples());
  for (Index t = 0; t < T.rows(); ++t) {
    s.theta = T.row(t).transpose();
    const double* a = train_output_ ? s.theta.data() + (p_ + 1) * m_ : a_fixed_.data();
    s.g.setZero();
    for (Index i = 0; i < n_samples(); ++i) add_sample_gradient(s.theta.data(), a, i, w, s.u.data(), s.g.data());
    G.row(t) = s.g.transpose();
  }
}

void ReluNetwork::dense_weighted_gradient(ConstBlockRef T, ConstBlockRef W, BlockRef G) const {
  Scratch& s = scratch(d_, m_);
  for (Index t = 0; t < T.rows(); ++t) {
    s.theta = T.row(t).transpose();
    const double* a = train_output_ ? s.theta.data() + (p_ + 1) * m_ : a_fixed_.data();
    s.g.setZero();
    for (Index i = 0; i < n_samples(); ++i) add_sample_gradient(s.theta.data(), a, i, W(t, i), s.u.data(), s.g.data());
    G.row(t) = s.g.transpose();
  }
}

void ReluNetwork::sparse_weighted_gradient(ConstBlockRef T, const IndexBlock& idx, ConstBlockRef w, BlockRef G) const {
  Scratch& s = scratch(d_, m_);
  for (Index t = 0; t < T.rows(); ++t) {
    s.theta = T.row(t).transpose();
    const double* a = train_output_ ? s.theta.data() + (p_ + 1) * m_ : a_fixed_.data();
    s.g.setZero();
    for (Index j = 0; j < idx.cols(); ++j)
      add_sample_gradient(s.theta.data(), a, idx(t, j), w(t, j), s.u.data(), s.g.data());
    G.row(t) = s.g.transpose();
  }
}

Mat ReluNetwork::sample_gradients(const Vec& theta) const {
  Scratch& s = scratch(d_, m_);
  const double* a = train_output_ ? theta.data() + (p_ + 1) * m_ : a_fixed_.data();
  Mat Gm = Mat::Zero(d_, n_samples());
  for (Index i = 0; i < n_samples(); ++i) add_sample_gradient(theta.data(), a, i, 1.0, s.u.data(), Gm.col(i).data());
  return Gm;
}

Mat ReluNetwork::hessian(const Vec& theta) const {
  // H = (2/n) sum_i c_i J_i J_i^T (+ the cross terms between the layers); see the header.
  Scratch& s = scratch(d_, m_);
  const double* a = train_output_ ? theta.data() + (p_ + 1) * m_ : a_fixed_.data();
  const Index n = n_samples(), m = m_;
  Mat J(d_, n);  // columns J_i for the samples inside the clip's range
  Index cols = 0;
  Vec r = Vec::Zero(n);
  for (Index i = 0; i < n; ++i) {
    const double z = jacobian_row(theta.data(), a, i, s.u.data(), J.col(cols).data());
    if (inside(z) == 0.0) continue;
    r[i] = 2.0 * (clip(z) - y_[i]);
    ++cols;
  }
  Mat L = Mat::Zero(d_, d_);
  if (cols > 0) L.selfadjointView<Eigen::Lower>().rankUpdate(J.leftCols(cols), 2.0 / static_cast<double>(n));
  Mat H = L.selfadjointView<Eigen::Lower>();
  if (train_output_) {
    // Cross blocks d^2 l_i / (d w~_j d a_j) = r_i s_ij x~_i, averaged over i.
    const double inv_n = 1.0 / static_cast<double>(n);
    for (Index i = 0; i < n; ++i) {
      if (r[i] == 0.0) continue;
      const double* x = X_.row(i).data();
      forward(theta.data(), a, x, s.u.data());
      for (Index j = 0; j < m; ++j) {
        if (!(s.u[j] > 0.0)) continue;
        const Index aj = (p_ + 1) * m + j;
        for (Index k = 0; k <= p_; ++k) {
          const double v = r[i] * (k < p_ ? x[k] : 1.0) * inv_n;
          H(k * m + j, aj) += v;
          H(aj, k * m + j) += v;
        }
      }
    }
  }
  return H;
}

Vec ReluNetwork::hessian_vector(const Vec& theta, const Vec& v) const {
  Scratch& s = scratch(d_, m_);
  const double* a = train_output_ ? theta.data() + (p_ + 1) * m_ : a_fixed_.data();
  const Index n = n_samples(), m = m_;
  const double inv_n = 1.0 / static_cast<double>(n);
  Vec out = Vec::Zero(d_);
  Vec J(d_);
  for (Index i = 0; i < n; ++i) {
    const double z = jacobian_row(theta.data(), a, i, s.u.data(), J.data());
    if (inside(z) == 0.0) continue;
    out += (2.0 * inv_n * J.dot(v)) * J;
    if (train_output_) {
      const double r = 2.0 * (clip(z) - y_[i]) * inv_n;
      const double* x = X_.row(i).data();
      for (Index j = 0; j < m; ++j) {
        if (!(s.u[j] > 0.0)) continue;
        const Index aj = (p_ + 1) * m + j;
        for (Index k = 0; k <= p_; ++k) {
          const double xk = k < p_ ? x[k] : 1.0;
          out[k * m + j] += r * xk * v[aj];
          out[aj] += r * xk * v[k * m + j];
        }
      }
    }
  }
  return out;
}

}  // namespace sgdnoise
