#pragma once
// Least squares L(theta) = (1/n) sum_i 1/2 (x_i^T theta - y_i)^2, a finite sum with
// per-sample gradients grad l_i = x_i (x_i^T theta - y_i) and constant Hessian
// H = X^T X / n. Synthetic data: features x_i ~ N(0, diag(s)) with s log-spaced from 1
// down to 1/condition, a teacher theta_true ~ N(0, I / d), labels y = x^T theta_true +
// label_noise * eps; a held-out test set drawn the same way. Or data from a CSV file
// (d feature columns, then y).
#include <string>
#include <vector>

#include "losses/loss.hpp"

namespace sgdnoise {

class LeastSquares final : public FiniteSumLoss {
 public:
  /// X: n x d features, y: n labels; Xtest, ytest may be empty.
  LeastSquares(Mat X, Vec y, Mat Xtest = Mat(), Vec ytest = Vec());

  struct Synthetic {
    Index n = 100, d = 10, n_test = 1000;
    double condition = 10.0, label_noise = 0.5;
    std::uint64_t seed = 0;
  };
  static LeastSquares synthetic(const Synthetic& s);
  /// synthetic(s)'s training features X alone (n x d), without building the loss.
  static Mat synthetic_features(const Synthetic& s);

  std::string kind() const override { return "least_squares"; }
  Index dim() const override { return X_.cols(); }
  Index n_samples() const override { return X_.rows(); }
  void value(ConstBlockRef T, Eigen::Ref<Vec> out) const override;
  void gradient(ConstBlockRef T, BlockRef G) const override;
  Mat hessian(const Vec&) const override { return H_; }
  Vec hessian_vector(const Vec&, const Vec& v) const override { return H_ * v; }  // no copy of H
  std::optional<Vec> minimizer() const override { return theta_min_; }
  std::optional<double> minimum_value() const override { return min_value_; }
  bool affine_gradient() const override { return true; }
  bool has_test_set() const override { return Xtest_.rows() > 0; }
  void test_value(ConstBlockRef T, Eigen::Ref<Vec> out) const override;

  /// The sample-gradient kernels this CPU can run (the first is used), and
  /// sparse_weighted_gradient through a named one (tests compare their bits).
  static std::vector<std::string> sample_kernels();
  void sparse_weighted_gradient_with(const std::string& kernel, ConstBlockRef T, const IndexBlock& idx, ConstBlockRef w,
                                     BlockRef G) const;
  void sparse_weighted_gradient(ConstBlockRef T, const IndexBlock& idx, ConstBlockRef w, BlockRef G) const override;
  void dense_weighted_gradient(ConstBlockRef T, ConstBlockRef W, BlockRef G) const override;
  Mat sample_gradients(const Vec& theta) const override;
  /// l_i = 1/2 (x_i^T theta - y_i)^2 and its Hessian x_i x_i^T.
  std::optional<Vec> sample_values(const Vec& theta) const override;
  std::optional<Mat> sample_hessian(const Vec& theta, Index i) const override;

  const Mat& features() const { return X_; }
  const Vec& labels() const { return y_; }

 private:
  static void half_mse(const Mat& X, const Vec& y, const Mat& Xt, ConstBlockRef T, Eigen::Ref<Vec> out);
  Mat X_, Xt_;                                                                   // X (n x d) and X^T (d x n)
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> Xrow_;  // rows x_i contiguous
  Vec y_;
  Mat Xtest_, Xtest_t_;
  Vec ytest_;
  Mat H_;
  Vec theta_min_;
  double min_value_ = 0.0;
};

}  // namespace sgdnoise
