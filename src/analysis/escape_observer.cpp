#include "analysis/escape_observer.hpp"

#include <cmath>
#include <map>
#include <stdexcept>

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
      // The ensemble driver decides divergence (dynamics.divergence_bound, observed values):
      // a trajectory it excluded reaches the tracker as a row of NaN (observe()).
      tracker_({std::move(target)}, trajectories,
               EscapeTrackerSpec{eta, std::numeric_limits<std::int64_t>::max(), true,
                                 std::numeric_limits<double>::infinity(), RowLayout::all_rows}),
      km_at_risk_(trajectories) {}

// Kaplan-Meier (Kaplan & Meier 1958) at the observation steps, for escaped_fraction along the
// run: m trajectories escaped since the last observation, c were seen diverged at this one.
// A diverged trajectory is right-censored at the step that saw it diverged, the survival-
// analysis convention for a subject lost to follow-up (Klein & Moeschberger 2003, sec. 3.2;
// it assumes divergence is non-informative about escape): it counts as at risk until then,
// and events at a step precede censorings at that step. Grouping the escapes of one interval
// changes nothing: prod_{i<m} (1 - 1/(n-i)) = (n-m)/n, and Greenwood's sum
// sum_{i<m} 1/((n-i)(n-i-1)) = m/(n(n-m)). Until the first censoring S = (N-E)/N exactly.
void EscapeObserver::km_advance(Index m, Index c) {
  const double N = static_cast<double>(n_);
  if (km_censored_ == 0) {
    km_escaped_ += m;
    km_at_risk_ -= m;
    if (c > 0) {
      km_S_ = static_cast<double>(km_at_risk_) / N;
      km_V_ = km_at_risk_ > 0 ? static_cast<double>(km_escaped_) / (N * static_cast<double>(km_at_risk_)) : 0.0;
    }
  } else if (m > 0) {
    const double n = static_cast<double>(km_at_risk_), md = static_cast<double>(m);
    km_S_ *= (n - md) / n;
    if (n > md) km_V_ += md / (n * (n - md));
    km_escaped_ += m;
    km_at_risk_ -= m;
  }
  km_at_risk_ -= c;
  km_censored_ += c;
}

void EscapeObserver::km_rebuild(std::int64_t k) {
  km_at_risk_ = n_;
  km_escaped_ = km_censored_ = 0;
  km_S_ = 1.0;
  km_V_ = 0.0;
  std::map<std::int64_t, std::pair<Index, Index>> at;  // detected_at -> (escaped, diverged)
  for (const auto& t : tracker_.results())
    if (t.detected_at >= 0 && t.detected_at <= k) {
      if (t.state == EscapeState::escaped) ++at[t.detected_at].first;
      if (t.state == EscapeState::diverged) ++at[t.detected_at].second;
    }
  for (const auto& [step, mc] : at) km_advance(mc.first, mc.second);
}

void EscapeObserver::observe(std::int64_t k, ConstBlockRef Xalive, const TrajectoryIds& ids, int,
                             std::vector<Observation>& out) {
  if (!started_ && k != 0) reason_ = "the run was resumed: first passages before the checkpoint were not tracked";
  started_ = true;
  // The driver passes the trajectories not diverged (rows ids); the tracker needs every row, in
  // original order: an excluded one is a row of NaN, which the tracker marks diverged at k
  // (censored there) unless it had escaped before.
  Mat full;
  if (Xalive.rows() != n_) {
    if (static_cast<Index>(ids.size()) != Xalive.rows())
      throw std::logic_error("escape observer: rows without their trajectory ids");
    full = Mat::Constant(n_, Xalive.cols(), std::numeric_limits<double>::quiet_NaN());
    for (std::size_t r = 0; r < ids.size(); ++r) full.row(ids[r]) = Xalive.row(static_cast<Index>(r));
  }
  const ConstBlockRef X = Xalive.rows() != n_ ? ConstBlockRef(full) : Xalive;
  Estimate e;
  e.n = n_;
  e.method = "binomial";
  if (!reason_.empty()) {
    e.value = e.se = std::numeric_limits<double>::quiet_NaN();
  } else {
    if (!bridge_ || !started_observing_) {
      tracker_.observe(k, X);
    } else {
      // X holds every trajectory in original order: row i is trajectory i.
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
    Index m = 0, c = 0;
    for (const auto& t : tracker_.results())
      if (t.detected_at == k) {
        m += t.state == EscapeState::escaped;
        c += t.state == EscapeState::diverged;
      }
    km_advance(m, c);
    if (km_censored_ == 0) {
      const double p = static_cast<double>(km_escaped_) / static_cast<double>(n_);
      e.value = p;
      e.se = std::sqrt(p * (1.0 - p) / static_cast<double>(n_));
    } else {
      e.value = 1.0 - km_S_;
      e.se = km_S_ * std::sqrt(km_V_);
      e.n = n_ - km_censored_;
      e.method = "kaplan_meier: " + std::to_string(km_censored_) +
                 " diverged trajectories censored at the step that saw them diverged; Greenwood se";
    }
  }
  out.push_back({"escaped_fraction", e});
}

Index EscapeObserver::stopped(const std::vector<std::uint64_t>& running, std::vector<char>& stop) const {
  if (!stop_escaped_ || !reason_.empty()) return 0;
  const auto& res = tracker_.results();
  Index n = 0;
  for (const std::uint64_t t : running)
    if (t < res.size() && t < stop.size() && res[t].state == EscapeState::escaped && !stop[t]) {
      stop[t] = 1;
      ++n;
    }
  return n;
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

void EscapeObserver::restore_state(const std::string& state, std::int64_t k, ConstBlockRef X) {
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
      km_rebuild(k);
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
