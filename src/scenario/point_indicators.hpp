#pragma once
// Everything sgdnoise can say about the noise and the curvature at one point of a scenario
// (the `sgdnoise indicators` command): the docs/conventions.md indicators and paper 3's alignment
// (indicators.hpp), the extreme eigenpairs of H and of C (Spectra's Lanczos, matrix-free for
// the noises that re-weight per-sample gradients), and the Hessian's spectral density by
// stochastic Lanczos quadrature (slq.hpp). Numerics only; io/point_report.hpp writes it.
#include <optional>
#include <string>

#include "analysis/eigenpairs.hpp"
#include "analysis/indicators.hpp"
#include "analysis/slq.hpp"
#include "scenario/experiment.hpp"

namespace sgdnoise {

struct PointOptions {
  std::string at = "start";  // "start", "minimum", or theta as a comma-separated list
  Index top_k = 3;           // eigenpairs of H and C at each end (capped at d)
  Index slq_probes = 16;
  Index slq_steps = 30;
};

struct PointReport {
  std::string scenario, scenario_file, at;
  Vec theta;
  double eta = 0.0;
  std::uint64_t seed = 0;
  std::string loss_kind;
  double loss_value = 0.0, gradient_norm = 0.0;
  std::string noise_kind = "none", noise_on;

  // Hessian
  double trace_H = 0.0, trace_H2 = 0.0;  // exact, from the dense Hessian
  Eigenpairs H_top, H_bottom;
  SlqResult slq;
  Estimate slq_trace_H, slq_trace_H2;

  // Noise: defined only where the noise has a covariance.
  bool has_covariance = false;
  std::string no_covariance_reason;
  Indicators indicators;
  double trace_Sigma_step = 0.0, trace_D = 0.0;
  std::string covariance_operator;            // "matrix_free" (G Cov(V) G^T) or "dense"
  std::optional<double> trace_C_matrix_free;  // Tr C from the operator, without forming C
  Eigenpairs C_top, C_bottom;
};

/// The point named by `at` (PointOptions::at); InputError (key "--at") when it is malformed,
/// of the wrong size, or "minimum" for a loss that does not know its minimizer.
Vec indicator_point(const Experiment& ex, const std::string& at);

/// The report at indicator_point(ex, o.at). SLQ probes use the scenario's seed.
PointReport point_indicators(const Experiment& ex, const PointOptions& o);

}  // namespace sgdnoise
