#pragma once
// A two-layer tanh network on synthetic regression data with the squared error: the smallest
// smooth network that shows progressive sharpening and the edge of stability under GD (Cohen et
// al. 2021, "Gradient descent on neural networks typically occurs at the edge of stability",
// who train tanh and ReLU networks with the MSE loss; docs/theory.md 5.3 item 3 for paper 4's
// claim that SGD does not train there). A finite sum L(theta) = (1/n) sum_i l_i(theta):
//
//   u_ij = w_j . x_i + b_j,   h_ij = tanh(u_ij)      (hidden unit j < m)
//   f_i  = sum_j a_j h_ij                            (no output bias)
//   l_i  = 1/2 (f_i - y_i)^2
//
// Parameter layout, as relu_network's: theta[k m + j] = w_jk (k < p), theta[p m + j] = b_j,
// theta[(p + 1) m + j] = a_j; d = (p + 2) m.
//
// Derivatives (exact; tanh' = 1 - h^2, tanh'' = -2 h (1 - h^2)). With r_i = f_i - y_i,
// x~_i = (x_i, 1) and J_i = grad f_i:  d f_i / d w~_j = a_j (1 - h_ij^2) x~_i,
// d f_i / d a_j = h_ij;  grad l_i = r_i J_i;  Hess l_i = J_i J_i^T + r_i grad^2 f_i with
//   d^2 f_i / (d w~_j d w~_j) = a_j tanh''(u_ij) x~_i x~_i^T,
//   d^2 f_i / (d w~_j d a_j)  = (1 - h_ij^2) x~_i,
// every other block zero (units do not interact; f is linear in a). So H is the Gauss-Newton
// matrix (1/n) sum J_i J_i^T plus the residual-weighted term (1/n) sum r_i grad^2 f_i, which
// makes it indefinite away from an interpolating minimum.
//
// Synthetic data: x_i ~ N(0, I_p); a teacher of teacher_width tanh units, y_i = c sum_t a*_t
// tanh(w*_t . x_i) with w*_t ~ N(0, teacher_scale^2 / p I), a*_t ~ N(0, 1), and c such that the
// training labels have unit sample standard deviation (the same c for the test set), plus
// label_noise N(0, 1). Initialisation: w_jk ~ N(0, init_scale^2 / p), b_j = 0, a_j ~ N(0,
// init_scale^2 / m) (a small init_scale gives a flat start, and room for the sharpness to rise).
// Every draw comes from the counter-based stream keyed by the data seed.
#include "losses/loss.hpp"

namespace sgdnoise {

class TanhNetwork final : public FiniteSumLoss {
 public:
  using RowMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  struct Synthetic {
    Index n = 256, input_dim = 4, width = 24, n_test = 1000, teacher_width = 16;
    double teacher_scale = 4.0, label_noise = 0.0, init_scale = 0.3;
    std::uint64_t seed = 0;
  };
  /// Throws std::invalid_argument on sizes below 1 (n_test below 0) or negative or non-finite
  /// scales.
  static TanhNetwork synthetic(const Synthetic& s);

  std::string kind() const override { return "tanh_network"; }
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
  const RowMat& inputs() const { return X_; }
  const Vec& labels() const { return y_; }

 private:
  TanhNetwork() = default;
  // f = sum_j a_j tanh(u_j) for input x (p numbers); h (m) receives tanh(u_j).
  double forward(const double* th, const double* x, double* h) const;
  // g += w grad l_i(theta) (h: scratch of m).
  void add_sample_gradient(const double* th, Index i, double w, double* h, double* g) const;
  double mean_loss(const RowMat& X, const Vec& y, const double* theta) const;

  Index p_ = 4, m_ = 24, d_ = 0;
  RowMat X_, Xtest_;  // rows x_i contiguous
  Vec y_, ytest_;
  Vec init_;
};

}  // namespace sgdnoise
