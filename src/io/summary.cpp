#include "io/summary.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>

#include "core/format.hpp"
#include "core/platform.hpp"
#include "core/version.hpp"
#include "io/npz.hpp"

namespace sgdnoise {

using nlohmann::json;

json finite_or_status(double v, const std::string& status_if_not) {
  if (std::isfinite(v)) return v;
  return json{{"status", status_if_not}, {"reason", std::isnan(v) ? "not a number" : "infinite"}};
}

namespace {

json estimate_json(const Estimate& e) {
  json j{{"mean", finite_or_status(e.value, "undefined")},
         {"se", finite_or_status(e.se, "undefined")},
         {"n", e.n},
         {"se_method", e.method}};
  if (std::isfinite(e.dof)) j["dof"] = e.dof;
  return j;
}

json prediction_json(const Prediction& p) {
  if (!p.available) return json{{"status", "unavailable"}, {"reason", p.reason}};
  return json{{"value", finite_or_status(p.value, "undefined")},
              {"allowance", finite_or_status(p.allowance, "undefined")},
              {"source", p.source}};
}

json toml_to_json(const toml::table& t) {
  std::ostringstream s;
  s << toml::json_formatter{t};
  return json::parse(s.str());
}

std::string fmt(double v) {
  if (!std::isfinite(v)) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

json matrix_json(const Mat& M) {
  json rows = json::array();
  for (Index i = 0; i < M.rows(); ++i) {
    json row = json::array();
    for (Index c = 0; c < M.cols(); ++c) row.push_back(finite_or_status(M(i, c), "undefined"));
    rows.push_back(std::move(row));
  }
  return rows;
}

json optional_indicator(const std::optional<double>& v, const std::string& reason) {
  if (v) return finite_or_status(*v, "undefined");
  return json{{"status", "undefined"}, {"reason", reason}};
}

json indicators_json(const StartIndicators& s) {
  const Indicators& ind = s.ind;
  return json{{"at", "theta_0"},
              {"noise_on", s.noise_on},
              {"trace_H_C", finite_or_status(ind.trace_H_C, "undefined")},
              {"trace_H_Sigma_step", finite_or_status(ind.trace_H_Sigma_step, "undefined")},
              {"trace_C", finite_or_status(ind.trace_C, "undefined")},
              {"trace_Sigma_step", finite_or_status(s.trace_Sigma_step, "undefined")},
              {"trace_D", finite_or_status(s.trace_D, "undefined")},
              {"frobenius_C", finite_or_status(ind.frobenius_C, "undefined")},
              {"anisotropy_ratio", optional_indicator(ind.anisotropy_ratio, ind.anisotropy_reason)},
              // Paper 3's alignment u_1^T C u_1 Tr H / (lambda_1 Tr C) (docs/theory.md 4.3 (P-b)).
              {"alignment", optional_indicator(ind.alignment, ind.alignment_reason)},
              {"source", "exact, from the noise model's covariance (docs/theory.md 1.4 item 3)"}};
}

json spectrum_json(const SpectrumResult& s) {
  json j{{"method", s.method}, {"converged", s.converged}, {"iterations", s.iterations}, {"operations", s.operations}};
  if (s.converged) {
    j["eigenvalues"] = json::array();
    for (Index i = 0; i < s.eigenvalues.size(); ++i)
      j["eigenvalues"].push_back(finite_or_status(s.eigenvalues[i], "undefined"));
  } else {
    j["status"] = "not_converged";
    j["reason"] = s.reason;
  }
  return j;
}

json sharpness_json(const SharpnessReport& s) {
  json j{{"where", s.at_mean ? "ensemble mean" : "first trajectories"},
         {"solver", s.solver},
         {"tol", s.tol},
         {"maxit", s.maxit},
         {"eta", s.eta},
         {"two_over_eta", s.two_over_eta},
         {"two_over_eta_applies", s.two_over_eta_applies},
         {"two_over_eta_rule",
          "2/eta: the linear stability threshold of plain GD at a constant step (dynamics.kind = \"discrete\", "
          "optimizer = \"sgd\", schedule = \"constant\", no weight decay); edge of stability: Cohen et al. 2021, "
          "docs/theory.md 5.3 item 3"},
         {"observations", s.observations},
         {"undefined_observations", s.undefined_observations}};
  if (!s.at_mean) j["trajectories"] = s.trajectories;
  if (s.first_undefined_k >= 0)
    j["first_undefined"] = {{"k", s.first_undefined_k}, {"reason", s.first_undefined_reason}};
  return j;
}

json covariance_json(const CovarianceReport& c) {
  json j{{"k", c.k}, {"tau", c.tau}, {"n", c.n}};
  if (c.empirical)
    j["empirical"] = matrix_json(*c.empirical);
  else
    j["empirical"] = json{{"status", "unavailable"}, {"reason", "fewer than 2 trajectories not diverged"}};
  if (c.exact) j["exact"] = matrix_json(*c.exact);
  return j;
}

json vector_json(const Vec& v) { return std::vector<double>(v.data(), v.data() + v.size()); }

json interval_json(const Interval& i) {
  return json{
      {"lo", finite_or_status(i.lo, "undefined")}, {"hi", finite_or_status(i.hi, "undefined")}, {"level", i.level}};
}

// The escape engine's statistics (docs/conventions.md: censoring is reported, never dropped).
json escape_json(const EscapeReport& e, double eta) {
  json j{{"target", e.target}, {"horizon_steps", e.horizon_steps}, {"horizon_tau", e.horizon_steps * eta}};
  if (!e.available) {
    j["status"] = "unavailable";
    j["reason"] = e.reason;
    return j;
  }
  const EscapeSummary& s = e.summary;
  j["counts"] = {{"n", s.counts.n},
                 {"escaped", s.counts.escaped},
                 {"censored", s.counts.censored},
                 {"diverged", s.counts.diverged},
                 {"started_inside", s.started_inside}};
  j["diverged_as"] = s.diverged_as == DivergedAs::censored ? "censored" : "excluded";
  j["diverged_rule"] =
      "a trajectory that diverged before escaping is right-censored at the observation step that saw it "
      "diverged (lost to follow-up; assumes divergence is non-informative about escape); one that escaped "
      "first keeps its escape (docs/conventions.md, divergence)";
  if (e.bridge) j["bridge"] = {{"sigma2_step", e.bridge_sigma2_step}, {"detected_by_bridge", e.detected_by_bridge}};
  auto mean = [&](const MeanTime& m) {
    if (!m.available) return json{{"status", "unavailable"}, {"reason", m.statement}};
    return json{{"value", finite_or_status(m.est.value, "undefined")},
                {"se", finite_or_status(m.est.se, "undefined")},
                {"n", m.est.n},
                {"interval", interval_json(m.ci)},
                {"restricted", m.restricted},
                {"statement", m.statement}};
  };
  j["mean_escape_steps"] = mean(s.mean_steps);
  j["mean_escape_tau"] = mean(s.mean_tau);
  auto rate = [&](const RateEstimate& r) {
    if (!r.available) return json{{"status", "unavailable"}, {"reason", r.reason}};
    return json{{"value", finite_or_status(r.rate, "undefined")},
                {"se", finite_or_status(r.se, "undefined")},
                {"events", r.events},
                {"exposure", r.exposure},
                {"interval", interval_json(r.ci)},
                {"method", r.method}};
  };
  j["rate_per_step"] = rate(s.rate_per_step);
  j["rate_per_tau"] = rate(s.rate_per_tau);
  j["probability_within_horizon"] = {{"value", finite_or_status(s.within_horizon.value, "undefined")},
                                     {"successes", s.within_horizon.successes},
                                     {"trials", s.within_horizon.trials},
                                     {"censored_before_horizon", s.within_horizon.censored_before_horizon},
                                     {"interval", interval_json(s.within_horizon.ci)},
                                     {"method", s.within_horizon.method}};
  json km = json::array();
  const auto& K = s.survival_steps;
  for (std::size_t i = 0; i < K.time.size(); ++i)
    km.push_back({{"k", K.time[i]},
                  {"at_risk", K.at_risk[i]},
                  {"events", K.events[i]},
                  {"survival", finite_or_status(K.survival[i], "undefined")},
                  {"se", finite_or_status(K.se[i], "undefined")}});
  j["kaplan_meier_steps"] = std::move(km);
  return j;
}

json unavailable_json(const std::string& why) { return json{{"status", "unavailable"}, {"reason", why}}; }

// A transition's rate prediction (scenario/report.hpp): Eyring-Kramers, or the quasi-potential
// exponent with its gMAM path, or why there is neither.
json barrier_rate_json(const BarrierRateReport& p) {
  using Status = BarrierRateReport::Status;
  if (!p.has_context) return unavailable_json(p.reason);
  json j{{"target", p.target}, {"barrier", p.barrier}, {"trace_M", p.trace_M}};
  j[p.state_dependent ? "trace_D_at_minimum" : "trace_D"] = p.trace_D;
  if (!p.eyring_kramers_reason.empty()) j["eyring_kramers_reason"] = p.eyring_kramers_reason;
  switch (p.status) {
    case Status::unavailable:
      j["status"] = "unavailable";
      j["reason"] = p.reason;
      return j;
    case Status::no_prediction:
      j["status"] = "no prediction: " + p.noise_kind;
      j["reason"] = p.reason;
      return j;
    case Status::exponent_only: {
      const RatePrediction& q = p.q;
      j["status"] = "exponent only: " + p.noise_kind;
      j["eps"] = q.eps;
      j["quasi_potential_barrier"] = q.barrier;
      j["barrier_over_eps"] = q.barrier_over_eps;
      j["loss_barrier_over_eps"] = p.barrier / q.eps;
      j["regime"] = q.regime;
      j["log_rate_tau_leading"] = q.log_rate;
      j["source"] = q.source;
      j["note"] = q.note +
                  "; ln k = -dV/eps + O(1) as eps -> 0, for either target (the factor 2 of the saddle "
                  "target is part of the missing prefactor)";
      const GmamResult& path = p.path;
      j["gmam"] = {{"points", path.path.rows()},
                   {"iterations", path.iterations},
                   {"converged", path.converged},
                   {"discretisation_error", path.discretisation_error},
                   {"last_path_change", path.last_path_change},
                   {"last_action_change", path.last_action_change},
                   {"estimated_remaining", path.estimated_remaining}};
      if (p.path_points) {  // the path itself, for plots/min_action_path.py: from the minimum to the saddle
        json pts = json::array();
        for (Index i = 0; i < path.path.rows(); ++i) pts.push_back(vector_json(path.path.row(i).transpose()));
        j["gmam"]["path"] = pts;
        j["gmam"]["action_along_path"] = vector_json(path.cumulative_action);
      }
      return j;
    }
    case Status::predicted: {
      const RatePrediction& k = p.k;
      const double m = p.multiple, band = p.relative_correction;
      j["status"] = "predicted";
      j["eps"] = k.eps;
      j["barrier_over_eps"] = k.barrier_over_eps;
      j["regime"] = k.regime;
      j["rate_tau"] = finite_or_status(m * k.rate, "underflow");
      j["relative_correction"] = band;
      j["band_tau"] = {{"lo", finite_or_status(m * k.rate * (1.0 - band), "underflow")},
                       {"hi", finite_or_status(m * k.rate * (1.0 + band), "underflow")},
                       {"meaning", "k (1 -+ eps/dL): the leading term and its stated relative corrections"}};
      j["transition_rate_tau"] = finite_or_status(k.rate, "underflow");
      j["source"] = k.source;
      j["note"] = p.note;
      if (p.scheme_note)
        j["scheme_note"] = "the formula describes the SDE; the simulated scheme adds its discretisation error";
      return j;
    }
  }
  return j;
}

json escape_predictions_json(const EscapePredictions& p) {
  using Kind = EscapePredictions::Kind;
  if (p.kind == Kind::unavailable) return unavailable_json(p.reason);
  if (p.kind == Kind::eyring_kramers) return json{{"eyring_kramers", barrier_rate_json(p.eyring_kramers)}};
  const Well1dReport& w = p.well;
  json j{{"eps", w.eps}, {"barrier_over_eps", w.barrier_over_eps}};
  if (w.mfpt.ok)
    j["mfpt_tau"] = json{{"value", finite_or_status(w.mfpt.value, "overflow")},
                         {"source", w.mfpt.source},
                         {"note",
                          "continuous Langevin dynamics; compare with mean_escape_tau when nothing is censored, "
                          "or with 1 / rate_per_tau"}};
  else
    j["mfpt_tau"] = unavailable_json(w.mfpt.reason);
  if (w.kramers.available)
    j["kramers_rate_tau"] =
        json{{"value", finite_or_status(w.kramers.rate, "underflow")},
             {"regime", w.kramers.regime},
             {"source", w.kramers.source},
             {"note", "to the far well, i.e. twice the time to reach the saddle at large barrier/eps"}};
  else
    j["kramers_rate_tau"] = unavailable_json(w.kramers.reason);
  return j;
}

// escape.method = "ams" (scenario/ams_escape.hpp, docs/theory.md 8.8): p with its standard error over
// the runs, the pieces of E[T] = T_0 + (1/p - 1) E[T_loop] + E[T_reactive], the rate with its
// delta-method standard error, the cost, the exact continuous MFPT where available, and the
// transition's rate prediction.
json ams_json(const Experiment& ex, const AmsOutcome& o, const BarrierRateReport& prediction) {
  const AmsScenario& a = *ex.ams;
  const double eta = ex.stepper->eta();
  const AmsEstimate& e = o.estimate;
  Index extinct = 0, reached = 0;
  for (const auto& r : e.runs) {
    extinct += r.extinct ? 1 : 0;
    reached += r.reached_b;
  }
  json j{{"method", "generalized adaptive multilevel splitting (Brehier, Gazeau, Goudenege, Lelievre & Rousset 2016)"},
         {"score", a.score.describe()},
         {"level_a", a.spec.level_a},
         {"level_b", a.spec.level_b},
         {"start", std::vector<double>(a.spec.start.data(), a.spec.start.data() + a.spec.start.size())},
         {"from", std::vector<double>(a.from.data(), a.from.data() + a.from.size())},
         {"replicas", a.spec.replicas},
         {"kill", a.spec.kill},
         {"runs", a.runs},
         {"p",
          {{"value", e.p},
           {"se", e.p_se},
           {"n", a.runs},
           {"meaning",
            "P(an excursion from Sigma reaches B before A), started from the recorded entrance "
            "states into Sigma"}}},
         {"iterations", e.iterations},
         {"extinct_runs", extinct},
         {"replicas_in_b", reached},
         {"trajectory_steps",
          {{"ams", e.trajectory_steps},
           {"loops", o.loops.trajectory_steps},
           {"total", e.trajectory_steps + o.loops.trajectory_steps}}},
         {"loops",
          {{"count", o.loops.loops},
           {"reached_b_first", o.loops.successes},
           {"mean_tau", o.loops.mean * eta},
           {"se_tau", o.loops.se * eta}}},
         {"entry",
          {{"count", o.loops.entries},
           {"mean_tau", o.loops.entry_mean * eta},
           {"se_tau", o.loops.entry_se * eta},
           {"meaning", "time from escape.from to Sigma"}}},
         {"reactive_mean_tau", e.reactive_time * eta},
         {"decomposition",
          "E[T] = T_0 + (1/p - 1) E[T_loop] + E[T_reactive] (Cerou, Guyader, Lelievre & Pommier "
          "2011, J. Chem. Phys. 134, 054108; docs/theory.md 8.8)"}};
  if (o.rate.available) {
    j["mean_time_tau"] = {{"value", o.rate.mean_time}, {"se", o.rate.mean_time_se}, {"se_method", "delta method"}};
    j["mean_time_steps"] = {{"value", o.rate.mean_time_steps}, {"se", o.rate.mean_time_steps_se}};
    j["rate_per_tau"] = {{"value", o.rate.rate}, {"se", o.rate.rate_se}};
    j["rate_per_step"] = {{"value", o.rate.rate * eta}, {"se", o.rate.rate_se * eta}};
  } else {
    j["mean_time_tau"] = {{"status", "undefined"}, {"reason", o.rate.reason}};
    j["rate_per_tau"] = {{"status", "undefined"}, {"reason", o.rate.reason}};
  }
  if (o.exact_mean_time.available)
    j["exact_mfpt_tau"] = {{"value", o.exact_mean_time.value},
                           {"eps", o.eps},
                           {"source", o.exact_mean_time.source},
                           {"note", "continuous dynamics; the chain differs by O(dt)"}};
  else
    j["exact_mfpt_tau"] = {{"status", "unavailable"}, {"reason", o.exact_mean_time.reason}};
  j["prediction"] = barrier_rate_json(prediction);
  return j;
}

}  // namespace

json summary_json(const Experiment& ex, const RunResult& r, const RunMeta& meta) {
  json j;
  j["sgdnoise"] = {{"version", kVersion}, {"git_hash", kGitHash}};
  j["scenario_file"] = ex.scenario.file();
  j["scenario"] = toml_to_json(ex.scenario.table());
  j["seed"] = ex.spec.seed;
  j["metadata"] = {{"threads", meta.threads},
                   {"processes", meta.processes},
                   {"instruction_set", instruction_set()},
                   {"command", meta.command}};
  j["conventions"] =
      "C: gradient-noise covariance; Sigma_step = eta^2 C: per-step weight-noise covariance; "
      "D = Sigma_step / eta: diffusion in tau = k eta (docs/conventions.md)";
  j["status"] = r.record.status == RunStatus::completed  ? "completed"
                : r.record.status == RunStatus::diverged ? "diverged"
                                                         : "interrupted";
  j["complete"] = r.record.status != RunStatus::interrupted;
  if (ex.instances() > 1)
    j["loss_instances"] = {
        {"count", ex.instances()},
        {"group_size", ex.groups.group_size},
        {"rule",
         "trajectory t runs on the loss of group t / group_size; group 0 has loss.data_seed, group g >= 1 "
         "the seed derived from (data_seed, g) (losses/loss_instances.hpp)"},
        {"note",
         "indicators, Hessian spectra and the start point below are those of group 0; the observed "
         "results average over every trajectory on its own instance"}};
  if (!r.record.failure.empty()) j["failure"] = r.record.failure;
  const RunReport& rep = r.report;
  {
    json dv{{"count", rep.diverged},
            {"fraction", rep.diverged_fraction},
            {"bound", ex.spec.divergence_bound},
            {"value_bound", kValueBound},
            {"rule",
             "a coordinate non-finite or |theta_i| > bound, or an observed per-trajectory value (loss, test_loss, "
             "dist2, squared strong error) non-finite or beyond value_bound; excluded from every statistic from the "
             "observation that saw it; escape statistics censor it at that step (docs/conventions.md, divergence)"}};
    if (rep.first_diverged_at >= 0) dv["first_seen_at_k"] = rep.first_diverged_at;
    j["diverged_trajectories"] = std::move(dv);
  }

  // The last observed step's results, each with its prediction from the scheme's exact form.
  json results = json::array();
  if (!r.record.series.empty()) {
    const SeriesRow& last = r.record.series.back();
    for (std::size_t i = 0; i < last.values.size(); ++i) {
      const Observation& o = last.values[i];
      json e = estimate_json(o.est);
      e["name"] = o.name;
      e["k"] = last.k;
      e["tau"] = last.tau;
      e["prediction"] = prediction_json(r.exact.back()[i]);
      results.push_back(std::move(e));
    }
  }
  j["results"] = std::move(results);
  j["series_file"] = "series.csv";
  if (rep.indicators) j["indicators"] = indicators_json(*rep.indicators);
  if (rep.hessian_top) j["hessian_top"] = spectrum_json(*rep.hessian_top);
  if (rep.hessian_bottom) j["hessian_bottom"] = spectrum_json(*rep.hessian_bottom);
  if (rep.sharpness) j["sharpness"] = sharpness_json(*rep.sharpness);
  if (rep.escape) {
    j["escape"] = escape_json(*rep.escape, ex.stepper->eta());
    j["escape"]["predictions"] = escape_predictions_json(rep.escape->predictions);
    if (rep.escape->stop_escaped)
      j["escape"]["stop_escaped"] = {
          {"stopped", r.record.n_stopped},
          {"trajectory_steps", r.record.trajectory_steps},
          {"rule",
           "escaped trajectories left the batch at the observation that saw them escaped; other "
           "results average them at that state"}};
  }
  if (r.ams && rep.ams_prediction) j["escape"]["ams"] = ams_json(ex, *r.ams, *rep.ams_prediction);
  if (rep.final_covariance) j["final_covariance"] = covariance_json(*rep.final_covariance);
  if (const auto& st = rep.start)
    j["start"] = {{"theta", vector_json(st->theta)},
                  {"loss", st->loss},
                  {"gradient", vector_json(st->gradient)},
                  {"hessian", matrix_json(st->hessian)}};

  json checks = json::array();
  for (const auto& c : r.checks) {
    const bool compared = c.status != CheckStatus::unavailable;
    json e{{"result", c.result},
           {"k", c.k},
           {"tau", c.tau},
           {"prediction_kind", c.prediction_kind},
           {"sigmas", c.sigmas},
           {"false_alarm_probability", c.false_alarm},
           {"measured",
            c.measured.n > 0 ? estimate_json(c.measured) : json{{"status", "unavailable"}, {"reason", c.reason}}},
           {"prediction", prediction_json(c.predicted)},
           {"status", to_string(c.status)},
           {"passed", c.passed},
           {"reason", c.reason}};
    if (compared) {
      // z against the requested prediction, z after the allowance, and which one decided.
      e["z"] = finite_or_status(c.z, "undefined");
      e["z_after_allowance"] = finite_or_status(c.z_after_allowance, "undefined");
      e["decided_by"] = c.decided_by();
    }
    checks.push_back(std::move(e));
  }
  j["checks"] = std::move(checks);
  j["all_checks_passed"] = r.all_checks_passed();
  return j;
}

std::string series_csv(const RunResult& r) {
  const RunRecord& rec = r.record;
  std::ostringstream o;
  o << "k,tau,n_alive";
  if (rec.series.empty()) return o.str() + "\n";
  for (const auto& v : rec.series.front().values)
    o << "," << v.name << "_mean," << v.name << "_se," << v.name << "_n," << v.name << "_exact";
  o << "\n";
  for (std::size_t i = 0; i < rec.series.size(); ++i) {
    const SeriesRow& row = rec.series[i];
    o << row.k << "," << fmt(row.tau) << "," << row.n_alive;
    for (std::size_t j = 0; j < row.values.size(); ++j) {
      const Estimate& e = row.values[j].est;
      const Prediction* p = i < r.exact.size() && j < r.exact[i].size() ? &r.exact[i][j] : nullptr;
      o << "," << fmt(e.value) << "," << fmt(e.se) << "," << e.n << "," << (p && p->available ? fmt(p->value) : "");
    }
    o << "\n";
  }
  return o.str();
}

std::string npy_bytes(const Mat& X) {
  const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> R = X;
  return npy_array_bytes({X.rows(), X.cols()}, std::vector<double>(R.data(), R.data() + R.size()), false);
}

}  // namespace sgdnoise
