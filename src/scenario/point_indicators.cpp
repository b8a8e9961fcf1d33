#include "scenario/point_indicators.hpp"

#include <Spectra/MatOp/DenseSymMatProd.h>

#include <cctype>
#include <cmath>
#include <sstream>

#include "analysis/spectrum.hpp"

namespace sgdnoise {

Vec indicator_point(const Experiment& ex, const std::string& at) {
  const Index d = ex.loss->dim();
  if (at == "start") return ex.theta0;
  if (at == "minimum") {
    if (auto m = ex.loss->minimizer()) return *m;
    throw InputError("--at", "minimum",
                     "the loss \"" + ex.loss->kind() +
                         "\" does not know its minimizer (none exists, or none in closed form); "
                         "give --at start or a point as a comma-separated list");
  }
  std::vector<double> xs;
  std::stringstream ss(at);
  std::string item;
  while (std::getline(ss, item, ',')) {
    std::size_t used = 0;
    double x = 0.0;
    try {
      x = std::stod(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    while (used < item.size() && std::isspace(static_cast<unsigned char>(item[used]))) ++used;
    if (used == 0 || used != item.size() || !std::isfinite(x))
      throw InputError("--at", at, "\"" + item + "\" is not a finite number (expected start, minimum, or x1,x2,...)");
    xs.push_back(x);
  }
  if (static_cast<Index>(xs.size()) != d)
    throw InputError(
        "--at", at,
        "expected " + std::to_string(d) + " numbers (the loss dimension), got " + std::to_string(xs.size()));
  return Eigen::Map<const Vec>(xs.data(), d);
}

namespace {

// Lanczos (Spectra) where it applies, k <= d - 2; the dense solver otherwise.
template <class Op>
Eigenpairs extreme(const Op& op, const Mat& dense, Index k, bool largest) {
  if (k <= op.rows() - 2) return lanczos_eigenpairs(op, k, largest);
  return dense_eigenpairs(dense, k, largest);
}

}  // namespace

PointReport point_indicators(const Experiment& ex, const PointOptions& o) {
  if (o.top_k < 1) throw InputError("--top-k", std::to_string(o.top_k), "must be >= 1");
  if (o.slq_probes < 1) throw InputError("--slq-probes", std::to_string(o.slq_probes), "must be >= 1");
  if (o.slq_steps < 1) throw InputError("--slq-steps", std::to_string(o.slq_steps), "must be >= 1");
  if (ex.instances() > 1)
    throw InputError(ex.scenario.file(), "loss.fresh_data",
                     "the indicators at a point are those of one loss instance; with fresh data the scenario has " +
                         std::to_string(ex.instances()) + " (set loss.fresh_data = \"none\" for data_seed's)");
  PointReport r;
  r.scenario = ex.scenario.name();
  r.scenario_file = ex.scenario.file();
  r.at = o.at;
  r.theta = indicator_point(ex, o.at);
  r.eta = ex.stepper->eta();
  r.seed = ex.spec.seed;
  const Loss& loss = *ex.loss;
  const Index d = loss.dim(), k = std::min(o.top_k, d);
  r.loss_kind = loss.kind();
  r.loss_value = loss.value_at(r.theta);
  r.gradient_norm = loss.gradient_at(r.theta).norm();

  const Mat H = loss.hessian(r.theta);
  r.trace_H = H.trace();
  r.trace_H2 = H.squaredNorm();  // Tr H^2 = ||H||_F^2 for symmetric H
  const HessianOperator hop(loss, r.theta);
  r.H_top = extreme(hop, H, k, true);
  r.H_bottom = extreme(hop, H, k, false);
  SlqOptions so;
  so.probes = o.slq_probes;
  so.steps = o.slq_steps;
  so.seed = r.seed;
  r.slq = hessian_slq(loss, r.theta, so);
  r.slq_trace_H = r.slq.trace([](double x) { return x; });
  r.slq_trace_H2 = r.slq.trace([](double x) { return x * x; });

  if (!ex.noise) {
    r.no_covariance_reason = "the scenario has no noise (noise.kind = \"none\")";
    return r;
  }
  r.noise_kind = ex.noise->kind();
  r.noise_on = to_string(ex.noise->target());
  const auto S = ex.noise->covariance(r.theta);
  if (!S) {
    r.no_covariance_reason = "the noise \"" + r.noise_kind +
                             "\" has no covariance (heavy tails: infinite variance); its scale parameter "
                             "replaces C (docs/conventions.md)";
    return r;
  }
  r.has_covariance = true;
  const NoiseForms f = noise_forms(*S, ex.noise->target(), r.eta);
  r.indicators = noise_indicators(H, f.C, r.eta);
  r.trace_Sigma_step = f.Sigma_step.trace();
  r.trace_D = f.D.trace();
  if (auto op = ex.noise->covariance_operator(r.theta)) {
    // The operator gives the specified covariance S; on weights C = Sigma_step / eta^2.
    if (ex.noise->target() == NoiseTarget::weights) op->scale(1.0 / (r.eta * r.eta));
    r.covariance_operator = "matrix_free";
    r.trace_C_matrix_free = op->trace();
    r.C_top = extreme(*op, f.C, k, true);
    r.C_bottom = extreme(*op, f.C, k, false);
  } else {
    r.covariance_operator = "dense";
    const Spectra::DenseSymMatProd<double> dop(f.C);
    r.C_top = extreme(dop, f.C, k, true);
    r.C_bottom = extreme(dop, f.C, k, false);
  }
  return r;
}

}  // namespace sgdnoise
