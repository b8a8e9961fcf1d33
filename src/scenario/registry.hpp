#pragma once
// The kind registry (issue 15): one entry per loss, noise, dynamics and escape-region kind, each registered
// by its own file of scenario/kinds/. An entry holds everything the program knows about the
// kind: its scenario name, its parameter table (the schema's `kind` section), its
// capabilities as data (pagmo2-style optional abilities), how it derives its dimension and
// its data size for the memory estimate, its builder, and a small instance for the contract
// suites. The schema, `sgdnoise list`, docs/scenarios.md and build_experiment read the
// registry; nothing else lists kinds.
//
// How registration stays robust. Each file scenario/kinds/NAME.cpp defines
// `void register_NAME(KindRegistry&)`. CMake globs that folder and generates one function,
// register_all_kinds, that calls every register_NAME (CMakeLists.txt). kind_registry() fills
// a function-local static on first use by calling it, so
// - there is no static-initialization order to get wrong: registration runs inside the first
//   call, after every static of the program is initialised, and exactly once (thread-safe);
// - the linker cannot drop a kind from the static library libsgdnoise.a: the generated
//   function references each register_NAME, so every kind's object file is pulled in
//   whenever the registry is (a self-registering static object in an unreferenced object
//   file would silently vanish);
// - adding a kind is adding its file: the glob (CONFIGURE_DEPENDS) re-runs CMake, and a file
//   of kinds/ without its register_NAME is a link error, never a silently missing kind.
// Kinds are listed by `listing_order` (then name), not by file name, so `sgdnoise list` keeps
// its order when a kind is added.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "analysis/escape_regions.hpp"
#include "dynamics/preconditioner.hpp"
#include "dynamics/stepper.hpp"
#include "losses/loss.hpp"
#include "losses/quadratic.hpp"
#include "noise/noise.hpp"
#include "scenario/scenario.hpp"
#include "scenario/schema.hpp"

