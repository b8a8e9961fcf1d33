#pragma once
// Paper 3's one-hidden-layer ReLU network for binary classification with a clipped output
// and the squared error (Zhu et al. 2019, Figure 4; docs/theory.md 4.3 (P-c) and 4.4 B, from the
// authors' OneHiddenLayer/gd.py), a finite sum L(theta) = (1/n) sum_i l_i(theta):
//
//   u_ij = w_j . x_i + b_j                 (pre-activation of hidden unit j, j < m)
//   z_i  = sum_j a_j relu(u_ij)            (no output bias)
//   f_i  = clip(z_i, delta, 1 - delta)     (the paper's threshold output, delta = 1e-3)
//   l_i  = (f_i - y_i)^2                   (tf.losses.mean_squared_error: no factor 1/2)
//
// The second layer a is fixed as in the paper (a_j = +1 for the first ceil(m/2) units, -1
// for the others), or trained too with train_output = true (then started at those values).
//
// Parameter layout: theta = vec(W~) then a, with W~ = [W | b] the m x (p + 1) first-layer
// matrix (column k < p: the weights of input k, column p: the biases) flattened column by
// column: theta[k m + j] = w_jk (k < p), theta[p m + j] = b_j, and, when the output layer
// is trained, theta[(p + 1) m + j] = a_j. d = (p + 1) m (+ m).
//
// Derivatives (almost everywhere; ReLU'(0) and the clip's derivative at its corners are
// taken as 0, as TensorFlow does). With s_ij = 1[u_ij > 0], h_ij = relu(u_ij), the clip's
// derivative c_i = 1[delta < z_i < 1 - delta], x~_i = (x_i, 1) and r_i = 2 (f_i - y_i) c_i:
//   d l_i / d w~_j = r_i a_j s_ij x~_i,      d l_i / d a_j = r_i h_ij,
// so grad l_i = r_i J_i with J_i = grad z_i. The Hessian of l_i is
//   2 c_i J_i J_i^T + r_i grad^2 z_i       (c_i^2 = c_i; the clip's second derivative is 0 a.e.)
// and grad^2 z_i is zero a.e. except for the cross terms between the layers,
//   d^2 z_i / (d w~_j d a_j) = s_ij x~_i   (ReLU'' = 0 a.e., z linear in a, in w~_j for fixed s).
// So with a fixed output layer H = (2/n) sum_i c_i J_i J_i^T is the Gauss-Newton matrix
// exactly; with a trained one the cross blocks (1/n) sum_i r_i s_ij x~_i are added (they make
// H indefinite in general). Finite differences agree away from the kinks (u_ij = 0 and
// z_i = delta or 1 - delta), which have measure zero.
//
// Synthetic data (docs/theory.md 4.4B): x_i uniform on [-2, 2]^p (p = input_dim >= 2; the paper
// has p = 2), y_i = 1 if x_i1 >= x_i2, else 0; n = 1000 and m = 100 in the paper; a held-out
// test set drawn the same way. The paper's initialisation is not recorded (docs/theory.md 4.4B): ours
// draws every first-layer weight and bias from N(0, init_scale^2 / m), so the initial output
// has a standard deviation of about init_scale (O(1), mostly inside the clip's range). All
// draws come from the counter-based stream keyed by the data seed (initial_point() returns
// this initialisation; dynamics.start_at = "initial" starts there).
#include "losses/loss.hpp"

namespace sgdnoise {

class ReluNetwork final : public FiniteSumLoss {
 public:
  using RowMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  struct Synthetic {
    Index n = 1000, input_dim = 2, width = 100, n_test = 1000;
    double delta = 1e-3, init_scale = 0.5;
    bool train_output = false;
    std::uint64_t seed = 0;
  };
  /// Throws std::invalid_argument on sizes below 1, input_dim < 2, width < 1, delta outside
  /// [0, 1/2) or init_scale < 0.
  static ReluNetwork synthetic(const Synthetic& s);

  std::string kind() const override { return "relu_network"; }
  Index dim() const override { return d_; }
  Index n_samples() const override { return X_.rows(); }
  void value(ConstBlockRef T, Eigen::Ref<Vec> out) const override;
  void gradient(ConstBlockRef T, BlockRef G) const override;
  Mat hessian(const Vec& theta) const override;
  Vec hessian_vector(const Vec& theta, const Vec& v) const override;
  bool has_test_set() const override { return Xtest_.rows() > 0; }
  void test_value(ConstBlockRef T, Eigen::Ref<Vec> out) const override;
  std::optional<Vec> initial_point() const override { return init_; }

  void sparse_weighted_gradient(ConstBlockRef T, const IndexBlock& idx, ConstBlockRef w, BlockRef G) const override;
  void dense_weighted_gradient(ConstBlockRef T, ConstBlockRef W, BlockRef G) const override;
  Mat sample_gradients(const Vec& theta) const override;

  Index width() const { return m_; }
  Index input_dim() const { return p_; }
  bool train_output() const { return train_output_; }
  double delta() const { return delta_; }
  /// The output layer a at theta (the fixed +-1 when it is not trained).
  Vec output_weights(const Vec& theta) const;
  /// Fraction of samples whose prediction f_i is on the side of 1/2 of their label.
  double accuracy(const Vec& theta) const;
  const auto& inputs() const { return X_; }
  const Vec& labels() const { return y_; }

 private:
  ReluNetwork() = default;
  // z = sum_j a_j relu(u_j) for input x (p numbers); u (m) receives the pre-activations.
  double forward(const double* th, const double* a, const double* x, double* u) const;
  double clip(double z) const { return std::min(std::max(z, delta_), 1.0 - delta_); }
  double inside(double z) const { return z > delta_ && z < 1.0 - delta_ ? 1.0 : 0.0; }
  // g += w grad l_i(theta) (u: scratch of m).
  void add_sample_gradient(const double* th, const double* a, Index i, double w, double* u, double* g) const;
  double mean_loss(const RowMat& X, const Vec& y, const double* theta) const;
  // J_i = grad z_i into J (d); returns z_i.
  double jacobian_row(const double* th, const double* a, Index i, double* u, double* J) const;

  Index p_ = 2, m_ = 100, d_ = 0;
  bool train_output_ = false;
  double delta_ = 1e-3;
  RowMat X_, Xtest_;  // rows x_i contiguous
  Vec y_, ytest_;
  Vec a_fixed_;
  Vec init_;
};

}  // namespace sgdnoise
