#include "app/sweep.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <ostream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "app/run_job.hpp"
#include "app/sweep_state.hpp"
#include "core/format.hpp"
#include "core/input_file.hpp"
#include "io/checkpoint.hpp"
#include "io/durable.hpp"
#include "io/output_lock.hpp"
#include "io/run_dir.hpp"
#include "io/summary.hpp"
#include "scenario/runner.hpp"
#include "scenario/scenario.hpp"
#include "core/version.hpp"

namespace sgdnoise {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

// Splits on `sep` outside brackets and quotes (so "[1, 2]" and "\"a,b\"" stay whole).
std::vector<std::string> split_top_level(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  char quote = 0;
  for (char c : s) {
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if (c == ']' || c == '}') {
      --depth;
    } else if (c == sep && depth == 0) {
      out.push_back(cur);
      cur.clear();
      continue;
    }
    cur += c;
  }
  out.push_back(cur);
  return out;
}

std::vector<std::string> split_names(const std::string& s) {
  std::vector<std::string> out;
  for (const auto& x : split_top_level(s, ','))
    if (!trim(x).empty()) out.push_back(trim(x));
  return out;
}

std::string set_key(const std::string& assignment) { return assignment.substr(0, assignment.find('=')); }
std::string set_value(const std::string& assignment) {
  const auto eq = assignment.find('=');
  return eq == std::string::npos ? "" : assignment.substr(eq + 1);
}

}  // namespace

GridAxis parse_grid_axis(const std::string& spec) {
  const auto eq = spec.find('=');
  const std::string where = "--grid " + spec;
  if (eq == std::string::npos || eq == 0) throw InputError(where, "", "expected key=v1,v2,...");
  GridAxis g{trim(spec.substr(0, eq)), {}};
  for (const auto& v : split_top_level(spec.substr(eq + 1), ',')) {
    if (trim(v).empty()) throw InputError(where, g.key, "empty value in the list");
    g.values.push_back(trim(v));
  }
  return g;
}

TrendSpec parse_trend(const std::string& spec) {
  const std::string where = "trend \"" + spec + "\"";
  const auto colon = spec.find(':');
  const auto lt = spec.find('<');
  if (colon == std::string::npos || lt == std::string::npos || lt < colon)
    throw InputError(where, "", "expected \"METRIC: A,B,... < C,D,...\"");
  TrendSpec t{spec, trim(spec.substr(0, colon)), split_names(spec.substr(colon + 1, lt - colon - 1)),
              split_names(spec.substr(lt + 1))};
  if (t.metric.empty() || t.lower.empty() || t.higher.empty())
    throw InputError(where, "", "the metric and both groups must be non-empty");
  return t;
}

SweepList parse_sweep_list(const std::string& text, const std::string& file) {
  SweepList l;
  std::istringstream in(text);
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    const std::string where = file + ":" + std::to_string(lineno);
    if (const auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    line = trim(line);
    if (line.empty()) continue;
    if (line.rfind("trend ", 0) == 0) {
      try {
        l.trends.push_back(parse_trend(trim(line.substr(6))));
      } catch (const InputError& e) {
        throw InputError(where, "", e.reason());
      }
      continue;
    }
    SweepPoint p;
    std::istringstream toks(line);
    std::string tok;
    bool first = true;
    while (toks >> tok) {
      if (first && tok.back() == ':' && tok.find('=') == std::string::npos) {
        p.label = tok.substr(0, tok.size() - 1);
      } else {
        if (tok.find('=') == std::string::npos || tok.front() == '=')
          throw InputError(where, "", "expected key=value, got \"" + tok + "\"");
        p.sets.push_back(tok);
      }
      first = false;
    }
    l.rows.push_back(std::move(p));
  }
  return l;
}

std::vector<SweepPoint> expand_points(const std::vector<SweepPoint>& rows, const std::vector<GridAxis>& grid) {
  // Each point keeps its row's label; the grid's overrides are appended to it.
  std::vector<SweepPoint> pts = rows.empty() ? std::vector<SweepPoint>{SweepPoint{}} : rows;
  std::vector<std::string> grid_part(pts.size());
  for (const auto& axis : grid) {  // each axis nests inside the previous ones
    std::vector<SweepPoint> next;
    std::vector<std::string> next_part;
    for (std::size_t i = 0; i < pts.size(); ++i)
      for (const auto& v : axis.values) {
        SweepPoint q = pts[i];
        q.sets.push_back(axis.key + "=" + v);
        next.push_back(std::move(q));
        next_part.push_back(grid_part[i] + (grid_part[i].empty() ? "" : " ") + axis.key + "=" + v);
      }
    pts = std::move(next);
    grid_part = std::move(next_part);
  }
  for (std::size_t i = 0; i < pts.size(); ++i) {
    auto& p = pts[i];
    for (std::size_t a = 0; a < p.sets.size(); ++a)
      for (std::size_t b = a + 1; b < p.sets.size(); ++b)
        if (set_key(p.sets[a]) == set_key(p.sets[b]))
          throw InputError("sweep point " + std::to_string(i), set_key(p.sets[a]),
                           "given twice (in the list and the grid, or twice in one of them)");
    if (p.label.empty()) {
      for (const auto& s : p.sets) p.label += (p.label.empty() ? "" : " ") + s;
    } else if (!grid_part[i].empty()) {
      p.label += " " + grid_part[i];
    }
  }
  return pts;
}

