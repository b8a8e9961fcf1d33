#include "cli/cli.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <sstream>

#include "io/run_dir.hpp"
#include "io/summary.hpp"
#include "scenario/schema.hpp"
#include "sgdnoise/version.hpp"

namespace sgdnoise {

namespace {

enum Exit { kOk = 0, kCheckFailed = 1, kBadInput = 2, kNumericalFailure = 3 };

struct Common {
  std::optional<std::uint64_t> seed;
  int threads = 1;
  std::vector<std::string> sets;
};

void add_common(CLI::App* c, Common& o) {
  c->add_option("--seed", o.seed, "Override the scenario's seed");
  c->add_option("--threads", o.threads, "OpenMP threads (results do not depend on it)")->check(CLI::Range(1, 1024));
  c->add_option("--set", o.sets, "Override a scenario key: dotted.path=value (TOML syntax)");
}

// A progress line on stderr, only on a terminal and only once a run has taken two seconds.
ProgressFn progress_line(const std::string& name) {
  if (!::isatty(2)) return {};
  const auto t0 = std::chrono::steady_clock::now();
  return [t0, name, shown = std::make_shared<bool>(false)](std::int64_t k, std::int64_t steps) {
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (s < 2.0 && !*shown) return;
    *shown = true;
    const double frac = steps > 0 ? static_cast<double>(k) / static_cast<double>(steps) : 1.0;
    std::fprintf(stderr, "\r%s: step %lld/%lld (%.0f%%), %.1f s elapsed, ~%.0f s left   ", name.c_str(),
                 static_cast<long long>(k), static_cast<long long>(steps), 100.0 * frac, s,
                 frac > 0 ? s * (1.0 - frac) / frac : 0.0);
    if (k == steps) std::fprintf(stderr, "\n");
  };
}

std::string fmt_g(double v, int prec = 6) {
  std::ostringstream o;
  o.precision(prec);
  o << v;
  return o.str();
}

void print_checks(std::ostream& out, const std::string& scenario, const RunResult& r) {
  if (r.checks.empty()) {
    out << scenario << ": no checks\n";
    return;
  }
  char line[512];
  std::snprintf(line, sizeof line, "%-28s %-14s %7s %-28s %-32s %10s %7s %9s %s\n", "scenario", "result", "k",
                "measured (mean +- se, n)", "predicted (kind)", "allowance", "z", "P(false)", "verdict");
  out << line;
  for (const auto& c : r.checks) {
    const std::string meas = fmt_g(c.measured.value) + " +- " + fmt_g(c.measured.se, 2) + " (" +
                             std::to_string(c.measured.n) + ")";
    const std::string pred = c.predicted.available ? fmt_g(c.predicted.value) + " (" + c.prediction_kind + ")"
                                                   : "unavailable";
    std::snprintf(line, sizeof line, "%-28s %-14s %7lld %-28s %-32s %10s %7s %9.2g %s\n", scenario.c_str(),
                  c.result.c_str(), static_cast<long long>(c.k), meas.c_str(), pred.c_str(),
                  fmt_g(c.predicted.allowance, 2).c_str(), fmt_g(c.z, 3).c_str(), c.false_alarm,
                  c.passed ? "pass" : "FAIL");
    out << line;
    if (!c.passed) out << "    reason: " << c.reason << "\n";
  }
}

std::string command_line(int argc, char** argv) {
  std::string s;
  for (int i = 0; i < argc; ++i) s += (i ? " " : "") + std::string(argv[i]);
  return s;
}

int cmd_run(const std::string& file, const Common& o, std::string out_dir, bool force, bool save_states,
            const std::string& cmdline) {
  Experiment ex = build_experiment(Scenario::load(file, o.sets, o.seed), o.threads);
  if (out_dir.empty()) out_dir = "runs/" + ex.scenario.name();
  RunDirWriter writer(out_dir, force);  // refuses an existing directory before any work
  const RunResult r = run_experiment(ex, progress_line(ex.scenario.name()));
  writer.write("summary.json", summary_json(ex, r, {o.threads, cmdline}).dump(2) + "\n");
  writer.write("series.csv", series_csv(r));
  if (save_states) writer.write("final_states.npy", npy_bytes(r.record.final_state));
  writer.commit();
  std::cout << "wrote " << writer.dir().string() << "/summary.json\n";
  print_checks(std::cout, ex.scenario.name(), r);
  if (r.record.status != RunStatus::completed) {
    std::cerr << "sgdnoise: run failed numerically: " << r.record.failure << "\n";
    return kNumericalFailure;
  }
  return r.all_checks_passed() ? kOk : kCheckFailed;
}

int cmd_check(const std::vector<std::string>& files, const Common& o) {
  // Validate every scenario before running any, so bad input never costs a run.
  std::vector<Experiment> exps;
  for (const auto& f : files) exps.push_back(build_experiment(Scenario::load(f, o.sets, o.seed), o.threads));
  int status = kOk;
  for (const auto& ex : exps) {
    const RunResult r = run_experiment(ex, progress_line(ex.scenario.name()));
    print_checks(std::cout, ex.scenario.name(), r);
    if (r.record.status != RunStatus::completed) {
      std::cout << "    run failed numerically: " << r.record.failure << "\n";
      status = std::max<int>(status, kNumericalFailure);
    } else if (!r.all_checks_passed()) {
      status = std::max<int>(status, kCheckFailed);
    }
  }
  return status;
}

}  // namespace

int cli_main(int argc, char** argv) {
  CLI::App app{"sgdnoise: simulate SGD noise, check analytic predictions"};
  app.require_subcommand(0, 1);
  bool version = false;
  app.add_flag("--version", version, "Print the version and exit");

  Common run_opts;
  std::string run_file, out_dir;
  bool force = false, save_states = false;
  auto* run = app.add_subcommand("run", "Run a scenario and write a run directory");
  run->add_option("scenario", run_file, "Scenario file (TOML)")->required();
  run->add_option("--out", out_dir, "Run directory (default runs/<scenario name>)");
  run->add_flag("--force", force, "Replace an existing run directory");
  run->add_flag("--save-states", save_states, "Also write the final states as final_states.npy (N x d)");
  add_common(run, run_opts);

  Common check_opts;
  std::vector<std::string> check_files;
  auto* check = app.add_subcommand("check", "Run scenarios and compare their results with predictions");
  check->add_option("scenarios", check_files, "Scenario files")->required();
  add_common(check, check_opts);

  bool markdown = false;
  auto* list = app.add_subcommand("list", "List every scenario section, kind and parameter");
  list->add_flag("--markdown", markdown, "Print the scenario documentation as Markdown");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kBadInput;
  }
  try {
    if (version) {
      std::cout << "sgdnoise " << kVersion << " (" << kGitHash << ")\n";
      return kOk;
    }
    if (*run) return cmd_run(run_file, run_opts, out_dir, force, save_states, command_line(argc, argv));
    if (*check) return cmd_check(check_files, check_opts);
    if (*list) {
      std::cout << (markdown ? schema_markdown() : schema_listing());
      return kOk;
    }
    std::cout << app.help();
    return kBadInput;
  } catch (const InputError& e) {
    std::cerr << "sgdnoise: error: " << e.what() << "\n";
    return kBadInput;
  } catch (const std::exception& e) {
    std::cerr << "sgdnoise: error: " << e.what() << "\n";
    return kNumericalFailure;
  }
}

}  // namespace sgdnoise
