#include "analysis/escape_run.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "dynamics/ensemble.hpp"

namespace sgdnoise {

namespace {

// First passages at step resolution as an observer of the ensemble driver with a step hook:
// after every step the hook records the entries of each block's rows (Region::record_entries,
// one pass, no allocation); at each observation (every sync_every steps) the entered
// trajectories stop, and all do once at most need_left are still running, which ends the run
// (EnsembleSpec::end_when_all_stopped).
class FirstPassages final : public Observer, public StepHook {
 public:
  FirstPassages(const Region& target, Index trajectories, Index need_left)
      : target_(target), first_passage_(static_cast<std::size_t>(trajectories), -1), need_left_(need_left) {}
  std::vector<std::string> names() const override { return {}; }
  /// Step 0: the trajectories that start inside have entered at 0; later the hook records.
  void observe(std::int64_t k, ConstBlockRef X, const TrajectoryIds& ids, int, std::vector<Observation>&) override {
    if (k != 0) return;
    target_.inside(X, inside_);
    for (Index r = 0; r < X.rows(); ++r)
      if (inside_[static_cast<std::size_t>(r)])
        first_passage_[static_cast<std::size_t>(ids.empty() ? r : ids[static_cast<std::size_t>(r)])] = 0;
  }
  void after_step(std::int64_t k, ConstBlockRef theta, const std::uint64_t* ids) override {
    // Each trajectory belongs to one row of one block: no two threads write one entry.
    target_.record_entries(theta, ids, k, first_passage_.data());
  }
  Index stopped(const std::vector<std::uint64_t>& running, std::vector<char>& stop) const override {
    Index left = 0, newly = 0;
    for (const std::uint64_t t : running) {
      if (first_passage_[t] < 0) {
        ++left;
      } else if (!stop[t]) {
        stop[t] = 1;
        ++newly;
      }
    }
    if (left <= need_left_)
      for (const std::uint64_t t : running)
        if (!stop[t]) {
          stop[t] = 1;
          ++newly;
        }
    return newly;
  }
  std::vector<std::int64_t>& first_passage() { return first_passage_; }

 private:
  const Region& target_;
  std::vector<std::int64_t> first_passage_;
  Index need_left_;
  std::vector<char> inside_;
};

}  // namespace

EscapeRunResult run_until_escaped(const Stepper& stepper, const Mat& X0, const Region& target,
                                  const EscapeRunSpec& spec) {
  if (!(spec.fraction > 0.0 && spec.fraction <= 1.0)) throw std::invalid_argument("escape run: fraction in (0, 1]");
  const Index N = X0.rows();
  const auto need_left = N - static_cast<Index>(std::ceil(spec.fraction * static_cast<double>(N)));
  FirstPassages passages(target, N, need_left);
  EnsembleSpec es;
  es.seed = spec.seed;
  es.steps = spec.cap;
  es.every = std::max<std::int64_t>(spec.sync_every, 1);
  es.block = std::max<Index>(spec.block, 1);
  es.threads = spec.threads;
  es.divergence_bound = std::numeric_limits<double>::infinity();  // an escape run tests no bound
  es.end_when_all_stopped = true;
  RunHooks hooks;
  hooks.after_step = &passages;
  const RunRecord rec = run_ensemble(stepper, X0, es, {&passages}, hooks);
  // The last step run: where every trajectory stopped, or the cap (or where all diverged).
  const std::int64_t k = rec.series.empty() ? 0 : rec.series.back().k;

  EscapeRunResult res;
  res.first_passage = std::move(passages.first_passage());
  auto& fp = res.first_passage;
  // The stop step: the first k at which at most need_left were running (or the last step
  // run); first passages after it are censored there, as in a run stopped exactly.
  std::vector<std::int64_t> times;
  times.reserve(static_cast<std::size_t>(N));
  for (const std::int64_t t : fp)
    if (t >= 0) times.push_back(t);
  std::sort(times.begin(), times.end());
  const auto must_escape = static_cast<std::size_t>(N - need_left);
  res.stop_step = must_escape == 0 ? 0 : (times.size() >= must_escape ? times[must_escape - 1] : k);
  res.stop_step = std::min(res.stop_step, k);
  double useful = 0.0;
  for (auto& t : fp) {
    if (t > res.stop_step) t = -1;
    if (t >= 0) ++res.escaped;
    useful += static_cast<double>(t >= 0 ? t : res.stop_step);
  }
  res.useful_steps = useful;
  res.executed_steps = rec.trajectory_steps;
  return res;
}

std::vector<TrajectoryEscape> escape_outcomes(const EscapeRunResult& r, double eta) {
  std::vector<TrajectoryEscape> out(r.first_passage.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::int64_t t = r.first_passage[i];
    auto& o = out[i];
    o.state = t >= 0 ? EscapeState::escaped : EscapeState::censored;
    o.destination = t >= 0 ? 0 : -1;
    o.steps = static_cast<double>(t >= 0 ? t : r.stop_step);
    o.tau = o.steps * eta;
    o.detected_at = t >= 0 ? t : r.stop_step;
  }
  return out;
}

}  // namespace sgdnoise