std::string point_dir_name(std::size_t index, const SweepPoint& p) {
  char num[16];
  std::snprintf(num, sizeof num, "%03zu", index);
  std::string name = std::string(num) + "-";
  for (char c : p.label) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '=' || c == ',' ||
                    c == '+' || c == '-';
    name += ok ? c : '_';
  }
  if (name.size() > 120) name.resize(120);
  return name;
}

namespace {

// A number, or the reason there is none (summary.json writes {"status", "reason"}).
void put(ordered_json& cols, const std::string& name, const json& v) {
  if (v.is_number()) {
    cols[name] = v;
  } else if (v.is_object() && v.contains("status")) {
    cols[name + "_status"] = v["status"].get<std::string>() + (v.contains("reason") ? ": " + v["reason"].dump() : "");
  }
}

void put_interval(ordered_json& cols, const std::string& name, const json& v) {
  if (!v.is_object()) return;
  if (v.contains("status") && !v.contains("value")) {
    put(cols, name, v);
    return;
  }
  put(cols, name, v.value("value", json()));
  if (v.contains("se")) put(cols, name + "_se", v["se"]);
  if (v.contains("interval")) {
    put(cols, name + "_lo", v["interval"].value("lo", json()));
    put(cols, name + "_hi", v["interval"].value("hi", json()));
  }
}

}  // namespace