namespace sgdnoise {

/// What a loss kind offers, as data: the noises and options that need an ability ask for it
/// here and refuse at load time with a clear message when the loss lacks it.
struct LossCapabilities {
  bool finite_sum = false;              // L = (1/n) sum_i l_i, a FiniteSumLoss: sampling noises apply
  bool per_sample_gradients = false;    // G(theta) = [grad l_1 .. grad l_n] (FiniteSumLoss::sample_gradients)
  bool hessian_vector_product = false;  // a matrix-free H v cheaper than forming H (else H v from the dense H)
  bool fresh_data = false;              // synthetic data redrawn per group (loss.fresh_data)
  bool callback =
      false;  // evaluated by callbacks into an interpreter (losses/callback_loss.hpp): one thread, one block
};

/// A built loss, with the views that callers use without a cast.
struct BuiltLoss {
  std::shared_ptr<const Loss> loss;
  std::shared_ptr<const Quadratic> quadratic;       // set when the loss is a quadratic
  std::shared_ptr<const FiniteSumLoss> finite_sum;  // set when the loss is a finite sum
  static BuiltLoss of_loss(std::shared_ptr<const Loss> l) { return {std::move(l), nullptr, nullptr}; }
  static BuiltLoss of_quadratic(std::shared_ptr<const Quadratic> q) { return {q, q, nullptr}; }
  static BuiltLoss of_finite_sum(std::shared_ptr<const FiniteSumLoss> f) { return {f, nullptr, f}; }
};

/// The data a loss holds, for the memory estimate (scenario/experiment.cpp): training and
/// test samples and doubles per sample (< 0: d + 1, a feature vector and a label).
struct LossData {
  double n = 0.0, n_test = 0.0, per_sample = -1.0;
};

/// loss.samples and loss.test_samples, with per_sample doubles each (< 0: d + 1).
LossData sample_counts(const Scenario& s, double per_sample = -1.0);

struct LossKind {
  KindSchema schema;      // name (the scenario's loss.kind), documentation, parameters
  int listing_order = 0;  // position in the schema and `sgdnoise list`
  LossCapabilities capabilities;
  /// The dimension the scenario asks for, read before anything is built (default: loss.dim).
  std::function<Index(const Scenario&)> dim;
  /// The data held (default: none); d is dim(s).
  std::function<LossData(const Scenario&, double d)> data;
  /// The loss, with data_seed in place of loss.data_seed (fresh data per group).
  std::function<BuiltLoss(const Scenario&, std::uint64_t data_seed)> build;
  /// Contract suites (tests/test_kind_contracts.cpp): `--set`-style assignments of the
  /// [loss] table for small instances of this kind, one instance per entry.
  std::vector<std::vector<std::string>> examples;
};

/// What a noise kind needs and states, as data.
struct NoiseCapabilities {
  bool needs_finite_sum = false;  // built on the per-sample gradients of a finite-sum loss
  bool exact_covariance = true;   // states its covariance S(theta) exactly
  std::string no_covariance_why;  // when it states none: why (heavy tails, ...)
};

/// What a noise builder may read: the scenario, the Hessian at theta_0, the loss as a finite
/// sum (null when it is not one), the drift's preconditioner (null: M = I), and noise.on.
struct NoiseContext {
  const Scenario& scenario;
  const Mat& hessian;
  std::shared_ptr<const FiniteSumLoss> finite_sum;
  const Preconditioner* preconditioner = nullptr;
  NoiseTarget on = NoiseTarget::gradient;
  Index dim() const { return hessian.rows(); }
};

struct NoiseKind {
  KindSchema schema;  // name (the scenario's noise.kind), documentation, parameters
  int listing_order = 0;
  NoiseCapabilities capabilities;
  /// The noise model; null for no noise (kind "none").
  std::function<std::shared_ptr<const NoiseModel>(const NoiseContext&)> build;
  /// Contract suites: `--set`-style assignments (noise.* and, where the kind needs them,
  /// dynamics.*) for instances on a small least-squares loss, one instance per entry.
  std::vector<std::vector<std::string>> examples;
};

/// What a dynamics kind accepts and gives, as data.
struct DynamicsCapabilities {
  bool preconditioner = false;       // defined with a drift -M grad L (dynamics.preconditioner)
  bool brownian_increments = false;  // Gaussian increments with Sigma_step per step (escape.bridge)
};

/// What a stepper builder may read: the scenario, one loss instance (with its quadratic view,
/// where it is one), the noise built on it (null: none), eta, the drift's preconditioner
/// (null: M = I) and theta_0.
struct StepperContext {
  const Scenario& scenario;
  std::shared_ptr<const Loss> loss;
  std::shared_ptr<const Quadratic> quadratic;
  std::shared_ptr<const NoiseModel> noise;
  std::shared_ptr<const Preconditioner> preconditioner;
  double eta = 0.0;
  const Vec& theta0;
};

struct DynamicsKind {
  KindSchema schema;  // name (the scenario's dynamics.kind), documentation, parameters
  int listing_order = 0;
  DynamicsCapabilities capabilities;
  std::function<std::unique_ptr<Stepper>(const StepperContext&)> build;
  /// Contract suites: `--set`-style assignments (the noise, and the loss where the kind needs
  /// another than the suite's small least squares) for instances, one per entry.
  std::vector<std::vector<std::string>> examples;
};

/// What a region builder may read: the scenario, one loss instance (the level set and the
/// basin are sets of that loss), and d.
struct RegionContext {
  const Scenario& scenario;
  std::shared_ptr<const Loss> loss;
  Index dim() const { return loss->dim(); }
};

/// What an escape-region kind needs, as data.
struct RegionCapabilities {
  bool depends_on_loss = false;  // a set of the loss: refused when loss instances differ (fresh data)
};

/// An escape.region kind. Its parameters are keys of the [escape] table (escape.NAME) read by
/// this kind only; the schema lists them after escape.region, each marked with its kind.
struct RegionKind {
  KindSchema schema;  // name (the scenario's escape.region), documentation, parameters
  int listing_order = 0;
  RegionCapabilities capabilities;
  std::function<std::shared_ptr<const Region>(const RegionContext&)> build;
  /// Contract suites: `--set`-style assignments of the [escape] table (and, where the kind needs
  /// another, [loss]) for instances on a 2-D double well, one per entry.
  std::vector<std::vector<std::string>> examples;
};

class KindRegistry {
 public:
  /// Throws std::logic_error on a name registered twice.
  void add(LossKind k);
  void add(NoiseKind k);
  void add(DynamicsKind k);
  void add(RegionKind k);
  /// In listing order.
  const std::vector<LossKind>& losses() const { return losses_; }
  const std::vector<NoiseKind>& noises() const { return noises_; }
  const std::vector<DynamicsKind>& dynamics() const { return dynamics_; }
  const std::vector<RegionKind>& regions() const { return regions_; }
  const LossKind* find_loss(const std::string& name) const;
  const NoiseKind* find_noise(const std::string& name) const;
  const DynamicsKind* find_dynamics(const std::string& name) const;
  const RegionKind* find_region(const std::string& name) const;

 private:
  std::vector<LossKind> losses_;
  std::vector<NoiseKind> noises_;
  std::vector<DynamicsKind> dynamics_;
  std::vector<RegionKind> regions_;
};

/// The registry, filled on first use (above).
const KindRegistry& kind_registry();

/// The names of the loss kinds with a capability, in listing order, as "a, b or c".
std::string loss_kinds_with(bool LossCapabilities::*capability, const char* last_separator = " or ");

/// loss.kind's entry; an InputError on loss.kind when none is registered.
const LossKind& loss_kind(const Scenario& s);
/// The dimension the scenario asks for, before anything is built.
Index scenario_dim(const Scenario& s);
/// The scenario's loss (loss.kind), with data_seed in place of loss.data_seed.
BuiltLoss build_loss(const Scenario& s, std::uint64_t data_seed);
/// The scenario's noise (noise.kind) in the context; null for no noise. Refuses a kind that
/// needs a finite sum on a loss that is not one.
std::shared_ptr<const NoiseModel> build_noise(const NoiseContext& c);
/// dynamics.kind's entry.
const DynamicsKind& dynamics_kind(const Scenario& s);
/// The names of the dynamics kinds with a capability, quoted, in listing order: "a", "b" or "c".
std::string dynamics_kinds_with(bool DynamicsCapabilities::*capability);
/// The target of escape.region (not "none") for one loss instance; `instances` > 1 refuses a
/// region that depends on the loss (InputError on escape.region).
std::shared_ptr<const Region> build_region(const Scenario& s, std::shared_ptr<const Loss> loss, Index instances);

}  // namespace sgdnoise
