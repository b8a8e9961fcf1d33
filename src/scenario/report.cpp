#include "scenario/report.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>

#include "analysis/escape_observer.hpp"
#include "analysis/observers.hpp"
#include "analysis/sharpness_observer.hpp"
#include "core/format.hpp"
#include "dynamics/sde_schemes.hpp"
#include "losses/landscapes.hpp"
#include "noise/gaussian.hpp"
#include "scenario/runner.hpp"

namespace sgdnoise {

namespace {

using Status = BarrierRateReport::Status;

// Exact noise indicators at the start (constant-covariance noise), docs/conventions.md names.
std::optional<StartIndicators> start_indicators(const Experiment& ex) {
  if (!ex.noise) return std::nullopt;
  const auto S = ex.noise->covariance(ex.theta0);
  if (!S) return std::nullopt;
  const double eta = ex.stepper->eta();
  NoiseForms f = noise_forms(*S, ex.noise->target(), eta);
  if (ex.preconditioner && ex.noise->target() == NoiseTarget::gradient) {
    // The preconditioned step adds -eta M xi: Sigma_step = eta^2 M C M (preconditioner.hpp).
    f.D = DiffusionFactor(ex.noise, ex.loss->dim(), eta, ex.preconditioner).diffusion(ex.theta0);
    f.Sigma_step = eta * f.D;
  }
  StartIndicators s;
  s.noise_on = to_string(ex.noise->target());
  s.ind = noise_indicators(ex.loss->hessian(ex.theta0), f.C, eta);
  s.trace_Sigma_step = f.Sigma_step.trace();
  s.trace_D = f.D.trace();
  return s;
}

Vec spectrum_point(const Experiment& ex) { return ex.quadratic ? ex.quadratic->stationary_point() : ex.theta0; }

// The sharpness observer's statement (observe.sharpness): where lambda_max(H) was evaluated, the
// solver, 2/eta and the observations left undefined. 2/eta is the linear stability threshold of
// plain GD at a constant step (on a quadratic, GD diverges along an eigenvalue above it); the
// edge of stability is GD's sharpness settling there (Cohen et al. 2021; docs/theory.md 5.3 item 3).
SharpnessReport sharpness_report(const Experiment& ex, const SharpnessObserver& o, const RunResult& r) {
  const Scenario& s = ex.scenario;
  SharpnessReport j;
  j.eta = ex.stepper->eta();
  j.two_over_eta = 2.0 / j.eta;
  j.two_over_eta_applies = s.get_string("dynamics.kind") == "discrete" && s.get_string("dynamics.optimizer") == "sgd" &&
                           s.get_string("dynamics.schedule") == "constant" &&
                           s.get_number("dynamics.weight_decay") == 0.0;
  j.at_mean = o.trajectories() == 0;
  j.solver = ex.loss->dim() <= kDenseSpectrumMaxDim ? "dense" : "spectra_lanczos";
  j.tol = o.tol();
  j.maxit = o.maxit();
  if (!j.at_mean) j.trajectories = std::min<Index>(o.trajectories(), ex.trajectories);
  for (const SeriesRow& row : r.record.series) {
    const Observation* v = row.find("sharpness");
    if (!v) continue;
    ++j.observations;
    if (std::isfinite(v->est.value)) continue;
    if (j.undefined_observations++ == 0) {
      j.first_undefined_k = row.k;
      j.first_undefined_reason = v->est.method;
    }
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

CovarianceReport covariance_report(const Experiment& ex, const RunResult& r) {
  const SeriesRow& last = r.record.series.back();
  const Mat alive = alive_rows(r.record);
  CovarianceReport c;
  c.k = last.k;
  c.tau = last.tau;
  c.n = alive.rows();
  if (alive.rows() > 1) c.empirical = empirical_covariance(alive);
  if (ex.quadratic) {
    // Only a quadratic has an exact covariance; its context is cheap (no affine moments, which
    // prediction_context builds for other affine-gradient losses and this would discard).
    const PredictionContext ctx = prediction_context(ex);
    const Index d = ex.loss->dim();
    Mat pred(d, d);
    bool ok = true;
    for (Index a = 0; a < d && ok; ++a)
      for (Index b = 0; b < d && ok; ++b) {
        const Prediction p = predict(ctx, "cov_" + std::to_string(a) + "_" + std::to_string(b), last.k, "exact");
        ok = p.available;
        pred(a, b) = p.value;
      }
    if (ok) c.exact = std::move(pred);
  }
  return c;
}

// The transition a run's start lies at: its basin's minimum, the other minimum and the saddle
// between them, for a loss that states two minima and one index-1 saddle (the built-in double
// well in any dimension, a polynomial, a Python loss given its critical points).
struct Transition {
  CriticalPoint start, other, saddle;
};

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
//     dynamics decouples (M diagonal; the double well is separable);
//   level_b: AMS's target set B beyond the saddle: rate k.
// For any other D the dynamics is non-reversible: no Eyring-Kramers formula; the status says so and
// gives the exponent alone, dV/eps with dV the quasi-potential barrier by gMAM (gmam.hpp).
constexpr Index kGmamMaxDim = 20;

// The exponent from the quasi-potential, by gMAM from the minimum to the saddle (docs/theory.md 8.7),
// for a diffusion that is not 2 eps M: constant (`D_const`) or state-dependent (`D_of`). The same
// exponent for either target; the prefactor is not computed. `j` holds what the caller stated.
BarrierRateReport quasi_potential_prediction(BarrierRateReport j, const Experiment& ex, const Transition& t,
                                             const Mat& M, const Mat* D_const,
                                             const std::function<Mat(const Vec&)>& D_of, const std::string& why) {
  const Index d = ex.loss->dim();
  j.noise_kind = D_const ? "not reversible" : "state-dependent noise";
  if (d > kGmamMaxDim) {
    j.status = Status::no_prediction;
    j.reason = why + "; the quasi-potential (gMAM) is computed for d <= " + std::to_string(kGmamMaxDim) +
               " only (its cost grows like d^3 per point and step)";
    return j;
  }
  GmamOptions gopt;
  gopt.max_iterations = 20000;  // a few hundred suffice for the shipped wells; bounds the summary's time
  j.q = D_const ? quasi_potential_rate(*ex.loss, t.start, t.saddle, *D_const, M, gopt, &j.path)
                : quasi_potential_rate(*ex.loss, t.start, t.saddle, D_of, M, gopt, &j.path);
  if (!j.q.available) {
    j.status = Status::no_prediction;
    j.reason = why + "; quasi-potential: " + j.q.reason;
    return j;
  }
  j.status = Status::exponent_only;
  j.has_path = true;
  j.path_points = d <= 3;
  return j;
}

BarrierRateReport barrier_rate_prediction(const Experiment& ex, const Transition& t, const std::string& tgt,
                                          double multiple) {
  const Index d = ex.loss->dim();
  const CriticalPoint& start = t.start;
  if (!ex.noise || !ex.noise->covariance(ex.theta0))
    return BarrierRateReport::unavailable_because("needs noise with a stated covariance (D = Sigma_step / eta)");
  const Mat M = ex.preconditioner ? ex.preconditioner->matrix() : Mat::Identity(d, d);
  const auto factor = std::make_shared<DiffusionFactor>(ex.noise, d, ex.stepper->eta(), ex.preconditioner);
  BarrierRateReport j;
  j.has_context = true;
  j.target = tgt;
  j.barrier = t.saddle.value - start.value;
  j.trace_M = M.trace();
  if (!ex.noise->constant_covariance()) {
    // D(theta) changes with the state (SGD sampling noise, multiplicative noise): no Eyring-Kramers
    // formula; the exponent from the quasi-potential of the state-dependent diffusion.
    if (ex.scenario.has("noise.batch_schedule") && ex.scenario.get_string("noise.batch_schedule") != "constant")
      return BarrierRateReport::unavailable_because(
          "the noise's covariance changes with the step (noise.batch_schedule): no stationary rate");
    j.state_dependent = true;
    j.trace_D = factor->diffusion(start.theta).trace();
    const std::string why =
        "the diffusion D(theta) = Sigma_step(theta) / eta depends on the state, so the dynamics "
        "is not reversible with Gibbs density e^{-L/eps} and Eyring-Kramers does not apply";
    j.eyring_kramers_reason = why;
    return quasi_potential_prediction(
        std::move(j), ex, t, M, nullptr, [factor](const Vec& x) { return factor->diffusion(x); }, why);
  }
  const Mat D = factor->diffusion(ex.theta0);
  j.trace_D = D.trace();
  j.k = eyring_kramers_for_diffusion(start.hessian, t.saddle.hessian, j.barrier, D, M);
  if (!j.k.available) {
    const bool reversible = j.k.reason.rfind("no formula", 0) != 0;
    if (reversible) {
      j.status = Status::unavailable;
      j.reason = j.k.reason;
      return j;
    }
    j.eyring_kramers_reason = j.k.reason;
    return quasi_potential_prediction(std::move(j), ex, t, M, &D, {}, j.k.reason);
  }
  j.status = Status::predicted;
  j.multiple = multiple;
  j.relative_correction = j.k.eps / j.barrier;  // the stated relative corrections, eps/dL
  j.note = tgt == "saddle"    ? "rate of first passage to the saddle's separatrix: 2k, twice the transition rate k"
           : tgt == "level_b" ? "the transition rate k into the other basin, which AMS's 1 / E[T] estimates"
                              : "rate of transitions to the other well: k (mean time 1/k)";
  j.scheme_note = ex.stepper->kind().rfind("discrete", 0) == 0 || ex.stepper->kind().rfind("sde", 0) == 0;
  return j;
}

BarrierRateReport eyring_kramers_prediction(const Experiment& ex, const Transition& t, const Region& target) {
  const CriticalPoint& other = t.other;
  const auto* dw = dynamic_cast<const DoubleWell*>(ex.loss.get());
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
        return BarrierRateReport::unavailable_because(
            "target x_1 = x_saddle: with a non-diagonal M that hyperplane is not the separatrix of -M grad L, so "
            "the first passage through it has no Eyring-Kramers rate; use a ball around the other minimum");
      tgt = "saddle";
      multiple = 2.0;
    }
  }
  if (tgt.empty())
    return BarrierRateReport::unavailable_because(
        std::string("the target must be a ball around the other minimum that excludes the start (\"other_well\")") +
        (dw ? ", or the threshold x_1 = x_saddle toward the other well (\"saddle\")" : ""));
  return barrier_rate_prediction(ex, t, tgt, multiple);
}

// The Eyring-Kramers rate (reversible noise) or the quasi-potential exponent (any other) of the
// transition AMS measures: from the minimum of escape.from's basin over the saddle into B. The
// AMS rate 1/E[T] is that transition's rate k when B lies in the other basin, beyond the saddle
// (once past the separatrix a trajectory reaches B before A with probability -> 1 as eps -> 0).
BarrierRateReport ams_rate_prediction(const Experiment& ex) {
  const AmsScenario& a = *ex.ams;
  const Vec& x = a.from.size() > 0 ? a.from : a.spec.start;
  const std::optional<Transition> t = transition_at(*ex.loss, x);
  if (!t)
    return BarrierRateReport::unavailable_because(
        "needs a loss that states its two minima and the index-1 saddle between them");
  const double zs = a.score.at(t->saddle.theta), zo = a.score.at(t->other.theta);
  if (!(zs < a.spec.level_b && a.spec.level_b <= zo))
    return BarrierRateReport::unavailable_because("B = {score >= level_b} must lie beyond the saddle (score " +
                                                  format_g(zs) + ") and contain the other minimum (score " +
                                                  format_g(zo) + ")");
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

// Continuous-time predictions for a 1-D potential under isotropic Gaussian noise with
// D = 2 eps (docs/conventions.md): the exact mean first-passage time to the threshold
// (Gardiner 5.2.7, by quadrature) and Kramers' rate with its regime. They describe the
// SDE; the discrete run differs by its discretisation error, which shrinks with eta.
// In more dimensions, or with a preconditioner, Eyring-Kramers for the start's transition.
EscapePredictions escape_predictions(const Experiment& ex, const EscapeObserver& o) {
  EscapePredictions p;
  const auto* thr = dynamic_cast<const CoordinateThreshold*>(&o.target());
  const auto* g = dynamic_cast<const GaussianNoise*>(ex.noise.get());
  if (ex.loss->dim() > 1 || ex.preconditioner)
    if (const std::optional<Transition> t = transition_at(*ex.loss, ex.theta0)) {
      p.kind = EscapePredictions::Kind::eyring_kramers;
      p.eyring_kramers = eyring_kramers_prediction(ex, *t, o.target());
      return p;
    }
  const std::optional<Well1d> well = ex.preconditioner ? std::nullopt : well_1d(ex);
  if (!well || !thr || !g) {
    p.reason =
        "predictions are wired for a 1-D double well (the built-in one, or a loss with two minima, a saddle "
        "and its value) with Gaussian noise and a threshold target";
    return p;
  }
  p.kind = EscapePredictions::Kind::one_dimensional;
  const double eta = ex.stepper->eta();
  const double D = noise_forms(g->S(), g->target(), eta).D(0, 0);
  const double eps = D / 2.0;
  MfptProblem prob;
  prob.potential = well->potential;
  prob.eps = eps;
  prob.x0 = ex.theta0[0];
  prob.target = thr->value();
  p.well.eps = eps;
  p.well.barrier_over_eps = well->barrier / eps;
  p.well.mfpt = mean_first_passage_time_1d(prob);
  p.well.kramers = kramers_rate_1d(well->curvature_min, well->curvature_saddle, well->barrier, eps);
  return p;
}

EscapeReport escape_report(const Experiment& ex, const EscapeObserver& o, std::int64_t last_step) {
  EscapeReport e;
  e.target = o.target().kind();
  e.horizon_steps = o.horizon_steps();
  e.available = o.available();
  if (!e.available) {
    e.reason = o.reason();
  } else {
    e.summary = o.summary(last_step);
    if (const auto& b = o.bridge()) {
      e.bridge = true;
      e.bridge_sigma2_step = b->sigma2_step;
      for (const auto& r : o.results()) e.detected_by_bridge += r.by_bridge;
    }
  }
  e.predictions = escape_predictions(ex, o);
  e.stop_escaped = o.stops_escaped();
  return e;
}

}  // namespace

RunReport assemble_report(const Experiment& ex, const RunResult& r) {
  RunReport rep;
  rep.diverged = r.record.n_diverged;
  rep.diverged_fraction = static_cast<double>(r.record.n_diverged) / static_cast<double>(ex.trajectories);
  for (auto at : r.record.diverged_at)
    if (at >= 0 && (rep.first_diverged_at < 0 || at < rep.first_diverged_at)) rep.first_diverged_at = at;
  rep.indicators = start_indicators(ex);
  if (ex.hessian_top_k > 0) rep.hessian_top = top_eigenvalues(*ex.loss, spectrum_point(ex), ex.hessian_top_k, true);
  if (ex.hessian_bottom_k > 0)
    rep.hessian_bottom = top_eigenvalues(*ex.loss, spectrum_point(ex), ex.hessian_bottom_k, false);
  for (const auto& o : ex.observers)
    if (const auto* so = dynamic_cast<const SharpnessObserver*>(o.get())) rep.sharpness = sharpness_report(ex, *so, r);
  for (const auto& o : ex.observers)
    if (const auto* eo = dynamic_cast<const EscapeObserver*>(o.get()); eo && !r.record.series.empty())
      rep.escape = escape_report(ex, *eo, r.record.series.back().k);
  if (r.ams) rep.ams_prediction = ams_rate_prediction(ex);
  const bool small = ex.loss->dim() <= ex.full_covariance_max_dim;
  if (small && r.record.final_state.rows() > 1 && !r.record.series.empty())
    rep.final_covariance = covariance_report(ex, r);
  if (small) {
    // The start point's loss, gradient and Hessian (small d): enough to draw the contours
    // of a quadratic loss and the GD step from theta_0 without the data.
    const Vec g = ex.loss->gradient_at(ex.theta0);
    const Mat H = ex.loss->hessian(ex.theta0);
    if (ex.loss->has_value()) {
      const double L = ex.loss->value_at(ex.theta0);
      if (std::isfinite(L) && g.allFinite() && H.allFinite()) rep.start = StartPoint{ex.theta0, L, g, H};
    }
  }
  return rep;
}

}  // namespace sgdnoise