ordered_json summary_columns(const json& s) {
  ordered_json c = ordered_json::object();
  c["status"] = s.value("status", "unknown");
  if (s.contains("diverged_trajectories")) c["diverged"] = s["diverged_trajectories"].value("count", 0);
  for (const auto& r : s.value("results", json::array())) {
    const std::string n = r.value("name", "?");
    put(c, n + "_mean", r.value("mean", json()));
    put(c, n + "_se", r.value("se", json()));
    c[n + "_n"] = r.value("n", 0);
    const json& p = r.value("prediction", json::object());
    if (p.contains("value")) put(c, n + "_exact", p["value"]);
  }
  c["k_final"] = s.value("results", json::array()).empty() ? json(0) : s["results"][0].value("k", json(0));
  if (s.contains("indicators")) {
    for (const char* k : {"trace_H_C", "trace_H_Sigma_step", "trace_C", "trace_Sigma_step", "trace_D", "frobenius_C",
                          "anisotropy_ratio"})
      if (s["indicators"].contains(k)) put(c, k, s["indicators"][k]);
  } else if (s.contains("scenario") && s["scenario"].contains("noise") &&
             s["scenario"]["noise"].value("kind", "") == "none") {
    // No noise: every covariance is zero, and so is every indicator built on one.
    for (const char* k : {"trace_H_C", "trace_H_Sigma_step", "trace_C", "trace_Sigma_step", "trace_D", "frobenius_C"})
      c[k] = 0.0;
  }
  if (s.contains("escape")) {
    const json& e = s["escape"];
    if (e.contains("counts")) {
      for (const char* k : {"n", "escaped", "censored", "diverged", "started_inside"})
        c[std::string("escape_") + k] = e["counts"].value(k, 0);
    } else {
      put(c, "escape", e);
    }
    put(c, "escape_horizon_tau", e.value("horizon_tau", json()));
    put_interval(c, "escape_mean_tau", e.value("mean_escape_tau", json()));
    if (e.contains("mean_escape_tau") && e["mean_escape_tau"].contains("restricted"))
      c["escape_mean_tau_restricted"] = e["mean_escape_tau"]["restricted"];
    put_interval(c, "escape_mean_steps", e.value("mean_escape_steps", json()));
    put_interval(c, "escape_rate_tau", e.value("rate_per_tau", json()));
    put_interval(c, "escape_rate_step", e.value("rate_per_step", json()));
    const json& p = e.value("probability_within_horizon", json());
    put_interval(c, "escape_probability", p);
    if (p.is_object() && p.contains("method")) c["escape_probability_method"] = p["method"];
    if (e.contains("ams")) {  // escape.method = "ams": the transition's numbers (the ensemble is a token)
      const json& a = e["ams"];
      put_interval(c, "ams_p", a.value("p", json()));
      put_interval(c, "ams_mean_tau", a.value("mean_time_tau", json()));
      put_interval(c, "ams_rate_tau", a.value("rate_per_tau", json()));
      put_interval(c, "ams_exact_mfpt_tau", a.value("exact_mfpt_tau", json()));
      if (a.contains("trajectory_steps")) put(c, "ams_trajectory_steps", a["trajectory_steps"].value("total", json()));
      const json& pr = a.value("prediction", json());
      if (pr.is_object()) {
        c["ams_prediction_status"] = pr.value("status", "unknown");
        put(c, "ams_eps", pr.value("eps", json()));
        put(c, "ams_barrier",
            pr.contains("quasi_potential_barrier") ? pr["quasi_potential_barrier"] : pr.value("barrier", json()));
        put(c, "ams_predicted_rate_tau", pr.value("rate_tau", json()));
      }
    }
    if (e.contains("predictions")) {
      const json& pr = e["predictions"];
      if (pr.contains("eps")) put(c, "eps", pr["eps"]);
      if (pr.contains("barrier_over_eps")) put(c, "barrier_over_eps", pr["barrier_over_eps"]);
      if (pr.contains("mfpt_tau")) put_interval(c, "mfpt_tau", pr["mfpt_tau"]);
      if (pr.contains("kramers_rate_tau")) {
        put_interval(c, "kramers_rate_tau", pr["kramers_rate_tau"]);
        if (pr["kramers_rate_tau"].contains("regime")) c["kramers_regime"] = pr["kramers_rate_tau"]["regime"];
      }
      if (pr.contains("eyring_kramers")) {
        const json& ek = pr["eyring_kramers"];
        c["ek_status"] = ek.value("status", "unknown");
        for (const char* k : {"target", "eps", "barrier_over_eps", "regime", "reason", "relative_correction"})
          if (ek.contains(k)) {
            if (ek[k].is_string())
              c[std::string("ek_") + k] = ek[k];
            else
              put(c, std::string("ek_") + k, ek[k]);
          }
        if (ek.contains("rate_tau")) put(c, "ek_rate_tau", ek["rate_tau"]);
        if (ek.contains("band_tau")) {
          put(c, "ek_rate_tau_band_lo", ek["band_tau"].value("lo", json()));
          put(c, "ek_rate_tau_band_hi", ek["band_tau"].value("hi", json()));
        }
      }
      if (pr.contains("status")) put(c, "escape_predictions", pr);
    }
  }
  const json& checks = s.value("checks", json::array());
  int failed = 0;
  std::string which;
  for (const auto& ch : checks)
    if (!ch.value("passed", false)) {
      ++failed;
      which += (which.empty() ? "" : "; ") + ch.value("result", "?") + " at k=" + std::to_string(ch.value("k", 0)) +
               ": " + ch.value("reason", "");
    }
  c["checks_total"] = checks.size();
  c["checks_failed"] = failed;
  c["all_checks_passed"] = s.value("all_checks_passed", false);
  if (!which.empty()) c["failed_checks"] = which;
  return c;
}

TrendOutcome evaluate_trend(const TrendSpec& t, const std::vector<std::string>& labels,
                            const std::vector<ordered_json>& columns) {
  TrendOutcome o{t, false, ""};
  struct Member {
    std::string label;
    double lo, hi;
  };
  auto members = [&](const std::vector<std::string>& names, std::vector<Member>& out) {
    for (const auto& name : names) {
      bool found = false;
      for (std::size_t i = 0; i < labels.size(); ++i) {
        if (labels[i] != name) continue;
        found = true;
        const auto& c = columns[i];
        const std::string lo = t.metric + "_lo", hi = t.metric + "_hi";
        if (!c.contains(lo) || !c.contains(hi) || !c[lo].is_number() || !c[hi].is_number()) {
          o.reason = "point \"" + name + "\" has no interval for " + t.metric + " (columns " + lo + ", " + hi + ")";
          return false;
        }
        out.push_back({name, c[lo].get<double>(), c[hi].get<double>()});
      }
      if (!found) {
        o.reason = "no point is labelled \"" + name + "\"";
        return false;
      }
    }
    return true;
  };
  std::vector<Member> low, high;
  if (!members(t.lower, low) || !members(t.higher, high)) return o;
  std::ostringstream why;
  why.precision(4);
  bool ok = true;
  for (const auto& a : low)
    for (const auto& b : high)
      if (!(a.hi < b.lo)) {
        ok = false;
        why << (why.tellp() > 0 ? "; " : "") << a.label << " [" << a.lo << ", " << a.hi << "] overlaps or exceeds "
            << b.label << " [" << b.lo << ", " << b.hi << "]";
      }
  if (ok) {
    double max_low = -INFINITY, min_high = INFINITY;
    for (const auto& a : low) max_low = std::max(max_low, a.hi);
    for (const auto& b : high) min_high = std::min(min_high, b.lo);
    why << "highest upper bound of the lower group " << max_low << " < lowest lower bound of the higher group "
        << min_high;
  }
  o.passed = ok;
  o.reason = why.str();
  return o;
}

