#include "cli/bench_cmd.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/cli_checks.hpp"
#include "core/rng.hpp"
#include "io/durable.hpp"
#include "io/summary.hpp"
#include "app/benchmark.hpp"
#include "scenario/scenario.hpp"
#include "core/version.hpp"

namespace sgdnoise {

namespace {

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) {
      const auto c = line.find(':');
      return c == std::string::npos ? line : line.substr(c + 2);
    }
  return "unknown";
}

// The options this translation unit was compiled with, as the compiler reports them.
std::string build_flags() {
  std::string f;
#ifdef __OPTIMIZE__
  f += "optimized";
#else
  f += "unoptimized";
#endif
#ifdef NDEBUG
  f += " NDEBUG";
#endif
#ifdef __FAST_MATH__
  f += " fast-math";
#endif
#if defined(__AVX512F__)
  f += " isa=avx512";
#elif defined(__AVX2__)
  f += " isa=avx2";
#elif defined(__SSE2__)
  f += " isa=sse2 (normal kernels chosen at run time)";
#endif
#ifdef _OPENMP
  f += " openmp=" + std::to_string(_OPENMP);
#endif
  return f;
}

}  // namespace

CLI::App* add_bench_command(CLI::App& app, BenchOptions& o) {
  auto* b = app.add_subcommand("bench", "Time the peer workloads W1-W4 through the library's own code path");
  b->add_flag("--json", o.json, "Print one JSON object");
  b->add_option("--threads", o.threads, "OpenMP threads")->check(CLI::Range(1, 1024));
  b->add_option("--processes", o.processes,
                "Run each workload in P processes of 1 thread each, timed side by side: the bound of thread scaling")
      ->check(CLI::Range(1, 1024));
  b->add_option("--only", o.only, "Workloads to run (names as listed by --list; prefixes match)");
  b->add_flag("--quick", o.quick, "Small sizes (a shape check, not a measurement)");
  b->add_flag("--list", o.list, "List the workloads and exit");
  b->add_option("--trajectories", o.trajectories, "Override N")->transform(count_at_least(0));
  b->add_option("--dim", o.dim, "Override d (W1, W2, W3)")->transform(count_at_least(0));
  b->add_option("--steps", o.steps, "Override the steps (W4: the cap)")->transform(count_at_least(0));
  b->add_option("--write-operator", o.write_operator,
                "Write the spectra workload's X (n x d, .npy) for bench/eigsh_peer.py, then run as asked");
  return b;
}

int cmd_bench(const BenchOptions& o) {
  const BenchSizes sizes{o.trajectories, o.dim, o.steps};
  // Workloads keep their listed names under size overrides (w1_d100 with --dim 25 is still
  // "w1_d100"), so --only and the JSON name the same thing whatever the sizes.
  std::vector<BenchWorkload> all = bench_workloads(o.quick, sizes), chosen;
  const std::vector<BenchWorkload> listed = bench_workloads(o.quick, BenchSizes{});
  for (std::size_t i = 0; i < all.size(); ++i) {
    const std::string& name = listed.at(i).name;
    const bool want = o.only.empty() || std::any_of(o.only.begin(), o.only.end(),
                                                    [&](const std::string& p) { return name.rfind(p, 0) == 0; });
    if (want) {
      chosen.push_back(all[i]);
      chosen.back().name = name;
    }
  }
  if (chosen.empty()) throw InputError("--only", "", "no workload matches (see sgdnoise bench --list)");
  if (o.processes > 1 && o.threads > 1)
    throw InputError("--processes", "", "each process runs one thread: give --processes or --threads, not both");
  if (o.processes > 1)
    for (const auto& w : chosen)
      if (w.loaded) throw InputError("--processes", "", w.name + " times its own processes: leave it out (--only)");
  if (o.list) {
    for (const auto& w : chosen)
      std::printf("%-13s N=%-7lld d=%-4lld %s (peer: %s)\n", w.name.c_str(), static_cast<long long>(w.trajectories),
                  static_cast<long long>(w.dim), w.title.c_str(), w.peer.c_str());
    return 0;
  }
  if (!o.write_operator.empty()) {
    const std::filesystem::path parent = std::filesystem::absolute(o.write_operator).parent_path();
    if (!std::filesystem::is_directory(parent))
      throw InputError("--write-operator", "", "directory " + parent.string() + " does not exist");
    const auto sp = std::find_if(all.begin(), all.end(), [](const BenchWorkload& w) { return w.name == "spectra"; });
    write_file_atomically(o.write_operator, npy_bytes(spectra_bench_features(*sp)));
  }
  const auto kernels = normal_kernels();
  nlohmann::json meta = {{"version", kVersion},
                         {"git", kGitHash},
                         {"compiler", __VERSION__},
                         {"build_flags", build_flags()},
                         {"normal_kernel", kernels.front()},
                         {"normal_kernels", kernels},
                         {"threads", o.threads},
                         {"processes", o.processes},
                         {"cpu", cpu_model()},
                         {"quick", o.quick}};
  if (!o.json) {
    std::printf("sgdnoise %s (%s), %s, compiler %s\n", kVersion, kGitHash, build_flags().c_str(), __VERSION__);
    std::printf("cpu %s, threads %d, processes %d, normal kernel %s\n", cpu_model().c_str(), o.threads, o.processes,
                kernels.front().c_str());
    std::printf("%-13s %8s %5s %7s %9s %14s %14s %s\n", "workload", "N", "d", "steps", "seconds", "traj_steps/s",
                "normals/s", "check");
    std::fflush(stdout);
  }
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& w : chosen) {
    const BenchMeasurement m =
        o.processes > 1 ? run_bench_workload_in_processes(w, o.processes) : run_bench_workload(w, o.threads);
    rows.push_back({{"workload", m.name},
                    {"title", w.title},
                    {"peer", w.peer},
                    {"N", m.trajectories},
                    {"d", m.dim},
                    {"steps", m.steps},
                    {"seconds", m.seconds},
                    {"traj_steps", m.traj_steps},
                    {"executed_traj_steps", m.executed_traj_steps},
                    {"traj_steps_per_s", m.traj_steps_per_s},
                    {"normals_per_traj_step", w.normals_per_step},
                    {"normals_per_s", m.normals_per_s},
                    {"threads", m.threads},
                    {"processes", m.processes},
                    {"check_name", m.check_name},
                    {"check", m.check}});
    if (m.name == "spectra") {
      rows.back()["eigenvalues"] = m.eigenvalues;
      rows.back()["operations"] = m.operations;
      rows.back()["converged"] = m.converged;
      rows.back()["k"] = SpectraBenchSettings{}.k;
      rows.back()["tol"] = SpectraBenchSettings{}.tol;
    }
    if (!o.json) {
      std::printf("%-13s %8lld %5lld %7lld %9.3f %14.4g %14.4g %s%s%.6g\n", m.name.c_str(),
                  static_cast<long long>(m.trajectories), static_cast<long long>(m.dim),
                  static_cast<long long>(m.steps), m.seconds, m.traj_steps_per_s, m.normals_per_s, m.check_name.c_str(),
                  m.check_name.empty() ? "" : "=", m.check);
      std::fflush(stdout);
    }
  }
  if (o.json) {
    meta["workloads"] = rows;
    std::cout << meta.dump(2) << "\n";
  }
  return 0;
}

}  // namespace sgdnoise
