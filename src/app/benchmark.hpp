#pragma once
// The peer workloads W1-W4 (bench/peers/README.md) as in-code scenarios, run
// through the library's own path: Scenario -> build_experiment -> the experiment's
// stepper under run_ensemble (W1-W3), or under run_until_escaped (W4: run_ensemble with a
// first-passage step hook; only the trajectories still running are stepped). The scenario's
// observers are left out of the timed loop, as the peers time only their simulation loop.
// Used by `sgdnoise bench`.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/types.hpp"

namespace sgdnoise {

struct BenchWorkload {
  std::string name;   // w1_d2, w1_d100, w2, w3_with, w3_reshuffle, w4_1d, w4_2d, loaded_escape, normals, gemm, spectra
  std::string title;  // one line: what one trajectory-step is
  std::string peer;   // the peer command line (script and arguments)
  Index trajectories = 0, dim = 0;
  std::int64_t steps = 0;  // W4: the cap
  Index block = 256;
  bool escape = false;
  bool loaded = false;            // timed with every core but one busy (loaded_escape)
  std::string toml;               // the scenario (empty for the generator-only workload)
  double normals_per_step = 0.0;  // normals per trajectory-step
};

/// Overrides of a workload's sizes (0: keep).
struct BenchSizes {
  Index trajectories = 0, dim = 0;
  std::int64_t steps = 0;
};

/// All workloads at the peer sizes; quick: small sizes (seconds in all, for tests).
std::vector<BenchWorkload> bench_workloads(bool quick, const BenchSizes& sizes = {});

struct BenchMeasurement {
  std::string name;
  Index trajectories = 0, dim = 0;
  std::int64_t steps = 0;            // steps run (W4: the stop step)
  double seconds = 0.0;              // the timed loop
  double traj_steps = 0.0;           // counted trajectory-steps (W4: useful, live ones)
  double executed_traj_steps = 0.0;  // computed (W4: also escaped rows until compaction)
  double traj_steps_per_s = 0.0;
  double normals_per_s = 0.0;  // normals drawn per second (executed)
  double check = 0.0;          // a sanity value (see check_name)
  std::string check_name;
  int threads = 1;
  int processes = 1;  // run_bench_workload_in_processes
  // spectra: the eigenvalues found (descending), operator applications, Lanczos status
  std::vector<double> eigenvalues;
  Index operations = 0;
  bool converged = true;
};

/// Runs one workload: a short untimed warm-up, then the timed loop; before_timing, when given,
/// is called between the two.
BenchMeasurement run_bench_workload(const BenchWorkload& w, int threads,
                                    const std::function<void()>& before_timing = {});
/// The bound of thread scaling on this machine: the workload run by `processes` independent
/// processes of one thread each, warmed up apart and then timed side by side (released
/// together). traj_steps and executed_traj_steps are their sums, seconds the slowest one's,
/// so traj_steps_per_s is what the cores deliver together with nothing shared but the
/// hardware. Not for loaded_escape, which times its own processes.
BenchMeasurement run_bench_workload_in_processes(const BenchWorkload& w, int processes);

/// The "spectra" workload's operator: the Hessian H = X^T X / n of least squares on the
/// synthetic data of LeastSquares::synthetic (n = w.trajectories samples, d = w.dim,
/// condition 100, data seed 1), applied matrix-free as v -> X^T (X v) / n. X is what the
/// SciPy peer (bench/eigsh_peer.py) loads to build the same operator.
Mat spectra_bench_features(const BenchWorkload& w);

/// Settings shared by the "spectra" workload and its SciPy peer: k, ncv and tolerance.
struct SpectraBenchSettings {
  Index k = 10;
  double tol = 1e-10;
};

}  // namespace sgdnoise
