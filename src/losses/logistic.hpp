#pragma once
// Binary logistic regression, a finite sum L(theta) = (1/n) sum_i l_i(theta) (docs/theory.md 1.1)
// with labels y_i in {0, 1}:
//
//   l_i(theta) = softplus(x_i^T theta) - y_i x_i^T theta + (l2 / 2) |theta|^2,
//   grad l_i   = (sigmoid(x_i^T theta) - y_i) x_i + l2 theta,
//   H          = (1/n) sum_i s_i (1 - s_i) x_i x_i^T + l2 I,   s_i = sigmoid(x_i^T theta),
//
// softplus(z) = log(1 + e^z) (the negative log-likelihood of a Bernoulli(sigmoid(z)) label,
// a standard result, e.g. Bishop, PRML 4.3.2). The L2 term sits inside every l_i, so the
// per-sample gradients (and the empirical Fisher F) include l2 theta while the centred
// covariance Sigma_1 does not depend on l2. softplus and sigmoid are evaluated in forms that
// neither overflow nor lose the small tail (softplus(z) = max(z, 0) + log1p(e^{-|z|})).
//
// Synthetic data: features x_i ~ N(0, diag(s)), s log-spaced 1 .. 1/condition (as for least
// squares), a teacher theta_true = teacher_scale * N(0, I / d), labels y_i ~ Bernoulli(
// sigmoid(x_i^T theta_true)); a held-out test set drawn the same way. Every draw comes from
// the counter-based stream keyed by the data seed. Or data from a CSV file (d feature
// columns, then a 0/1 label); no test set then.
//
// The minimizer has no closed form: the constructor runs Newton's method with a backtracking
// line search (Nocedal & Wright, Numerical Optimization, 3.1 and 3.3). minimizer() is empty
// when it does not converge, which happens on linearly separable data with l2 = 0 (the
// infimum is not attained). test_value is (1/n_test) sum over the test samples of the same
// l_i, L2 term included, so test_value - value is the gap of the data term alone.
#include "losses/loss.hpp"

namespace sgdnoise {

/// log(1 + e^z) without overflow or cancellation.
double softplus(double z);
/// 1 / (1 + e^{-z}) without overflow.
double sigmoid(double z);

class Logistic final : public FiniteSumLoss {
 public:
  /// X: n x d features, y: n labels in {0, 1}; Xtest, ytest may be empty. Throws
  /// std::invalid_argument on mismatched sizes, non-binary labels or l2 < 0.
  Logistic(Mat X, Vec y, double l2 = 0.0, Mat Xtest = Mat(), Vec ytest = Vec());

  struct Synthetic {
    Index n = 200, d = 5, n_test = 1000;
    double condition = 10.0, teacher_scale = 2.0, l2 = 0.0;
    std::uint64_t seed = 0;
  };
  static Logistic synthetic(const Synthetic& s);

  std::string kind() const override { return "logistic"; }
  Index dim() const override { return X_.cols(); }
  Index n_samples() const override { return X_.rows(); }
  void value(ConstBlockRef T, Eigen::Ref<Vec> out) const override;
  void gradient(ConstBlockRef T, BlockRef G) const override;
  Mat hessian(const Vec& theta) const override;
  Vec hessian_vector(const Vec& theta, const Vec& v) const override;
  std::optional<Vec> minimizer() const override { return theta_min_; }
  std::optional<double> minimum_value() const override { return min_value_; }
  bool has_test_set() const override { return Xtest_.rows() > 0; }
  void test_value(ConstBlockRef T, Eigen::Ref<Vec> out) const override;

  void sparse_weighted_gradient(ConstBlockRef T, const IndexBlock& idx, ConstBlockRef w, BlockRef G) const override;
  void dense_weighted_gradient(ConstBlockRef T, ConstBlockRef W, BlockRef G) const override;
  Mat sample_gradients(const Vec& theta) const override;
  /// l_i as above and its Hessian s_i (1 - s_i) x_i x_i^T + l2 I.
  std::optional<Vec> sample_values(const Vec& theta) const override;
  std::optional<Mat> sample_hessian(const Vec& theta, Index i) const override;

  const Mat& features() const { return X_; }
  const Vec& labels() const { return y_; }
  double l2() const { return l2_; }
  /// The teacher of synthetic data (empty for data given directly).
  const Vec& teacher() const { return teacher_; }

 private:
  void mean_log_loss(const Mat& Xt, const Vec& y, ConstBlockRef T, Eigen::Ref<Vec> out) const;
  void newton();
  Mat X_, Xt_;                                                                   // X (n x d) and X^T (d x n)
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> Xrow_;  // rows x_i contiguous
  Vec y_;
  double l2_ = 0.0;
  Mat Xtest_, Xtest_t_;
  Vec ytest_;
  Vec teacher_;
  std::optional<Vec> theta_min_;
  std::optional<double> min_value_;
};

}  // namespace sgdnoise
