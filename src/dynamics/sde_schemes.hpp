#pragma once
// SDE schemes with state-dependent diffusion and the stochastic modified equations.
//
// The SDE, in time tau = k eta (docs/conventions.md):
//   d theta = mu(theta) dtau + b(theta) dW,   b b^T = D(theta) = Sigma_step(theta) / eta,
// with D = eta C(theta) for gradient noise, for any NoiseModel whose covariance(theta)
// exists (SGD's sampling covariance, Fisher, multiplicative noise, Gaussian, ...). The
// factor b is, per trajectory and point, the symmetric square root D(theta)^{1/2} (smooth
// in theta wherever D is positive definite), or a fixed psd factor when D is constant.
//
// Drifts:
//   gradient:  mu = -grad L                                       (the SDE; SME of order 1)
//   modified:  mu = -grad (L + eta/4 ||grad L||^2) = -(grad L + eta/2 H grad L)
// The stochastic modified equations of SGD (Li, Tai & E 2017, ICML, Thm 1; the same two
// equations in Li, Tai & E 2019, JMLR 20(40)): order 1, d theta = -grad L dtau + (eta C)^{1/2} dW;
// order 2, the same diffusion (eta C)^{1/2} with the modified drift (the diffusion needs no
// O(eta) correction at order 2: D itself is O(eta), so its corrections are O(eta^2)). Both approximate SGD weakly
// (order 1 and 2 in eta) over fixed tau; order 2 needs a weak order-2 integrator to keep that accuracy.
//
// Schemes (dt = eta / substeps; Brownian increments are normals of purpose sde_increment at
// sub-step k m + s, draw j = Brownian component j, so every scheme shares its dW):
//   euler_maruyama  strong 0.5 (1.0 for additive noise), weak 1 (Kloeden & Platen 1992, sec. 10.2
//                   and 14.1), Gaussian increments b(theta) dW; or, with SdeIncrements::noise_draw,
//                   the noise model's own draw at theta scaled to covariance D dt (SGD's sampling
//                   noise keeps its batch draws, a heavy-tailed noise its tails): the one
//                   Euler-Maruyama of the code base (dynamics kind sde_euler_maruyama).
//   milstein        strong 1, weak 1, for commutative noise, L^{j1} b^{j2} = L^{j2} b^{j1}
//                   (K&P sec. 10.3; diagonal noise, b^{kk} depending on theta_k only, is a special
//                   case). L^j b = Db[b^j] by central differences of b. Refused at construction
//                   when the defect is not zero at the probe points.
//   weak2           weak 2: the explicit (derivative-free) order-2.0 weak scheme of Platen for
//                   multi-dimensional, non-commutative noise (K&P sec. 15.1, the multi-noise form),
//                   with Gaussian dW and the two-point variables V_{r,j} = -V_{j,r} = +-dt of
//                   K&P sec. 14.2 drawn from purpose sde_weak2_auxiliary.
#include <memory>
#include <optional>
#include <string>

#include "dynamics/stepper.hpp"

namespace sgdnoise {

/// b(theta) with b b^T = D(theta) = Sigma_step(theta) / eta for a noise model (may be null).
/// With a preconditioner M, gradient noise passes through M: D = eta M C M (preconditioner.hpp).
class DiffusionFactor {
 public:
  /// Throws std::invalid_argument when the noise has no covariance (heavy tails).
  DiffusionFactor(std::shared_ptr<const NoiseModel> noise, Index dim, double eta,
                  std::shared_ptr<const Preconditioner> preconditioner = nullptr);
  Index dim() const { return d_; }
  /// Number of Brownian components m (columns of b).
  Index columns() const { return m_; }
  bool zero() const { return m_ == 0; }
  bool constant() const { return constant_; }
  /// b(theta), d x m.
  void factor(const Vec& theta, Mat& b) const;
  /// D(theta), d x d.
  Mat diffusion(const Vec& theta) const;
  /// The constant factor (constant() only).
  const Mat& constant_factor() const { return B_; }
  const NoiseModel* noise() const { return noise_.get(); }

