#include "io/summary.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>

#include "analysis/escape_observer.hpp"
#include "analysis/indicators.hpp"
#include "analysis/sharpness_observer.hpp"
#include "analysis/predictions/escape_time.hpp"
#include "analysis/predictions/gmam.hpp"
#include "dynamics/sde_schemes.hpp"
#include "losses/landscapes.hpp"
#include "noise/gaussian.hpp"
#include "analysis/spectrum.hpp"
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

// Exact noise indicators at the start (constant-covariance noise), docs/conventions.md names.
json indicators_json(const Experiment& ex) {
  if (!ex.noise) return nullptr;
  const auto S = ex.noise->covariance(ex.theta0);
  if (!S) return nullptr;
  const double eta = ex.stepper->eta();
  NoiseForms f = noise_forms(*S, ex.noise->target(), eta);
  if (ex.preconditioner && ex.noise->target() == NoiseTarget::gradient) {
    // The preconditioned step adds -eta M xi: Sigma_step = eta^2 M C M (preconditioner.hpp).
    f.D = DiffusionFactor(ex.noise, ex.loss->dim(), eta, ex.preconditioner).diffusion(ex.theta0);
    f.Sigma_step = eta * f.D;
  }
  const Indicators ind = noise_indicators(ex.loss->hessian(ex.theta0), f.C, eta);
  json j{{"at", "theta_0"},
         {"noise_on", to_string(ex.noise->target())},
         {"trace_H_C", finite_or_status(ind.trace_H_C, "undefined")},
         {"trace_H_Sigma_step", finite_or_status(ind.trace_H_Sigma_step, "undefined")},
         {"trace_C", finite_or_status(ind.trace_C, "undefined")},
         {"trace_Sigma_step", finite_or_status(f.Sigma_step.trace(), "undefined")},
         {"trace_D", finite_or_status(f.D.trace(), "undefined")},
         {"frobenius_C", finite_or_status(ind.frobenius_C, "undefined")},
         {"source", "exact, from the noise model's covariance (docs/theory.md 1.4 item 3)"}};
  if (ind.anisotropy_ratio)
    j["anisotropy_ratio"] = finite_or_status(*ind.anisotropy_ratio, "undefined");
  else
    j["anisotropy_ratio"] = json{{"status", "undefined"}, {"reason", ind.anisotropy_reason}};
  // Paper 3's alignment u_1^T C u_1 Tr H / (lambda_1 Tr C) (docs/theory.md 4.3 (P-b)).
  if (ind.alignment)
    j["alignment"] = finite_or_status(*ind.alignment, "undefined");
  else
    j["alignment"] = json{{"status", "undefined"}, {"reason", ind.alignment_reason}};
  return j;
}

Vec spectrum_point(const Experiment& ex) { return ex.quadratic ? ex.quadratic->stationary_point() : ex.theta0; }

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

// The trajectories not diverged, in original order (docs/conventions.md, divergence).
Mat alive_rows(const RunRecord& rec) {
  if (rec.n_diverged == 0) return rec.final_state;
  Mat A(rec.final_state.rows() - rec.n_diverged, rec.final_state.cols());
  Index w = 0;
  for (Index i = 0; i < rec.final_state.rows(); ++i)
    if (rec.diverged_at[static_cast<std::size_t>(i)] < 0) A.row(w++) = rec.final_state.row(i);
  return A;
}

json covariance_json(const Experiment& ex, const RunResult& r) {
  const SeriesRow& last = r.record.series.back();
  const Mat alive = alive_rows(r.record);
  json j{{"k", last.k}, {"tau", last.tau}, {"n", alive.rows()}};
  if (alive.rows() > 1)
    j["empirical"] = matrix_json(empirical_covariance(alive));
  else
    j["empirical"] = json{{"status", "unavailable"}, {"reason", "fewer than 2 trajectories not diverged"}};
  const PredictionContext ctx = prediction_context(ex);
  if (ctx.quadratic) {
    const Index d = ex.loss->dim();
    Mat pred(d, d);
    bool ok = true;
    for (Index a = 0; a < d && ok; ++a)
      for (Index b = 0; b < d && ok; ++b) {
        const Prediction p = predict(ctx, "cov_" + std::to_string(a) + "_" + std::to_string(b), last.k, "exact");
        ok = p.available;
        pred(a, b) = p.value;
      }
    if (ok) j["exact"] = matrix_json(pred);
  }
  return j;
}

