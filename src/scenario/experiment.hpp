#pragma once
// An experiment built from a validated scenario: loss x noise x dynamics x
// observers, the ensemble specification, and the checks to run against
// predictions (ARCHITECTURE.md).
#include <memory>
#include <string>
#include <vector>

#include "analysis/observers.hpp"
#include "dynamics/ensemble.hpp"
#include "dynamics/preconditioner.hpp"
#include "losses/loss_instances.hpp"
#include "losses/quadratic.hpp"
#include "noise/noise.hpp"
#include "scenario/scenario.hpp"

namespace sgdnoise {

struct AmsScenario;

struct CheckSpec {
  std::string result;
  std::int64_t at_step = 0;
  std::string prediction;  // "exact", "discrete", "continuous"
  double sigmas = 5.0;
};

struct Experiment {
  Scenario scenario;
  std::shared_ptr<const Loss> loss;
  std::shared_ptr<const Quadratic> quadratic;       // set when the loss is a quadratic
  std::shared_ptr<const FiniteSumLoss> finite_sum;  // set when the loss is a finite sum
  std::shared_ptr<const NoiseModel> noise;          // null: no noise
  std::unique_ptr<Stepper> stepper;
  Vec theta0;
  Index trajectories = 0;
  EnsembleSpec spec;
  std::vector<std::unique_ptr<Observer>> observers;
  std::vector<CheckSpec> checks;
  int hessian_top_k = 0, hessian_bottom_k = 0;                     // Hessian eigenvalues reported at theta*
  Index full_covariance_max_dim = 10;                              // write the whole empirical Cov theta when d <= this
  double max_diverged_fraction = 0.0;                              // checks fail beyond this
  std::shared_ptr<const Preconditioner> preconditioner = nullptr;  // drift -M grad L; null: M = I
  /// Fresh data per repeat (loss.fresh_data, losses/loss_instances.hpp): the trajectories'
  /// groups and, per group g, its loss, the noise built on it and the centre of dist2 (its
  /// minimizer, else theta0). Entry 0 is loss and noise; one entry without fresh data.
  TrajectoryGroups groups;
  std::vector<std::shared_ptr<const Loss>> losses;
  std::vector<std::shared_ptr<const NoiseModel>> noises;
  std::vector<Vec> centres;
  /// escape.method = "ams": the AMS escape run after the ensemble (scenario/ams_escape.hpp); null otherwise.
  std::shared_ptr<const AmsScenario> ams;
  Index instances() const { return static_cast<Index>(losses.size()); }
  LossInstances loss_instances() const { return {groups, losses}; }

  std::vector<const Observer*> observer_ptrs() const;
  /// The observers as the ensemble driver takes them: a run (run_experiment) or a restore
  /// (restore_observer_states) records into them, so what they hold after it is that run's.
  /// The experiment owns them (unique_ptr), which is why a const one hands them out writable.
  std::vector<Observer*> recording_observers() const;
  /// The initial ensemble: every trajectory at theta0.
  Mat initial_state() const;
};

/// Memory the experiment will need, estimated from the scenario's sizes alone (before
/// anything is allocated), and the key that drives it most.
struct MemoryEstimate {
  double bytes = 0.0;
  std::string key;
};
MemoryEstimate estimate_memory(const Scenario& sc, int threads);

/// The memory a run may use: `limit_bytes` if > 0, else the machine's available memory
/// (MemAvailable of /proc/meminfo); 0 from the caller's override disables the check.
double memory_budget(double limit_bytes);

/// Builds the experiment; value errors (dimension mismatch, ...) are InputErrors naming the
/// key. Sizes are first checked against `memory_limit_bytes` (< 0: the available memory;
/// 0: no check) and refused with a clear message before any allocation.
Experiment build_experiment(Scenario sc, int threads, double memory_limit_bytes = -1.0);

}  // namespace sgdnoise
