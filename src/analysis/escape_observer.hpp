#pragma once
// The escape engine as an observer: first passage into a target region, tracked at
// every observation (use observe.every = 1 for step resolution; the crossing time is
// interpolated inside the step), with "escaped_fraction" recorded along the run and
// the survival statistics (Kaplan-Meier, mean time, rate, probability within a
// horizon; censoring never dropped) for the summary.
#include <memory>
#include <string>

#include "analysis/escape.hpp"
#include "analysis/observers.hpp"

namespace sgdnoise {

class EscapeObserver final : public Observer {
 public:
  EscapeObserver(std::shared_ptr<const Region> target, Index trajectories, double eta, double horizon_steps);
  std::vector<std::string> names() const override { return {"escaped_fraction"}; }
  void observe(std::int64_t k, ConstBlockRef X, const TrajectoryIds& ids, int threads,
               std::vector<Observation>& out) const override;

  /// Statistics at the end of the run (running trajectories censored at last_step);
  /// unavailable (with the reason) when the record is not a complete first-passage record.
  bool available() const { return reason_.empty(); }
  const std::string& reason() const { return reason_; }
  EscapeSummary summary(std::int64_t last_step) const;
  const Region& target() const { return *target_; }
  double horizon_steps() const { return horizon_; }

 private:
  std::shared_ptr<const Region> target_;
  Index n_;
  double horizon_;
  mutable EscapeTracker tracker_;
  mutable std::string reason_;
  mutable bool started_ = false;
};

}  // namespace sgdnoise
