#include "io/summary.hpp"

#include <cmath>
#include <cstring>
#include <sstream>

#include "core/platform.hpp"
#include "sgdnoise/version.hpp"

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

}  // namespace

json summary_json(const Experiment& ex, const RunResult& r, const RunMeta& meta) {
  json j;
  j["sgdnoise"] = {{"version", kVersion}, {"git_hash", kGitHash}};
  j["scenario_file"] = ex.scenario.file();
  j["scenario"] = toml_to_json(ex.scenario.table());
  j["seed"] = ex.spec.seed;
  j["metadata"] = {{"threads", meta.threads}, {"instruction_set", instruction_set()}, {"command", meta.command}};
  j["conventions"] =
      "C: gradient-noise covariance; Sigma_step = eta^2 C: per-step weight-noise covariance; "
      "D = Sigma_step / eta: diffusion in tau = k eta (CONVENTIONS.md)";
  j["status"] = r.record.status == RunStatus::completed ? "completed" : "diverged";
  if (!r.record.failure.empty()) j["failure"] = r.record.failure;

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

  json checks = json::array();
  for (const auto& c : r.checks) {
    json e{{"result", c.result},
           {"k", c.k},
           {"tau", c.tau},
           {"prediction_kind", c.prediction_kind},
           {"sigmas", c.sigmas},
           {"false_alarm_probability", c.false_alarm},
           {"measured", estimate_json(c.measured)},
           {"prediction", prediction_json(c.predicted)},
           {"passed", c.passed},
           {"reason", c.reason}};
    if (std::isfinite(c.z)) e["z"] = c.z;
    checks.push_back(std::move(e));
  }
  j["checks"] = std::move(checks);
  j["all_checks_passed"] = r.all_checks_passed();
  return j;
}

std::string series_csv(const RunResult& r) {
  const RunRecord& rec = r.record;
  std::ostringstream o;
  o << "k,tau";
  if (rec.series.empty()) return o.str() + "\n";
  for (const auto& v : rec.series.front().values)
    o << "," << v.name << "_mean," << v.name << "_se," << v.name << "_n," << v.name << "_exact";
  o << "\n";
  for (std::size_t i = 0; i < rec.series.size(); ++i) {
    const SeriesRow& row = rec.series[i];
    o << row.k << "," << fmt(row.tau);
    for (std::size_t j = 0; j < row.values.size(); ++j) {
      const Estimate& e = row.values[j].est;
      const Prediction* p = i < r.exact.size() && j < r.exact[i].size() ? &r.exact[i][j] : nullptr;
      o << "," << fmt(e.value) << "," << fmt(e.se) << "," << e.n << ","
        << (p && p->available ? fmt(p->value) : "");
    }
    o << "\n";
  }
  return o.str();
}

std::string npy_bytes(const Mat& X) {
  std::ostringstream hdr;
  hdr << "{'descr': '<f8', 'fortran_order': False, 'shape': (" << X.rows() << ", " << X.cols() << "), }";
  std::string h = hdr.str();
  // Magic (6) + version (2) + header length (2) + header, padded with spaces to a multiple of 64, ending in '\n'.
  const std::size_t total = 10 + h.size() + 1;
  h.append((64 - total % 64) % 64, ' ');
  h += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  const auto len = static_cast<std::uint16_t>(h.size());
  out += static_cast<char>(len & 0xff);
  out += static_cast<char>(len >> 8);
  out += h;
  const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> R = X;
  out.append(reinterpret_cast<const char*>(R.data()), sizeof(double) * static_cast<std::size_t>(R.size()));
  return out;
}

}  // namespace sgdnoise
