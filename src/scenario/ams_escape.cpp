#include "scenario/ams_escape.hpp"

#include <chrono>
#include <cmath>

#include "analysis/predictions/escape_time.hpp"
#include "dynamics/grouped_stepper.hpp"
#include "noise/gaussian.hpp"
#include "scenario/experiment.hpp"
#include "scenario/kind_inputs.hpp"

namespace sgdnoise {

std::shared_ptr<const AmsScenario> build_ams_scenario(const Scenario& s, const Experiment& ex) {
  if (s.get_string("escape.method") != "ams") return nullptr;
  const Index d = ex.theta0.size();
  // A clone continues from a stored state with fresh stream ids and k = 0 (analysis/ams.hpp):
  // the chain must be time-homogeneous and must not pick its model by trajectory id.
  if (ex.instances() > 1)
    s.fail("escape.method",
           "AMS gives each segment a fresh stream id, and loss.fresh_data picks the loss by it: "
           "use fresh_data = \"none\"");
  if (const auto* gd = dynamic_cast<const NoisyGD*>(ex.stepper.get());
      gd && gd->optimizer().schedule != OptimizerConfig::Schedule::constant)
    s.fail("escape.method", "AMS needs a time-homogeneous chain: a step-size schedule is not");
  if (s.has("noise.batch_schedule") && s.get_string("noise.batch_schedule") != "constant")
    s.fail("escape.method", "AMS needs a time-homogeneous chain: a batch schedule is not");
  if (ex.noise && !ex.noise->independent_across_steps())
    s.fail("escape.method", "AMS needs a Markov chain in theta: random reshuffling's batches depend on the epoch");
  auto a = std::make_shared<AmsScenario>();
  const std::string score = s.get_string("escape.score");
  if (score == "coordinate") {
    const Index c = s.get_int("escape.score_coordinate");
    if (c >= d) s.fail("escape.score_coordinate", "must be below the dimension " + std::to_string(d));
    a->score = ScoreFunction::coordinate(d, c);
  } else if (score == "projection") {
    const Vec u = vector_of_dim(s, "escape.score_direction", d);
    if (!(u.norm() > 0.0)) s.fail("escape.score_direction", "must be nonzero");
    a->score = ScoreFunction::projection(u, s.get_vector("escape.score_centre").size() == 0
                                                ? Vec(Vec::Zero(d))
                                                : vector_of_dim(s, "escape.score_centre", d));
  } else if (score == "distance") {
    a->score = ScoreFunction::distance(vector_of_dim(s, "escape.score_centre", d));
  } else {
    a->score = ScoreFunction::loss_value(ex.loss);
  }
  AmsSpec& sp = a->spec;
  sp.replicas = s.get_int("escape.replicas");
  sp.kill = s.get_int("escape.kill");
  sp.level_a = s.get_number("escape.level_a");
  sp.level_b = s.get_number("escape.level_b");
  sp.start = vector_of_dim(s, "escape.start", d);
  sp.max_iterations = s.get_int("escape.max_iterations");
  sp.max_segment_steps = s.get_int("escape.max_segment_steps");
  sp.memory_limit_bytes = s.get_number("escape.memory_mb") * 1024.0 * 1024.0;
  sp.seed = ex.spec.seed;
  sp.threads = ex.spec.threads;
  a->runs = s.get_int("escape.runs");
  a->loops = s.get_int("escape.loops");
  a->burn_in = s.get_int("escape.burn_in");
  a->from = s.get_vector("escape.from").size() == 0 ? ex.theta0 : vector_of_dim(s, "escape.from", d);
  a->mfpt_check = s.get_bool("escape.mfpt_check");
  a->sigmas = s.get_number("escape.sigmas");
  a->allowance = s.get_number("escape.mfpt_allowance");
  if (sp.kill >= sp.replicas) s.fail("escape.kill", "must be below escape.replicas = " + std::to_string(sp.replicas));
  if (!(sp.level_a < sp.level_b))
    s.fail("escape.level_b", "must be above escape.level_a (A = {score <= level_a}, B = {score >= level_b})");
  const double xi0 = a->score.at(sp.start);
  if (!(xi0 > sp.level_a && xi0 < sp.level_b))
    s.fail("escape.start",
           "its score must lie strictly between level_a and level_b (it is the surface Sigma "
           "the excursions start from; docs/theory.md 8.8)");
  if (!(a->score.at(a->from) < xi0))
    s.fail("escape.from", "the point the transition starts from must score below escape.start");
  try {
    validate_ams(*ex.stepper, a->score, sp);
  } catch (const std::invalid_argument& e) {
    s.fail("escape.method", e.what());
  }
  if (a->mfpt_check &&
      (d != 1 || score != "coordinate" || ex.preconditioner || !dynamic_cast<const GaussianNoise*>(ex.noise.get())))
    s.fail("escape.mfpt_check",
           "the exact mean first-passage time is wired for a 1-D loss, score = \"coordinate\", "
           "constant Gaussian noise and no preconditioner");
  return a;
}

AmsOutcome run_ams_scenario(const Experiment& ex) {
  const AmsScenario& a = *ex.ams;
  AmsOutcome o;
  const auto t0 = std::chrono::steady_clock::now();
  o.loops = ams_loop_times(*ex.stepper, a.score, a.spec, a.loops, a.from, a.burn_in);
  AmsSpec sp = a.spec;
  sp.starts = o.loops.entrance_states;
  o.estimate = ams_estimate(*ex.stepper, a.score, sp, a.runs);
  const double eta = ex.stepper->eta();
  o.rate = ams_rate(o.estimate, o.loops, eta);
  o.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  o.exact_mean_time.reason = "wired for a 1-D loss, score = \"coordinate\" and constant Gaussian noise";
  const auto* g = dynamic_cast<const GaussianNoise*>(ex.noise.get());
  if (g && ex.theta0.size() == 1 && a.score.kind() == ScoreFunction::Kind::projection && !ex.preconditioner) {
    o.eps = noise_forms(g->S(), g->target(), eta).D(0, 0) / 2.0;
    MfptProblem prob;
    const auto loss = ex.loss;
    prob.potential = [loss](double x) { return loss->value_at(Vec::Constant(1, x)); };
    prob.eps = o.eps;
    prob.x0 = a.from[0];
    prob.target = a.spec.level_b;
    const MfptResult m = mean_first_passage_time_1d(prob);
    o.exact_mean_time.available = m.ok && std::isfinite(m.value);
    o.exact_mean_time.value = m.value;
    o.exact_mean_time.allowance = a.allowance * m.value;
    o.exact_mean_time.source = m.source + ", continuous dynamics from escape.from to escape.level_b";
    o.exact_mean_time.reason = m.ok ? (std::isfinite(m.value) ? "" : "the exact time overflows") : m.reason;
  }
  return o;
}

CheckOutcome ams_mfpt_check(const AmsScenario& a, const AmsOutcome& o) {
  const std::string name = "escape_mean_tau_ams";
  if (!o.rate.available) return unavailable_check(name, 0, 0.0, "exact", a.sigmas, o.exact_mean_time, o.rate.reason);
  if (!o.exact_mean_time.available)
    return unavailable_check(name, 0, 0.0, "exact", a.sigmas, o.exact_mean_time, o.exact_mean_time.reason);
  Estimate m;
  m.value = o.rate.mean_time;
  m.se = o.rate.mean_time_se;
  m.n = static_cast<Index>(o.estimate.runs.size());
  m.dof = static_cast<double>(m.n - 1);  // the runs dominate the error
  m.method = "AMS runs and brute-force loops, delta method (docs/theory.md 8.8)";
  return evaluate_check(name, 0, 0.0, "exact", a.sigmas, m, o.exact_mean_time);
}

}  // namespace sgdnoise
