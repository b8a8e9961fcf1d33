#pragma once
// Paper 3's Gaussian "GLD" noises (Zhu et al. 2019, Table 1; docs/theory.md 4.2) and the
// Gaussian full- and diagonal-Fisher noises of papers 1 and 2 (docs/theory.md 2.2, 3.3), on a
// finite sum. Every one is drawn at the trajectory's own theta (state-dependent), and
// covariance(theta) is its exact covariance there. With c_b the SGD factor of docs/theory.md
// 1.2 (C_sgd = c_b Sigma_1: c_b = 1/b with replacement, (n - b)/(b (n - 1)) without) and
// t(theta) = Tr C_sgd(theta):
//
//   const          C = sigma^2 I                                                  [CODE]
//   dynamic        C = (t / d) I                                                  [CODE]
//   diag           C = diag C_sgd      (option: c_b diag F, paper 1's SVHN/diagF.py) [CODE]
//   leading        C = sum_{i<=k} mu_i v_i v_i^T, (mu_i, v_i) the top k of C_sgd     [CODE]
//   hessian        C = (t / sum_{i<=k} lambda_i) sum_{i<=k} lambda_i u_i u_i^T,
//                  (lambda_i, u_i) the top k of H(theta)                          [CODE]
//   first_eigvec   C = t u_1 u_1^T                                                [CODE]
//   gaussian_sgd          C = C_sgd = c_b Sigma_1  (docs/theory.md 1.2; paper 1's MSGD-Cov)
//   gaussian_fisher       C = s F                  (docs/theory.md 1.2; paper 2's full Fisher)
//   gaussian_fisher_diag  C = s diag F             (paper 2's diagonal Fisher, 3.3)
//
// [CODE]: docs/theory.md 4.2 and 4.4 restate the authors' code (uuujf/SGDNoise): the Hessian
// variant rescales the top-k eigenvalues "to sum to Tr Sigma" (FashionMNIST) or uses
// H / Tr H x budget (2-D toy, k = d); the 1st-eigvec variant has variance Tr Sigma along
// u_1. [RECALLED] (docs/theory.md 4.2): the paper's Sigma_sgd is the with-replacement Sigma_1/m;
// its code draws batches without replacement, hence the `scheme` parameter. Ours, not the
// paper's: negative eigenvalues (rounding in C_sgd, or an indefinite H) are clamped to 0
// so that C stays positive semidefinite; a zero denominator gives C = 0.
//
// Option `trace` > 0 rescales C(theta) to that trace at every theta: paper 3's 2-D toy adds
// noise with Tr Sigma = 0.01 to the weights at every step (docs/theory.md 4.4A, [CODE]).
//
// Cost per trajectory and step: const draws d normals. gaussian_sgd and gaussian_fisher
// draw n normals and cost one re-weighted gradient G(theta) w, without forming d x d
// (xi = G (z - zbar) sqrt(c_b / n) has covariance c_b Sigma_1, xi = G z sqrt(s / n) has s F;
// docs/theory.md 1.2, rows 4-5). dynamic, diag and gaussian_fisher_diag need the per-sample
// gradients (O(n d), via sample_gradients) and draw d normals. leading forms C_sgd (O(n d^2))
// and hessian forms H (Loss::hessian); both then run a dense d x d eigendecomposition
// (O(d^3)) and draw k normals; first_eigvec likewise, drawing 1 normal. Meant for small d.
#include <memory>
#include <optional>

#include "noise/noise.hpp"
#include "noise/sampling.hpp"

namespace sgdnoise {

class GldNoise final : public NoiseModel {
 public:
  enum class Type {
    constant,
    dynamic,
    diag,
    leading,
    hessian,
    first_eigvec,
    gaussian_sgd,
    gaussian_fisher,
    gaussian_fisher_diag
  };
  struct Params {
    /// The SGD whose covariance C_sgd = c_b Sigma_1 is the reference.
    SgdSampling::Scheme scheme = SgdSampling::Scheme::with_replacement;
    Index batch = 1;
    /// constant: sigma^2.
    double variance = 0.0;
    /// leading, hessian: the number k of eigenpairs (1 <= k <= d).
    Index k = 1;
    /// diag: c_b diag F instead of diag C_sgd.
    bool diag_of_fisher = false;
    /// gaussian_fisher(_diag): s in C = s F; default c_b, so that C = C_sgd where
    /// grad L = 0 (F = Sigma_1 + grad L grad L^T, docs/theory.md 1.1; paper 3's Sigma_sgd ~ F/m, 4.2).
    std::optional<double> fisher_scale;
    /// > 0: C(theta) rescaled to this trace at every theta (docs/theory.md 4.4A). 0: off.
    double trace = 0.0;
    NoiseTarget target = NoiseTarget::gradient;
  };

  GldNoise(std::shared_ptr<const FiniteSumLoss> loss, Type type, Params p);

  std::string kind() const override;
  Index dim() const override { return loss_->dim(); }
  void add_sample(const StreamCoords& s, RowIds traj, ConstBlockRef X, double scale, BlockRef out) const override;
  std::optional<Mat> covariance(const Vec& theta) const override;
  /// gaussian_sgd and gaussian_fisher only: they re-weight the per-sample gradients.
  std::optional<GradientCovarianceOperator> covariance_operator(const Vec& theta) const override;
  bool constant_covariance() const override;

  Type type() const { return type_; }
  const Params& params() const { return p_; }
  /// c_b of the reference SGD.
  double sgd_factor() const { return c_b_; }
  /// Normals drawn per trajectory and step: d, k, 1 or n.
  Index draws() const;

 private:
  // One trajectory's noise at its theta: xi = sd .* z (diagonal types) or B z (factor types).
  struct Local {
    Vec sd;
    Mat B;
  };
  Local local(const Vec& theta) const;
  bool weight_type() const { return type_ == Type::gaussian_sgd || type_ == Type::gaussian_fisher; }
  bool diagonal_type() const;
  // Tr C(theta) before the trace option, for the weight types.
  double weight_type_trace(const Mat& G) const;

  std::shared_ptr<const FiniteSumLoss> loss_;
  Type type_;
  Params p_;
  double c_b_;
  double fisher_s_;
};

}  // namespace sgdnoise
