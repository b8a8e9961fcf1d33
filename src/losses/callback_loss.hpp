#pragma once
// A loss defined by callbacks outside C++: the Python module's user losses
// (sgdnoise.Loss.from_python, src/python/). The callbacks take the whole block of
// trajectories at once, so an interpreter is entered once per evaluation, not once per
// trajectory.
//
// Errors. A callback may fail (an exception in the user's code, a wrong shape, a NaN). Such
// an error must not unwind through the ensemble driver's OpenMP regions, so a callback
// reports it instead: the first failure is kept in the loss's CallbackStatus, the run is
// asked to stop (the status's stop flag), and the block is filled with NaN, which the driver
// counts as divergence. The caller (the Python module) raises the kept error once the run has
// returned. A callback loss therefore runs on one thread, as one block
// (LossCapabilities::callback, scenario/registry.hpp).
//
// Callback losses live in a process-wide table, by name; the scenario names one with
// [loss] kind = "python", name = "...". The CLI's process has none, so such a scenario is
// refused there with a message naming the module.
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "losses/landscapes.hpp"
#include "losses/loss.hpp"

namespace sgdnoise {

/// The first failure of a callback, and the flag that asks the run to stop.
class CallbackStatus {
 public:
  /// Keeps `what` if it is the first failure since clear(), and raises the stop flag.
  void fail(const std::string& what);
  bool failed() const;
  std::string failure() const;
  void clear();
  /// The run's stop flag (RunHooks::stop), raised on a failure; the caller may raise it too.
  std::atomic<bool>& stop_flag() { return stop_; }

 private:
  mutable std::mutex m_;
  std::string failure_;
  std::atomic<bool> stop_{false};
};

struct CallbackLossSpec {
  std::string name;
  Index dim = 0;
  /// G = grad L(X), X: rows x dim. Required.
  std::function<void(ConstBlockRef X, BlockRef G)> gradient;
  /// out = L(X). Optional: without it, the observables that need L are refused.
  std::function<void(ConstBlockRef X, Eigen::Ref<Vec> out)> value;
  /// The dense Hessian at one point. Optional: without it the Hessian is the central
  /// difference of the gradient (CallbackLoss::hessian).
  std::function<Mat(const Vec& theta)> hessian;
  /// Per-sample gradients of a finite sum L = (1/n) sum_i l_i (optional; n_samples > 0 with
  /// it): out.row(t * b + j) = grad l_{idx(t, j)}(X.row(t)), idx: rows x b, out: rows*b x dim.
  /// With it the loss is a FiniteSumLoss and the sampling noises (SGD, multiplicative, ...)
  /// apply to it.
  Index n_samples = 0;
  std::function<void(ConstBlockRef X, const IndexBlock& idx, Mat& out)> sample_gradient;
  /// Minima and index-1 saddles the user gave (locations; values and Hessians are computed).
  std::vector<Vec> minima, saddles;
  /// A known global minimizer (optional).
  std::optional<Vec> minimizer;
};

class CallbackLoss final : public FiniteSumLoss, public CriticalPoints {
 public:
  explicit CallbackLoss(CallbackLossSpec spec, std::shared_ptr<CallbackStatus> status);
  std::string kind() const override { return "python"; }
  Index dim() const override { return spec_.dim; }
  void value(ConstBlockRef X, Eigen::Ref<Vec> out) const override;
  void gradient(ConstBlockRef X, BlockRef G) const override;
  /// The user's Hessian, or the central difference of the gradient with steps
  /// h_j = cbrt(machine epsilon) max(1, |theta_j|) (error O(h^2) for a smooth gradient),
  /// symmetrised.
  Mat hessian(const Vec& theta) const override;
  std::optional<Vec> minimizer() const override { return spec_.minimizer; }
  std::optional<double> minimum_value() const override;
  std::vector<CriticalPoint> minima() const override { return minima_; }
  std::vector<CriticalPoint> saddles() const override { return saddles_; }
  /// The finite-sum view, from sample_gradient (only when the spec has one; the scenario
  /// layer offers the view only then). Weighted sums add the samples in index order.
  bool is_finite_sum() const { return static_cast<bool>(spec_.sample_gradient); }
  Index n_samples() const override { return spec_.n_samples; }
  void sparse_weighted_gradient(ConstBlockRef X, const IndexBlock& idx, ConstBlockRef w, BlockRef G) const override;
  void dense_weighted_gradient(ConstBlockRef X, ConstBlockRef W, BlockRef G) const override;
  Mat sample_gradients(const Vec& theta) const override;

  bool has_value() const override { return static_cast<bool>(spec_.value); }
  bool has_hessian() const { return static_cast<bool>(spec_.hessian); }
  const CallbackLossSpec& spec() const { return spec_; }
  CallbackStatus& status() const { return *status_; }

 private:
  std::string origin() const;
  /// sample_gradient with its failures kept (false: out is unusable, NaN written by the caller).
  bool call_sample_gradient(ConstBlockRef X, const IndexBlock& idx, Mat& out) const;
  CriticalPoint critical_point(const Vec& theta, int expected_index, const char* what) const;
  CallbackLossSpec spec_;
  std::shared_ptr<CallbackStatus> status_;
  std::vector<CriticalPoint> minima_, saddles_;
};

/// The process-wide table of callback losses. define() replaces an earlier definition of the
/// same name (a notebook cell run twice).
class CallbackLossTable {
 public:
  static CallbackLossTable& instance();
  void define(CallbackLossSpec spec, std::shared_ptr<CallbackStatus> status);
  /// The loss named `name`, or null.
  std::shared_ptr<const CallbackLoss> find(const std::string& name) const;
  std::vector<std::string> names() const;
  /// Forgets every definition (the Python module, at interpreter exit).
  void clear();

 private:
  struct Entry {
    CallbackLossSpec spec;
    std::shared_ptr<CallbackStatus> status;
  };
  mutable std::mutex m_;
  std::vector<Entry> entries_;
};

}  // namespace sgdnoise