namespace {

std::string csv_field(const ordered_json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char ch : s) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    return q + "\"";
  }
  if (v.is_number_float()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", v.get<double>());
    return buf;
  }
  return v.dump();
}

void add_unique(std::vector<std::string>& v, const std::string& s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

}  // namespace

std::string sweep_csv(const ordered_json& sweep) {
  std::vector<std::string> keys, cols;
  for (const auto& p : sweep["points"]) {
    for (const auto& el : p["overrides"].items()) add_unique(keys, el.key());
    for (const auto& el : p["columns"].items()) add_unique(cols, el.key());
  }
  std::ostringstream o;
  o << "point,label,dir";
  for (const auto& k : keys) o << "," << csv_field(k);
  for (const auto& c : cols) o << "," << csv_field(c);
  o << "\n";
  for (const auto& p : sweep["points"]) {
    o << p["index"].get<int>() << "," << csv_field(p["label"]) << "," << csv_field(p["dir"]);
    for (const auto& k : keys) o << "," << (p["overrides"].contains(k) ? csv_field(p["overrides"][k]) : "");
    for (const auto& c : cols) o << "," << (p["columns"].contains(c) ? csv_field(p["columns"][c]) : "");
    o << "\n";
  }
  return o.str();
}

namespace {

// The integer value of `key` at a point: its last override (the point's own, then the
// sweep's --set), else the scenario file's value; nullopt when neither says.
std::optional<double> point_integer(const std::string& key, const std::vector<std::string>& sets,
                                    const std::vector<std::string>& point_sets, const toml::table* file) {
  for (const auto* list : {&point_sets, &sets})
    for (auto it = list->rbegin(); it != list->rend(); ++it)
      if (trim(set_key(*it)) == key) {
        try {
          const auto t = toml::parse("v = " + set_value(*it));
          if (const auto v = t["v"].value<std::int64_t>()) return static_cast<double>(*v);
        } catch (const toml::parse_error&) {
        }
        return std::nullopt;
      }
  if (file)
    if (const auto v = file->at_path(key).value<std::int64_t>()) return static_cast<double>(*v);
  return std::nullopt;
}

std::string count_text(double v) {
  char b[32];
  std::snprintf(b, sizeof b, v < 1e15 ? "%.0f" : "%.3g", v);
  return b;
}

}  // namespace

SweepPlan plan_sweep(const SweepOptions& o, const std::string& list_text, const std::string& scenario_text) {
  SweepPlan plan;
  if (!o.list.empty()) {
    plan.list = parse_sweep_list(list_text, o.list);
    if (plan.list.rows.empty()) throw InputError(o.list, "", "the list has no points");
  }
  for (const auto& g : o.grid) plan.grid.push_back(parse_grid_axis(g));
  if (plan.grid.empty() && plan.list.rows.empty())
    throw InputError("sgdnoise sweep", "", "give at least one --grid or a --list");
  for (const auto& t : o.trends) plan.list.trends.push_back(parse_trend(t));

  // Count before expanding: a 1000 x 1000 grid is refused at once, not validated for minutes.
  double count = plan.list.rows.empty() ? 1.0 : static_cast<double>(plan.list.rows.size());
  std::string factors = plan.list.rows.empty() ? "" : std::to_string(plan.list.rows.size()) + " list rows";
  for (const auto& a : plan.grid) {
    count *= static_cast<double>(a.values.size());
    factors += (factors.empty() ? "" : " x ") + std::to_string(a.values.size()) + " (" + a.key + ")";
  }
  const std::string allow = "; pass --allow-large to run it anyway";
  if (count > kMaxSweepPoints && !o.allow_large)
    throw InputError("sgdnoise sweep", "",
                     "the sweep has " + factors + " = " + count_text(count) + " points, more than the bound of " +
                         count_text(kMaxSweepPoints) + allow);
  plan.points = expand_points(plan.list.rows, plan.grid);

  std::set<std::string> seen;
  for (const auto& p : plan.points) {
    if (!seen.insert(p.label).second)
      throw InputError("sgdnoise sweep", "", "two points are labelled \"" + p.label + "\"");
    plan.labels.push_back(p.label);
  }
  for (const auto& t : plan.list.trends)
    for (const auto* group : {&t.lower, &t.higher})
      for (const auto& m : *group)
        if (!seen.count(m)) {
          std::string known;
          std::size_t shown = 0;
          for (const auto& l : plan.labels) {
            if (shown++ == 5) {
              known += ", ...";
              break;
            }
            known += (known.empty() ? "\"" : ", \"") + l + "\"";
          }
          throw InputError("trend \"" + t.text + "\"", "",
                           "no point is labelled \"" + m + "\" (the labels: " + known + ")");
        }

  // The cost: trajectories x steps per point, from the overrides or the scenario file.
  std::optional<toml::table> file;
  try {
    file = toml::parse(scenario_text, o.scenario);
  } catch (const toml::parse_error&) {
  }
  for (const auto& p : plan.points) {
    const auto n = point_integer("dynamics.trajectories", o.sets, p.sets, file ? &*file : nullptr);
    const auto k = point_integer("dynamics.steps", o.sets, p.sets, file ? &*file : nullptr);
    if (n && k && *n > 0 && *k > 0) plan.trajectory_steps += *n * *k;
  }
  if (plan.trajectory_steps > kMaxSweepTrajectorySteps && !o.allow_large)
    throw InputError(
        "sgdnoise sweep", "",
        "the sweep's " + count_text(static_cast<double>(plan.points.size())) + " points would take about " +
            format_g(plan.trajectory_steps, 3) +
            " trajectory-steps (points x dynamics.trajectories x dynamics.steps), more than the bound of " +
            format_g(kMaxSweepTrajectorySteps, 3) + allow);
  return plan;
}

