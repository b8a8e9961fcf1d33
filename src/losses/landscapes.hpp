#pragma once
// Toy nonconvex landscapes for escape-time experiments: double wells (symmetric or
// tilted), a strict saddle with quartic confinement, the Mueller-Brown surface and
// paper 3's two-dimensional sharp-and-flat toy (docs/theory.md 4.4A).
//
// Each landscape knows its critical points (CriticalPoints), exactly where a closed
// form exists and otherwise found numerically at construction and stored, so that
// escape regions, basins and Eyring-Kramers predictions can be built from them.
#include <cstdint>
#include <vector>

#include "losses/loss.hpp"

namespace sgdnoise {

/// A nondegenerate critical point: location, loss value, Hessian and Morse index
/// (the number of negative Hessian eigenvalues: 0 for a minimum, 1 for a saddle).
struct CriticalPoint {
  Vec theta;
  double value = 0.0;
  Mat hessian;
  int morse_index = 0;
};

/// A capability of losses that know their minima and index-1 saddles. Landscapes
/// inherit it beside Loss; a loader reaches it with dynamic_cast<const CriticalPoints*>.
class CriticalPoints {
 public:
  virtual ~CriticalPoints() = default;
  virtual std::vector<CriticalPoint> minima() const = 0;
  /// Index-1 saddles (transition states); empty where none is smooth (SharpFlat2D).
  virtual std::vector<CriticalPoint> saddles() const = 0;
};

/// L(x) = dL (x_1^2/a^2 - 1)^2 + c x_1 + 1/2 sum_{i>=2} kappa_i x_i^2, d = 1 + kappa.size().
///
/// Untilted (c = 0): minima at x_1 = +-a with L = 0, the saddle at 0 with L = dL (the
/// barrier), curvature along x_1 8 dL/a^2 at the minima and -4 dL/a^2 at the saddle
/// (8h and -4h for a = 1, h = dL); transverse curvatures kappa_i everywhere.
/// Tilted (c != 0): the three stationary points of the quartic along x_1 are found
/// numerically (bisection on the monotone branches of L', then Newton) and stored;
/// |c| must stay below 8 dL / (3 sqrt(3) a), where the two wells merge.
class DoubleWell final : public Loss, public CriticalPoints {
 public:
  struct Spec {
    double barrier = 1.0;  // dL: L(0) - L(+-a) of the untilted well
    double a = 1.0;        // half-distance between the untilted minima
    double tilt = 0.0;     // c
    Vec transverse;        // kappa_2..kappa_d, all > 0 (empty: d = 1)
  };
  explicit DoubleWell(Spec spec);

  std::string kind() const override { return "double_well"; }
  Index dim() const override { return 1 + spec_.transverse.size(); }
  void value(ConstBlockRef X, Eigen::Ref<Vec> out) const override;
  void gradient(ConstBlockRef X, BlockRef G) const override;
  Mat hessian(const Vec& theta) const override;
  std::optional<Vec> minimizer() const override;  // the lower well (x_1 = +a when untilted)
  std::optional<double> minimum_value() const override;
  std::vector<CriticalPoint> minima() const override { return {left_, right_}; }
  std::vector<CriticalPoint> saddles() const override { return {saddle_}; }

  const Spec& spec() const { return spec_; }
  const CriticalPoint& left_minimum() const { return left_; }
  const CriticalPoint& right_minimum() const { return right_; }
  const CriticalPoint& saddle() const { return saddle_; }
  /// L(saddle) - L(left minimum), L(saddle) - L(right minimum).
  double barrier_from_left() const { return saddle_.value - left_.value; }
  double barrier_from_right() const { return saddle_.value - right_.value; }
  /// The 1-D potential along x_1 (transverse coordinates at 0), and its derivatives.
  double potential_1d(double x) const;
  double potential_1d_derivative(double x) const;
  double potential_1d_curvature(double x) const;

 private:
  CriticalPoint point_at(double x1) const;
  Spec spec_;
  double inv_a2_;
  CriticalPoint left_, right_, saddle_;
};

/// L(x) = -1/2 lambda_- x_1^2 + 1/4 beta x_1^4 + 1/2 sum_{i>=2} lambda_i x_i^2: a strict
/// saddle at 0 (L = 0, Hessian diag(-lambda_-, lambda_i)) confined by the quartic;
/// minima at x_1 = +-sqrt(lambda_-/beta) with L = -lambda_-^2/(4 beta) and curvature
/// 2 lambda_- along x_1.
class StrictSaddle final : public Loss, public CriticalPoints {
 public:
  struct Spec {
    double lambda_minus = 1.0;  // > 0
    double beta = 1.0;          // > 0
    Vec lambda;                 // lambda_2..lambda_d, all > 0
  };
  explicit StrictSaddle(Spec spec);

  std::string kind() const override { return "strict_saddle"; }
  Index dim() const override { return 1 + spec_.lambda.size(); }
  void value(ConstBlockRef X, Eigen::Ref<Vec> out) const override;
  void gradient(ConstBlockRef X, BlockRef G) const override;
  Mat hessian(const Vec& theta) const override;
  std::optional<Vec> minimizer() const override;  // x_1 = +sqrt(lambda_-/beta)
  std::optional<double> minimum_value() const override;
  std::vector<CriticalPoint> minima() const override;
  std::vector<CriticalPoint> saddles() const override;

  const Spec& spec() const { return spec_; }

