#pragma once
// "observe.sharpness": the sharpness lambda_max(H(theta_k)), the top eigenvalue of the loss's
// exact Hessian, along the run (paper 4, Beneventano; docs/theory.md 5.1 and 5.3 item 3: GD trains
// at the edge of stability, SGD is claimed not to). Background (Cohen et al. 2021, "Gradient
// descent on neural networks typically occurs at the edge of stability"): plain GD at a
// constant step eta is linearly unstable along a Hessian direction with eigenvalue above
// 2/eta (on a quadratic, theta_k - theta* along that direction grows like |1 - eta lambda|^k);
// on networks the sharpness rises during training (progressive sharpening) until it reaches
// 2/eta and then hovers there while the loss keeps falling non-monotonically.
//
// The eigenvalue comes from top_eigenvalues (spectrum.hpp): the dense solver for d <= 32,
// Spectra's Lanczos on Hessian-vector products above, at tolerance tol. A solve that does not
// converge makes the observation undefined with the solver's reason as its method, never a
// number. Where: "mean" at the ensemble-mean point, "trajectories" at each of the first k
// trajectories (observe_at_points, observers.hpp), each on its own loss instance with fresh
// data per repeat ("mean" is then refused: the mean point belongs to no instance).
#include <memory>

#include "analysis/observers.hpp"
#include "losses/loss_instances.hpp"

namespace sgdnoise {

class SharpnessObserver final : public Observer {
 public:
  /// trajectories = 0: at the ensemble mean; > 0: over the first that many trajectories.
  SharpnessObserver(LossInstances loss, Index trajectories, double tol = 1e-10, int maxit = 1000)
      : loss_(std::move(loss)), trajectories_(trajectories), tol_(tol), maxit_(maxit) {}
  SharpnessObserver(std::shared_ptr<const Loss> loss, Index trajectories, double tol = 1e-10, int maxit = 1000)
      : SharpnessObserver(LossInstances(std::move(loss)), trajectories, tol, maxit) {}
  std::vector<std::string> names() const override { return {"sharpness"}; }
  void observe(std::int64_t k, ConstBlockRef X, const TrajectoryIds& ids, int threads,
               std::vector<Observation>& out) override;

  /// lambda_max(H(theta)) of group g's loss, or why it is undefined (the eigensolver did not converge).
  PointValue at(const Vec& theta, Index group = 0) const;
  Index trajectories() const { return trajectories_; }
  double tol() const { return tol_; }
  int maxit() const { return maxit_; }

 private:
  LossInstances loss_;
  Index trajectories_;
  double tol_;
  int maxit_;
};

}  // namespace sgdnoise
