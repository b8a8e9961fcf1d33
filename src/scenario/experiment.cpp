#include "scenario/experiment.hpp"

#include <sstream>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>

#include "analysis/distribution_observer.hpp"
#include "analysis/escape_observer.hpp"
#include "analysis/indicator_observer.hpp"
#include "analysis/sharpness_observer.hpp"
#include "analysis/strong_error.hpp"
#include "core/format.hpp"
#include "dynamics/grouped_stepper.hpp"
#include "dynamics/strong_coupling.hpp"
#include "losses/landscapes.hpp"
#include "losses/sum_of_quadratics.hpp"
#include "noise/gaussian.hpp"
#include "noise/sampling.hpp"
#include "scenario/ams_escape.hpp"
#include "scenario/kind_inputs.hpp"
#include "scenario/registry.hpp"

namespace sgdnoise {

std::vector<const Observer*> Experiment::observer_ptrs() const {
  std::vector<const Observer*> v;
  for (const auto& o : observers) v.push_back(o.get());
  return v;
}

std::vector<Observer*> Experiment::recording_observers() const {
  std::vector<Observer*> v;
  for (const auto& o : observers) v.push_back(o.get());
  return v;
}

Mat Experiment::initial_state() const {
  Mat X = Mat::Zero(trajectories, theta0.size() + stepper->extra_columns());
  X.leftCols(theta0.size()) = theta0.transpose().replicate(trajectories, 1);
  if (stepper->extra_columns() > 0)
    X.rightCols(stepper->extra_columns()) = stepper->initial_extra(theta0).transpose().replicate(trajectories, 1);
  return X;
}

namespace {

std::string preconditioner_key(const Scenario& sc) {
  return sc.get_matrix("dynamics.preconditioner").size() != 0 ? "dynamics.preconditioner"
                                                              : "dynamics.preconditioner_diagonal";
}

// dynamics.preconditioner or dynamics.preconditioner_diagonal (preconditioner.hpp); null: M = I.
std::shared_ptr<const Preconditioner> build_preconditioner(const Scenario& sc, Index d) {
  const Mat full = sc.get_matrix("dynamics.preconditioner");
  const Vec diag = sc.get_vector("dynamics.preconditioner_diagonal");
  if (full.size() == 0 && diag.size() == 0) return nullptr;
  if (full.size() != 0 && diag.size() != 0)
    sc.fail("dynamics.preconditioner_diagonal", "give either preconditioner or preconditioner_diagonal, not both");
  const std::string key = full.size() != 0 ? "dynamics.preconditioner" : "dynamics.preconditioner_diagonal";
  const Mat M = full.size() != 0 ? square_matrix(sc, key, full, d) : Mat(vector_of_dim(sc, key, d).asDiagonal());
  try {
    return std::make_shared<Preconditioner>(M);
  } catch (const std::invalid_argument& e) {
    sc.fail(key, e.what());
  }
}

}  // namespace

MemoryEstimate estimate_memory(const Scenario& s, int threads) {
  // Doubles held at once: the ensemble (state, optimizer moments, the alive copy, final
  // state), per-thread block scratch, dense d x d matrices (H, U, covariances, factors,
  // transitions), the data of a finite sum, and per-trajectory vectors.
  const double d = static_cast<double>(scenario_dim(s));
  const double N = static_cast<double>(s.get_int("dynamics.trajectories"));
  const double block = std::min(static_cast<double>(s.get_int("dynamics.block")), N);
  // The data the loss holds (its kind's entry, scenario/registry.hpp).
  const LossData data_size = loss_kind(s).data(s, d);
  const double n = data_size.n, n_test = data_size.n_test;
  const double per_sample = data_size.per_sample < 0.0 ? d + 1.0 : data_size.per_sample;  // doubles per sample
  // Fresh data: one copy of the data (and of the dense matrices) per loss instance.
  const std::string fresh = s.has("loss.fresh_data") ? s.get_string("loss.fresh_data") : "none";
  const double instances = fresh == "none" ? 1.0
                           : fresh == "per_trajectory"
                               ? N
                               : std::ceil(N / static_cast<double>(s.get_int("loss.group_size")));
  const double ensemble = N * d * 6.0, dense = d * d * 12.0 * instances,
               data = (n * 3.0 + n_test * 2.0) * per_sample * instances;
  const double scratch = static_cast<double>(threads) * block * (d * 8.0 + n * 2.0);
  // The series: one row per observation, about 16 values of 64 bytes each.
  const double rows =
      static_cast<double>(s.get_int("dynamics.steps")) / static_cast<double>(s.get_int("observe.every"));
  const double series = rows * 128.0;
  MemoryEstimate e;
  e.bytes = 8.0 * (ensemble + dense + data + scratch + series + N * 4.0);
  const double top = std::max({ensemble, dense, data, series});
  e.key = top == ensemble ? "dynamics.trajectories"
          : top == dense  ? "loss.dim"
          : top == data   ? "loss.samples"
                          : "observe.every";
  return e;
}

double memory_budget(double limit_bytes) {
  if (limit_bytes > 0.0) return limit_bytes;
  std::ifstream in("/proc/meminfo");
  std::string key;
  double kb = 0.0;
  std::string unit;
  while (in >> key >> kb >> unit)
    if (key == "MemAvailable:") return kb * 1024.0;
  return std::numeric_limits<double>::infinity();
}

namespace {
// loss.fresh_data: the trajectory groups, after refusing what has no data to renew.
TrajectoryGroups fresh_data_groups(const Scenario& s) {
  const std::string fresh = s.get_string("loss.fresh_data");
  if (fresh == "none") {
    // A value, not the key's presence: a resumed run's resolved scenario states every default.
    if (s.get_int("loss.group_size") != 1) s.fail("loss.group_size", "only with fresh_data = \"per_group\"");
    return {};
  }
  if (!loss_kind(s).capabilities.fresh_data)
    s.fail("loss.fresh_data", "the loss \"" + s.get_string("loss.kind") + "\" has no data to draw afresh (only " +
                                  loss_kinds_with(&LossCapabilities::fresh_data) + ")");
  const char* synthetic_only =
      "fresh data are synthetic (drawn from data_seed): remove this key or set fresh_data = \"none\"";
  if (s.has("loss.data_file") && !s.get_string("loss.data_file").empty()) s.fail("loss.data_file", synthetic_only);
  if (s.has("loss.hessians") && s.get_matrix("loss.hessians").size() > 0) s.fail("loss.hessians", synthetic_only);
  if (fresh == "per_trajectory") {
    if (s.get_int("loss.group_size") != 1)
      s.fail("loss.group_size", "only with fresh_data = \"per_group\" (per_trajectory is group_size 1)");
    return {1};
  }
  return {static_cast<Index>(s.get_int("loss.group_size"))};
}
// escape.bridge: the Brownian-bridge test needs Brownian increments with a constant
// isotropic covariance Sigma_step = s I per step (D = s / eta, docs/conventions.md), a drift
// that does not reshape them (no preconditioner) and a flat boundary; the discrete step
// with Gaussian noise is Euler-Maruyama with dt = eta.
EscapeBridge build_bridge(const Scenario& s, const Experiment& ex, const Region& target, double eta) {
  if (!target.flat_boundary())
    s.fail("escape.bridge", "needs a flat boundary (region = \"threshold\" or \"half_space\"), not \"" +
                                s.get_string("escape.region") + "\"");
  if (!dynamics_kind(s).capabilities.brownian_increments)
    s.fail("escape.bridge", "needs Brownian increments: dynamics.kind = " +
                                dynamics_kinds_with(&DynamicsCapabilities::brownian_increments) + ", not \"" +
                                s.get_string("dynamics.kind") + "\"");
  if (ex.preconditioner)
    s.fail("escape.bridge", "a preconditioner reshapes the noise: the bridge needs isotropic increments");
  double sigma2 = -1.0;
  for (const auto& noise : ex.noises) {
    const auto* g = dynamic_cast<const GaussianNoise*>(noise.get());
    if (!g)
      s.fail("escape.bridge",
             "needs Gaussian noise with a constant covariance (noise.kind = \"isotropic\", \"diagonal\" or "
             "\"gaussian\")" +
                 std::string(noise ? ", not \"" + noise->kind() + "\"" : ", and there is no [noise]"));
    const Mat& S = noise_forms(g->S(), g->target(), eta).Sigma_step;
    const double v = S(0, 0);
    const double off = (S - v * Mat::Identity(S.rows(), S.cols())).cwiseAbs().maxCoeff();
    if (!(v > 0.0) || off > 1e-12 * v)
      s.fail("escape.bridge",
             "needs an isotropic Sigma_step = s I with s > 0 (the crossing probability "
             "exp(-2ab / (s dt)) holds for isotropic diffusion only)");
    if (sigma2 >= 0.0 && std::abs(v - sigma2) > 1e-12 * v)
      s.fail("escape.bridge", "the loss instances (loss.fresh_data) have different noise variances");
    sigma2 = v;
  }
  return {sigma2, s.seed()};
}

// [observe] paths, paths_first, distribution, quantiles, histogram_* (analysis/distribution_observer.hpp).
void add_distribution_observer(Experiment& ex, Index d, double eta) {
  const Scenario& s = ex.scenario;
  DistributionSpec spec;
  spec.eta = eta;
  for (Index i = 0; i < s.get_int("observe.paths_first"); ++i) spec.path_ids.push_back(i);
  const Vec ids = s.get_vector("observe.paths");
  for (Index i = 0; i < ids.size(); ++i) {
    const auto id = static_cast<Index>(ids[i]);
    if (static_cast<double>(id) != ids[i] || id < 0 || id >= ex.trajectories)
      s.fail("observe.paths", "trajectory ids must be integers in [0, " + std::to_string(ex.trajectories) + ")");
    if (std::find(spec.path_ids.begin(), spec.path_ids.end(), id) == spec.path_ids.end()) spec.path_ids.push_back(id);
  }
  if (s.get_int("observe.paths_first") > ex.trajectories)
    s.fail("observe.paths_first", "exceeds the " + std::to_string(ex.trajectories) + " trajectories");
  std::string list = s.get_string("observe.distribution");
  std::stringstream in(list);
  for (std::string item; std::getline(in, item, ',');) {
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (item.empty()) continue;
    bool ok = item == "loss" || item == "dist2";
    if (item.rfind("theta_", 0) == 0 && item.size() > 6 &&
        item.find_first_not_of("0123456789", 6) == std::string::npos) {
      ok = std::stoll(item.substr(6)) < d;
      if (!ok) s.fail("observe.distribution", "\"" + item + "\": the dimension is " + std::to_string(d));
    }
    if (!ok) s.fail("observe.distribution", "unknown observable \"" + item + "\" (known: loss, dist2, theta_I)");
    if (item == "dist2" && ex.instances() > 1)
      s.fail("observe.distribution", "\"dist2\" with fresh data per group (one centre per group) is not supported");
    if (item == "loss" && !ex.loss->has_value())
      s.fail("observe.distribution", "\"loss\": this loss has no value function");
    spec.of.push_back(item);
  }
  const Vec q = s.get_vector("observe.quantiles");
  for (Index i = 0; i < q.size(); ++i) {
    if (!(q[i] >= 0.0 && q[i] <= 1.0)) s.fail("observe.quantiles", "probabilities must lie in [0, 1]");
    spec.quantiles.push_back(q[i]);
  }
  spec.histogram_bins = s.get_int("observe.histogram_bins");
  const Vec range = s.get_vector("observe.histogram_range");
  if (spec.histogram_bins > 0) {
    if (range.size() != 2 || !(range[0] < range[1]))
      s.fail("observe.histogram_range", "give [lo, hi] with lo < hi for histogram_bins > 0");
    spec.histogram_lo = range[0];
    spec.histogram_hi = range[1];
  } else if (range.size() != 0) {
    s.fail("observe.histogram_range", "given without histogram_bins");
  }
  if ((!spec.quantiles.empty() || spec.histogram_bins > 0) && spec.of.empty())
    s.fail("observe.distribution", "name the observables whose quantiles or histograms to record");
  if (!spec.of.empty() && spec.quantiles.empty() && spec.histogram_bins == 0)
    s.fail("observe.distribution", "give quantiles and/or histogram_bins");
  if (spec.path_ids.empty() && spec.of.empty()) return;
  // Memory: every observation keeps ids x d path values and the summaries.
  const double obs = static_cast<double>(observation_steps(ex.spec.steps, ex.spec.every).size());
  const double doubles =
      obs * (static_cast<double>(spec.path_ids.size() * static_cast<std::size_t>(d)) +
             static_cast<double>(spec.of.size()) *
                 static_cast<double>(spec.quantiles.size() + static_cast<std::size_t>(spec.histogram_bins) + 2));
  if (doubles > 2.5e8)
    s.fail(spec.path_ids.empty() ? "observe.distribution" : "observe.paths",
           "would keep " + format_g(doubles * 8.0 / 1e9, 3) +
               " GB over the run: keep fewer trajectories or observe less often (observe.every)");
  ex.observers.push_back(
      std::make_unique<DistributionObserver>(std::move(spec), ex.loss_instances(), ex.centres.front()));
}

}  // namespace

Experiment build_experiment(Scenario sc, int threads, double memory_limit_bytes) {
  // A loss that calls into an interpreter runs on one thread (losses/callback_loss.hpp).
  const bool callback = loss_kind(sc).capabilities.callback;
  if (callback) threads = 1;
  if (memory_limit_bytes != 0.0) {
    const MemoryEstimate need = estimate_memory(sc, threads);
    const double budget = memory_budget(memory_limit_bytes);
    if (need.bytes > budget) {
      std::ostringstream m;
      m.precision(3);
      m << "the run would need about " << need.bytes / 1e9 << " GB, more than the " << budget / 1e9
        << " GB available; reduce it, or raise the limit with --memory-limit GB (0 disables the check)";
      sc.fail(need.key, m.str());
    }
  }
  Experiment ex{std::move(sc), {}, {}, {}, {}, {}, {}, 0, {}, {}, {}, 0, 0, 10, 0.0, {}, {}, {}, {}, {}, {}};
  const Scenario& s = ex.scenario;
  const auto data_seed = static_cast<std::uint64_t>(s.has("loss.data_seed") ? s.get_int("loss.data_seed") : 0);
  {
    BuiltLoss b = build_loss(s, data_seed);
    ex.loss = std::move(b.loss);
    ex.quadratic = std::move(b.quadratic);
    ex.finite_sum = std::move(b.finite_sum);
  }
  ex.groups = fresh_data_groups(s);
  const Index d = ex.loss->dim();

  if (s.get_string("dynamics.start_at") == "minimum") {
    if (s.get_vector("dynamics.start").size() != 0)
      s.fail("dynamics.start", "give either start or start_at = \"minimum\"");
    const auto m = ex.loss->minimizer();
    if (!m) {
      const auto* soq = dynamic_cast<const SumOfQuadratics*>(ex.loss.get());
      s.fail("dynamics.start_at", "the loss \"" + ex.loss->kind() + "\" has no minimum to start from: " +
                                      (soq ? soq->no_minimizer_reason() : "it knows no global minimizer"));
    }
    ex.theta0 = *m;
  } else if (s.get_string("dynamics.start_at") == "initial") {
    if (s.get_vector("dynamics.start").size() != 0)
      s.fail("dynamics.start", "give either start or start_at = \"initial\"");
    const auto i0 = ex.loss->initial_point();
    if (!i0) s.fail("dynamics.start_at", "the loss \"" + ex.loss->kind() + "\" has no initialisation of its own");
    ex.theta0 = *i0;
  } else if (s.get_vector("dynamics.start").size() == 0) {
    if (!ex.quadratic) s.fail("dynamics.start", "required for this loss (it has no stationary point to start from)");
    ex.theta0 = ex.quadratic->stationary_point();
  } else {
    ex.theta0 = vector_of_dim(s, "dynamics.start", d);
  }
  ex.preconditioner = build_preconditioner(s, d);
  const NoiseTarget on = s.get_string("noise.on") == "weights" ? NoiseTarget::weights : NoiseTarget::gradient;
  auto noise_on = [&](const BuiltLoss& b) {
    return build_noise({s, b.loss->hessian(ex.theta0), b.finite_sum, ex.preconditioner.get(), on});
  };
  ex.noise = noise_on({ex.loss, ex.quadratic, ex.finite_sum});

  const double eta = s.get_number("dynamics.eta");
  // The dynamics on one loss instance and its noise (its kind's entry, scenario/registry.hpp).
  const DynamicsKind& dynamics = dynamics_kind(s);
  if (ex.preconditioner && !dynamics.capabilities.preconditioner)
    s.fail(preconditioner_key(s), "a preconditioner is not defined for dynamics.kind = \"" + dynamics.schema.name +
                                      "\" (only " + dynamics_kinds_with(&DynamicsCapabilities::preconditioner) + ")");
  auto make_stepper = [&](const std::shared_ptr<const Loss>& loss, const std::shared_ptr<const NoiseModel>& noise) {
    return dynamics.build({s, loss, ex.quadratic, noise, ex.preconditioner, eta, ex.theta0});
  };
  ex.stepper = make_stepper(ex.loss, ex.noise);
  ex.trajectories = s.get_int("dynamics.trajectories");
  ex.losses = {ex.loss};
  ex.noises = {ex.noise};
  ex.centres = {ex.quadratic ? ex.quadratic->stationary_point() : ex.loss->minimizer().value_or(ex.theta0)};
  if (const Index G = ex.groups.count(ex.trajectories); G > 1) {
    // Fresh data per group (losses/loss_instances.hpp): group g's loss from its data seed,
    // and everything built on the loss (the noise, whose covariance reads the loss's data or
    // Hessian, and the stepper's precomputations) built again on it.
    if (const std::string at = s.get_string("dynamics.start_at"); at == "initial" || at == "minimum")
      s.fail("dynamics.start_at", "each loss instance has its own " +
                                      std::string(at == "initial" ? "initialisation" : "minimizer") +
                                      "; with loss.fresh_data give dynamics.start");
    std::vector<std::unique_ptr<Stepper>> steppers;
    steppers.push_back(std::move(ex.stepper));
    for (Index g = 1; g < G; ++g) {
      BuiltLoss b = build_loss(s, instance_data_seed(data_seed, g));
      ex.noises.push_back(noise_on(b));
      steppers.push_back(make_stepper(b.loss, ex.noises.back()));
      ex.centres.push_back(b.loss->minimizer().value_or(ex.theta0));
      ex.losses.push_back(std::move(b.loss));
    }
    ex.stepper = std::make_unique<GroupedStepper>(ex.groups, std::move(steppers));
  }
  ex.spec.seed = s.seed();
  ex.spec.steps = s.get_int("dynamics.steps");
  ex.spec.every = s.get_int("observe.every");
  ex.spec.block = s.get_int("dynamics.block");
  // ... and as one block: each evaluation is one call with every live trajectory. The
  // results do not depend on the block size (docs/conventions.md, determinism).
  if (callback) ex.spec.block = std::max<Index>(ex.trajectories, 1);
  ex.spec.threads = threads;
  ex.spec.divergence_bound = s.get_number("dynamics.divergence_bound");
  ex.max_diverged_fraction = s.get_number("dynamics.max_diverged_fraction");
  if (ex.max_diverged_fraction > 1.0) s.fail("dynamics.max_diverged_fraction", "must be at most 1");
  ex.hessian_top_k = static_cast<int>(s.get_int("observe.hessian_top_k"));
  ex.hessian_bottom_k = static_cast<int>(s.get_int("observe.hessian_bottom_k"));
  ex.full_covariance_max_dim = s.get_int("observe.full_covariance_max_dim");
  for (const char* key : {"observe.hessian_top_k", "observe.hessian_bottom_k"})
    if (s.get_int(key) > d) s.fail(key, "cannot exceed the dimension " + std::to_string(d));

  if (ex.loss->has_value()) ex.observers.push_back(std::make_unique<LossObserver>(ex.loss_instances()));
  {
    std::vector<std::pair<Index, Index>> entries;
    const Mat E = s.get_matrix("observe.covariance_entries");
    for (Index r = 0; r < E.rows(); ++r) {
      if (E.cols() != 2) s.fail("observe.covariance_entries", "each entry is a pair [i, j]");
      const auto i = static_cast<Index>(E(r, 0)), j = static_cast<Index>(E(r, 1));
      if (static_cast<double>(i) != E(r, 0) || static_cast<double>(j) != E(r, 1) || i < 0 || j < 0 || i >= d || j >= d)
        s.fail("observe.covariance_entries", "indices must be integers in [0, " + std::to_string(d) + ")");
      entries.emplace_back(i, j);
    }
    ex.observers.push_back(std::make_unique<MomentObserver>(ex.groups, ex.centres, std::move(entries)));
  }
  {
    std::vector<Index> coords;
    const Vec c = s.get_vector("observe.mean_coordinates");
    for (Index i = 0; i < c.size(); ++i) {
      const auto j = static_cast<Index>(c[i]);
      if (static_cast<double>(j) != c[i] || j < 0 || j >= d)
        s.fail("observe.mean_coordinates", "indices must be integers in [0, " + std::to_string(d) + ")");
      coords.push_back(j);
    }
    if (!coords.empty()) ex.observers.push_back(std::make_unique<MeanObserver>(std::move(coords)));
  }
  if (ex.loss->has_test_set()) ex.observers.push_back(std::make_unique<LossObserver>(ex.loss_instances(), true));
  add_distribution_observer(ex, d, eta);
  if (const auto* coupled = dynamic_cast<const StrongCoupling*>(ex.stepper.get()))
    ex.observers.push_back(std::make_unique<StrongErrorObserver>(d, coupled->half_reference()));
  if (const std::string where = s.get_string("observe.indicators"); where != "none") {
    if (!ex.noise) s.fail("observe.indicators", "needs a [noise] with a covariance (C = 0 without noise)");
    if (!ex.noise->covariance(ex.theta0))
      s.fail("observe.indicators", "the noise \"" + ex.noise->kind() +
                                       "\" states no covariance, so Tr(H C) is undefined (docs/conventions.md)");
    if (ex.instances() > 1 && where == "mean")
      s.fail("observe.indicators",
             "the ensemble-mean point belongs to no single loss instance (loss.fresh_data): use \"trajectories\"");
    ex.observers.push_back(std::make_unique<IndicatorObserver>(
        ex.loss_instances(), ex.noises, eta, where == "mean" ? 0 : s.get_int("observe.indicator_trajectories")));
  }
  if (const std::string where = s.get_string("observe.sharpness"); where != "none") {
    if (ex.instances() > 1 && where == "mean")
      s.fail("observe.sharpness",
             "the ensemble-mean point belongs to no single loss instance (loss.fresh_data): use \"trajectories\"");
    ex.observers.push_back(std::make_unique<SharpnessObserver>(
        ex.loss_instances(), where == "mean" ? 0 : s.get_int("observe.sharpness_trajectories")));
  }
  if (const std::string region = s.get_string("escape.region"); region != "none") {
    const std::shared_ptr<const Region> target = build_region(s, ex.loss, ex.instances());
    const std::int64_t h = s.get_int("escape.horizon");
    std::optional<EscapeBridge> bridge;
    if (s.get_bool("escape.bridge")) bridge = build_bridge(s, ex, *target, eta);
    ex.observers.push_back(std::make_unique<EscapeObserver>(target, ex.trajectories, eta,
                                                            static_cast<double>(h > 0 ? h : ex.spec.steps), bridge,
                                                            s.get_bool("escape.stop_escaped")));
  }

  std::vector<std::string> known;
  for (const auto& o : ex.observers)
    for (auto& n : o->names()) known.push_back(n);
  const auto ks = observation_steps(ex.spec.steps, ex.spec.every);
  for (std::size_t i = 0; i < s.count("checks"); ++i) {
    const std::string p = "checks." + std::to_string(i);
    // Every prediction (exact moments, theta*, the GD iterate, one step) is computed from one
    // loss; an ensemble over several instances is a mixture that none of them describes.
    if (ex.instances() > 1)
      s.fail(p + ".prediction",
             "a prediction is computed from one loss instance, and loss.fresh_data gives this "
             "ensemble " +
                 std::to_string(ex.instances()) + " (compare per instance: fresh_data = \"none\")");
    CheckSpec c{s.get_string(p + ".result"), s.get_int(p + ".at_step"), s.get_string(p + ".prediction"),
                s.get_number(p + ".sigmas")};
    if (std::find(known.begin(), known.end(), c.result) == known.end()) {
      std::string k;
      for (const auto& n : known) k += (k.empty() ? "" : ", ") + n;
      s.fail(p + ".result", "unknown result \"" + c.result + "\" (this scenario records: " + k + ")");
    }
    if (std::find(ks.begin(), ks.end(), c.at_step) == ks.end()) {
      std::ostringstream m;
      m << "step " << c.at_step << " is not observed (observed: multiples of observe.every = " << ex.spec.every
        << " up to dynamics.steps = " << ex.spec.steps << ", and the last step)";
      s.fail(p + ".at_step", m.str());
    }
    ex.checks.push_back(std::move(c));
  }
  ex.ams = build_ams_scenario(s, ex);
  return ex;
}

}  // namespace sgdnoise
