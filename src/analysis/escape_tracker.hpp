#pragma once
// The escape tracker: per-trajectory escape statuses (running, escaped with a destination,
// censored, diverged) and first-passage times from the ensemble before and after each step,
// with the Brownian-bridge crossing test, compaction of escaped rows, and the state a
// checkpoint keeps (saved_state / restore_state).
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "analysis/escape_regions.hpp"

namespace sgdnoise {

/// Probability that a Brownian bridge with variance sigma2_dt over the interval (the
/// variance of the displacement along the boundary normal: sigma^2 dt for isotropic
/// D = sigma^2 I) crosses a hyperplane, given that it starts at distance a and ends at
/// distance b on the same side: exp(-2 a b / (sigma^2 dt)) (reflection principle;
/// Karatzas & Shreve 1991, sec. 2.6; used for barrier crossings by Glasserman 2004,
/// sec. 6.4). 1 when a <= 0 or b <= 0 (an endpoint on or beyond the boundary).
double bridge_crossing_probability(double a, double b, double sigma2_dt);

enum class EscapeState : std::uint8_t { running, escaped, censored, diverged };
std::string to_string(EscapeState s);

/// The outcome of one trajectory.
struct TrajectoryEscape {
  EscapeState state = EscapeState::running;
  int destination = -1;  // escaped: index of the target region entered
  /// Time of the event in steps: the (interpolated) first-passage time when escaped, the
  /// last step observed when censored, the step at which it was seen diverged.
  double steps = 0.0;
  double tau = 0.0;               // steps * eta
  std::int64_t detected_at = -1;  // the step k at which the event was recorded
  bool interpolated = false;      // the time was interpolated inside the crossing step
  bool by_bridge = false;         // detected by the Brownian-bridge test
};

/// all_rows: every call passes all N trajectories in original order (stopped rows are
/// ignored). live_rows: calls pass only the running trajectories, in live() order; after
/// each update the caller removes the stopped rows with compact().
enum class RowLayout { all_rows, live_rows };

struct EscapeTrackerSpec {
  double eta = 1.0;  // tau = k eta
  /// Running trajectories are censored once an update reaches k >= cap (default: no cap).
  std::int64_t cap = std::numeric_limits<std::int64_t>::max();
  bool interpolate = true;          // linear interpolation inside the crossing step
  double divergence_bound = 1e100;  // |theta_i| beyond this (or non-finite) counts as diverged
  RowLayout layout = RowLayout::all_rows;
};

/// First-passage detection over an ensemble. The first target a trajectory enters is
/// its destination (if it enters several in one step, the one entered earliest in the
/// step, then the lowest index). Trajectories that start inside a target escape at the
/// start step with time k0 (counted in started_inside()).
class EscapeTracker {
 public:
  EscapeTracker(std::vector<std::shared_ptr<const Region>> targets, Index n_trajectories, EscapeTrackerSpec spec);

  /// The initial state at step k0. Returns the number of trajectories that stopped.
  Index start(std::int64_t k0, ConstBlockRef X0);
  /// The step(s) from k0 to k1 > k0: before and after in the spec's row layout.
  /// Returns the number of trajectories that stopped.
  Index update(std::int64_t k0, std::int64_t k1, ConstBlockRef before, ConstBlockRef after);
  /// update() plus, for rows that ended outside every target, the Brownian-bridge test
  /// on each flat-boundary target: crossing when uniforms[row] falls below the
  /// cumulative sum of the targets' bridge_crossing_probability (an approximation of
  /// the union when several targets apply). For SDE runs with isotropic diffusion, per
  /// integration sub-step (sigma2_dt = sigma^2 dt). Uniforms: one per row of `after`,
  /// from the caller's counter-based stream. The event time is placed at the fraction
  /// a / (a + b) of the step (resolution: one step).
  Index update_with_bridge(std::int64_t k0, std::int64_t k1, ConstBlockRef before, ConstBlockRef after,
                           double sigma2_dt, const Eigen::Ref<const Vec>& uniforms);
  /// Observer-style use, called with the ensemble at each observation step: the first
  /// call is start(), later ones update() from the previous call's state (kept here).
  Index observe(std::int64_t k, ConstBlockRef X);
  /// Censors every running trajectory at step k (the run ended before the cap).
  Index censor_running(std::int64_t k);

  /// live_rows layout: removes from X (rows in the previous live() order) the rows of
  /// the trajectories stopped by the last update, keeping the order. A matrix already
  /// compacted is left alone.
  void compact(Mat& X) const;

  /// The tracker's state for a checkpoint (all_rows layout), and its restoration with the
  /// ensemble `prev` of the last observation (the checkpoint's state). restore_state throws
  /// std::invalid_argument when the bytes do not fit this tracker.
  std::string saved_state() const;
  void restore_state(const std::string& bytes, ConstBlockRef prev);

  /// Original indices of the running trajectories, increasing.
  const std::vector<Index>& live() const { return live_; }
  const std::vector<TrajectoryEscape>& results() const { return results_; }
  Index n_trajectories() const { return static_cast<Index>(results_.size()); }
  Index n_running() const { return static_cast<Index>(live_.size()); }
  Index n_targets() const { return static_cast<Index>(targets_.size()); }
  Index started_inside() const { return started_inside_; }
  std::int64_t last_step() const { return last_step_; }
  const EscapeTrackerSpec& spec() const { return spec_; }

 private:
  Index update_impl(std::int64_t k0, std::int64_t k1, ConstBlockRef before, ConstBlockRef after, double sigma2_dt,
                    const Vec* uniforms);
  /// before/after: the live rows in live() order.
  Index process(std::int64_t k0, std::int64_t k1, ConstBlockRef before, ConstBlockRef after, double sigma2_dt,
                const Vec* uniforms, bool at_start);
  std::vector<std::shared_ptr<const Region>> targets_;
  EscapeTrackerSpec spec_;
  std::vector<TrajectoryEscape> results_;
  std::vector<Index> live_;
  std::vector<char> last_keep_;  // per row of the last update's live input: 1 = still running
  Index started_inside_ = 0;
  std::int64_t last_step_ = 0;
  bool started_ = false;
  Mat prev_;  // observe(): the previous observation (live rows or all rows, per layout)
  std::int64_t prev_k_ = 0;
};

}  // namespace sgdnoise
