#pragma once
// Target sets of parameter space for escape detection, batched over the rows of a block of
// trajectories: balls, half-spaces, coordinate thresholds, level sets of the loss, their
// intersections, and basins of attraction of a loss's minima under gradient flow.
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "losses/loss.hpp"

namespace sgdnoise {

/// A target set of parameter space, evaluated on every row of a block.
///
/// A region may have a margin phi, continuous, >= 0 inside and < 0 outside; then the
/// tracker interpolates the first-passage time linearly inside the crossing step, at
/// the fraction where phi crosses zero (exact when phi is affine along the step:
/// half-spaces and thresholds; first order for level sets).
class Region {
 public:
  virtual ~Region() = default;
  virtual std::string kind() const = 0;
  /// out[i] = 1 when X.row(i) lies in the region, else 0 (out is resized to X.rows()).
  virtual void inside(ConstBlockRef X, std::vector<char>& out) const = 0;
  virtual bool has_margin() const { return false; }
  /// out[i] = phi(X.row(i)); only where has_margin().
  virtual void margin(ConstBlockRef, Eigen::Ref<Vec> out) const { out.setZero(); }
  /// True when phi is the signed Euclidean distance to a hyperplane (the Brownian-bridge
  /// correction applies).
  virtual bool flat_boundary() const { return false; }
  /// For rows outside at `before` and inside at `after`: the fraction f in [0, 1] of the
  /// step at which the region is entered. Default: phi_b / (phi_b - phi_a) where a margin
  /// exists, else 1 (the event is placed at the end of the step).
  virtual void entry_fraction(ConstBlockRef before, ConstBlockRef after, Eigen::Ref<Vec> f) const;
  /// For each row i inside the region whose trajectory ids[i] has first_passage[ids[i]] < 0,
  /// sets it to `step` (the escape loop of run_until_escaped). The default goes through
  /// inside(); a threshold reads its column in one pass.
  virtual void record_entries(ConstBlockRef X, const std::uint64_t* ids, std::int64_t step,
                              std::int64_t* first_passage) const;
};

/// |theta - centre| <= radius, or its exterior (|theta - centre| >= radius) when
/// `outside`: leaving a ball around a minimum is a common escape criterion. The margin is
/// the signed distance to the sphere; the entry fraction solves the segment-sphere
/// intersection exactly.
class Ball final : public Region {
 public:
  Ball(Vec centre, double radius, bool outside = false);
  std::string kind() const override { return outside_ ? "outside_ball" : "ball"; }
  const Vec& centre() const { return centre_; }
  double radius() const { return radius_; }
  bool outside() const { return outside_; }
  void inside(ConstBlockRef X, std::vector<char>& out) const override;
  bool has_margin() const override { return true; }
  void margin(ConstBlockRef X, Eigen::Ref<Vec> out) const override;
  void entry_fraction(ConstBlockRef before, ConstBlockRef after, Eigen::Ref<Vec> f) const override;

 private:
  Vec centre_;
  double radius_;
  bool outside_;
};

/// {theta : normal . theta >= offset}; the margin is (normal . theta - offset) / |normal|.
class HalfSpace final : public Region {
 public:
  HalfSpace(Vec normal, double offset);
  std::string kind() const override { return "half_space"; }
  void inside(ConstBlockRef X, std::vector<char>& out) const override;
  bool has_margin() const override { return true; }
  void margin(ConstBlockRef X, Eigen::Ref<Vec> out) const override;
  bool flat_boundary() const override { return true; }

 private:
  Vec unit_normal_;
  double offset_;  // divided by |normal|
};

/// theta_i >= value (above) or theta_i <= value (below).
class CoordinateThreshold final : public Region {
 public:
  enum class Side { above, below };
  CoordinateThreshold(Index coord, double value, Side side);
  std::string kind() const override { return "coordinate_threshold"; }
  void inside(ConstBlockRef X, std::vector<char>& out) const override;
  bool has_margin() const override { return true; }
  void margin(ConstBlockRef X, Eigen::Ref<Vec> out) const override;
  bool flat_boundary() const override { return true; }
  void record_entries(ConstBlockRef X, const std::uint64_t* ids, std::int64_t step,
                      std::int64_t* first_passage) const override;
  Index coordinate() const { return coord_; }
  double value() const { return value_; }
  Side side() const { return side_; }

 private:
  Index coord_;
  double value_;
  Side side_;
};

/// {theta : L(theta) > level}; margin L - level (linear interpolation of the loss inside
/// the step: first order in the step).
class LevelSet final : public Region {
 public:
  LevelSet(std::shared_ptr<const Loss> loss, double level);
  std::string kind() const override { return "level_set"; }
  void inside(ConstBlockRef X, std::vector<char>& out) const override;
  bool has_margin() const override { return true; }
  void margin(ConstBlockRef X, Eigen::Ref<Vec> out) const override;

 private:
  std::shared_ptr<const Loss> loss_;
  double level_;
};

/// The intersection of regions (e.g. paper 3's success test w_0 < -0.5 and w_1 < -0.5,
/// docs/theory.md 4.4A). Margin: the minimum of the parts' margins; entry fraction: the
/// largest of the parts' (exact when each part is a half-space or threshold).
class AllOf final : public Region {
 public:
  explicit AllOf(std::vector<std::shared_ptr<const Region>> parts);
  std::string kind() const override { return "all_of"; }
  void inside(ConstBlockRef X, std::vector<char>& out) const override;
  bool has_margin() const override;
  void margin(ConstBlockRef X, Eigen::Ref<Vec> out) const override;
  void entry_fraction(ConstBlockRef before, ConstBlockRef after, Eigen::Ref<Vec> f) const override;

 private:
  std::vector<std::shared_ptr<const Region>> parts_;
};

/// Gradient flow theta' = -grad L integrated by classical Runge-Kutta 4 with step dt
/// for at most `time`; a point is captured by the first minimum within capture_radius.
/// RK4 is stable on a quadratic direction only for dt lambda < 2.78: choose dt below
/// 2.5 / lambda_max of the region visited.
struct GradientFlowSpec {
  double time = 20.0;
  double dt = 1e-2;
  double capture_radius = 1e-3;
};

/// The basin of attraction of minima[target] under gradient flow: a point is inside when
/// the flow started from it reaches minima[target] (within capture_radius) in the time
/// allowed. No margin: an entry is placed at the end of its step. Each call integrates
/// the flow for every row, so it costs up to time/dt * 4 gradient evaluations.
class Basin final : public Region {
 public:
  Basin(std::shared_ptr<const Loss> loss, std::vector<Vec> minima, Index target, GradientFlowSpec flow = {});
  std::string kind() const override { return "basin"; }
  void inside(ConstBlockRef X, std::vector<char>& out) const override;
  /// label[i] = index of the minimum the flow from X.row(i) reaches, or -1 when it reaches
  /// none in the time allowed (or the flow diverged).
  void classify(ConstBlockRef X, std::vector<int>& label) const;

 private:
  std::shared_ptr<const Loss> loss_;
  std::vector<Vec> minima_;
  Index target_;
  GradientFlowSpec flow_;
};

}  // namespace sgdnoise
