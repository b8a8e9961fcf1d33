#include "io/point_report.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "io/summary.hpp"
#include "core/version.hpp"

namespace sgdnoise {

using nlohmann::json;

namespace {

json vec_json(const Vec& v) {
  json a = json::array();
  for (Index i = 0; i < v.size(); ++i) a.push_back(finite_or_status(v[i], "undefined"));
  return a;
}

json undefined(const std::string& reason) { return json{{"status", "undefined"}, {"reason", reason}}; }

json optional_json(const std::optional<double>& v, const std::string& reason) {
  return v ? finite_or_status(*v, "undefined") : undefined(reason);
}

json eigenpairs_json(const Eigenpairs& e) {
  json j{{"method", e.method}, {"converged", e.converged}, {"iterations", e.iterations}, {"operations", e.operations}};
  if (!e.converged) {
    j["status"] = "not_converged";
    j["reason"] = e.reason;
  }
  j["eigenvalues"] = vec_json(e.values);  // the converged ones
  json vecs = json::array();
  for (Index c = 0; c < e.vectors.cols(); ++c) vecs.push_back(vec_json(e.vectors.col(c)));
  j["eigenvectors"] = std::move(vecs);
  return j;
}

json estimate_json(const Estimate& e) {
  return json{{"value", finite_or_status(e.value, "undefined")},
              {"se", finite_or_status(e.se, "undefined")},
              {"n", e.n},
              {"se_method", e.method}};
}

std::string num(double v, int prec = 6) {
  if (!std::isfinite(v)) return "undefined";
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*g", prec, v);
  return buf;
}

std::string spectrum_line(const Eigenpairs& e) {
  std::ostringstream o;
  for (Index i = 0; i < e.values.size(); ++i) o << (i ? ", " : "") << num(e.values[i]);
  o << "  [" << e.method << (e.converged ? ", converged" : ", NOT converged: " + e.reason);
  if (e.method != "dense") o << ", " << e.iterations << " restarts, " << e.operations << " products";
  o << "]";
  return o.str();
}

}  // namespace

json point_report_json(const PointReport& r) {
  json j;
  j["sgdnoise"] = {{"version", kVersion}, {"git_hash", kGitHash}};
  j["scenario"] = r.scenario;
  j["scenario_file"] = r.scenario_file;
  j["at"] = r.at;
  j["theta"] = vec_json(r.theta);
  j["d"] = r.theta.size();
  j["eta"] = r.eta;
  j["seed"] = r.seed;
  j["conventions"] =
      "C: gradient-noise covariance; Sigma_step = eta^2 C: per-step weight-noise covariance; "
      "D = Sigma_step / eta: diffusion in tau = k eta (docs/conventions.md)";
  j["loss"] = {{"kind", r.loss_kind},
               {"value", finite_or_status(r.loss_value, "undefined")},
               {"gradient_norm", finite_or_status(r.gradient_norm, "undefined")}};
  j["noise"] = {{"kind", r.noise_kind}};
  if (!r.noise_on.empty()) j["noise"]["on"] = r.noise_on;

  json ind;
  if (r.has_covariance) {
    const Indicators& i = r.indicators;
    ind = {{"trace_H_C", finite_or_status(i.trace_H_C, "undefined")},
           {"trace_H_Sigma_step", finite_or_status(i.trace_H_Sigma_step, "undefined")},
           {"trace_C", finite_or_status(i.trace_C, "undefined")},
           {"trace_Sigma_step", finite_or_status(r.trace_Sigma_step, "undefined")},
           {"trace_D", finite_or_status(r.trace_D, "undefined")},
           {"frobenius_C", finite_or_status(i.frobenius_C, "undefined")},
           {"anisotropy_ratio", optional_json(i.anisotropy_ratio, i.anisotropy_reason)},
           {"alignment", optional_json(i.alignment, i.alignment_reason)},
           {"source",
            "exact, from the noise model's covariance at theta; anisotropy ratio docs/theory.md 1.4 item 3, "
            "alignment u1^T C u1 Tr H / (lambda1 Tr C) docs/theory.md 4.3 (P-b)"}};
    if (i.alignment) ind["alignment_top_multiplicity"] = i.top_multiplicity;
  } else {
    for (const char* name : {"trace_H_C", "trace_H_Sigma_step", "trace_C", "trace_Sigma_step", "trace_D", "frobenius_C",
                             "anisotropy_ratio", "alignment"})
      ind[name] = undefined(r.no_covariance_reason);
  }
  j["indicators"] = std::move(ind);

  j["hessian"] = {{"trace", finite_or_status(r.trace_H, "undefined")},
                  {"trace_H2", finite_or_status(r.trace_H2, "undefined")},
                  {"top", eigenpairs_json(r.H_top)},
                  {"bottom", eigenpairs_json(r.H_bottom)}};
  if (r.has_covariance) {
    json c{{"operator", r.covariance_operator},
           {"top", eigenpairs_json(r.C_top)},
           {"bottom", eigenpairs_json(r.C_bottom)}};
    c["trace_matrix_free"] = r.trace_C_matrix_free ? finite_or_status(*r.trace_C_matrix_free, "undefined")
                                                   : undefined(
                                                         "the noise is not a re-weighting of per-sample "
                                                         "gradients; its covariance is formed densely");
    j["covariance_C"] = std::move(c);
  } else {
    j["covariance_C"] = undefined(r.no_covariance_reason);
  }

  const SlqResult& s = r.slq;
  json nodes = json::array(), weights = json::array();
  for (const auto& p : s.probes) {
    nodes.push_back(vec_json(p.nodes));
    weights.push_back(vec_json(p.weights));
  }
  j["hessian_density_slq"] = {
      {"source", "stochastic Lanczos quadrature, Ubaru, Chen & Saad 2017; Ghorbani, Krishnan & Xiao 2019"},
      {"probes", s.probes.size()},
      {"probe_kind", "rademacher"},
      {"steps", s.steps},
      {"seed", r.seed},
      {"operations", s.operations},
      {"node_min", finite_or_status(s.node_min, "undefined")},
      {"node_max", finite_or_status(s.node_max, "undefined")},
      {"trace_H", estimate_json(r.slq_trace_H)},
      {"trace_H2", estimate_json(r.slq_trace_H2)},
      {"broadening_sigma", finite_or_status(s.sigma, "undefined")},
      {"density_normalisation", "integrates to 1 over t; d * density counts eigenvalues per unit length"},
      {"grid", vec_json(s.grid)},
      {"density", vec_json(s.density)},
      {"nodes", std::move(nodes)},
      {"weights", std::move(weights)}};
  return j;
}

std::string point_report_text(const PointReport& r) {
  std::ostringstream o;
  o << "scenario " << r.scenario << " (" << r.scenario_file << "), at " << r.at << ", d = " << r.theta.size()
    << ", eta = " << num(r.eta) << "\n";
  o << "loss " << r.loss_kind << ": L = " << num(r.loss_value, 10) << ", |grad L| = " << num(r.gradient_norm) << "\n";
  o << "noise " << r.noise_kind << (r.noise_on.empty() ? "" : " (on " + r.noise_on + ")") << "\n\n";
  char line[256];
  auto row = [&](const std::string& name, const std::string& value) {
    std::snprintf(line, sizeof line, "  %-22s %s\n", name.c_str(), value.c_str());
    o << line;
  };
  o << "indicators (docs/conventions.md)\n";
  if (r.has_covariance) {
    const Indicators& i = r.indicators;
    row("trace_H_C", num(i.trace_H_C));
    row("trace_H_Sigma_step", num(i.trace_H_Sigma_step));
    row("trace_C", num(i.trace_C));
    row("trace_Sigma_step", num(r.trace_Sigma_step));
    row("trace_D", num(r.trace_D));
    row("frobenius_C", num(i.frobenius_C));
    row("anisotropy_ratio", i.anisotropy_ratio ? num(*i.anisotropy_ratio) : "undefined: " + i.anisotropy_reason);
    row("alignment", i.alignment ? num(*i.alignment) : "undefined: " + i.alignment_reason);
  } else {
    row("(all)", "undefined: " + r.no_covariance_reason);
  }
  o << "\nHessian H: Tr H = " << num(r.trace_H) << ", Tr H^2 = " << num(r.trace_H2) << "\n";
  row("top", spectrum_line(r.H_top));
  row("bottom", spectrum_line(r.H_bottom));
  if (r.has_covariance) {
    o << "\ncovariance C (" << r.covariance_operator << " operator";
    if (r.trace_C_matrix_free) o << ", Tr C matrix-free = " << num(*r.trace_C_matrix_free);
    o << ")\n";
    row("top", spectrum_line(r.C_top));
    row("bottom", spectrum_line(r.C_bottom));
  }
  const SlqResult& s = r.slq;
  o << "\nHessian density (SLQ, " << s.probes.size() << " Rademacher probes x " << s.steps << " Lanczos steps, "
    << s.operations << " Hessian-vector products)\n";
  std::ostringstream range;  // (a stream: GCC 12's -Wrestrict misfires on "[" + std::string)
  range << "[" << num(s.node_min) << ", " << num(s.node_max) << "]";
  row("nodes in", range.str());
  row("Tr H (SLQ)", num(r.slq_trace_H.value) + " +- " + num(r.slq_trace_H.se, 2) + " (exact " + num(r.trace_H) + ")");
  row("Tr H^2 (SLQ)",
      num(r.slq_trace_H2.value) + " +- " + num(r.slq_trace_H2.se, 2) + " (exact " + num(r.trace_H2) + ")");
  row("broadening sigma", num(s.sigma));
  return o.str();
}

}  // namespace sgdnoise