 private:
  CriticalPoint point_at(double x1) const;
  Spec spec_;
};

/// The Mueller-Brown surface (Mueller & Brown 1979, Theor. Chim. Acta 53, 75):
/// V(x, y) = scale * sum_{k=1}^4 A_k exp(a_k (x - x0_k)^2 + b_k (x - x0_k)(y - y0_k) + c_k (y - y0_k)^2)
/// with the standard constants A = (-200, -100, -170, 15), a = (-1, -1, -6.5, 0.7),
/// b = (0, 0, 11, 0.6), c = (-10, -10, -6.5, 0.7), x0 = (1, 0, -0.5, -1), y0 = (0, 0.5, 1.5, 1).
/// Its three minima and two saddles are refined by Newton's method from the published
/// approximate locations at construction (minima (-0.558, 1.442), (0.623, 0.028),
/// (-0.050, 0.467); saddles (-0.822, 0.624), (0.212, 0.293)).
class MuellerBrown final : public Loss, public CriticalPoints {
 public:
  explicit MuellerBrown(double scale = 1.0);

  std::string kind() const override { return "mueller_brown"; }
  Index dim() const override { return 2; }
  void value(ConstBlockRef X, Eigen::Ref<Vec> out) const override;
  void gradient(ConstBlockRef X, BlockRef G) const override;
  Mat hessian(const Vec& theta) const override;
  std::optional<Vec> minimizer() const override { return minima_[0].theta; }
  std::optional<double> minimum_value() const override { return minima_[0].value; }
  /// Ordered as the published list: the global minimum first.
  std::vector<CriticalPoint> minima() const override { return minima_; }
  std::vector<CriticalPoint> saddles() const override { return saddles_; }
  double scale() const { return scale_; }
  /// True when every Newton refinement converged (gradient below 1e-10 * scale).
  bool refined() const { return refined_; }

 private:
  CriticalPoint refine(Vec theta, int expected_index);
  double scale_;
  bool refined_ = true;
  std::vector<CriticalPoint> minima_, saddles_;
};

/// Paper 3's two-dimensional sharp-and-flat toy (Zhu et al. 2019, code 2Dim/model.py and
/// 2Dim/run.py; docs/theory.md 4.4A), a finite sum over n data points x_i:
///   l(w; x) = min{ 10 (k1.(w - x - mu1))^2 + 100 (k2.(w - x - mu1))^2, |w - x - mu2|^2 },
/// k1 = (c, -s), k2 = (c, s), c = s = 1/sqrt(2), mu1 = (1, 1), mu2 = (-1, -1), L = (1/n) sum_i l_i.
/// Sharp basin at mu1 (Hessian 20 k1k1^T + 200 k2k2^T), flat basin at mu2 (Hessian 2I).
/// Synthetic data as in run.py: x_i = scale * (z_i1 sqrt(10) k1 + z_i2 k2), z_i ~ N(0, I),
/// scale = 1e-2, so Cov(x) = 1e-4 (10 k1k1^T + k2k2^T); the normals come from the
/// counter-based stream keyed by the data seed, so each repeat can get fresh data.
///
/// Gradients and Hessians are those of the active branch of each sample (the automatic
/// differentiation of the paper's code); on a tie (a set of measure zero) the sharp
/// branch is taken. The two minima are mu1 + xbar and mu2 + xbar (xbar the data mean),
/// checked at construction to lie where every sample's branch is that basin's. The pass
/// between the basins lies on the nonsmooth ridge where the branches are equal, so
/// saddles() is empty; without data it is at mu1 - (2 sqrt(2)/11) k2 with barrier 800/121
/// (docs/theory.md 4.4A, geometry facts).
class SharpFlat2D final : public FiniteSumLoss, public CriticalPoints {
 public:
  /// data: n x 2, row i is x_i.
  explicit SharpFlat2D(Mat data);

  struct Synthetic {
    Index n = 100;
    double scale = 1e-2;
    std::uint64_t seed = 0;
  };
  static SharpFlat2D synthetic(const Synthetic& s);

  std::string kind() const override { return "sharp_flat_2d"; }
  Index dim() const override { return 2; }
  Index n_samples() const override { return data_.rows(); }
  void value(ConstBlockRef X, Eigen::Ref<Vec> out) const override;
  void gradient(ConstBlockRef X, BlockRef G) const override;
  Mat hessian(const Vec& theta) const override;
  std::optional<Vec> minimizer() const override;  // the lower of the two minima
  std::optional<double> minimum_value() const override;
  /// {sharp minimum, flat minimum}.
  std::vector<CriticalPoint> minima() const override { return {sharp_, flat_}; }
  std::vector<CriticalPoint> saddles() const override { return {}; }

  void sparse_weighted_gradient(ConstBlockRef X, const IndexBlock& idx, ConstBlockRef w, BlockRef G) const override;
  void dense_weighted_gradient(ConstBlockRef X, ConstBlockRef W, BlockRef G) const override;
  Mat sample_gradients(const Vec& theta) const override;

  const Mat& data() const { return data_; }
  const CriticalPoint& sharp_minimum() const { return sharp_; }
  const CriticalPoint& flat_minimum() const { return flat_; }
  /// The paper's start w0 = mu1 = (1, 1) and success test w[0] < -0.5 and w[1] < -0.5.
  static Vec paper_start() { return Vec::Constant(2, 1.0); }
  static constexpr double kSuccessThreshold = -0.5;
  /// Data-free geometry (docs/theory.md 4.4A): distance from mu1 along -k2 to the ridge, and
  /// the barrier there.
  static constexpr double kPassDistance = 0.25712973861329002;  // 2 sqrt(2) / 11
  static constexpr double kBarrier = 800.0 / 121.0;

  /// Per-sample loss and gradient at one point (the reference for the batched code).
  double sample_loss(const Vec& w, Index i, Vec* grad = nullptr) const;

 private:
  Mat data_;
  CriticalPoint sharp_, flat_;
};

}  // namespace sgdnoise
