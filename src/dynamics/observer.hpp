#pragma once
// The Observer contract of the ensemble driver (dynamics/ensemble.hpp): observers read the
// ensemble at observation steps and never change it; they may stop trajectories that need no
// further steps and carry state across a checkpoint. An observer's record is its own explicit
// state: the calls that change it (observe, screen, restore_state) are non-const, the driver
// holds the observers by non-const pointer, and the queries (names, stopped, saved_state,
// arrays) are const. The observers themselves live in analysis/ (one layer up).
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "core/stats.hpp"
#include "core/types.hpp"

namespace sgdnoise {

/// The original trajectory index of each row of an observed ensemble (ascending); empty:
/// row i is trajectory i. Observers that evaluate a group's loss instance read it.
using TrajectoryIds = std::vector<Index>;

/// The largest magnitude of a per-trajectory value that an observer averages (a loss, a
/// squared distance): the standard error sums squares of such values, and 10^7 squares of
/// 1e150 stay below the largest double (1.8e308). A value that is non-finite or beyond this
/// bound cannot enter a mean with its standard error; its trajectory counts as diverged at
/// that observation (Observer::screen; docs/conventions.md, divergence).
inline constexpr double kValueBound = 1e150;

/// bad[i] = 1 where values[i] is non-finite or beyond kValueBound (other entries unchanged).
inline void flag_unrepresentable(const Eigen::Ref<const Vec>& values, std::vector<char>& bad) {
  for (Index i = 0; i < values.size(); ++i)
    if (!(std::abs(values[i]) <= kValueBound)) bad[static_cast<std::size_t>(i)] = 1;
}

struct Observation {
  std::string name;
  Estimate est;
};

/// An array an observer gives beside its series (sample paths, per-step quantiles), written
/// to the run directory as FILE.npz (io/npz.hpp) and handed to Python as a numpy array.
/// data is in C order for `shape`; `integer` arrays are written as int64.
struct ObserverArray {
  std::string file;  // the .npz it belongs to, without the extension
  std::string name;  // its name inside
  std::vector<Index> shape;
  std::vector<double> data;
  bool integer = false;
};

class Observer {
 public:
  virtual ~Observer() = default;
  /// Names of the results this observer produces.
  virtual std::vector<std::string> names() const = 0;
  /// Appends this observer's results for the ensemble X (rows in original order, row i
  /// trajectory ids[i]) at step k, and records what later calls need (first passages so far,
  /// the arrays of arrays()).
  virtual void observe(std::int64_t k, ConstBlockRef X, const TrajectoryIds& ids, int threads,
                       std::vector<Observation>& out) = 0;
  /// Before observe() at step k, on the same rows: sets bad[row] = 1 for each row whose
  /// per-trajectory value this observer averages is non-finite or beyond kValueBound
  /// (flag_unrepresentable). The driver marks those trajectories diverged at k and then calls
  /// observe() on the others, so one runaway trajectory cannot poison a mean. An observer may
  /// keep what it computed here for the observe() call at the same step. Default: no screen.
  virtual void screen(std::int64_t k, ConstBlockRef X, const TrajectoryIds& ids, int threads, std::vector<char>& bad) {
    (void)k, (void)X, (void)ids, (void)threads, (void)bad;
  }
  /// False (the default): X holds theta only. True: X is the stepper's whole state, theta
  /// and then its extra columns (a coupled reference, optimizer moments).
  virtual bool whole_state() const { return false; }
  /// Called after each observation: sets stop[t] = 1 for each trajectory t (original index)
  /// that needs no further steps (an escaped trajectory, with escape.stop_escaped). `running`
  /// lists the trajectories the driver still steps (ascending; every one before the first
  /// stop): only those need a look, so the call costs what the live ones cost. The ensemble
  /// driver then stops stepping them; their state stays as last observed. Returns how many
  /// entries of `stop` it changed from 0 to 1 (another observer may have set some already),
  /// so that the driver knows how many are left without a pass of its own. The default stops
  /// nothing.
  virtual Index stopped(const std::vector<std::uint64_t>& running, std::vector<char>& stop) const {
    (void)running, (void)stop;
    return 0;
  }
  /// What a later observation needs of the earlier ones (the escape observer's first
  /// passages so far), saved with each checkpoint; empty: nothing.
  virtual std::string saved_state() const { return {}; }
  /// The arrays this observer recorded (ObserverArray); default: none.
  virtual void arrays(std::vector<ObserverArray>& out) const { (void)out; }
  /// Before a resumed run's first step: the saved_state() of the checkpoint taken at step
  /// k, and the ensemble there as observe() saw it (theta, or the whole state). Throws
  /// std::invalid_argument when the state does not fit this observer.
  virtual void restore_state(const std::string& state, std::int64_t k, ConstBlockRef X) {
    (void)state, (void)k, (void)X;
  }
};

}  // namespace sgdnoise
