#include "fuzz_targets.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "cli/cli.hpp"
#include "io/checkpoint.hpp"
#include "core/matrix_file.hpp"
#include "scenario/experiment.hpp"
#include "app/sweep.hpp"

namespace sgdnoise::fuzz {

namespace {

constexpr double kMemoryLimit = 64e6;  // sizes from the input are refused before allocation

const char* kQuadratic = R"(name = "fuzz"
seed = 3
[loss]
kind = "quadratic"
dim = 2
eigenvalues = [1.0, 0.5]
[noise]
kind = "isotropic"
variance = 1.0
[dynamics]
kind = "discrete"
eta = 0.1
steps = 10
trajectories = 16
)";

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    out.push_back(line);
  }
  return out;
}

// A TOML string holding a path (literal when it has no single quote).
std::string toml_string(const std::string& s) {
  if (s.find('\'') == std::string::npos && s.find('\n') == std::string::npos) return "'" + s + "'";
  std::string q = "\"";
  for (const char c : s) q += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
  return q + "\"";
}

void scenario_mode(const std::string& path) {
  std::string text = read_all(path), sets_text;
  if (const auto at = text.find("\n%%sets\n"); at != std::string::npos) {
    sets_text = text.substr(at + 8);
    text.resize(at + 1);
  }
  std::vector<std::string> sets;
  for (const auto& line : lines_of(sets_text))
    if (!line.empty()) sets.push_back(line);
  (void)build_experiment(Scenario::parse(text, "fuzz.toml", sets), 1, kMemoryLimit);
}

void sweep_mode(const std::string& path) {
  SweepOptions o;
  o.scenario = "fuzz.toml";
  std::string list_text;
  for (const auto& line : lines_of(read_all(path))) {
    if (line.rfind("grid ", 0) == 0) {
      o.grid.push_back(line.substr(5));
    } else if (line.rfind("--trend ", 0) == 0) {
      o.trends.push_back(line.substr(8));
    } else if (line.rfind("set ", 0) == 0) {
      o.sets.push_back(line.substr(4));
    } else {
      list_text += line + "\n";
    }
  }
  if (list_text.find_first_not_of(" \t\r\n") != std::string::npos) o.list = "fuzz.sweep";
  const SweepPlan plan = plan_sweep(o, list_text, kQuadratic);
  std::vector<nlohmann::ordered_json> columns;
  for (std::size_t i = 0; i < plan.points.size(); ++i) {
    (void)point_dir_name(i, plan.points[i]);
    nlohmann::ordered_json c;
    c["loss_mean_lo"] = static_cast<double>(i);
    c["loss_mean_hi"] = static_cast<double>(i) + 0.5;
    columns.push_back(std::move(c));
  }
  for (const auto& t : plan.list.trends) (void)evaluate_trend(t, plan.labels, columns);
  for (std::size_t i = 0; i < plan.points.size() && i < 3; ++i) {
    std::vector<std::string> sets = o.sets;
    sets.insert(sets.end(), plan.points[i].sets.begin(), plan.points[i].sets.end());
    (void)build_experiment(Scenario::parse(kQuadratic, "fuzz.toml", sets), 1, kMemoryLimit);
  }
}

void matrix_mode(const std::string& path) {
  const Mat m = read_matrix_csv(path);
  if (m.cols() < 2 || m.cols() > 64 || m.rows() > 10000) return;
  const std::string base = R"(name = "fuzz"
[noise]
kind = "isotropic"
variance = 1.0
[dynamics]
kind = "discrete"
eta = 0.1
steps = 2
trajectories = 4
start_at = "minimum"
)";
  // As least-squares data (d features, then the label); the minimizer may not exist.
  try {
    (void)build_experiment(
        Scenario::parse(base + "[loss]\nkind = \"least_squares\"\ndim = " + std::to_string(m.cols() - 1) +
                            "\ndata_file = " + toml_string(path) + "\n",
                        "fuzz.toml"),
        1, kMemoryLimit);
  } catch (const InputError&) {
  }
  if (m.rows() != m.cols()) return;
  // As a Hessian file.
  (void)build_experiment(Scenario::parse(base + "[loss]\nkind = \"quadratic\"\ndim = " + std::to_string(m.cols()) +
                                             "\nspectrum = \"file\"\nhessian_file = " + toml_string(path) + "\n",
                                         "fuzz.toml"),
                         1, kMemoryLimit);
}

void checkpoint_mode(const std::string& path) {
  const Checkpoint c = parse_checkpoint(read_all(path), "fuzz.ckpt");
  (void)build_experiment(Scenario::parse(c.scenario_toml, "fuzz.ckpt (scenario)"), 1, kMemoryLimit);
}

void cli_mode(const std::string& path) {
  std::vector<std::string> args = lines_of(read_all(path));
  while (!args.empty() && args.back().empty()) args.pop_back();
  (void)cli_parse_only(args);
}

}  // namespace

const std::vector<std::string>& modes() {
  static const std::vector<std::string> m = {"scenario", "sweep", "matrix", "checkpoint", "cli"};
  return m;
}

void fuzz_one(const std::string& mode, const std::string& path) {
  try {
    if (mode == "scenario") return scenario_mode(path);
    if (mode == "sweep") return sweep_mode(path);
    if (mode == "matrix") return matrix_mode(path);
    if (mode == "checkpoint") return checkpoint_mode(path);
    if (mode == "cli") return cli_mode(path);
  } catch (const InputError&) {
    return;  // a clear refusal is the expected answer to bad input
  }
  throw std::invalid_argument("unknown fuzz mode \"" + mode + "\"");
}

}  // namespace sgdnoise::fuzz
