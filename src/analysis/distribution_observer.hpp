#pragma once
// Trajectories and distributions, not only means ([observe] paths, distribution, quantiles,
// histogram_*): the states of chosen trajectories at every observation step, and per-step
// quantiles and histograms of per-trajectory observables (the loss, the squared distance to
// the centre, a coordinate). They go to the run directory as paths.npz and
// distributions.npz (Observer::arrays) and to the Python result.
//
// Determinism: quantiles sort the values of the observed trajectories (type 7, linear
// interpolation between order statistics); histograms count into fixed bins. Both depend
// only on the set of values, so on nothing a thread count or block size could change. A
// trajectory that diverged is left out from that step on (its path rows are NaN), as in
// every other statistic.
#include <cstdint>
#include <string>
#include <vector>

#include "analysis/observers.hpp"
#include "dynamics/observer.hpp"
#include "losses/loss_instances.hpp"

namespace sgdnoise {

struct DistributionSpec {
  std::vector<Index> path_ids;    // trajectories whose states are kept, in this order
  std::vector<std::string> of;    // observables: "loss", "dist2", "theta_I"
  std::vector<double> quantiles;  // probabilities in [0, 1]
  Index histogram_bins = 0;       // 0: no histograms
  double histogram_lo = 0.0, histogram_hi = 0.0;
  double eta = 0.0;  // tau = k eta in the arrays
};

class DistributionObserver final : public Observer {
 public:
  DistributionObserver(DistributionSpec spec, LossInstances losses, Vec centre);
  std::vector<std::string> names() const override { return {}; }
  void observe(std::int64_t k, ConstBlockRef X, const TrajectoryIds& ids, int threads,
               std::vector<Observation>& out) override;
  std::string saved_state() const override;
  void restore_state(const std::string& state, std::int64_t k, ConstBlockRef X) override;
  void arrays(std::vector<ObserverArray>& out) const override;

 private:
  Vec values(const std::string& of, ConstBlockRef X, const TrajectoryIds& ids, int threads) const;
  DistributionSpec spec_;
  LossInstances losses_;
  Vec centre_;
  // What was recorded, one entry per observation (the driver observes in step order).
  std::vector<std::int64_t> steps_;
  std::vector<double> paths_;                   // steps x ids x d
  std::vector<std::vector<double>> quantiles_;  // per observable: steps x quantiles
  std::vector<std::vector<double>> counts_;     // per observable: steps x (bins + 2: below, above)
};

/// Type-7 quantile of sorted values (linear interpolation between order statistics).
double sorted_quantile(const std::vector<double>& sorted, double p);

}  // namespace sgdnoise
