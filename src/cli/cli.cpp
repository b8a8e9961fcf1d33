#include "cli/cli.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <future>
#include <sstream>
#include <system_error>
#include <thread>

#include "cli/cli_checks.hpp"
#include "cli/batch_penalty_cmd.hpp"
#include "cli/bench_cmd.hpp"
#include "cli/figures_cmd.hpp"
#include "cli/fp_cmd.hpp"
#include "cli/indicators_command.hpp"
#include "core/errors.hpp"
#include "core/process_group.hpp"
#include "io/checkpoint.hpp"
#include "io/durable.hpp"
#include "io/output_lock.hpp"
#include "io/run_dir.hpp"
#include "io/summary.hpp"
#include "scenario/schema.hpp"
#include "app/run_job.hpp"
#include "app/sweep.hpp"
#include "core/openmp_env.hpp"
#include "core/version.hpp"

namespace sgdnoise {

namespace {

// docs/conventions.md, exit codes; 128 + the signal for an interrupted run.
enum Exit { kOk = 0, kCheckFailed = 1, kBadInput = 2, kNumericalFailure = 3, kIoFailure = 4 };

struct Common {
  std::optional<std::uint64_t> seed;
  int threads = 1;
  std::vector<std::string> sets;
  double memory_limit_gb = -1.0;  // < 0: the available memory; 0: no check
  double memory_limit_bytes() const { return memory_limit_gb > 0.0 ? memory_limit_gb * 1e9 : memory_limit_gb; }
};

void add_common(CLI::App* c, Common& o) {
  c->add_option("--seed", o.seed, "Override the scenario's seed (0 to 2^63-1)")->check(seed_range());
  c->add_option("--threads", o.threads, "OpenMP threads (results do not depend on it)")->check(CLI::Range(1, 1024));
  c->add_option("--set", o.sets, "Override a scenario key: dotted.path=value (TOML syntax)");
  c->add_option("--memory-limit", o.memory_limit_gb,
                "Memory a run may use, in GB (default: the available memory; 0: no check)")
      ->check(finite_at_least(0.0));
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
  // z: against the requested prediction; z-allow: after the allowance (the exact difference
  // between the requested prediction and the simulated scheme's own); "by" says which decided.
  char line[640];
  std::snprintf(line, sizeof line, "%-28s %-14s %7s %-28s %-32s %10s %7s %7s %-7s %9s %s\n", "scenario", "result", "k",
                "measured (mean +- se, n)", "predicted (kind)", "allowance", "z", "z-allow", "by", "P(false)",
                "verdict");
  out << line;
  for (const auto& c : r.checks) {
    const bool compared = c.status != CheckStatus::unavailable;
    const std::string meas = c.measured.n == 0 ? "unavailable"
                                               : fmt_g(c.measured.value) + " +- " + fmt_g(c.measured.se, 2) + " (" +
                                                     std::to_string(c.measured.n) + ")";
    const std::string pred =
        c.predicted.available ? fmt_g(c.predicted.value) + " (" + c.prediction_kind + ")" : "unavailable";
    const bool allowance = c.predicted.allowance > 0.0;
    std::snprintf(line, sizeof line, "%-28s %-14s %7lld %-28s %-32s %10s %7s %7s %-7s %9.2g %s\n", scenario.c_str(),
                  c.result.c_str(), static_cast<long long>(c.k), meas.c_str(), pred.c_str(),
                  c.predicted.available ? fmt_g(c.predicted.allowance, 2).c_str() : "-",
                  compared ? fmt_g(c.z, 3).c_str() : "-",
                  compared && allowance ? fmt_g(c.z_after_allowance, 3).c_str() : "-",
                  !compared ? "-" : (allowance ? "z-allow" : "z"), c.false_alarm,
                  c.passed ? "pass" : (compared ? "FAIL" : "FAIL (unavailable)"));
    out << line;
    if (!c.passed) out << "    reason: " << c.reason << "\n";
    if (c.passed_by_allowance())
      out << "    note: |z| = " << fmt_g(std::abs(c.z), 3) << " > " << fmt_g(c.sigmas, 3) << " against the "
          << c.prediction_kind << " prediction; passed after its allowance (z-allow = " << fmt_g(c.z_after_allowance, 3)
          << ")\n";
  }
}

std::string command_line(int argc, char** argv) {
  std::string s;
  for (int i = 0; i < argc; ++i) {
    if (i > 0) s += ' ';
    s += argv[i];
  }
  return s;
}

// Set by SIGINT/SIGTERM: the run stops after its next observation, writes a
// checkpoint and an incomplete summary, and exits with 128 + the signal.
std::atomic<bool> g_stop{false};
volatile std::sig_atomic_t g_signal = 0;
const ProcessGroup* g_group = nullptr;  // the MPI ranks under mpirun (cli_main), else null
extern "C" void on_stop_signal(int sig) {
  g_signal = sig;
  g_stop.store(true);
}

// --threads within a sane bound, and startable: OpenMP cannot report a thread it fails to
// start (libgomp aborts the process), so they are started once here first.
void check_threads(int threads) {
  const int hw = static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
  const int bound = std::max(64, 4 * hw);
  if (threads > bound)
    throw InputError("--threads", "",
                     std::to_string(threads) + " is more than " + std::to_string(bound) + " (4 x the " +
                         std::to_string(hw) +
                         " hardware threads of this machine, at least 64): more threads only slow a run down");
  std::promise<void> go;
  const std::shared_future<void> started = go.get_future().share();
  std::vector<std::thread> pool;
  std::string failure;
  try {
    for (int i = 1; i < threads; ++i) pool.emplace_back([started] { started.wait(); });
  } catch (const std::system_error& e) {
    failure = e.what();
  }
  go.set_value();
  for (auto& t : pool) t.join();
  if (!failure.empty())
    throw InputError("--threads", "",
                     "cannot start " + std::to_string(threads) + " threads (" + failure +
                         "; a limit on processes or memory): give fewer");
}

struct RunOptions {
  std::string file, out_dir, resume;
  bool force = false, save_states = false;
  double checkpoint_every = 60.0;  // seconds; 0: at every observation
};

int cmd_run(const RunOptions& ro, const Common& o, const std::string& cmdline) {
  // Signals are caught from the start: a SIGINT while a large experiment is still being built
  // stops the run at its first observation, with a checkpoint, instead of killing it.
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  const bool resuming = !ro.resume.empty();
  std::optional<Experiment> fresh;
  RunJobOptions job;
  job.group = g_group;
  job.out_dir = ro.out_dir;
  if (resuming) {
    if (!o.sets.empty() || o.seed)
      throw InputError("--resume", "",
                       "a resumed run continues its checkpointed scenario: --set and --seed are not allowed");
    job.out_dir = ro.resume;
  } else {
    // Bad input costs nothing and creates nothing: the scenario is validated first (on every
    // rank: an input only one rank cannot read ends them all with its error).
    on_every_process(g_group, [&] {
      fresh.emplace(build_experiment(Scenario::load(ro.file, o.sets, o.seed), o.threads, o.memory_limit_bytes()));
    });
    if (job.out_dir.empty()) job.out_dir = "runs/" + fresh->scenario.name();
  }
  job.resume = resuming;
  job.force = ro.force;
  job.save_states = ro.save_states;
  job.checkpoint_every = ro.checkpoint_every;
  job.threads = o.threads;
  job.memory_limit_bytes = o.memory_limit_bytes();
  job.command = cmdline;
  job.progress = progress_line(fresh ? fresh->scenario.name() : job.out_dir);
  job.stop = &g_stop;
  const RunJobOutcome out = run_into_directory(std::move(fresh), job);
  // The other ranks computed the same record; rank 0 reports it and gives the exit code.
  if (g_group && g_group->rank() != 0) return kOk;
  // Exit 128 + the signal whatever the disk said.
  if (out.interrupted) return 128 + static_cast<int>(g_signal == 0 ? SIGTERM : g_signal);
  const RunResult& r = out.result;
  std::cout << "wrote " << out.dir.string() << "/summary.json\n";
  print_checks(std::cout, out.experiment.scenario.name(), r);
  if (r.record.status != RunStatus::completed) {
    std::cerr << "sgdnoise: run failed numerically: " << r.record.failure << "\n";
    return kNumericalFailure;
  }
  return r.all_checks_passed() ? kOk : kCheckFailed;
}

int cmd_check(const std::vector<std::string>& files, const Common& o) {
  // Validate every scenario before running any, so bad input never costs a run.
  std::vector<Experiment> exps;
  for (const auto& f : files)
    exps.push_back(build_experiment(Scenario::load(f, o.sets, o.seed), o.threads, o.memory_limit_bytes()));
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

// The command line: every subcommand, its options and where they are stored. Parsing is
// separate from running so that the fuzz harness (tests/fuzz) can parse without running.
struct Cli {
  CLI::App app{"sgdnoise: simulate SGD noise, check analytic predictions"};
  bool version = false;
  Common run_opts, check_opts, sweep_opts, ind_opts, bp_opts, fp_opts;
  RunOptions ro;
  std::vector<std::string> check_files;
  SweepOptions so;
  std::string seeds_mode = "shared";
  IndicatorsCommand ind_cmd;
  BatchPenaltyCommand bp_cmd;
  FpCommand fp_cmd;
  bool markdown = false;
  BenchOptions bench_opts;
  FiguresOptions fig_opts;
  CLI::App *run = nullptr, *check = nullptr, *sweep = nullptr, *indicators = nullptr, *batch_pen = nullptr,
           *fp = nullptr, *list = nullptr, *bench = nullptr, *figures = nullptr;

  Cli() {
    app.require_subcommand(0, 1);
    app.add_flag("--version", version, "Print the version and exit");

    run = app.add_subcommand("run", "Run a scenario and write a run directory");
    auto* scen = run->add_option("scenario", ro.file, "Scenario file (TOML)");
    auto* res = run->add_option(
        "--resume", ro.resume, "Continue the interrupted run of this run directory from its checkpoint (DIR.partial/)");
    scen->excludes(res);
    run->add_option("--out", ro.out_dir, "Run directory (default runs/<scenario name>)")->excludes(res);
    run->add_flag("--force", ro.force, "Replace an existing run directory");
    run->add_flag("--save-states", ro.save_states, "Also write the final states as final_states.npy (N x d)");
    run->add_option("--checkpoint-every", ro.checkpoint_every,
                    "Seconds between checkpoints in DIR.partial/ (0: at every observation; default 60)")
        ->check(finite_at_least(0.0));
    add_common(run, run_opts);

    check = app.add_subcommand("check", "Run scenarios and compare their results with predictions");
    check->add_option("scenarios", check_files, "Scenario files")->required();
    add_common(check, check_opts);

    sweep = app.add_subcommand("sweep", "Run a scenario over a grid or list of overrides; aggregate the results");
    sweep->add_option("scenario", so.scenario, "Scenario file (TOML)")->required();
    sweep->add_option("--grid", so.grid, "A grid axis key=v1,v2,... (repeatable; product, the first axis slowest)");
    sweep->add_option("--list", so.list, "File of points, one per line: [LABEL:] key=value ...; `trend` lines");
    sweep->add_option("--trend", so.trends, "METRIC: A,B < C,D (point labels; intervals must not overlap)");
    sweep->add_option("--out", so.out, "Sweep directory (default runs/<scenario name>-sweep)");
    sweep->add_flag("--force", so.force, "Replace an existing sweep directory");
    sweep
        ->add_option("--seeds", seeds_mode,
                     "shared: every point runs with the scenario's seed (or --seed); independent: each point "
                     "with its own, derived from that seed and the point's label")
        ->check(CLI::IsMember({"shared", "independent"}));
    sweep->add_flag("--save-states", so.save_states, "Write each point's final states as final_states.npy");
    sweep->add_flag("--allow-large", so.allow_large,
                    "Run a sweep past the size bound (10000 points, 1e11 trajectory-steps in all)");
    sweep->add_flag("--resume", so.resume,
                    "Continue the interrupted sweep of --out (OUT.partial/): give the same command and --resume");
    sweep
        ->add_option("--parallel-points", so.parallel_points,
                     "Points run at once (at most --threads), each with threads / K threads (default 0: as many as "
                     "--threads, each with one)")
        ->check(CLI::Range(0, 1024));
    sweep
        ->add_option("--checkpoint-every", so.checkpoint_every,
                     "Seconds between a point's checkpoints (0: at every observation; default 60)")
        ->check(finite_at_least(0.0));
    add_common(sweep, sweep_opts);

    indicators = add_indicators_subcommand(app, ind_cmd);
    add_common(indicators, ind_opts);

    batch_pen = add_batch_penalty_subcommand(app, bp_cmd);
    add_common(batch_pen, bp_opts);

    fp = add_fp_subcommand(app, fp_cmd);
    add_common(fp, fp_opts);

    list = app.add_subcommand("list", "List every scenario section, kind and parameter");
    list->add_flag("--markdown", markdown, "Print the scenario documentation as Markdown");

    bench = add_bench_command(app, bench_opts);

    figures = add_figures_command(app, fig_opts);
  }

  /// Parses argv: -1 when a command is to run, else the exit code (help, a usage error).
  int parse(int argc, char** argv) {
    try {
      app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
      return app.exit(e);
    } catch (const CLI::ParseError& e) {
      app.exit(e);
      return kBadInput;
    }
    return -1;
  }
};

}  // namespace

int cli_parse_only(const std::vector<std::string>& args) {
  auto cli = std::make_unique<Cli>();
  std::vector<std::string> storage{"sgdnoise"};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : storage) argv.push_back(a.data());
  return cli->parse(static_cast<int>(argv.size()), argv.data());
}

int cli_main(int argc, char** argv, const ProcessGroup* group) {
  auto cli = std::make_unique<Cli>();
  g_group = group && group->size() > 1 ? group : nullptr;
  if (g_group && g_group->rank() != 0) {  // rank 0 alone prints (help, warnings, errors)
    std::cout.setstate(std::ios::badbit);
    std::cerr.setstate(std::ios::badbit);
  }
  if (const int rc = cli->parse(argc, argv); rc >= 0) return rc;
  Cli& c = *cli;
  CLI::App& app = c.app;
  const bool version = c.version, markdown = c.markdown;
  RunOptions& ro = c.ro;
  SweepOptions& so = c.so;
  IndicatorsCommand& ind_cmd = c.ind_cmd;
  BatchPenaltyCommand& bp_cmd = c.bp_cmd;
  FpCommand& fp_cmd = c.fp_cmd;
  const Common &run_opts = c.run_opts, &check_opts = c.check_opts, &sweep_opts = c.sweep_opts, &ind_opts = c.ind_opts,
               &bp_opts = c.bp_opts, &fp_opts = c.fp_opts;
  const std::vector<std::string>& check_files = c.check_files;
  BenchOptions& bench_opts = c.bench_opts;
  FiguresOptions& fig_opts = c.fig_opts;
  CLI::App *run = c.run, *check = c.check, *sweep = c.sweep, *indicators = c.indicators, *batch_pen = c.batch_pen,
           *fp = c.fp, *list = c.list, *bench = c.bench, *figures = c.figures;
  for (const int t :
       {run_opts.threads, check_opts.threads, ind_opts.threads, bp_opts.threads, fp_opts.threads, sweep_opts.threads})
    if (t > 1) {
      if (const std::string w = thread_count_warning(t); !w.empty()) std::cerr << w << "\n";
      break;
    }
  try {
    for (const auto& [cmd, opts] :
         {std::pair{run, &run_opts}, std::pair{check, &check_opts}, std::pair{sweep, &sweep_opts},
          std::pair{indicators, &ind_opts}, std::pair{batch_pen, &bp_opts}, std::pair{fp, &fp_opts}})
      if (*cmd) check_threads(opts->threads);
    if (version) {
      std::cout << "sgdnoise " << kVersion << " (" << kGitHash << ")\n";
      return kOk;
    }
    if (g_group && !*run && !*sweep)
      throw InputError("mpirun", "",
                       "only `sgdnoise run` and `sgdnoise sweep` share their work across MPI ranks; run this command "
                       "without mpirun (docs/scaling.md)");
    if (*run) {
      if (ro.file.empty() && ro.resume.empty())
        throw InputError("sgdnoise run", "", "give a scenario file or --resume DIR");
      return cmd_run(ro, run_opts, command_line(argc, argv));
    }
    if (*check) return cmd_check(check_files, check_opts);
    if (*indicators)
      return run_indicators_command(
          ind_cmd, build_experiment(Scenario::load(ind_cmd.file, ind_opts.sets, ind_opts.seed), ind_opts.threads,
                                    ind_opts.memory_limit_bytes()));
    if (*batch_pen)
      return run_batch_penalty_command(bp_cmd, build_experiment(Scenario::load(bp_cmd.file, bp_opts.sets, bp_opts.seed),
                                                                bp_opts.threads, bp_opts.memory_limit_bytes()));
    if (*fp) {
      fp_cmd.memory_limit_bytes = fp_opts.memory_limit_bytes();
      return run_fp_command(fp_cmd, build_experiment(Scenario::load(fp_cmd.file, fp_opts.sets, fp_opts.seed),
                                                     fp_opts.threads, fp_opts.memory_limit_bytes()));
    }
    if (*bench) return cmd_bench(bench_opts);
    if (*figures) return cmd_figures(fig_opts);
    if (*sweep) {
      so.threads = sweep_opts.threads;
      so.seed = sweep_opts.seed;
      so.independent_seeds = c.seeds_mode == "independent";
      so.sets = sweep_opts.sets;
      so.memory_limit_bytes = sweep_opts.memory_limit_bytes();
      so.command = command_line(argc, argv);
      so.stop = &g_stop;
      so.group = g_group;
      std::signal(SIGINT, on_stop_signal);
      std::signal(SIGTERM, on_stop_signal);
      const int code = run_sweep(so, std::cout, std::cerr);
      if (g_group && g_group->rank() != 0) return kOk;  // rank 0 reports and gives the exit code
      // Interrupted: 128 + the signal; a signal after the last point leaves a finished sweep.
      return code == 130 && g_signal != 0 ? 128 + static_cast<int>(g_signal) : code;
    }
    if (*list) {
      std::cout << (markdown ? schema_markdown() : schema_listing());
      return kOk;
    }
    std::cout << app.help();
    return kBadInput;
  } catch (const InputError& e) {
    std::cerr << "sgdnoise: error: " << e.what() << "\n";
    return kBadInput;
  } catch (const IoError& e) {
    std::cerr << "sgdnoise: error: " << e.what() << "\n";
    return kIoFailure;
  } catch (const std::filesystem::filesystem_error& e) {
    std::cerr << "sgdnoise: error: an output could not be written or read: " << e.path1().string() << ": "
              << e.code().message() << "\n";
    return kIoFailure;
  } catch (const std::ios_base::failure& e) {
    std::cerr << "sgdnoise: error: an output could not be written or read: " << e.what() << "\n";
    return kIoFailure;
  } catch (const std::bad_alloc&) {
    std::cerr << "sgdnoise: error: the run failed: out of memory (fewer trajectories, or see --memory-limit)\n";
    return kNumericalFailure;
  } catch (const std::system_error& e) {
    std::cerr << "sgdnoise: error: the run failed: the system refused a resource: " << e.what() << "\n";
    return kNumericalFailure;
  } catch (const std::exception& e) {
    std::cerr << "sgdnoise: error: the run failed: " << e.what() << "\n";
    return kNumericalFailure;
  } catch (...) {
    std::cerr << "sgdnoise: error: the run failed: unknown exception\n";
    return kNumericalFailure;
  }
}

}  // namespace sgdnoise
