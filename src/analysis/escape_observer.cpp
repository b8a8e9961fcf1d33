#include "analysis/escape_observer.hpp"

#include <cmath>

#include "core/bytes.hpp"
#include "core/rng.hpp"

namespace sgdnoise {

EscapeObserver::EscapeObserver(std::shared_ptr<const Region> target, Index trajectories, double eta,
                               double horizon_steps, std::optional<EscapeBridge> bridge, bool stop_escaped)
    : target_(target),
      n_(trajectories),
      horizon_(horizon_steps),
      bridge_(bridge),
      stop_escaped_(stop_escaped),
      tracker_({std::move(target)}, trajectories,
               EscapeTrackerSpec{eta, std::numeric_limits<std::int64_t>::max(), true, 1e100, RowLayout::all_rows}) {}

void EscapeObserver::observe(std::int64_t k, ConstBlockRef X, const TrajectoryIds&, int,
                             std::vector<Observation>& out) const {
  if (!started_ && k != 0) reason_ = "the run was resumed: first passages before the checkpoint were not tracked";
  started_ = true;
  if (X.rows() != n_ && reason_.empty())
    reason_ = "diverged trajectories were excluded from the ensemble; raise dynamics.divergence_bound";
  Estimate e;
  e.n = n_;
  e.method = "binomial";
  if (!reason_.empty()) {
    e.value = e.se = std::numeric_limits<double>::quiet_NaN();
  } else {
    if (!bridge_ || !started_observing_) {
      tracker_.observe(k, X);
    } else {
      // X holds every trajectory in original order (checked above): row i is trajectory i.
      Mat u(n_, 1);
      fill_uniforms(StreamCoords{bridge_->seed, Purpose::escape_bridge, static_cast<std::uint64_t>(k)}, 0, 0, u);
      tracker_.update_with_bridge(prev_k_, k, prev_, X, bridge_->sigma2_step * static_cast<double>(k - prev_k_),
                                  u.col(0));
    }
    if (bridge_) {
      prev_ = X;
      prev_k_ = k;
    }
    started_observing_ = true;
    Index escaped = 0;
    for (const auto& t : tracker_.results()) escaped += t.state == EscapeState::escaped;
    const double p = static_cast<double>(escaped) / static_cast<double>(n_);
    e.value = p;
    e.se = std::sqrt(p * (1.0 - p) / static_cast<double>(n_));
  }
  out.push_back({"escaped_fraction", e});
}

void EscapeObserver::stopped(std::vector<char>& stop) const {
  if (!stop_escaped_ || !reason_.empty()) return;
  const auto& res = tracker_.results();
  for (std::size_t t = 0; t < res.size() && t < stop.size(); ++t)
    if (res[t].state == EscapeState::escaped) stop[t] = 1;
}

std::string EscapeObserver::saved_state() const {
  ByteWriter w;
  w.pod<std::uint8_t>(1);  // layout version
  w.str(reason_);
  w.pod<std::uint8_t>(started_ ? 1 : 0);
  w.pod<std::uint8_t>(started_observing_ ? 1 : 0);
  w.pod<std::int64_t>(prev_k_);
  w.str(reason_.empty() ? tracker_.saved_state() : std::string());
  return w.take();
}

void EscapeObserver::restore_state(const std::string& state, std::int64_t k, ConstBlockRef X) const {
  try {
    ByteReader r(state);
    if (r.pod<std::uint8_t>() != 1) throw std::invalid_argument("escape observer state: unknown layout");
    std::string reason = r.str();
    const bool started = r.pod<std::uint8_t>() != 0, observing = r.pod<std::uint8_t>() != 0;
    const auto pk = r.pod<std::int64_t>();
    const std::string tracker = r.str();
    if (!r.done()) throw std::invalid_argument("escape observer state: trailing bytes");
    if (reason.empty()) {
      // The state saved at step k, taken when the observer last saw every trajectory.
      if (pk != k && bridge_) throw std::invalid_argument("escape observer state: not taken at the checkpoint's step");
      tracker_.restore_state(tracker, X);
      if (tracker_.last_step() > k) throw std::invalid_argument("escape observer state: later than the checkpoint");
      if (bridge_) prev_ = X;
    }
    reason_ = std::move(reason);
    started_ = started;
    started_observing_ = observing;
    prev_k_ = pk;
  } catch (const BytesError& e) {
    throw std::invalid_argument(std::string("escape observer state: ") + e.what());
  }
}

EscapeSummary EscapeObserver::summary(std::int64_t last_step) const {
  // On a copy: the summary of an interrupted run is written before its checkpoint, whose
  // running trajectories must stay running.
  EscapeTracker t = tracker_;
  t.censor_running(last_step);
  return summarize_escapes(t, horizon_);
}

}  // namespace sgdnoise
