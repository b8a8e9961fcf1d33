#pragma once
// `sgdnoise bench`: runs the peer workloads (src/scenario/benchmark.hpp) and prints
// trajectory-steps and normals per second with the run's metadata (threads, normal
// kernel, compiler, build flags, version). Timings are metadata, never results.
#include <cstdint>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace sgdnoise {

struct BenchOptions {
  bool json = false, quick = false, list = false;
  int threads = 1;
  int processes = 1;  // > 1: the bound of thread scaling (run_bench_workload_in_processes)
  std::vector<std::string> only;
  long long trajectories = 0, dim = 0, steps = 0;  // size overrides (0: the peer sizes)
  std::string write_operator;                      // spectra: write X (n x d) as .npy for the SciPy peer
};

/// Registers the subcommand on app; its options are written to o.
CLI::App* add_bench_command(CLI::App& app, BenchOptions& o);
int cmd_bench(const BenchOptions& o);

}  // namespace sgdnoise
