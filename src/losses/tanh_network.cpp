#include "losses/tanh_network.hpp"

#include <cmath>
#include <stdexcept>

#include "core/rng.hpp"

namespace sgdnoise {

namespace {
// Per-thread scratch: theta of one trajectory, the gradient, the hidden activations.
struct Scratch {
  Vec theta, g, h;
};
Scratch& scratch(Index d, Index m) {
  thread_local Scratch s;
  if (s.theta.size() != d) {
    s.theta.resize(d);
    s.g.resize(d);
  }
  if (s.h.size() != m) s.h.resize(m);
  return s;
}
}  // namespace

TanhNetwork TanhNetwork::synthetic(const Synthetic& s) {
  if (s.n < 1 || s.n_test < 0 || s.input_dim < 1 || s.width < 1 || s.teacher_width < 1)
    throw std::invalid_argument(
        "tanh_network: samples, input_dim, width and teacher_width must be >= 1, test_samples >= 0");
  for (double v : {s.teacher_scale, s.label_noise, s.init_scale})
    if (!(v >= 0.0) || !std::isfinite(v))
      throw std::invalid_argument("tanh_network: teacher_scale, label_noise and init_scale must be finite and >= 0");
  TanhNetwork net;
  net.p_ = s.input_dim;
  net.m_ = s.width;
  net.d_ = (net.p_ + 2) * net.m_;
  const double p = static_cast<double>(net.p_);
  // Draws from the stream keyed by the data seed, one "step" per use: 0 training inputs,
  // 1 test inputs, 2 the teacher, 3 the initialisation, 4 and 5 the label noise.
  auto normals = [&](std::uint64_t which, Index rows, Index cols) {
    Mat Z(rows, cols);
    if (Z.size() > 0) fill_normals({s.seed, Purpose::initial_state, which}, 0, 0, Z);
    return Z;
  };
  net.X_ = normals(0, s.n, net.p_);
  net.Xtest_ = normals(1, s.n_test, net.p_);
  const Mat teacher = normals(2, s.teacher_width, net.p_ + 1);  // rows: w*_t, then a*_t
  auto teach = [&](const RowMat& X) {
    Vec y = Vec::Zero(X.rows());
    for (Index i = 0; i < X.rows(); ++i)
      for (Index t = 0; t < s.teacher_width; ++t)
        y[i] +=
            teacher(t, net.p_) * std::tanh(s.teacher_scale / std::sqrt(p) * teacher.row(t).head(net.p_).dot(X.row(i)));
    return y;
  };
  net.y_ = teach(net.X_);
  net.ytest_ = teach(net.Xtest_);
  const double mean = net.y_.mean();
  const double sd = s.n > 1 ? std::sqrt((net.y_.array() - mean).square().sum() / static_cast<double>(s.n - 1)) : 0.0;
  const double c = sd > 0.0 ? 1.0 / sd : 1.0;  // unit sample standard deviation of the training labels
  net.y_ = c * net.y_ + s.label_noise * normals(4, 1, s.n).row(0).transpose();
  if (s.n_test > 0) net.ytest_ = c * net.ytest_ + s.label_noise * normals(5, 1, s.n_test).row(0).transpose();
  const Mat Z = normals(3, 1, (net.p_ + 1) * net.m_);
  net.init_ = Vec::Zero(net.d_);
  net.init_.head(net.p_ * net.m_) = Z.row(0).head(net.p_ * net.m_).transpose() * (s.init_scale / std::sqrt(p));
  net.init_.tail(net.m_) = Z.row(0).tail(net.m_).transpose() * (s.init_scale / std::sqrt(static_cast<double>(net.m_)));
  return net;
}

double TanhNetwork::forward(const double* th, const double* x, double* h) const {
  const Index m = m_;
  const double* b = th + p_ * m;
  const double* a = th + (p_ + 1) * m;
  for (Index j = 0; j < m; ++j) h[j] = b[j];
  for (Index k = 0; k < p_; ++k) {
    const double xk = x[k];
    const double* w = th + k * m;
    for (Index j = 0; j < m; ++j) h[j] += w[j] * xk;
  }
  double f = 0.0;
  for (Index j = 0; j < m; ++j) {
    h[j] = std::tanh(h[j]);
    f += a[j] * h[j];
  }
  return f;
}

void TanhNetwork::add_sample_gradient(const double* th, Index i, double w, double* h, double* g) const {
  const double* x = X_.row(i).data();
  const double r = (forward(th, x, h) - y_[i]) * w;  // w r_i
  const Index m = m_;
  const double* a = th + (p_ + 1) * m;
  // d l_i / d w~_j = r_i a_j (1 - h_ij^2) x~_i; d l_i / d a_j = r_i h_ij (see the header).
  double* gb = g + p_ * m;
  double* ga = g + (p_ + 1) * m;
  for (Index j = 0; j < m; ++j) {
    ga[j] += r * h[j];
    h[j] = r * a[j] * (1.0 - h[j] * h[j]);  // h is no longer needed: reuse it for r a_j tanh'(u_ij)
    gb[j] += h[j];
  }
  for (Index k = 0; k < p_; ++k) {
    const double xk = x[k];
    double* gk = g + k * m;
    for (Index j = 0; j < m; ++j) gk[j] += h[j] * xk;
  }
}

double TanhNetwork::mean_loss(const RowMat& X, const Vec& y, const double* theta) const {
  Scratch& s = scratch(d_, m_);
  double sum = 0.0;
  for (Index i = 0; i < X.rows(); ++i) {
    const double e = forward(theta, X.row(i).data(), s.h.data()) - y[i];
    sum += 0.5 * e * e;
  }
  return X.rows() > 0 ? sum / static_cast<double>(X.rows()) : 0.0;
}

void TanhNetwork::value(ConstBlockRef T, Eigen::Ref<Vec> out) const {
  for (Index t = 0; t < T.rows(); ++t) {
    Vec& theta = scratch(d_, m_).theta;
    theta = T.row(t).transpose();
    out[t] = mean_loss(X_, y_, theta.data());
  }
}

void TanhNetwork::test_value(ConstBlockRef T, Eigen::Ref<Vec> out) const {
  for (Index t = 0; t < T.rows(); ++t) {
    Vec& theta = scratch(d_, m_).theta;
    theta = T.row(t).transpose();
    out[t] = mean_loss(Xtest_, ytest_, theta.data());
  }
}

void TanhNetwork::gradient(ConstBlockRef T, BlockRef G) const {
  Scratch& s = scratch(d_, m_);
  const double w = 1.0 / static_cast<double>(n_samples());
  for (Index t = 0; t < T.rows(); ++t) {
    s.theta = T.row(t).transpose();
    s.g.setZero();
    for (Index i = 0; i < n_samples(); ++i) add_sample_gradient(s.theta.data(), i, w, s.h.data(), s.g.data());
    G.row(t) = s.g.transpose();
  }
}

void TanhNetwork::dense_weighted_gradient(ConstBlockRef T, ConstBlockRef W, BlockRef G) const {
  Scratch& s = scratch(d_, m_);
  for (Index t = 0; t < T.rows(); ++t) {
    s.theta = T.row(t).transpose();
    s.g.setZero();
    for (Index i = 0; i < n_samples(); ++i) add_sample_gradient(s.theta.data(), i, W(t, i), s.h.data(), s.g.data());
    G.row(t) = s.g.transpose();
  }
}

void TanhNetwork::sparse_weighted_gradient(ConstBlockRef T, const IndexBlock& idx, ConstBlockRef w, BlockRef G) const {
  Scratch& s = scratch(d_, m_);
  for (Index t = 0; t < T.rows(); ++t) {
    s.theta = T.row(t).transpose();
    s.g.setZero();
    for (Index j = 0; j < idx.cols(); ++j)
      add_sample_gradient(s.theta.data(), idx(t, j), w(t, j), s.h.data(), s.g.data());
    G.row(t) = s.g.transpose();
  }
}

Mat TanhNetwork::sample_gradients(const Vec& theta) const {
  Scratch& s = scratch(d_, m_);
  Mat Gm = Mat::Zero(d_, n_samples());
  for (Index i = 0; i < n_samples(); ++i) add_sample_gradient(theta.data(), i, 1.0, s.h.data(), Gm.col(i).data());
  return Gm;
}

Mat TanhNetwork::hessian(const Vec& theta) const {
  // H = (1/n) sum_i [J_i J_i^T + r_i grad^2 f_i] (see the header).
  Scratch& s = scratch(d_, m_);
  const Index n = n_samples(), m = m_, p = p_;
  const double* a = theta.data() + (p + 1) * m;
  const double inv_n = 1.0 / static_cast<double>(n);
  Mat J(d_, n);
  Vec r(n);
  for (Index i = 0; i < n; ++i) {
    const double* x = X_.row(i).data();
    r[i] = forward(theta.data(), x, s.h.data()) - y_[i];
    double* Ji = J.col(i).data();
    for (Index j = 0; j < m; ++j) {
      const double da = a[j] * (1.0 - s.h[j] * s.h[j]);
      for (Index k = 0; k < p; ++k) Ji[k * m + j] = da * x[k];
      Ji[p * m + j] = da;
      Ji[(p + 1) * m + j] = s.h[j];
    }
  }
  Mat L = Mat::Zero(d_, d_);
  L.selfadjointView<Eigen::Lower>().rankUpdate(J, inv_n);
  Mat H = L.selfadjointView<Eigen::Lower>();
  for (Index i = 0; i < n; ++i) {
    const double* x = X_.row(i).data();
    forward(theta.data(), x, s.h.data());
    for (Index j = 0; j < m; ++j) {
      const double t1 = 1.0 - s.h[j] * s.h[j];
      const double cw = r[i] * inv_n * a[j] * (-2.0 * s.h[j] * t1);  // r_i a_j tanh''(u_ij) / n
      const double ca = r[i] * inv_n * t1;                           // r_i tanh'(u_ij) / n
      const Index aj = (p + 1) * m + j;
      for (Index k = 0; k <= p; ++k) {
        const double xk = k < p ? x[k] : 1.0;
        for (Index l = 0; l <= p; ++l)
          H(k * m + j, l * m + j) += cw * (xk * (l < p ? x[l] : 1.0));  // symmetric bit for bit
        H(k * m + j, aj) += ca * xk;
        H(aj, k * m + j) += ca * xk;
      }
    }
  }
  return H;
}

Vec TanhNetwork::hessian_vector(const Vec& theta, const Vec& v) const {
  Scratch& s = scratch(d_, m_);
  const Index n = n_samples(), m = m_, p = p_;
  const double* a = theta.data() + (p + 1) * m;
  const double inv_n = 1.0 / static_cast<double>(n);
  Vec out = Vec::Zero(d_);
  Vec J(d_), xv(m);  // xv_j = x~_i . v_{w~_j}
  for (Index i = 0; i < n; ++i) {
    const double* x = X_.row(i).data();
    const double r = (forward(theta.data(), x, s.h.data()) - y_[i]) * inv_n;
    for (Index j = 0; j < m; ++j) {
      const double da = a[j] * (1.0 - s.h[j] * s.h[j]);
      double dot = v[p * m + j];
      for (Index k = 0; k < p; ++k) {
        J[k * m + j] = da * x[k];
        dot += x[k] * v[k * m + j];
      }
      J[p * m + j] = da;
      J[(p + 1) * m + j] = s.h[j];
      xv[j] = dot;
    }
    out += (inv_n * J.dot(v)) * J;  // Gauss-Newton part
    for (Index j = 0; j < m; ++j) {
      const double t1 = 1.0 - s.h[j] * s.h[j];
      const Index aj = (p + 1) * m + j;
      // (w~_j, w~_j): r a_j tanh'' x~ (x~ . v_w~j); (w~_j, a_j): r tanh' x~ v_aj; (a_j, w~_j): r tanh' x~ . v_w~j.
      const double cw = r * (a[j] * (-2.0 * s.h[j] * t1) * xv[j] + t1 * v[aj]);
      for (Index k = 0; k < p; ++k) out[k * m + j] += cw * x[k];
      out[p * m + j] += cw;
      out[aj] += r * t1 * xv[j];
    }
  }
  return out;
}

}  // namespace sgdnoise