std::uint64_t point_seed(std::uint64_t sweep_seed, const std::string& label) {
  std::uint64_t z = sweep_seed + fnv1a64(label) + 0x9e3779b97f4a7c15ULL;  // splitmix64's finaliser
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return z >> 1;  // 63 bits: a valid scenario seed
}

namespace {

// One point's row of sweep.json, its columns, and its failure (exit 3 or 1), all read from
// the summary.json it wrote: a point finished before an interruption and one finished now
// give the same bytes.
struct PointOutcome {
  ordered_json entry, columns;
  int status = 0;
  std::string failure;
};

PointOutcome point_outcome(std::size_t i, const SweepPoint& p, std::uint64_t seed, const std::string& dir,
                           const json& summary) {
  PointOutcome r;
  r.columns = summary_columns(summary);
  const std::string where = "point " + std::to_string(i) + " [" + p.label + "]: ";
  if (summary.value("status", std::string()) != "completed") {
    r.status = 3;
    r.failure = where + "run failed numerically: " + summary.value("failure", std::string());
  } else if (r.columns["checks_failed"].get<int>() > 0) {
    r.status = 1;
    r.failure = where + "checks failed: " + r.columns.value("failed_checks", std::string("?"));
  }
  ordered_json& pj = r.entry;
  pj["index"] = i;
  pj["label"] = p.label;
  pj["seed"] = seed;
  pj["dir"] = "points/" + dir;
  pj["overrides"] = ordered_json::object();
  for (const auto& s : p.sets) pj["overrides"][set_key(s)] = set_value(s);
  pj["checks"] = ordered_json::array();  // each check's outcome, as in the point's summary.json
  for (const auto& ch : summary.value("checks", json::array()))
    pj["checks"].push_back({{"result", ch.value("result", "?")},
                            {"k", ch.value("k", 0)},
                            {"passed", ch.value("passed", false)},
                            {"reason", ch.value("reason", "")}});
  pj["columns"] = r.columns;
  return r;
}

std::string seconds_text(double secs) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f s", secs);
  return b;
}

// The resumable state of a sweep begun (or resumed) now: with --resume the recorded plan,
// checked against this one, and its command; else a fresh OUT.partial/ with this plan.
std::string open_sweep_state(const SweepOptions& o, const std::string& out_dir, const ordered_json& plan_json) {
  namespace fs = std::filesystem;
  const fs::path state = sweep_state_dir(out_dir), plan_file = sweep_plan_path(out_dir);
  std::error_code ec;
  if (o.resume) {
    if (!fs::exists(plan_file, ec))
      throw InputError(
          plan_file.string(), "",
          "no interrupted sweep of " + out_dir + " to resume (its plan is missing); run it without --resume");
    json recorded;
    try {
      recorded = json::parse(read_file(plan_file));
    } catch (const json::parse_error& e) {
      throw InputError(plan_file.string(), "", std::string("corrupt sweep plan: ") + e.what());
    }
    check_same_plan(recorded, plan_json, plan_file);
    return recorded.value("command", o.command);
  }
  // The plan is written first: a state without one (a sweep killed as it began) holds no point.
  if (fs::exists(state, ec) && !fs::exists(plan_file, ec) && !has_checkpoint(out_dir)) discard_sweep_state(out_dir);
  if (fs::exists(state, ec)) {
    if (!o.force)
      throw InputError(state.string(), "",
                       fs::exists(plan_file, ec)
                           ? "holds the finished points of an interrupted sweep of this output: continue it with the "
                             "same command and --resume, or give --force to discard them and start again"
                           : "holds the checkpoint of an interrupted run of this output, or files sgdnoise did not "
                             "write: give --force to discard the checkpoint, or choose another --out");
    if (!discard_sweep_state(out_dir))
      throw InputError(state.string(), "", "holds files sgdnoise did not write; --force left them: move them away");
  }
  create_dirs(state);
  write_file_atomically(plan_file, plan_json.dump(2) + "\n");
  return o.command;
}