json interval_json(const Interval& i) {
  return json{
      {"lo", finite_or_status(i.lo, "undefined")}, {"hi", finite_or_status(i.hi, "undefined")}, {"level", i.level}};
}

// The escape engine's statistics (docs/conventions.md: censoring is reported, never dropped).
json escape_json(const EscapeObserver& o, std::int64_t last_step, double eta) {
  json j{{"target", o.target().kind()}, {"horizon_steps", o.horizon_steps()}, {"horizon_tau", o.horizon_steps() * eta}};
  if (!o.available()) {
    j["status"] = "unavailable";
    j["reason"] = o.reason();
    return j;
  }
  const EscapeSummary s = o.summary(last_step);
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
  if (const auto& b = o.bridge()) {
    Index by_bridge = 0;
    for (const auto& r : o.results()) by_bridge += r.by_bridge;
    j["bridge"] = {{"sigma2_step", b->sigma2_step}, {"detected_by_bridge", by_bridge}};
  }
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

// Continuous-time predictions for a 1-D potential under isotropic Gaussian noise with
// D = 2 eps (docs/conventions.md): the exact mean first-passage time to the threshold
// (Gardiner 5.2.7, by quadrature) and Kramers' rate with its regime. They describe the
// SDE; the discrete run differs by its discretisation error, which shrinks with eta.
// The transition a run's start lies at: its basin's minimum, the other minimum and the saddle
// between them, for a loss that states two minima and one index-1 saddle (the built-in double
// well in any dimension, a polynomial, a Python loss given its critical points).
struct Transition {
  CriticalPoint start, other, saddle;
};
std::optional<Transition> transition_at(const Loss& loss, const Vec& x);
json eyring_kramers_prediction(const Experiment& ex, const Transition& t, const Region& target);
json barrier_rate_prediction(const Experiment& ex, const Transition& t, const std::string& target, double multiple);
json ams_rate_prediction(const Experiment& ex);

// escape.method = "ams" (scenario/ams_escape.hpp, docs/theory.md 8.8): p with its standard error over
// the runs, the pieces of E[T] = T_0 + (1/p - 1) E[T_loop] + E[T_reactive], the rate with its
// delta-method standard error, the cost, and the exact continuous MFPT where available.
json ams_json(const Experiment& ex, const AmsOutcome& o) {
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
  j["prediction"] = ams_rate_prediction(ex);
  return j;
}

// The Eyring-Kramers rate (reversible noise) or the quasi-potential exponent (any other) of the
// transition AMS measures: from the minimum of escape.from's basin over the saddle into B. The
// AMS rate 1/E[T] is that transition's rate k when B lies in the other basin, beyond the saddle
// (once past the separatrix a trajectory reaches B before A with probability -> 1 as eps -> 0).
json ams_rate_prediction(const Experiment& ex) {
  const AmsScenario& a = *ex.ams;
  const Vec& x = a.from.size() > 0 ? a.from : a.spec.start;
  const std::optional<Transition> t = transition_at(*ex.loss, x);
  if (!t)
    return json{{"status", "unavailable"},
                {"reason", "needs a loss that states its two minima and the index-1 saddle between them"}};
  const double zs = a.score.at(t->saddle.theta), zo = a.score.at(t->other.theta);
  if (!(zs < a.spec.level_b && a.spec.level_b <= zo))
    return json{{"status", "unavailable"},
                {"reason", "B = {score >= level_b} must lie beyond the saddle (score " + format_g(zs) +
                               ") and contain the other minimum (score " + format_g(zo) + ")"}};
  return barrier_rate_prediction(ex, *t, "level_b", 1.0);
}

// A 1-D landscape with two minima and a saddle between them: the built-in double well, or any
// loss that states its critical points and its value (a polynomial, a Python loss given minima
// and saddles). The potential, the curvatures at the start's minimum and the saddle, the barrier.
struct Well1d {
  std::function<double(double)> potential;
  double curvature_min = 0.0, curvature_saddle = 0.0, barrier = 0.0;
};

std::optional<Well1d> well_1d(const Experiment& ex) {
  if (ex.loss->dim() != 1 || ex.theta0.size() != 1) return std::nullopt;
  if (const auto* dw = dynamic_cast<const DoubleWell*>(ex.loss.get()))
    return Well1d{[dw](double x) { return dw->potential_1d(x); },
                  dw->potential_1d_curvature(dw->left_minimum().theta[0]),
                  dw->potential_1d_curvature(dw->saddle().theta[0]), dw->barrier_from_left()};
  const auto* cp = dynamic_cast<const CriticalPoints*>(ex.loss.get());
  if (!cp || !ex.loss->has_value()) return std::nullopt;
  const auto minima = cp->minima();
  const auto saddles = cp->saddles();
  if (minima.size() != 2 || saddles.size() != 1) return std::nullopt;
  const CriticalPoint& s = saddles.front();
  const bool left = ex.theta0[0] < s.theta[0];
  const CriticalPoint* start = nullptr;
  for (const auto& m : minima)
    if ((m.theta[0] < s.theta[0]) == left) start = &m;
  if (!start) return std::nullopt;
  std::shared_ptr<const Loss> loss = ex.loss;
  return Well1d{[loss](double x) { return loss->value_at(Vec::Constant(1, x)); }, start->hessian(0, 0), s.hessian(0, 0),
                s.value - start->value};
}

json escape_predictions(const Experiment& ex, const EscapeObserver& o) {
  const auto* thr = dynamic_cast<const CoordinateThreshold*>(&o.target());
  const auto* g = dynamic_cast<const GaussianNoise*>(ex.noise.get());
  if (ex.loss->dim() > 1 || ex.preconditioner)
    if (const std::optional<Transition> t = transition_at(*ex.loss, ex.theta0))
      return json{{"eyring_kramers", eyring_kramers_prediction(ex, *t, o.target())}};
  const std::optional<Well1d> well = ex.preconditioner ? std::nullopt : well_1d(ex);
  if (!well || !thr || !g)
    return json{{"status", "unavailable"},
                {"reason",
                 "predictions are wired for a 1-D double well (the built-in one, or a loss with two minima, a saddle "
                 "and its value) with Gaussian noise and a threshold target"}};
  const double eta = ex.stepper->eta();
  const double D = noise_forms(g->S(), g->target(), eta).D(0, 0);
  const double eps = D / 2.0;
  MfptProblem prob;
  prob.potential = well->potential;
  prob.eps = eps;
  prob.x0 = ex.theta0[0];
  prob.target = thr->value();
  const MfptResult m = mean_first_passage_time_1d(prob);
  json j{{"eps", eps}, {"barrier_over_eps", well->barrier / eps}};
  if (m.ok)
    j["mfpt_tau"] = json{{"value", finite_or_status(m.value, "overflow")},
                         {"source", m.source},
                         {"note",
                          "continuous Langevin dynamics; compare with mean_escape_tau when nothing is censored, "
                          "or with 1 / rate_per_tau"}};
  else
    j["mfpt_tau"] = json{{"status", "unavailable"}, {"reason", m.reason}};
  const RatePrediction k = kramers_rate_1d(well->curvature_min, well->curvature_saddle, well->barrier, eps);
  if (k.available)
    j["kramers_rate_tau"] =
        json{{"value", finite_or_status(k.rate, "underflow")},
             {"regime", k.regime},
             {"source", k.source},
             {"note", "to the far well, i.e. twice the time to reach the saddle at large barrier/eps"}};
  else
    j["kramers_rate_tau"] = json{{"status", "unavailable"}, {"reason", k.reason}};
  return j;
}

// Eyring-Kramers for a landscape with two minima and a saddle (any dimension; Transition), for
// d theta = -M grad L dtau + D^{1/2} dW with
// the constant diffusion D = Sigma_step / eta of the noise (gradient noise passes through M,
// preconditioner.hpp). Reversible with Gibbs measure e^{-L/eps} exactly when D = 2 eps M; then
// (Berglund 2013, "Kramers' law: validity, derivations and generalisations", arXiv:1106.5799,
// sec. 3.3, the theorem of Bovier, Eckhoff, Gayrard & Klein 2004, in the coordinates y = M^{-1/2}
// theta where the dynamics is plain Langevin: det M cancels from the determinant ratio and
// lambda_-(M^{1/2} H_s M^{1/2}) = lambda_-(M H_s)) the transition rate to the other well is
// k = |lambda_-(M H_s)|/(2 pi) sqrt(det H_min/|det H_s|) e^{-dL/eps}. Its relative corrections are
// stated as eps/dL (escape_time.hpp; for a smooth potential the first correction is O(eps): Helffer,
// Klein & Nier 2004; the exact 1-D MFPT of the quartic well gives k_exact/k = 1 - 0.5 eps/dL + ...,
// inside the band). Berglund's sec. 4.3: for non-reversible dynamics the exponent is the
// quasipotential, not dL. The target is explicit:
//   other_well: a ball around the other minimum that excludes the start: rate k;
//   saddle: the threshold x_1 = x_s toward the other well: rate 2k (from the separatrix either well
//     is reached with probability 1/2), only where that hyperplane is the separatrix, i.e. the x_1
//     dynamics decouples (M diagonal; the double well is separable).
// For any other D the dynamics is non-reversible: no Eyring-Kramers formula; the status says so and
// gives the exponent alone, dV/eps with dV the quasi-potential barrier by gMAM (gmam.hpp).
constexpr Index kGmamMaxDim = 20;

std::optional<Transition> transition_at(const Loss& loss, const Vec& x) {
  if (const auto* dw = dynamic_cast<const DoubleWell*>(&loss)) {
    const bool from_left = x[0] < dw->saddle().theta[0];
    return Transition{from_left ? dw->left_minimum() : dw->right_minimum(),
                      from_left ? dw->right_minimum() : dw->left_minimum(), dw->saddle()};
  }
  const auto* cp = dynamic_cast<const CriticalPoints*>(&loss);
  if (!cp || x.size() != loss.dim()) return std::nullopt;
  const auto minima = cp->minima();
  const auto saddles = cp->saddles();
  if (minima.size() != 2 || saddles.size() != 1) return std::nullopt;
  const bool first = (minima[0].theta - x).norm() <= (minima[1].theta - x).norm();
  return Transition{minima[first ? 0 : 1], minima[first ? 1 : 0], saddles.front()};
}

json eyring_kramers_prediction(const Experiment& ex, const Transition& t, const Region& target) {
  const CriticalPoint& other = t.other;
  const auto* dw = dynamic_cast<const DoubleWell*>(ex.loss.get());
  auto unavailable = [](const std::string& why) { return json{{"status", "unavailable"}, {"reason", why}}; };
  std::string tgt;
  double multiple = 1.0;
  if (const auto* b = dynamic_cast<const Ball*>(&target)) {
    if (!b->outside() && (b->centre() - other.theta).norm() < b->radius() &&
        (b->centre() - ex.theta0).norm() > b->radius())
      tgt = "other_well";
  } else if (const auto* th = dynamic_cast<const CoordinateThreshold*>(&target); th && dw) {
    const bool from_left = t.start.theta[0] < t.saddle.theta[0];  // the start's basin (transition_at)
    const bool toward = (th->side() == CoordinateThreshold::Side::above) == from_left;
    const double xs = dw->saddle().theta[0];  // exact for the untilted well, bisected otherwise
    if (th->coordinate() == 0 && std::abs(th->value() - xs) <= 1e-9 * std::max(1.0, dw->spec().a) && toward) {
      if (ex.preconditioner && !ex.preconditioner->is_diagonal())
        return unavailable(
            "target x_1 = x_saddle: with a non-diagonal M that hyperplane is not the separatrix of -M grad L, so "
            "the first passage through it has no Eyring-Kramers rate; use a ball around the other minimum");
      tgt = "saddle";
      multiple = 2.0;
    }
  }
  if (tgt.empty())
    return unavailable(
        std::string("the target must be a ball around the other minimum that excludes the start (\"other_well\")") +
        (dw ? ", or the threshold x_1 = x_saddle toward the other well (\"saddle\")" : ""));
  return barrier_rate_prediction(ex, t, tgt, multiple);
}

// The exponent from the quasi-potential, by gMAM from the minimum to the saddle (docs/theory.md 8.7),
// for a diffusion that is not 2 eps M: constant (`D_const`) or state-dependent (`D_of`). The same
// exponent for either target; the prefactor is not computed. `j` holds what the caller stated.
json quasi_potential_prediction(json j, const Experiment& ex, const Transition& t, const Mat& M, const Mat* D_const,
                                const std::function<Mat(const Vec&)>& D_of, const std::string& why) {
  const Index d = ex.loss->dim();
  const double barrier = t.saddle.value - t.start.value;
  const std::string kind = D_const ? "not reversible" : "state-dependent noise";
  if (d > kGmamMaxDim) {
    j["status"] = "no prediction: " + kind;
    j["reason"] = why + "; the quasi-potential (gMAM) is computed for d <= " + std::to_string(kGmamMaxDim) +
                  " only (its cost grows like d^3 per point and step)";
    return j;
  }
  GmamOptions gopt;
  gopt.max_iterations = 20000;  // a few hundred suffice for the shipped wells; bounds the summary's time
  GmamResult path;
  const RatePrediction q = D_const ? quasi_potential_rate(*ex.loss, t.start, t.saddle, *D_const, M, gopt, &path)
                                   : quasi_potential_rate(*ex.loss, t.start, t.saddle, D_of, M, gopt, &path);
  if (!q.available) {
    j["status"] = "no prediction: " + kind;
    j["reason"] = why + "; quasi-potential: " + q.reason;
    return j;
  }
  j["status"] = "exponent only: " + kind;
  j["eps"] = q.eps;
  j["quasi_potential_barrier"] = q.barrier;
  j["barrier_over_eps"] = q.barrier_over_eps;
  j["loss_barrier_over_eps"] = barrier / q.eps;
  j["regime"] = q.regime;
  j["log_rate_tau_leading"] = q.log_rate;
  j["source"] = q.source;
  j["note"] = q.note +
              "; ln k = -dV/eps + O(1) as eps -> 0, for either target (the factor 2 of the saddle "
              "target is part of the missing prefactor)";
  j["gmam"] = {{"points", path.path.rows()},
               {"iterations", path.iterations},
               {"converged", path.converged},
               {"discretisation_error", path.discretisation_error},
               {"last_path_change", path.last_path_change},
               {"last_action_change", path.last_action_change},
               {"estimated_remaining", path.estimated_remaining}};
  if (d <= 3) {  // the path itself, for plots/min_action_path.py: points from the minimum to the saddle
    json pts = json::array();
    for (Index i = 0; i < path.path.rows(); ++i) {
      json row = json::array();
      for (Index c = 0; c < d; ++c) row.push_back(path.path(i, c));
      pts.push_back(row);
    }
    j["gmam"]["path"] = pts;
    j["gmam"]["action_along_path"] = std::vector<double>(path.cumulative_action.data(),
                                                         path.cumulative_action.data() + path.cumulative_action.size());
  }
  return j;
}

json barrier_rate_prediction(const Experiment& ex, const Transition& t, const std::string& tgt, double multiple) {
  const Index d = ex.loss->dim();
  const CriticalPoint& start = t.start;
  const double barrier = t.saddle.value - start.value;
  auto unavailable = [](const std::string& why) { return json{{"status", "unavailable"}, {"reason", why}}; };
  if (!ex.noise || !ex.noise->covariance(ex.theta0))
    return unavailable("needs noise with a stated covariance (D = Sigma_step / eta)");
  const Mat M = ex.preconditioner ? ex.preconditioner->matrix() : Mat::Identity(d, d);
  const auto factor = std::make_shared<DiffusionFactor>(ex.noise, d, ex.stepper->eta(), ex.preconditioner);
  if (!ex.noise->constant_covariance()) {
    // D(theta) changes with the state (SGD sampling noise, multiplicative noise): no Eyring-Kramers
    // formula; the exponent from the quasi-potential of the state-dependent diffusion.
    if (ex.scenario.has("noise.batch_schedule") && ex.scenario.get_string("noise.batch_schedule") != "constant")
      return unavailable("the noise's covariance changes with the step (noise.batch_schedule): no stationary rate");
    json j{{"target", tgt},
           {"barrier", barrier},
           {"trace_D_at_minimum", factor->diffusion(start.theta).trace()},
           {"trace_M", M.trace()}};
    const std::string why =
        "the diffusion D(theta) = Sigma_step(theta) / eta depends on the state, so the dynamics "
        "is not reversible with Gibbs density e^{-L/eps} and Eyring-Kramers does not apply";
    j["eyring_kramers_reason"] = why;
    return quasi_potential_prediction(
        std::move(j), ex, t, M, nullptr, [factor](const Vec& x) { return factor->diffusion(x); }, why);
  }
  const Mat D = factor->diffusion(ex.theta0);
  const RatePrediction k = eyring_kramers_for_diffusion(start.hessian, t.saddle.hessian, barrier, D, M);
  json j{{"target", tgt}, {"barrier", barrier}, {"trace_D", D.trace()}, {"trace_M", M.trace()}};
  if (!k.available) {
    const bool reversible = k.reason.rfind("no formula", 0) != 0;
    if (reversible) {
      j["status"] = "unavailable";
      j["reason"] = k.reason;
      return j;
    }
    j["eyring_kramers_reason"] = k.reason;
    return quasi_potential_prediction(std::move(j), ex, t, M, &D, {}, k.reason);
  }
  const double band = k.eps / barrier;  // the stated relative corrections, eps/dL
  j["status"] = "predicted";
  j["eps"] = k.eps;
  j["barrier_over_eps"] = k.barrier_over_eps;
  j["regime"] = k.regime;
  j["rate_tau"] = finite_or_status(multiple * k.rate, "underflow");
  j["relative_correction"] = band;
  j["band_tau"] = {{"lo", finite_or_status(multiple * k.rate * (1.0 - band), "underflow")},
                   {"hi", finite_or_status(multiple * k.rate * (1.0 + band), "underflow")},
                   {"meaning", "k (1 -+ eps/dL): the leading term and its stated relative corrections"}};
  j["transition_rate_tau"] = finite_or_status(k.rate, "underflow");
  j["source"] = k.source;
  j["note"] = tgt == "saddle"    ? "rate of first passage to the saddle's separatrix: 2k, twice the transition rate k"
              : tgt == "level_b" ? "the transition rate k into the other basin, which AMS's 1 / E[T] estimates"
                                 : "rate of transitions to the other well: k (mean time 1/k)";
  if (ex.stepper->kind().rfind("discrete", 0) == 0 || ex.stepper->kind().rfind("sde", 0) == 0)
    j["scheme_note"] = "the formula describes the SDE; the simulated scheme adds its discretisation error";
  return j;
}

}  // namespace

