#pragma once
// Observers read the ensemble at observation steps and never change it. Each
// computes per-trajectory values in parallel over fixed blocks of rows and then
// reduces them in index order.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/stats.hpp"
#include "losses/loss.hpp"

namespace sgdnoise {

struct Observation {
  std::string name;
  Estimate est;
};

class Observer {
 public:
  virtual ~Observer() = default;
  /// Names of the results this observer produces.
  virtual std::vector<std::string> names() const = 0;
  /// Appends this observer's results for the ensemble X (rows in original order) at step k.
  virtual void observe(std::int64_t k, const Mat& X, int threads, std::vector<Observation>& out) const = 0;
};

/// out[i] = f(row block) evaluated in parallel over blocks of rows; the values do
/// not depend on the split because f is evaluated row by row.
Vec per_trajectory(const Mat& X, int threads, const std::function<void(ConstBlockRef, Eigen::Ref<Vec>)>& f);

/// "loss": mean and standard error over trajectories of L(theta_k).
class LossObserver final : public Observer {
 public:
  explicit LossObserver(std::shared_ptr<const Loss> loss) : loss_(std::move(loss)) {}
  std::vector<std::string> names() const override { return {"loss"}; }
  void observe(std::int64_t k, const Mat& X, int threads, std::vector<Observation>& out) const override;

 private:
  std::shared_ptr<const Loss> loss_;
};

}  // namespace sgdnoise
