#pragma once
// "observe.indicators": paper 3's indicator along a run (Zhu et al. 2019; docs/theory.md 4.3 (P-a),
// (P-c), Figure 4 of 4.4 B). At each observation step k it records
//   trace_H_C        Tr(H C), C the gradient-noise covariance the noise model states at the
//                    point and step (covariance_at_step; C = Sigma_step / eta^2 for noise on the
//                    weights, docs/conventions.md), H the loss's exact Hessian;
//   trace_H_Cbar     Tr(H Cbar) = Tr H Tr C / d, Cbar = (Tr C / d) I the isotropic noise of equal
//                    trace (paper 3's comparison, indicators.hpp);
//   trace_C          Tr C;
//   anisotropy_ratio Tr(H C) / Tr(H Cbar) (NaN, with the method saying why, where Tr H Tr C = 0).
// Where: "mean" at the ensemble-mean point, "trajectories" at each of the first k trajectories,
// by the point selection observe_at_points (observers.hpp) shared with the sharpness observer.
// Costs, per point, one dense Hessian and one covariance. With fresh data per repeat
// (losses/loss_instances.hpp) each trajectory's indicators use its own group's loss and noise;
// the ensemble-mean point belongs to no instance, so "mean" then has no meaning and the
// scenario builder refuses it.
#include <memory>

#include "analysis/observers.hpp"
#include "noise/noise.hpp"

namespace sgdnoise {

class IndicatorObserver final : public Observer {
 public:
  /// trajectories = 0: at the ensemble mean; > 0: over the first that many trajectories.
  IndicatorObserver(std::shared_ptr<const Loss> loss, std::shared_ptr<const NoiseModel> noise, double eta,
                    Index trajectories)
      : loss_(std::move(loss)), noise_{std::move(noise)}, eta_(eta), trajectories_(trajectories) {}
  /// One loss and noise per group (noise[g] built on loss[g]).
  IndicatorObserver(LossInstances loss, std::vector<std::shared_ptr<const NoiseModel>> noise, double eta,
                    Index trajectories);
  std::vector<std::string> names() const override {
    return {"trace_H_C", "trace_H_Cbar", "trace_C", "anisotropy_ratio"};
  }
  void observe(std::int64_t k, ConstBlockRef X, const TrajectoryIds& ids, int threads,
               std::vector<Observation>& out) override;

  struct Values {
    double trace_H_C = 0.0, trace_H_Cbar = 0.0, trace_C = 0.0, ratio = 0.0;
  };
  /// The four indicators at one point and step.
  Values at(const Vec& theta, std::uint64_t k) const { return at(0, theta, k); }
  /// The same on group g's instance.
  Values at(Index group, const Vec& theta, std::uint64_t k) const;

 private:
  LossInstances loss_;
  std::vector<std::shared_ptr<const NoiseModel>> noise_;
  double eta_;
  Index trajectories_;
};

}  // namespace sgdnoise
