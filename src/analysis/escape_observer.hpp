#pragma once
// The escape engine as an observer: first passage into a target region, tracked at
// every observation (use observe.every = 1 for step resolution; the crossing time is
// interpolated inside the step), with "escaped_fraction" recorded along the run and
// the survival statistics (Kaplan-Meier, mean time, rate, probability within a
// horizon; censoring never dropped) for the summary. A trajectory the ensemble driver
// excluded as diverged is censored at the step that saw it diverged, in the summary and in
// escaped_fraction (then a Kaplan-Meier estimate; docs/conventions.md, divergence). With a bridge, a trajectory that
// ends an interval outside a flat-boundary target is also tested for a crossing inside
// the interval (EscapeTracker::update_with_bridge).
#include <memory>
#include <optional>
#include <string>

#include "analysis/escape.hpp"
#include "analysis/observers.hpp"

namespace sgdnoise {

/// The Brownian-bridge test between observations: increments with covariance
/// sigma2_step I per step, so an interval of k1 - k0 steps has sigma2_dt =
/// sigma2_step (k1 - k0); the uniform of trajectory i for the interval ending at k1 is
/// draw 0 of the stream (seed, i, Purpose::escape_bridge, step k1), independent of the
/// thread count.
struct EscapeBridge {
  double sigma2_step = 0.0;
  std::uint64_t seed = 0;
};

class EscapeObserver final : public Observer {
 public:
  EscapeObserver(std::shared_ptr<const Region> target, Index trajectories, double eta, double horizon_steps,
                 std::optional<EscapeBridge> bridge = std::nullopt, bool stop_escaped = false);
  std::vector<std::string> names() const override { return {"escaped_fraction"}; }
  void observe(std::int64_t k, ConstBlockRef X, const TrajectoryIds& ids, int threads,
               std::vector<Observation>& out) override;
  /// With stop_escaped: the escaped trajectories (escape.stop_escaped).
  Index stopped(const std::vector<std::uint64_t>& running, std::vector<char>& stop) const override;
  /// First passages so far (and the bridge's last observation step): a resumed run
  /// continues the record exactly.
  std::string saved_state() const override;
  void restore_state(const std::string& state, std::int64_t k, ConstBlockRef X) override;
  bool stops_escaped() const { return stop_escaped_; }

  /// Statistics at the end of the run (running trajectories censored at last_step);
  /// unavailable (with the reason) when the record is not a complete first-passage record.
  bool available() const { return reason_.empty(); }
  const std::string& reason() const { return reason_; }
  EscapeSummary summary(std::int64_t last_step) const;
  const Region& target() const { return *target_; }
  double horizon_steps() const { return horizon_; }
  const std::optional<EscapeBridge>& bridge() const { return bridge_; }
  /// Per-trajectory outcomes so far (original order).
  const std::vector<TrajectoryEscape>& results() const { return tracker_.results(); }

 private:
  std::shared_ptr<const Region> target_;
  Index n_;
  double horizon_;
  std::optional<EscapeBridge> bridge_;
  bool stop_escaped_ = false;
  EscapeTracker tracker_;
  std::string reason_;
  bool started_ = false;
  bool started_observing_ = false;  // the tracker has its start state
  Mat prev_;                        // bridge: the previous observation
  std::int64_t prev_k_ = 0;
  // escaped_fraction's Kaplan-Meier state (km_advance), rebuilt from the tracker on restore.
  void km_advance(Index m, Index c);
  void km_rebuild(std::int64_t k);
  Index km_at_risk_ = 0, km_escaped_ = 0, km_censored_ = 0;
  double km_S_ = 1.0, km_V_ = 0.0;
};

}  // namespace sgdnoise
