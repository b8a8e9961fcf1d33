#pragma once
// The result assembler: every number a run reports beyond its series and checks (the noise
// indicators at theta_0, Hessian spectra, the sharpness statement, the escape statistics and
// their predictions, the AMS rate's prediction, the final covariance against its exact value,
// the start point) is computed here, in the run layer, when the run ends (run_experiment).
// io/summary.cpp only turns this into JSON; it computes nothing (docs/architecture.md).
#include <cstdint>
#include <optional>
#include <string>

#include "analysis/escape.hpp"
#include "analysis/indicators.hpp"
#include "analysis/predictions/escape_time.hpp"
#include "analysis/predictions/gmam.hpp"
#include "analysis/spectrum.hpp"
#include "core/types.hpp"

namespace sgdnoise {

struct Experiment;
struct RunResult;

/// Exact noise indicators at theta_0, for noise with a stated covariance (docs/theory.md 1.4).
struct StartIndicators {
  std::string noise_on;  // "gradient" or "weights"
  Indicators ind;
  double trace_Sigma_step = 0.0;
  double trace_D = 0.0;
};

/// The sharpness observer's statement: where lambda_max(H) was evaluated, the solver, 2/eta.
struct SharpnessReport {
  bool at_mean = true;     // the ensemble mean; else the first `trajectories` trajectories
  Index trajectories = 0;  // min(observer's count, N) when not at the mean
  std::string solver;      // "dense" or "spectra_lanczos"
  double tol = 0.0;
  int maxit = 0;
  double eta = 0.0;
  double two_over_eta = 0.0;
  bool two_over_eta_applies = false;  // plain GD at a constant step
  Index observations = 0, undefined_observations = 0;
  std::int64_t first_undefined_k = -1;  // the first observation left undefined, and why
  std::string first_undefined_reason;
};

/// A rate prediction for one transition over a saddle (Eyring-Kramers where the noise is
/// reversible, the quasi-potential exponent by gMAM where it is not), or why there is none.
struct BarrierRateReport {
  enum class Status {
    unavailable,    // no prediction; `reason` says why
    predicted,      // Eyring-Kramers: k
    exponent_only,  // the quasi-potential exponent dV/eps only
    no_prediction,  // not reversible and gMAM could not give the exponent
  };
  Status status = Status::unavailable;
  std::string reason;
  /// The transition's context, stated with every status except an early `unavailable`.
  bool has_context = false;
  std::string target;  // "other_well", "saddle", "level_b"
  double barrier = 0.0;
  bool state_dependent = false;  // D depends on theta: trace_D is at the start's minimum
  double trace_D = 0.0, trace_M = 0.0;
  std::string eyring_kramers_reason;  // why Eyring-Kramers does not apply (non-reversible noise)
  // predicted:
  RatePrediction k;
  double multiple = 1.0;             // first passage to the separatrix: 2k
  double relative_correction = 0.0;  // eps / dL
  std::string note;
  bool scheme_note = false;  // a simulated scheme: the formula describes the SDE
  // exponent_only / no_prediction (quasi-potential):
  std::string noise_kind;  // "not reversible" or "state-dependent noise"
  RatePrediction q;
  bool has_path = false;
  GmamResult path;
  bool path_points = false;  // d <= 3: the path itself is reported (plots/min_action_path.py)

  static BarrierRateReport unavailable_because(std::string why) {
    BarrierRateReport r;
    r.reason = std::move(why);
    return r;
  }
};

/// Continuous-time predictions for a 1-D well under isotropic Gaussian noise with D = 2 eps.
struct Well1dReport {
  double eps = 0.0, barrier_over_eps = 0.0;
  MfptResult mfpt;
  RatePrediction kramers;
};

struct EscapePredictions {
  enum class Kind { unavailable, one_dimensional, eyring_kramers };
  Kind kind = Kind::unavailable;
  std::string reason;
  Well1dReport well;
  BarrierRateReport eyring_kramers;
};

/// The escape observer's statistics and their predictions.
struct EscapeReport {
  std::string target;
  double horizon_steps = 0.0;
  bool available = false;
  std::string reason;
  EscapeSummary summary;
  bool bridge = false;
  double bridge_sigma2_step = 0.0;
  Index detected_by_bridge = 0;
  EscapePredictions predictions;
  bool stop_escaped = false;
};

/// The final states' covariance (trajectories not diverged) and, for a quadratic, the exact one.
struct CovarianceReport {
  std::int64_t k = 0;
  double tau = 0.0;
  Index n = 0;
  std::optional<Mat> empirical;  // none below two trajectories
  std::optional<Mat> exact;
};

/// The start point's loss, gradient and Hessian (small d).
struct StartPoint {
  Vec theta;
  double loss = 0.0;
  Vec gradient;
  Mat hessian;
};

struct RunReport {
  Index diverged = 0;
  double diverged_fraction = 0.0;
  std::int64_t first_diverged_at = -1;
  std::optional<StartIndicators> indicators;
  std::optional<SpectrumResult> hessian_top, hessian_bottom;
  std::optional<SharpnessReport> sharpness;
  std::optional<EscapeReport> escape;
  std::optional<BarrierRateReport> ams_prediction;  // escape.method = "ams"
  std::optional<CovarianceReport> final_covariance;
  std::optional<StartPoint> start;
};

/// Computes the report of a finished (or interrupted) run; run_experiment calls it last.
RunReport assemble_report(const Experiment& ex, const RunResult& r);

}  // namespace sgdnoise
