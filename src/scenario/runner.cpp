#include "scenario/runner.hpp"

#include <sstream>
#include <stdexcept>

#include "dynamics/sde_schemes.hpp"
#include "dynamics/strong_coupling.hpp"

namespace sgdnoise {

bool RunResult::all_checks_passed() const {
  for (const auto& c : checks)
    if (!c.passed) return false;
  return record.status == RunStatus::completed;
}

PredictionContext prediction_context(const Experiment& ex) {
  PredictionContext ctx;
  ctx.loss = ex.loss.get();
  ctx.quadratic = ex.quadratic.get();
  ctx.noise = ex.noise.get();
  ctx.scheme = ex.stepper->kind();
  ctx.eta = ex.stepper->eta();
  if (const auto* sde = dynamic_cast<const SdeStepper*>(ex.stepper.get())) ctx.substeps = sde->substeps();
  if (const auto* sc = dynamic_cast<const StrongCoupling*>(ex.stepper.get())) {
    ctx.substeps = sc->substeps();
    ctx.coupled = std::make_shared<CoupledMomentsCache>();
  }
  ctx.theta0 = ex.theta0;
  ctx.steps = ex.spec.steps;
  ctx.instances = ex.instances();
  if (ex.instances() == 1 && !ex.quadratic && ctx.scheme == "discrete" && ex.loss->affine_gradient())
    ctx.affine = std::make_shared<AffineMoments>(*ex.loss, ex.noise.get(), ctx.eta, ex.theta0, ex.spec.steps);
  return ctx;
}

std::vector<std::string> observer_states(const Experiment& ex) {
  std::vector<std::string> states;
  for (const auto& o : ex.observers) states.push_back(o->saved_state());
  return states;
}

void restore_observer_states(const Experiment& ex, const std::vector<std::string>& states, std::int64_t k,
                             const Mat& state, const std::string& where) {
  if (states.size() != ex.observers.size())
    throw InputError(where, "",
                     "the checkpoint holds " + std::to_string(states.size()) + " observer states, the scenario has " +
                         std::to_string(ex.observers.size()) + " observers");
  const Index d = ex.theta0.size();
  for (std::size_t i = 0; i < states.size(); ++i) {
    Observer& o = *ex.observers[i];
    try {
      o.restore_state(states[i], k, o.whole_state() ? ConstBlockRef(state) : ConstBlockRef(state.leftCols(d)));
    } catch (const std::invalid_argument& e) {
      throw InputError(where, "", std::string("corrupt checkpoint: ") + e.what());
    }
  }
}

RunResult run_experiment(const Experiment& ex, const ProgressFn& progress) {
  RunHooks hooks;
  hooks.progress = progress;
  return run_experiment(ex, hooks);
}

RunResult run_experiment(const Experiment& ex, const RunHooks& hooks, RunRecord resume, Mat resume_state) {
  RunResult r;
  const bool resuming = !resume.series.empty();
  if (resuming &&
      (resume_state.rows() != ex.trajectories || resume_state.cols() != ex.theta0.size() + ex.stepper->extra_columns()))
    throw std::invalid_argument("resume: the checkpoint's state does not fit this scenario");
  r.record = run_ensemble(*ex.stepper, resuming ? std::move(resume_state) : ex.initial_state(), ex.spec,
                          ex.recording_observers(), hooks, std::move(resume));
  const PredictionContext ctx = prediction_context(ex);
  for (const auto& row : r.record.series) {
    std::vector<Prediction> ps;
    for (const auto& o : row.values) ps.push_back(predict(ctx, o.name, row.k, "exact"));
    r.exact.push_back(std::move(ps));
  }
  for (const auto& c : ex.checks) {
    const Prediction p = predict(ctx, c.result, c.at_step, c.prediction);
    const SeriesRow* row = r.record.at_step(c.at_step);
    const Observation* obs = row ? row->find(c.result) : nullptr;
    if (!obs) {
      // No measurement: the run stopped before this step (every trajectory diverged) or it
      // was not recorded. Never a silent pass (docs/conventions.md, numbers in outputs).
      r.checks.push_back(unavailable_check(
          c.result, c.at_step, static_cast<double>(c.at_step) * ex.stepper->eta(), c.prediction, c.sigmas, p,
          "no measurement at this step: " + (r.record.failure.empty() ? "not recorded" : r.record.failure)));
      continue;
    }
    CheckOutcome o = evaluate_check(c.result, c.at_step, row->tau, c.prediction, c.sigmas, obs->est, p);
    const double frac = static_cast<double>(r.record.n_diverged) / static_cast<double>(ex.trajectories);
    if (frac > ex.max_diverged_fraction) {
      std::ostringstream m;
      m << r.record.n_diverged << " of " << ex.trajectories << " trajectories diverged (fraction " << frac
        << " > max_diverged_fraction " << ex.max_diverged_fraction << "); " << o.reason;
      o.passed = false;
      if (o.status == CheckStatus::passed) o.status = CheckStatus::failed;
      o.reason = m.str();
    }
    r.checks.push_back(std::move(o));
  }
  if (ex.ams && r.record.status != RunStatus::interrupted) {
    auto o = std::make_shared<AmsOutcome>(run_ams_scenario(ex));
    if (ex.ams->mfpt_check) r.checks.push_back(ams_mfpt_check(*ex.ams, *o));
    r.ams = std::move(o);
  }
  r.report = assemble_report(ex, r);
  return r;
}

}  // namespace sgdnoise