// The sharpness observer's statement (observe.sharpness): where lambda_max(H) was evaluated, the
// solver, 2/eta and the observations left undefined. 2/eta is the linear stability threshold of
// plain GD at a constant step (on a quadratic, GD diverges along an eigenvalue above it); the
// edge of stability is GD's sharpness settling there (Cohen et al. 2021; docs/theory.md 5.3 item 3).
json sharpness_json(const Experiment& ex, const SharpnessObserver& o, const RunResult& r) {
  const Scenario& s = ex.scenario;
  const double eta = ex.stepper->eta();
  const bool plain_gd = s.get_string("dynamics.kind") == "discrete" && s.get_string("dynamics.optimizer") == "sgd" &&
                        s.get_string("dynamics.schedule") == "constant" && s.get_number("dynamics.weight_decay") == 0.0;
  json j{{"where", o.trajectories() == 0 ? "ensemble mean" : "first trajectories"},
         {"solver", ex.loss->dim() <= kDenseSpectrumMaxDim ? "dense" : "spectra_lanczos"},
         {"tol", o.tol()},
         {"maxit", o.maxit()},
         {"eta", eta},
         {"two_over_eta", 2.0 / eta},
         {"two_over_eta_applies", plain_gd},
         {"two_over_eta_rule",
          "2/eta: the linear stability threshold of plain GD at a constant step (dynamics.kind = \"discrete\", "
          "optimizer = \"sgd\", schedule = \"constant\", no weight decay); edge of stability: Cohen et al. 2021, "
          "docs/theory.md 5.3 item 3"}};
  if (o.trajectories() > 0) j["trajectories"] = std::min<Index>(o.trajectories(), ex.trajectories);
  Index observed = 0, undefined = 0;
  for (const SeriesRow& row : r.record.series) {
    const Observation* v = row.find("sharpness");
    if (!v) continue;
    ++observed;
    if (std::isfinite(v->est.value)) continue;
    if (undefined++ == 0) j["first_undefined"] = {{"k", row.k}, {"reason", v->est.method}};
  }
  j["observations"] = observed;
  j["undefined_observations"] = undefined;
  return j;
}

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
  {
    json dv{{"count", r.record.n_diverged},
            {"fraction", static_cast<double>(r.record.n_diverged) / static_cast<double>(ex.trajectories)},
            {"bound", ex.spec.divergence_bound},
            {"value_bound", kValueBound},
            {"rule",
             "a coordinate non-finite or |theta_i| > bound, or an observed per-trajectory value (loss, test_loss, "
             "dist2, squared strong error) non-finite or beyond value_bound; excluded from every statistic from the "
             "observation that saw it; escape statistics censor it at that step (docs/conventions.md, divergence)"}};
    std::int64_t first = -1;
    for (auto at : r.record.diverged_at)
      if (at >= 0 && (first < 0 || at < first)) first = at;
    if (first >= 0) dv["first_seen_at_k"] = first;
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
  if (auto ind = indicators_json(ex); !ind.is_null()) j["indicators"] = std::move(ind);
  if (ex.hessian_top_k > 0)
    j["hessian_top"] = spectrum_json(top_eigenvalues(*ex.loss, spectrum_point(ex), ex.hessian_top_k, true));
  if (ex.hessian_bottom_k > 0)
    j["hessian_bottom"] = spectrum_json(top_eigenvalues(*ex.loss, spectrum_point(ex), ex.hessian_bottom_k, false));
  for (const auto& o : ex.observers)
    if (const auto* so = dynamic_cast<const SharpnessObserver*>(o.get())) j["sharpness"] = sharpness_json(ex, *so, r);
  for (const auto& o : ex.observers)
    if (const auto* eo = dynamic_cast<const EscapeObserver*>(o.get()); eo && !r.record.series.empty()) {
      j["escape"] = escape_json(*eo, r.record.series.back().k, ex.stepper->eta());
      j["escape"]["predictions"] = escape_predictions(ex, *eo);
      if (eo->stops_escaped())
        j["escape"]["stop_escaped"] = {
            {"stopped", r.record.n_stopped},
            {"trajectory_steps", r.record.trajectory_steps},
            {"rule",
             "escaped trajectories left the batch at the observation that saw them escaped; other "
             "results average them at that state"}};
    }
  if (r.ams) j["escape"]["ams"] = ams_json(ex, *r.ams);
  if (ex.loss->dim() <= ex.full_covariance_max_dim && r.record.final_state.rows() > 1 && !r.record.series.empty())
    j["final_covariance"] = covariance_json(ex, r);
  if (ex.loss->dim() <= ex.full_covariance_max_dim) {
    // The start point's loss, gradient and Hessian (small d): enough to draw the contours
    // of a quadratic loss and the GD step from theta_0 without the data.
    const Vec g = ex.loss->gradient_at(ex.theta0);
    const Mat H = ex.loss->hessian(ex.theta0);
    if (ex.loss->has_value() && std::isfinite(ex.loss->value_at(ex.theta0)) && g.allFinite() && H.allFinite())
      j["start"] = {{"theta", std::vector<double>(ex.theta0.data(), ex.theta0.data() + ex.theta0.size())},
                    {"loss", ex.loss->value_at(ex.theta0)},
                    {"gradient", std::vector<double>(g.data(), g.data() + g.size())},
                    {"hessian", matrix_json(H)}};
  }

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