 private:
  std::shared_ptr<const NoiseModel> noise_;
  Index d_;
  double eta_;
  std::shared_ptr<const Preconditioner> M_;
  bool constant_ = true;
  Index m_ = 0;
  Mat B_;
};

enum class SdeScheme { euler_maruyama, milstein, weak2 };
enum class SdeDrift { gradient, modified };
/// What drives a sub-step: Brownian increments b(theta) dW (every scheme), or the noise
/// model's own draw scaled to covariance D dt (Euler-Maruyama with the gradient drift only;
/// the noise needs no covariance: heavy tails are allowed).
enum class SdeIncrements { brownian, noise_draw };

const char* to_string(SdeScheme s);

struct SdeSpec {
  SdeScheme scheme = SdeScheme::euler_maruyama;
  SdeDrift drift = SdeDrift::gradient;
  int substeps = 10;
  /// The kind reported by the stepper (the scenario's name for it).
  std::string kind = "sde";
  /// Drift -M grad L (null: M = I); gradient drift only (preconditioner.hpp).
  std::shared_ptr<const Preconditioner> preconditioner;
  SdeIncrements increments = SdeIncrements::brownian;
};

/// The nominal strong and weak orders of a scheme (for additive noise EM is strong 1).
struct SchemeOrders {
  double strong = 0.0, weak = 0.0;
};
SchemeOrders nominal_orders(SdeScheme s);

/// Any of the schemes above, with either drift, for a Loss and a NoiseModel.
class SdeStepper final : public Stepper {
 public:
  /// probe: points at which Milstein checks the commutativity of the noise (the start
  /// of the run); without one, theta = 0. Throws std::invalid_argument with the reason
  /// when the noise has no covariance or Milstein's noise is not commutative.
  SdeStepper(std::shared_ptr<const Loss> loss, std::shared_ptr<const NoiseModel> noise, double eta, SdeSpec spec,
             const std::optional<Vec>& probe = std::nullopt);
  SchemeOrders orders() const { return nominal_orders(spec_.scheme); }
  std::string kind() const override { return spec_.kind; }
  double eta() const override { return eta_; }
  int substeps() const { return spec_.substeps; }
  const SdeSpec& spec() const { return spec_; }
  const DiffusionFactor& diffusion() const { return b_; }
  void advance(std::uint64_t seed, std::uint64_t k, RowIds traj, BlockRef X) const override;

  /// The drift mu at the rows of X (written to Mu).
  void drift(ConstBlockRef X, BlockRef Mu) const;
  /// max over j1 < j2 of ||L^{j1} b^{j2} - L^{j2} b^{j1}|| / scale at theta (0 for additive
  /// noise): the commutativity defect that Milstein needs to vanish.
  double commutativity_defect(const Vec& theta) const;

 private:
  void substep_constant(const StreamCoords& c, RowIds traj, double dt, BlockRef X) const;
  void substep_general(const StreamCoords& c, RowIds traj, double dt, BlockRef X) const;
  void substep_noise_draw(const StreamCoords& c, RowIds traj, double dt, BlockRef X) const;
  /// L^{j} b (d x m) for each j, by central differences along b^j.
  void lie_derivatives(const Vec& theta, const Mat& b, std::vector<Mat>& Lb) const;

  std::shared_ptr<const Loss> loss_;
  double eta_;
  SdeSpec spec_;
  std::shared_ptr<const NoiseModel> noise_;  // SdeIncrements::noise_draw only (may be null: no noise)
  DiffusionFactor b_;                        // SdeIncrements::brownian only
};

/// Euler-Maruyama driven by the noise model's own draws (SdeIncrements::noise_draw), kind
/// "sde_euler_maruyama" ("+preconditioned" with M): d theta = -M grad L dtau + D^{1/2} dW with
/// m sub-steps of dt = eta / m per unit of k (Kloeden & Platen 1992, sec. 9.1); gradient noise
/// passes through M (D = eta M C M), weight noise does not (D = Sigma_step / eta).
SdeStepper euler_maruyama(std::shared_ptr<const Loss> loss, std::shared_ptr<const NoiseModel> noise, double eta,
                          int substeps, std::shared_ptr<const Preconditioner> preconditioner = nullptr);

}  // namespace sgdnoise
