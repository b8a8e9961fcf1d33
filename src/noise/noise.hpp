#pragma once
// The NoiseModel interface: draws gradient or weight noise for a batch and states
// its covariance exactly where one exists.
//
// A model specifies one covariance S (docs/conventions.md): on = "gradient" means
// S = C, the gradient-noise covariance (the step adds -eta * xi, Cov xi = C);
// on = "weights" means S = Sigma_step, the per-step weight-noise covariance.
// NoiseForms converts between C, Sigma_step and the diffusion D = Sigma_step / eta.
#include <optional>
#include <string>

#include "core/rng.hpp"
#include "core/types.hpp"
#include "losses/loss.hpp"
#include "noise/covariance_operator.hpp"

namespace sgdnoise {

enum class NoiseTarget { gradient, weights };

const char* to_string(NoiseTarget t);

class NoiseModel {
 public:
  explicit NoiseModel(NoiseTarget target) : target_(target) {}
  virtual ~NoiseModel() = default;
  virtual std::string kind() const = 0;
  virtual Index dim() const = 0;
  NoiseTarget target() const { return target_; }

  /// out.row(i) += scale * (a draw of the specified noise at X.row(i)) for the
  /// trajectory traj[i], from the stream s.
  virtual void add_sample(const StreamCoords& s, RowIds traj, ConstBlockRef X, double scale, BlockRef out) const = 0;
  /// G.row(i) = the noisy gradient g~ = grad L + xi at X.row(i) (gradient noise only).
  /// The default adds a draw of the noise to the loss's gradient; sampling noises
  /// override it to evaluate the re-weighted gradient G(theta) W directly.
  virtual void noisy_gradient(const Loss& loss, const StreamCoords& s, RowIds traj, ConstBlockRef X, BlockRef G) const;

 protected:
  /// add_sample of a noise defined by its noisy gradient (sampling noises): out.row(i) +=
  /// scale * (g~ - grad L) at X.row(i), from this model's noisy_gradient on `loss`.
  void add_gradient_deviation(const Loss& loss, const StreamCoords& s, RowIds traj, ConstBlockRef X, double scale,
                              BlockRef out) const;

 public:
  /// The specified covariance S(theta); empty where the noise has none (heavy tails).
  virtual std::optional<Mat> covariance(const Vec& theta) const = 0;
  /// The specified covariance of the draw at step k. Noises that change with the step (SGD
  /// with a batch-size schedule) override it, and their covariance(theta) is then the one
  /// of step 0; for every other noise the two are the same.
  virtual std::optional<Mat> covariance_at_step(const Vec& theta, std::uint64_t /*k*/) const {
    return covariance(theta);
  }
  /// S(theta) as a matrix-free operator (O(n d) per product) for the noises that re-weight
  /// the per-sample gradients (covariance_operator.hpp); empty for the others.
  virtual std::optional<GradientCovarianceOperator> covariance_operator(const Vec&) const { return std::nullopt; }
  /// True when S does not depend on theta.
  virtual bool constant_covariance() const = 0;
  /// False when the draws of different steps are dependent (random reshuffling).
  virtual bool independent_across_steps() const { return true; }

 private:
  NoiseTarget target_;
};

/// The three covariances of docs/conventions.md, from the specified one and eta.
struct NoiseForms {
  Mat C;           // gradient-noise covariance
  Mat Sigma_step;  // per-step weight-noise covariance
  Mat D;           // diffusion of the continuous approximation (time tau = k eta)
};
NoiseForms noise_forms(const Mat& S, NoiseTarget target, double eta);

}  // namespace sgdnoise
