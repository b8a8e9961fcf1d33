#pragma once
// The observers of analysis/: each computes per-trajectory values in parallel over fixed
// blocks of rows and then reduces them in index order. Their contract (Observer) lives beside
// the ensemble driver, in dynamics/observer.hpp.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/stats.hpp"
#include "dynamics/observer.hpp"
#include "losses/loss_instances.hpp"

namespace sgdnoise {

/// out[i] = f(row block) evaluated in parallel over blocks of rows; the values do
/// not depend on the split because f is evaluated row by row.
Vec per_trajectory(ConstBlockRef X, int threads, const std::function<void(ConstBlockRef, Eigen::Ref<Vec>)>& f);

/// The same with each row's own loss instance: f(loss of the group, rows of that group).
/// With one instance it is per_trajectory with f(loss, .).
Vec per_trajectory(ConstBlockRef X, const TrajectoryIds& ids, const LossInstances& losses, int threads,
                   const std::function<void(const Loss&, ConstBlockRef, Eigen::Ref<Vec>)>& f);

/// One value an observer computes at a point, or the reason it is undefined there (an
/// eigensolver that did not converge, a ratio of zeros): never a silent number (docs/conventions.md).
struct PointValue {
  double value = 0.0;
  std::string undefined;  // empty: defined
};

/// The point selection of the observers that cost a dense solve per point (indicators,
/// sharpness). trajectories = 0: f once at the ensemble-mean point, a deterministic function of
/// the ensemble (se 0, method "exact at the ensemble mean"); > 0: f at each of the first
/// min(trajectories, N) rows (original order), reported as their mean and standard error over
/// those points (for a non-convex loss such as a network, where the mean of the weights need
/// not be a meaningful point). f returns one PointValue per name; a value undefined at any
/// point makes its estimate undefined (NaN, method = the reason of the first such point). The
/// points are evaluated in parallel (f must be thread-safe) and reduced in index order.
/// f(theta, trajectory) gets the point and its trajectory's original index (ids, or the row),
/// or -1 at the ensemble mean.
std::vector<Observation> observe_at_points(ConstBlockRef X, const TrajectoryIds& ids, Index trajectories, int threads,
                                           const std::vector<std::string>& names,
                                           const std::function<std::vector<PointValue>(const Vec&, std::int64_t)>& f);

/// Per-trajectory values that Observer::screen computed at step k, kept for the observe() call
/// at the same step (the driver makes it right after, on the screened rows less those it
/// excluded), so a costly value (a loss over a data set) is computed once per observation.
class ScreenedValues {
 public:
  void keep(std::int64_t k, const TrajectoryIds& ids, Vec values);
  /// The kept values of the rows (trajectories ids, or 0 .. rows-1 when ids is empty) when
  /// every one was kept at step k; otherwise nothing (compute them). Drops what was kept.
  std::optional<Vec> take(std::int64_t k, const TrajectoryIds& ids, Index rows);

 private:
  std::int64_t k_ = -1;
  TrajectoryIds ids_;
  Vec values_;
};

/// "loss": mean and standard error over trajectories of L(theta_k), each trajectory on its
/// own loss instance (fresh data per repeat: the mean over repeats of the training loss);
/// with `test`, "test_loss", the held-out loss on each instance's test set. screen() flags the trajectories whose loss
/// is non-finite or beyond kValueBound.
class LossObserver final : public Observer {
 public:
  explicit LossObserver(LossInstances loss, bool test = false) : loss_(std::move(loss)), test_(test) {}
  std::vector<std::string> names() const override { return {test_ ? "test_loss" : "loss"}; }
  void screen(std::int64_t k, ConstBlockRef X, const TrajectoryIds& ids, int threads, std::vector<char>& bad) override;
  void observe(std::int64_t k, ConstBlockRef X, const TrajectoryIds& ids, int threads,
               std::vector<Observation>& out) override;

 private:
  Vec values(ConstBlockRef X, const TrajectoryIds& ids, int threads) const;
  LossInstances loss_;
  bool test_;
  ScreenedValues screened_;
};

}  // namespace sgdnoise

namespace sgdnoise {

/// "theta_i": ensemble mean and standard error of chosen coordinates.
class MeanObserver final : public Observer {
 public:
  explicit MeanObserver(std::vector<Index> coords) : coords_(std::move(coords)) {}
  std::vector<std::string> names() const override;
  void observe(std::int64_t k, ConstBlockRef X, const TrajectoryIds& ids, int threads,
               std::vector<Observation>& out) override;

 private:
  std::vector<Index> coords_;
};

/// Moments of the ensemble: "dist2" = |theta - centre|^2 (mean over trajectories; with
/// several loss instances each trajectory's centre is its group's, centres[g]),
/// "cov_trace" and "cov_frobenius" of the empirical covariance of theta, and
/// "cov_i_j" for chosen entries.
///
/// Standard errors: dist2 and cov_trace are means of per-trajectory terms (CLT;
/// cov_trace = sum_i |x_i - xbar|^2 / (N - 1)); cov_frobenius and the entries use a
/// delete-a-group jackknife over 32 groups of consecutive trajectories (Efron & Tibshirani
/// 1993, ch. 11), which also removes the O(1/N) bias of |S_hat|_F; its dof is 31.
class MomentObserver final : public Observer {
 public:
  MomentObserver(Vec centre, std::vector<std::pair<Index, Index>> entries)
      : centres_{std::move(centre)}, entries_(std::move(entries)) {}
  MomentObserver(TrajectoryGroups groups, std::vector<Vec> centres, std::vector<std::pair<Index, Index>> entries)
      : groups_(groups), centres_(std::move(centres)), entries_(std::move(entries)) {}
  std::vector<std::string> names() const override;
  /// Flags the trajectories whose dist2 is non-finite or beyond kValueBound.
  void screen(std::int64_t k, ConstBlockRef X, const TrajectoryIds& ids, int threads, std::vector<char>& bad) override;
  void observe(std::int64_t k, ConstBlockRef X, const TrajectoryIds& ids, int threads,
               std::vector<Observation>& out) override;
  static constexpr Index kGroups = 32;

 private:
  Vec dist2(ConstBlockRef X, const TrajectoryIds& ids, int threads) const;
  TrajectoryGroups groups_;
  std::vector<Vec> centres_;
  std::vector<std::pair<Index, Index>> entries_;
};

/// The unbiased empirical covariance of the rows of X (fixed summation order).
Mat empirical_covariance(ConstBlockRef X);

}  // namespace sgdnoise
