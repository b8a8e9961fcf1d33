#include "scenario/schema.hpp"

#include <sstream>
#include <stdexcept>

#include "scenario/registry.hpp"

namespace sgdnoise {

const char* to_string(ParamType t) {
  switch (t) {
    case ParamType::integer:
      return "integer";
    case ParamType::number:
      return "number";
    case ParamType::boolean:
      return "boolean";
    case ParamType::string:
      return "string";
    case ParamType::number_array:
      return "array of numbers";
    case ParamType::number_matrix:
      return "matrix (array of rows)";
  }
  return "?";
}

const KindSchema* SectionSchema::find_kind(const std::string& k) const {
  for (const auto& ks : kinds)
    if (ks.name == k) return &ks;
  return nullptr;
}

namespace schema_params {
Param req(std::string name, ParamType t, std::string doc) {
  return {std::move(name), t, std::move(doc), {}, {}, false, {}, {}};
}
Param opt(std::string name, ParamType t, std::string def, std::string doc) {
  return {std::move(name), t, std::move(doc), std::move(def), {}, false, {}, {}};
}
Param positive(Param p) {
  p.min = 0.0;
  p.min_exclusive = true;
  return p;
}
Param at_least(Param p, double m) {
  p.min = m;
  return p;
}
Param at_most(Param p, double m) {
  p.max = m;
  return p;
}
Param one_of(Param p, std::vector<std::string> c) {
  p.choices = std::move(c);
  return p;
}
}  // namespace schema_params

namespace {
using namespace schema_params;

// The parameter tables of the registered kinds, in listing order (scenario/registry.hpp).
template <class K>
std::vector<KindSchema> kind_schemas(const std::vector<K>& kinds) {
  std::vector<KindSchema> out;
  for (const auto& k : kinds) out.push_back(k.schema);
  return out;
}

// The [escape] table: escape.region, whose choices are the registered region kinds, then each
// kind's own keys (marked with their kind), then `rest`, the keys every region shares.
std::vector<Param> with_region_params(std::vector<Param> rest) {
  const auto& regions = kind_registry().regions();
  std::string doc = "The target set: \"none\" (no escape engine)";
  std::vector<std::string> names = {"none"};
  for (const auto& r : regions) {
    doc += "; \"" + r.schema.name + "\": " + r.schema.doc;
    names.push_back(r.schema.name);
  }
  std::vector<Param> out = {one_of(opt("region", ParamType::string, "\"none\"", doc + "."), names)};
  for (const auto& r : regions)
    for (Param p : r.schema.params) {
      for (const auto& q : out)
        if (q.name == p.name)
          throw std::logic_error("escape." + p.name + " is declared by two region kinds (or is reserved)");
      p.doc = "region = \"" + r.schema.name + "\": " + p.doc;
      out.push_back(std::move(p));
    }
  for (Param& p : rest) {
    for (const auto& q : out)
      if (q.name == p.name) throw std::logic_error("escape." + p.name + " is declared by a region kind and [escape]");
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<SectionSchema> build() {
  using T = ParamType;
  std::vector<SectionSchema> s;

  s.push_back({"",
               "Top level of the scenario file.",
               true,
               false,
               {req("name", T::string, "Scenario name; the default run directory is runs/<name>."),
                opt("description", T::string, "\"\"", "One sentence on what the scenario shows."),
                at_least(opt("seed", T::integer, "1", "Key of every random stream (overridden by --seed)."), 0)},
               {}});

  s.push_back(
      {"loss",
       "The loss L(theta).",
       true,
       false,
       {one_of(
            opt("fresh_data", T::string, "\"none\"",
                "Fresh data per repeat (docs/theory.md 4.4A: paper 3 draws new data for every repeat), for the "
                "synthetic finite sums (" +
                    loss_kinds_with(&LossCapabilities::fresh_data, ", ") +
                    "): \"none\" (one loss for every trajectory), \"per_trajectory\" or "
                    "\"per_group\" (trajectory t runs on group t / group_size's own loss). Group 0 uses data_seed, "
                    "group g >= 1 the seed derived from (data_seed, g) by Philox (losses/loss_instances.hpp). "
                    "Checks, indicators at the ensemble mean and level-set and basin escape regions are then refused "
                    "(each is defined on one instance)."),
            {"none", "per_trajectory", "per_group"}),
        at_least(opt("group_size", T::integer, "1", "Trajectories per loss instance, for fresh_data = \"per_group\"."),
                 1)},
       kind_schemas(kind_registry().losses())});

  const Param on = one_of(opt("on", T::string, "\"gradient\"",
                              "Where the noise acts: \"gradient\" (its covariance is C, the step adds -eta xi) "
                              "or \"weights\" (its covariance is Sigma_step)."),
                          {"gradient", "weights"});
  s.push_back({"noise",
               "The noise added to gradient descent (docs/conventions.md: C, Sigma_step, D).",
               false,
               false,
               {on},
               kind_schemas(kind_registry().noises())});

  const std::vector<Param> dyn_common = {
      positive(req("eta", T::number, "Step size eta; one step is tau = eta of continuous time.")),
      at_least(req("steps", T::integer, "Number of steps k."), 0),
      at_least(req("trajectories", T::integer, "Ensemble size N."), 1),
      opt("start", T::number_array, "[]",
          "theta_0 for every trajectory (empty: the quadratic's stationary point, or the minimizer with "
          "start_at = \"minimum\")."),
      one_of(opt("start_at", T::string, "\"given\"",
                 "\"given\": theta_0 is `start`; \"minimum\": the loss's global minimizer (least squares, "
                 "sum_of_quadratics, quadratics; an error where the loss knows none); \"initial\": the loss's "
                 "own initialisation (relu_network, tanh_network)."),
             {"given", "minimum", "initial"}),
      opt("preconditioner", T::number_matrix, "[]",
          "A constant symmetric positive definite d x d matrix M of the drift (empty: M = I): theta_{k+1} = "
          "theta_k - eta M g_k + zeta_k and d theta = -M grad L dtau + D^{1/2} dW. Gradient noise passes through M "
          "with the gradient (Sigma_step = eta^2 M C M), weight noise does not; noise.kind = \"preconditioned\" "
          "ties the noise to M (D = 2 eps M, reversible). Plain discrete SGD and the sde_* schemes."),
      opt("preconditioner_diagonal", T::number_array, "[]",
          "M = diag(these d numbers, all > 0), instead of dynamics.preconditioner."),
      at_least(opt("block", T::integer, "256",
                   "Trajectories per block of work, rounded up to a multiple of 16 (never changes results)."),
               1),
      positive(opt("divergence_bound", T::number, "1e100",
                   "A trajectory with a non-finite coordinate or |theta_i| above this (or an observed value, such as "
                   "its loss, non-finite or above 1e150) is marked diverged, counted and excluded from every "
                   "statistic; escape statistics censor it at that step.")),
      at_least(opt("max_diverged_fraction", T::number, "0.0",
                   "Checks fail when more than this fraction of trajectories diverged."),
               0.0)};
  s.push_back({"dynamics", "How theta evolves.", true, false, dyn_common, kind_schemas(kind_registry().dynamics())});

  s.push_back(
      {"observe",
       "What is recorded along the run.",
       false,
       false,
       {
           at_least(
               opt("every", T::integer, "1", "Observation period in steps (step 0 and the last are always observed)."),
               1),
           at_least(opt("hessian_top_k", T::integer, "0",
                        "Top-k Hessian eigenvalues at theta* (Spectra Lanczos; dense for small d)."),
                    0),
           at_least(opt("hessian_bottom_k", T::integer, "0", "Bottom-k Hessian eigenvalues at theta*."), 0),
           at_least(opt("full_covariance_max_dim", T::integer, "10",
                        "Write the whole empirical covariance of theta at the last step when d is at most this."),
                    0),
           opt("mean_coordinates", T::number_array, "[]",
               "Coordinates i of theta whose ensemble mean is recorded as \"theta_i\"."),
           opt("covariance_entries", T::number_matrix, "[]",
               "Entries (i, j) of Cov theta to record along the run, as [[i, j], ...] (0-based)."),
           one_of(
               opt("indicators", T::string, "\"none\"",
                   "Record paper 3's indicators along the run: trace_H_C = Tr(H C), trace_H_Cbar = Tr(H Cbar) = Tr H "
                   "Tr C / d (Cbar the isotropic noise of equal trace), trace_C and anisotropy_ratio, with C the "
                   "noise's gradient-noise covariance at that point and step (Sigma_step / eta^2 for weight noise; "
                   "refused for noise without a covariance) and H the exact Hessian. \"mean\": at the "
                   "ensemble-mean point (exact there: se 0); \"trajectories\": at each of the first "
                   "indicator_trajectories trajectories, mean and standard error over them."),
               {"none", "mean", "trajectories"}),
           at_least(opt("indicator_trajectories", T::integer, "4",
                        "Trajectories the \"trajectories\" indicators average over (capped at the ensemble size)."),
                    1),
           one_of(
               opt("sharpness", T::string, "\"none\"",
                   "Record the sharpness lambda_max(H) along the run (the top eigenvalue of the exact Hessian: "
                   "dense for d <= 32, Spectra's Lanczos on Hessian-vector products above; an unconverged solve "
                   "is reported undefined with its reason), with 2/eta, GD's stability threshold (edge of "
                   "stability, Cohen et al. 2021; docs/theory.md 5.3), in the summary. \"mean\": at the ensemble-mean "
                   "point (se 0); \"trajectories\": at each of the first sharpness_trajectories trajectories, "
                   "mean and standard error over them."),
               {"none", "mean", "trajectories"}),
           at_least(opt("sharpness_trajectories", T::integer, "4",
                        "Trajectories the \"trajectories\" sharpness averages over (capped at the ensemble size)."),
                    1),
           opt("paths", T::number_array, "[]",
               "Trajectory ids (0-based) whose states are kept at every observation step: paths.npz in the run "
               "directory (k, tau, ids, theta of shape (steps, ids, d); NaN once a trajectory diverged) and "
               "Result.paths in Python."),
           at_least(opt("paths_first", T::integer, "0", "Also keep the paths of trajectories 0 .. K-1."), 0),
           opt("distribution", T::string, "\"\"",
               "Per-trajectory observables whose distribution is summarised at every observation step, "
               "comma-separated: loss, dist2, theta_I (coordinate I). With quantiles and/or histogram_bins: "
               "distributions.npz (quantiles_NAME (steps, quantiles), histogram_NAME (steps, bins + 2: the bins, then "
               "the counts below and above the range), edges, probabilities) and Result.quantiles / "
               "Result.histograms in Python."),
           opt("quantiles", T::number_array, "[]",
               "Probabilities in [0, 1] of the per-step quantiles of the distribution observables (type 7: linear "
               "interpolation between order statistics)."),
           at_least(opt("histogram_bins", T::integer, "0", "Equal bins of the per-step histograms (0: none)."), 0),
           opt("histogram_range", T::number_array, "[]",
               "[lo, hi] of the histogram bins (fixed, so histograms of different steps compare)."),
       },
       {}});

  s.push_back(
      {"escape",
       "First passage into a target region (the escape engine): escaped_fraction along the run and, in the "
       "summary, Kaplan-Meier survival, mean escape time, rate and probability within a horizon, in steps and "
       "in tau, censoring reported. Use observe.every = 1 for step resolution.",
       false,
       false,
       with_region_params(
           {opt("bridge", T::boolean, "false",
                "Brownian-bridge crossing test between observations (Karatzas & Shreve 1991, 2.6; Glasserman 2004, "
                "6.4): a trajectory that ends an interval outside the target is counted as having crossed with "
                "probability exp(-2 a b / (Sigma_step (k1 - k0))), a and b its distances to the boundary, so a coarse "
                "step does not miss crossings. Only for threshold and half_space targets, Gaussian noise with a "
                "constant isotropic covariance (Sigma_step = s I, D = Sigma_step / eta), dynamics discrete "
                "(Euler-Maruyama with dt = eta) or sde_euler_maruyama / sde_milstein / sde_weak2, no "
                "preconditioner; refused elsewhere. Uniforms from their own stream per (trajectory, step)."),
            at_least(opt("horizon", T::integer, "0", "Horizon in steps of the escape probability (0: dynamics.steps)."),
                     0),
            opt("stop_escaped", T::boolean, "false",
                "Escaped trajectories leave the batch: from the observation that sees a trajectory escaped it is "
                "no longer stepped, so the cost follows the running ones. Escape results are identical either way "
                "(each trajectory draws its own numbers); every other result then averages the escaped "
                "trajectories at their state when stopped."),
            one_of(opt("method", T::string, "\"brute_force\"",
                       "\"brute_force\": the region above, on the ensemble. \"ams\": also the rate of the transition "
                       "from escape.from to B = {score >= level_b} by adaptive multilevel splitting (Brehier et al. "
                       "2016) and the decomposition of Cerou, Guyader, Lelievre & Pommier 2011 (docs/theory.md 8.8), "
                       "run after the ensemble on the same stepper; results in summary.json under escape.ams. The "
                       "chain must be time-homogeneous and Markov (no schedule, no reshuffling, no fresh data). The "
                       "keys below are AMS only."),
                   {"brute_force", "ams"}),
            one_of(opt("score", T::string, "\"coordinate\"",
                       "AMS score xi: \"coordinate\" (theta[score_coordinate]), \"projection\" (score_direction . "
                       "(theta - score_centre)), \"distance\" (|theta - score_centre|), \"loss\" (L(theta))."),
                   {"coordinate", "projection", "distance", "loss"}),
            at_least(opt("score_coordinate", T::integer, "0", "AMS: the coordinate of score = \"coordinate\"."), 0),
            opt("score_direction", T::number_array, "[]", "AMS: the direction of score = \"projection\"."),
            opt("score_centre", T::number_array, "[]",
                "AMS: the centre of score = \"distance\", the origin of \"projection\" (empty: 0)."),
            opt("level_a", T::number, "0.0", "AMS: A = {score <= level_a}, around the minimum."),
            opt("level_b", T::number, "1.0", "AMS: B = {score >= level_b}, the target; above level_a."),
            opt("start", T::number_array, "[]",
                "AMS: a point on the surface Sigma = {score = score(start)} between A and B from which excursions "
                "start (level_a < score(start) < level_b)."),
            opt("from", T::number_array, "[]",
                "AMS: the point the transition starts from (the minimum; empty: dynamics.start); its score is "
                "below score(start). The time from it to Sigma is measured and added."),
            at_least(opt("replicas", T::integer, "100", "AMS: replicas n per run (n >= 100 keeps p's skew small)."), 2),
            at_least(opt("kill", T::integer, "1", "AMS: replicas k killed per iteration (at least; ties kill more)."),
                     1),
            at_least(opt("runs", T::integer, "10", "AMS: independent runs M; p and its standard error over them."), 2),
            at_least(opt("loops", T::integer, "2000",
                         "AMS: brute-force trajectories from escape.from: the time to Sigma, one loop (Sigma -> A -> "
                         "Sigma) each, and the entrance states the replicas start from."),
                     2),
            at_least(opt("burn_in", T::integer, "10",
                         "AMS: unrecorded cycles (Sigma -> A -> Sigma) each brute-force trajectory makes before its "
                         "recorded loop, so that the entrance states forget escape.from along slow directions."),
                     0),
            at_least(opt("max_iterations", T::integer, "1000000", "AMS: iterations per run before it fails."), 1),
            at_least(opt("max_segment_steps", T::integer, "10000000",
                         "AMS: steps a segment or a loop may take before the run fails (neither A nor B reached)."),
                     1),
            positive(opt("memory_mb", T::number, "1024",
                         "AMS: stored paths per run, replicas x (steps + 1) x (columns + 1) doubles; a longer path "
                         "fails the run with this limit named.")),
            opt("mfpt_check", T::boolean, "false",
                "AMS: check the mean time from escape.from to level_b against the exact 1-D mean first-passage time "
                "(Gardiner 5.2.7; result escape_mean_tau_ams): 1-D loss, score = \"coordinate\", constant Gaussian "
                "noise with D = 2 eps."),
            positive(opt("sigmas", T::number, "5.0", "AMS: tolerance of mfpt_check in standard errors.")),
            at_least(opt("mfpt_allowance", T::number, "0.0",
                         "AMS: allowance of mfpt_check relative to the exact time, for the chain's time step (the "
                         "exact MFPT is the continuous dynamics'; docs/theory.md 8.8 states the O(dt) terms)."),
                     0)}),
       {}});

  s.push_back(
      {"checks",
       "Comparisons of a result with a prediction ([[checks]], one table each).",
       false,
       true,
       {req("result", T::string,
            "Result name: \"loss\", \"dist2\" (|theta - theta*|^2), \"cov_trace\", \"cov_frobenius\" "
            "(of the empirical Cov theta), \"cov_i_j\" (a recorded entry), \"theta_i\" (a recorded mean "
            "coordinate), \"test_loss\" (held-out loss, where the loss has a test set)."),
        at_least(req("at_step", T::integer, "Step k at which to compare (an observed step)."), 0),
        one_of(opt("prediction", T::string, "\"exact\"",
                   "\"exact\": the exact prediction for the simulated scheme; \"discrete\": noisy GD at eta; "
                   "\"continuous\": the SDE at tau = k eta; \"discrete_stationary\" and "
                   "\"continuous_stationary\": the Lyapunov solutions. A prediction other than the scheme's "
                   "own at step k gets the exact difference between the two as its allowance. \"gd\": the plain GD "
                   "iterate, exact for theta_i when grad L is affine and the sampling is independent across "
                   "steps (docs/theory.md 1.5). \"one_step\": at step 1 of plain noisy GD, E theta_1 = theta_0 - "
                   "eta grad L and Cov theta_1 = eta^2 C(theta_0) for any loss (theta_i, cov_trace, cov_frobenius, "
                   "cov_i_j), "
                   "and E L(theta_1) = L(theta_0 - eta grad L) + 1/2 eta^2 Tr(H C(theta_0)) when grad L is affine "
                   "(docs/theory.md 3.3)."),
               {"exact", "discrete", "continuous", "discrete_stationary", "continuous_stationary", "gd", "one_step"}),
        positive(opt("sigmas", T::number, "5.0",
                     "Tolerance in standard errors; the check's false-alarm probability is printed."))},
       {}});
  return s;
}
}  // namespace

const std::vector<SectionSchema>& scenario_schema() {
  static const std::vector<SectionSchema> s = build();
  return s;
}

const SectionSchema* find_section(const std::string& name) {
  for (const auto& s : scenario_schema())
    if (s.name == name) return &s;
  return nullptr;
}

namespace {
std::string describe(const Param& p) {
  std::ostringstream o;
  o << to_string(p.type);
  if (p.min) o << (p.min_exclusive ? ", > " : ", >= ") << *p.min;
  if (!p.choices.empty()) {
    o << ", one of";
    for (const auto& c : p.choices) o << " \"" << c << "\"";
  }
  return o.str();
}
}  // namespace

std::string schema_markdown() {
  std::ostringstream o;
  o << "# Scenario files\n\n"
       "Generated by `sgdnoise list --markdown` from the parameter schema that also validates scenarios "
       "and `--set` overrides. A scenario is a TOML file; every key below is checked, unknown keys are errors.\n";
  auto table = [&](const std::vector<Param>& ps) {
    o << "\n| key | type | default | meaning |\n|---|---|---|---|\n";
    for (const auto& p : ps)
      o << "| `" << p.name << "` | " << describe(p) << " | "
        << (p.default_toml ? "`" + *p.default_toml + "`" : "required") << " | " << p.doc << " |\n";
  };
  for (const auto& s : scenario_schema()) {
    o << "\n## " << (s.name.empty() ? "top level" : (s.array_of_tables ? "[[" + s.name + "]]" : "[" + s.name + "]"))
      << (s.required ? "" : " (optional)") << "\n\n"
      << s.doc << "\n";
    if (!s.common.empty()) table(s.common);
    for (const auto& k : s.kinds) {
      o << "\n### kind = \"" << k.name << "\"\n\n" << k.doc << "\n";
      if (!k.params.empty()) table(k.params);
    }
  }
  return o.str();
}

std::string schema_listing() {
  std::ostringstream o;
  for (const auto& s : scenario_schema()) {
    o << (s.name.empty() ? "(top level)" : s.name) << ": " << s.doc << "\n";
    auto params = [&](const std::vector<Param>& ps, const char* indent) {
      for (const auto& p : ps)
        o << indent << p.name << " (" << describe(p) << ") = " << p.default_toml.value_or("<required>") << "\n";
    };
    params(s.common, "    ");
    for (const auto& k : s.kinds) {
      o << "  kind \"" << k.name << "\": " << k.doc << "\n";
      params(k.params, "      ");
    }
  }
  return o.str();
}

}  // namespace sgdnoise