int points_at_once(const SweepOptions& o, std::size_t n, const std::function<double(std::size_t)>& point_bytes) {
  int k = o.parallel_points > 0 ? o.parallel_points : o.threads;
  k = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(std::max(1, std::min(k, o.threads))), n));
  if (o.parallel_points > 0 || k == 1 || o.memory_limit_bytes == 0.0) return std::max(k, 1);
  double need = 0.0;  // the largest point; one that cannot be estimated is refused by the validation
  for (std::size_t i = 0; i < n; ++i) {
    try {
      need = std::max(need, point_bytes(i));
    } catch (const InputError&) {
    }
  }
  const double budget = memory_budget(o.memory_limit_bytes);
  while (k > 1 && need * k > budget) --k;
  return k;
}

}  // namespace

int run_sweep(const SweepOptions& o, std::ostream& out, std::ostream& progress) {
  namespace fs = std::filesystem;
  const std::string list_text = o.list.empty() ? "" : read_input_file(o.list, "list file", kMaxTextInputBytes);
  const std::string scenario_text = read_input_file(o.scenario, "scenario file", kMaxTextInputBytes);
  if (o.parallel_points < 0) throw InputError("--parallel-points", "", "must be at least 0 (0: as many as --threads)");
  SweepPlan plan = plan_sweep(o, list_text, scenario_text);
  const std::vector<GridAxis>& grid = plan.grid;
  const SweepList& list = plan.list;
  const std::vector<SweepPoint>& points = plan.points;
  const std::vector<std::string>& labels = plan.labels;
  const std::size_t n = points.size();
  progress << "sweep: " << n << (n == 1 ? " point" : " points") << ", about " << count_text(plan.trajectory_steps)
           << " trajectory-steps; validating every point first\n";

  // The seed of each point: the sweep's (the scenario's, or --seed) for all, or one per point.
  const std::uint64_t sweep_seed = o.seed ? *o.seed : Scenario::load(o.scenario, o.sets).seed();
  auto seed_of = [&](std::size_t i) { return o.independent_seeds ? point_seed(sweep_seed, labels[i]) : sweep_seed; };
  auto scenario_of = [&](std::size_t i) {
    std::vector<std::string> sets = o.sets;
    sets.insert(sets.end(), points[i].sets.begin(), points[i].sets.end());
    return Scenario::load(o.scenario, sets, seed_of(i));
  };
  // K points at once share the threads and the memory; results depend on neither.
  // Under MPI the ranks share the points (below) and each rank runs its points one at a time.
  const ProcessGroup* world = o.group && o.group->size() > 1 ? o.group : nullptr;
  const bool writes = !world || world->rank() == 0;
  const int parallel =
      world ? 1 : points_at_once(o, n, [&](std::size_t i) { return estimate_memory(scenario_of(i), 1).bytes; });
  const int point_threads = std::max(1, o.threads / parallel);
  const double point_memory = parallel == 1 || o.memory_limit_bytes == 0.0
                                  ? o.memory_limit_bytes
                                  : memory_budget(o.memory_limit_bytes) / parallel;
  // Validate every point before running any, so a bad key or value costs nothing.
  auto load = [&](std::size_t i) {
    try {
      return build_experiment(scenario_of(i), point_threads, point_memory);
    } catch (const InputError& e) {
      throw InputError(e.where(), e.key(),
                       e.reason() + " (sweep point " + std::to_string(i) + ": " +
                           (points[i].label.empty() ? "no overrides" : points[i].label) +
                           (parallel > 1 ? "; " + std::to_string(parallel) + " points run at once" : "") + ")");
    }
  };
  std::string name;
  on_every_process(world, [&] {  // every rank validates; an error on one ends all
    for (std::size_t i = 0; i < n; ++i) {
      const Experiment ex = load(i);
      if (i == 0) name = ex.scenario.name();
    }
  });

  const std::string out_dir = o.out.empty() ? "runs/" + name + "-sweep" : o.out;
  // The output is checked before any point runs: its lock, then the directory and its state
  // (rank 0 alone; the others wait for its verdict).
  std::optional<OutputLock> lock;
  const fs::path state = sweep_state_dir(out_dir), points_dir = state / "points";
  std::optional<RunDirWriter> writer;
  std::string command;
  on_every_process(world, [&] {
    if (!writes) return;
    lock.emplace(out_dir, progress);
    if (const int removed = remove_stale_temporaries(out_dir); removed > 0)
      progress << "sweep: removed " << removed << " temporary file(s) left by an earlier, killed sweep of " << out_dir
               << "\n";
    writer.emplace(out_dir, o.force, state);  // refuses an existing directory before any work
    command = open_sweep_state(o, out_dir, sweep_plan_json(o, plan, scenario_text, sweep_seed));
    create_dirs(points_dir);
  });
  if (world) command = world->all_gather_strings(command).front();  // the plan's first command line

  std::vector<std::string> dirs(n);
  std::vector<std::size_t> todo;
  auto finished = [&](std::size_t i) { return fs::exists(points_dir / dirs[i] / "summary.json"); };
  for (std::size_t i = 0; i < n; ++i) {
    dirs[i] = point_dir_name(i, points[i]);
    if (!finished(i)) todo.push_back(i);
  }
  if (o.resume)
    progress << "sweep: resuming " << state.string() << ": " << n - todo.size() << " of " << n << " points finished\n";

  // Under MPI the ranks form min(P, points left) groups (color = rank mod groups); group g runs
  // the points todo[g], todo[g + groups], ..., each split across the group's ranks, and its
  // leader writes each of them (atomically, into OUT.partial/points/), as one process would.
  std::unique_ptr<ProcessGroup> point_group;
  std::size_t groups = 1, color = 0;
  if (world) {
    groups = std::max<std::size_t>(1, std::min<std::size_t>(static_cast<std::size_t>(world->size()), todo.size()));
    color = static_cast<std::size_t>(world->rank()) % groups;
    point_group = world->split(static_cast<int>(color));
  }
  // Each point is a run into OUT.partial/points/DIR (app/run_job.hpp): written atomically when
  // it ends, checkpointed while it runs, resumed from its checkpoint.
  std::mutex mu;  // guards progress and error
  std::exception_ptr error;
  std::atomic<bool> halt{false};  // a point was interrupted or failed: start no other
  std::atomic<std::size_t> next{color};
  auto run_point = [&](std::size_t i) {
    const fs::path run = points_dir / dirs[i];
    RunJobOptions job;
    job.out_dir = run.string();
    job.resume = has_checkpoint(run);
    job.save_states = o.save_states;
    job.checkpoint_every = o.checkpoint_every;
    job.threads = point_threads;
    job.memory_limit_bytes = point_memory;
    job.command = command;
    job.stop = o.stop;
    job.group = point_group.get();
    std::ostringstream log;
    job.log = &log;
    const auto t0 = std::chrono::steady_clock::now();
    std::optional<Experiment> fresh;
    if (!job.resume) fresh.emplace(load(i));
    const RunJobOutcome r = run_into_directory(std::move(fresh), job);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const std::lock_guard<std::mutex> g(mu);
    const std::string head = "sweep: point " + std::to_string(i + 1) + "/" + std::to_string(n) + " [" +
                             points[i].label + "]" + (job.resume ? " (resumed)" : "");
    if (point_group && point_group->rank() != 0) {  // its leader reports; the record is the same
      if (r.interrupted) halt = true;
      return;
    }
    if (r.interrupted) {
      halt = true;
      progress << head << " interrupted" << (r.resumable ? ", its checkpoint kept" : "") << "\n";
      return;
    }
    progress << log.str();
    const ordered_json c = summary_columns(r.summary);
    progress << head << " ... " << c["status"].get<std::string>() << ", checks "
             << (c["checks_total"].get<int>() == 0 ? "none" : (r.result.all_checks_passed() ? "pass" : "FAIL")) << ", "
             << seconds_text(secs) << "\n";
  };
  auto worker = [&] {
    for (;;) {
      bool stop_now = halt || (o.stop && o.stop->load());
      if (point_group) stop_now = point_group->any(stop_now);  // the group's ranks agree
      if (stop_now) return;
      const std::size_t t = world ? next.fetch_add(groups) : next++;
      if (t >= todo.size()) return;
      try {
        run_point(todo[t]);
      } catch (...) {
        const std::lock_guard<std::mutex> g(mu);
        if (!error) error = std::current_exception();
        halt = true;
      }
    }
  };
  const auto t_all = std::chrono::steady_clock::now();
  if (parallel == 1) {
    worker();
  } else {
    std::vector<std::thread> pool;
    for (int w = 0; w < parallel; ++w) pool.emplace_back(worker);
    for (auto& th : pool) th.join();
  }
  if (world) {  // wait for every group; a failure anywhere ends every rank with its error
    on_every_process(world, [&] {
      if (error) std::rethrow_exception(error);
    });
    if (world->any(halt) && !writes) return 130;
    if (!writes) return 0;
  }
  std::size_t done = 0;
  for (std::size_t i = 0; i < n; ++i) done += finished(i) ? 1 : 0;
  if (done < n) {
    progress << "sweep: " << (error ? "stopped" : "interrupted") << " with " << done << " of " << n
             << " points finished; they are kept, with any interrupted point's checkpoint, in " << state.string()
             << "; continue with the same command and --resume\n";
    if (error) std::rethrow_exception(error);
    return 130;
  }
  tidy_points_dir(points_dir, dirs);

  ordered_json sweep;
  sweep["sgdnoise"] = {{"version", kVersion}, {"git_hash", kGitHash}};
  sweep["scenario_file"] = o.scenario;
  sweep["command"] = command;
  sweep["threads"] = o.threads;
  if (o.seed) sweep["seed_override"] = *o.seed;
  sweep["sets"] = o.sets;
  sweep["list_file"] = o.list;
  ordered_json g = ordered_json::array();
  for (const auto& a : grid) g.push_back({{"key", a.key}, {"values", a.values}});
  sweep["grid"] = std::move(g);
  sweep["order"] =
      "list rows in file order, each crossed with the grid; grid axes nested in the order given (the first slowest)";
  sweep["execution"] = world ? std::to_string(world->size()) + " MPI ranks in " + std::to_string(groups) +
                                   " groups, each running its share of the points split across its ranks, " +
                                   std::to_string(o.threads) + " threads per rank (results depend on none of these)"
                       : parallel == 1
                           ? "points run one after another, each with all " + std::to_string(o.threads) +
                                 " threads (results do not depend on the thread count)"
                           : "points run " + std::to_string(parallel) + " at a time, each with " +
                                 std::to_string(point_threads) + " threads (results do not depend on either)";
  sweep["seeds"] = o.independent_seeds ? "independent: point seed = point_seed(" + std::to_string(sweep_seed) +
                                             ", label) (FNV-1a of the label, splitmix64 finaliser)"
                                       : "shared: every point uses seed " + std::to_string(sweep_seed);
  sweep["points"] = ordered_json::array();

  std::vector<ordered_json> columns;
  std::vector<std::string> failures;
  int status = 0;
  for (std::size_t i = 0; i < n; ++i) {
    PointOutcome po =
        point_outcome(i, points[i], seed_of(i), dirs[i], json::parse(read_file(points_dir / dirs[i] / "summary.json")));
    status = std::max(status, po.status);
    if (!po.failure.empty()) failures.push_back(po.failure);
    sweep["points"].push_back(std::move(po.entry));
    columns.push_back(std::move(po.columns));
  }
  ordered_json trends = ordered_json::array();
  for (const auto& t : list.trends) {
    const TrendOutcome to = evaluate_trend(t, labels, columns);
    trends.push_back({{"trend", t.text},
                      {"metric", t.metric},
                      {"lower", t.lower},
                      {"higher", t.higher},
                      {"rule", "every interval of the lower group lies wholly below every interval of the higher"},
                      {"passed", to.passed},
                      {"reason", to.reason}});
    if (!to.passed) {
      status = std::max(status, 1);
      failures.push_back("trend \"" + t.text + "\": " + to.reason);
    }
  }
  sweep["trends"] = std::move(trends);
  sweep["failures"] = failures;
  sweep["all_checks_passed"] = failures.empty();
  writer->write("sweep.json", sweep.dump(2) + "\n");
  writer->write("sweep.csv", sweep_csv(sweep));
  writer->commit();  // OUT.partial/ becomes OUT/; its plan goes last
  fs::remove(writer->dir() / "sweep-plan.json");
  sync_dir(writer->dir());
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_all).count();
  progress << "sweep: " << n << " points in " << static_cast<int>(std::round(secs)) << " s\n";

  out << "wrote " << writer->dir().string() << "/sweep.json and sweep.csv\n";
  char line[512];
  std::snprintf(line, sizeof line, "%4s  %-40s %-10s %s\n", "pt", "label", "status", "checks");
  out << line;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    const auto& c = columns[i];
    const int total = c["checks_total"].get<int>(), failed = c["checks_failed"].get<int>();
    const std::string ch =
        total == 0 ? "none"
                   : (failed ? "FAIL " : "pass ") + std::to_string(total - failed) + "/" + std::to_string(total);
    std::snprintf(line, sizeof line, "%4zu  %-40s %-10s %s\n", i, labels[i].c_str(),
                  c["status"].get<std::string>().c_str(), ch.c_str());
    out << line;
  }
  for (const auto& t : sweep["trends"])
    out << "trend " << t["trend"].get<std::string>() << ": " << (t["passed"].get<bool>() ? "pass" : "FAIL") << " ("
        << t["reason"].get<std::string>() << ")\n";
  for (const auto& f : failures) out << "    " << f << "\n";
  return status;
}

}  // namespace sgdnoise
