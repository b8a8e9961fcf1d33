#include "app/benchmark.hpp"

#include "analysis/observers.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "analysis/eigenpairs.hpp"
#include "analysis/escape_observer.hpp"
#include "analysis/escape_run.hpp"
#include "core/rng.hpp"
#include "losses/least_squares.hpp"
#include "scenario/experiment.hpp"
#include "scenario/runner.hpp"

namespace sgdnoise {

namespace {

std::string constant_array(Index n, double v) {
  std::ostringstream o;
  o << "[";
  for (Index i = 0; i < n; ++i) o << (i ? "," : "") << v;
  o << "]";
  return o.str();
}

// Observed once at the end unless `every` says otherwise.
std::string dynamics_table(double eta, std::int64_t steps, Index N, Index block, const std::string& start,
                           std::int64_t every = 0) {
  std::ostringstream o;
  o << "[dynamics]\nkind = \"discrete\"\neta = " << eta << "\nsteps = " << steps << "\ntrajectories = " << N
    << "\nblock = " << block << "\nstart = " << start << "\n[observe]\nevery = " << (every > 0 ? every : steps) << "\n";
  return o.str();
}

// W1: x <- x - eta h x + sqrt(eta) sigma xi, h log-spaced in [1e-3, 1], eta = 0.1, sigma = 1:
// weight noise of variance eta sigma^2.
BenchWorkload w1(Index N, Index d, std::int64_t T, Index block) {
  BenchWorkload w;
  w.name = "w1_d" + std::to_string(d);
  w.title = "W1 diagonal quadratic, isotropic weight noise";
  w.peer = "w1_diag_quadratic.py " + std::to_string(N) + " " + std::to_string(d) + " " + std::to_string(T);
  w.trajectories = N, w.dim = d, w.steps = T, w.block = block, w.normals_per_step = static_cast<double>(d);
  w.toml = "name = \"bench_" + w.name + "\"\nseed = 1\n[loss]\nkind = \"quadratic\"\ndim = " + std::to_string(d) +
           "\nspectrum = \"log\"\nlambda_max = 1.0\ncondition = 1000.0\n[noise]\nkind = \"isotropic\"\non = "
           "\"weights\"\nvariance = 0.1\n" +
           dynamics_table(0.1, T, N, block, constant_array(d, 1.0));
  return w;
}

// W2: X <- X (I - eta H) + sqrt(eta) Xi B^T, dense H (random basis), Sigma_step = eta sigma^2 H.
BenchWorkload w2(Index N, Index d, std::int64_t T, Index block) {
  BenchWorkload w;
  w.name = "w2";
  w.title = "W2 dense quadratic, full-covariance weight noise";
  w.peer = "w2_dense_quadratic_fullcov.py " + std::to_string(N) + " " + std::to_string(d) + " " + std::to_string(T);
  w.trajectories = N, w.dim = d, w.steps = T, w.block = block, w.normals_per_step = static_cast<double>(d);
  w.toml = "name = \"bench_w2\"\nseed = 1\n[loss]\nkind = \"quadratic\"\ndim = " + std::to_string(d) +
           "\nspectrum = \"log\"\nlambda_max = 1.0\ncondition = 1000.0\nbasis = \"random\"\nbasis_seed = 2\n"
           "[noise]\nkind = \"gaussian\"\non = \"weights\"\ncovariance = \"hessian_power\"\npower = 1.0\nscale = "
           "0.1\n" +
           dynamics_table(0.1, T, N, block, constant_array(d, 1.0));
  return w;
}

// W3: least squares n = 1000, d = 100, b = 32, lr 0.01, own batch per trajectory.
BenchWorkload w3(Index N, Index d, std::int64_t T, Index block, bool reshuffle) {
  BenchWorkload w;
  w.name = reshuffle ? "w3_reshuffle" : "w3_with";
  w.title =
      reshuffle ? "W3 least-squares SGD, b = 32, random reshuffling" : "W3 least-squares SGD, b = 32, with replacement";
  w.peer = "w3_lstsq_sgd.py " + std::to_string(N) + " 1000 " + std::to_string(d) + " 32 " + std::to_string(T) +
           " --sampling " + (reshuffle ? "without" : "with");
  w.trajectories = N, w.dim = d, w.steps = T, w.block = block;
  w.toml = "name = \"bench_" + w.name + "\"\nseed = 1\n[loss]\nkind = \"least_squares\"\ndim = " + std::to_string(d) +
           "\nsamples = 1000\ntest_samples = 0\n[noise]\nkind = \"sgd\"\nbatch = 32\nsampling = \"" +
           (reshuffle ? "reshuffle" : "with_replacement") + "\"\n" +
           dynamics_table(0.01, T, N, block, constant_array(d, 0.0));
  return w;
}

// W4: (x^2 - 1)^2 (+ y^2), eta = 0.01, sigma = 1 (weight noise of variance eta sigma^2),
// from the left minimum until 99 % have crossed x > 0.
BenchWorkload w4(Index N, int dim, std::int64_t cap, Index block) {
  BenchWorkload w;
  w.name = "w4_" + std::to_string(dim) + "d";
  w.title = "W4 double-well escape, " + std::to_string(dim) + "-D, until 99 % crossed";
  w.peer = "w4_double_well_escape.py " + std::to_string(N) + " --mode compact" + (dim == 2 ? " --dim 2" : "");
  w.trajectories = N, w.dim = dim, w.steps = cap, w.block = block, w.escape = true;
  w.normals_per_step = dim;
  w.toml = "name = \"bench_" + w.name + "\"\nseed = 1\n[loss]\nkind = \"double_well\"\nbarrier = 1.0\na = 1.0\n" +
           std::string(dim == 2 ? "transverse = [2.0]\n" : "") +
           "[noise]\nkind = \"isotropic\"\non = \"weights\"\nvariance = 0.01\n" +
           dynamics_table(0.01, cap, N, block, dim == 2 ? "[-1.0, 0.0]" : "[-1.0]") +
           "[escape]\nregion = \"threshold\"\ncoordinate = 0\nvalue = 0.0\nside = \"above\"\n";
  return w;
}

using Clock = std::chrono::steady_clock;

// The threads-never-hurt row: the double-well escape scenario as a user runs it (observed
// every step, the Brownian-bridge crossing test, escaped trajectories stopped) while
// busy processes keep every core but one loaded. Timed with 1 thread and with the
// requested threads under the same load: the check is their ratio (> 1: more threads help).
BenchWorkload loaded_escape(Index N, std::int64_t T) {
  BenchWorkload w;
  w.name = "loaded_escape";
  w.title = "escape scenario observed every step, other cores busy; check = t(1 thread) / t(threads)";
  w.peer = "-";
  w.trajectories = N, w.dim = 1, w.steps = T, w.block = 256, w.loaded = true;
  w.normals_per_step = 1;
  w.toml =
      "name = \"bench_loaded_escape\"\nseed = 5\n[loss]\nkind = \"double_well\"\nbarrier = 1.0\n"
      "[noise]\nkind = \"isotropic\"\non = \"weights\"\nvariance = 0.005\n" +
      dynamics_table(0.01, T, N, 256, "[-1.0]", 1) +
      "[escape]\nregion = \"threshold\"\ncoordinate = 0\nvalue = 0.0\n"
      "side = \"above\"\nbridge = true\nstop_escaped = true\n";
  return w;
}

/// Busy processes, one on each core but one, for as long as the object lives.
class BusyCores {
 public:
  explicit BusyCores(int n) {
    for (int i = 0; i < n; ++i) {
      const pid_t pid = fork();
      if (pid == 0) {  // the child only spins: no allocation, no OpenMP
        volatile std::uint64_t x = 0;
        for (;;) x = x + 1;
      }
      if (pid > 0) pids_.push_back(pid);
    }
  }
  ~BusyCores() {
    for (const pid_t p : pids_) kill(p, SIGKILL);
    for (const pid_t p : pids_) waitpid(p, nullptr, 0);
  }
  BusyCores(const BusyCores&) = delete;
  BusyCores& operator=(const BusyCores&) = delete;
  int count() const { return static_cast<int>(pids_.size()); }

 private:
  std::vector<pid_t> pids_;
};

// W4's escape run: the experiment's escape region, and run_until_escaped's settings (until
// 99 % crossed, capped at the workload's steps).
const Region& escape_target(const Experiment& ex) {
  for (const auto& o : ex.observers)
    if (const auto* e = dynamic_cast<const EscapeObserver*>(o.get())) return e->target();
  throw std::logic_error("bench: the escape workload has no escape region");
}

EscapeRunSpec escape_spec(const Experiment& ex, const BenchWorkload& w, int threads) {
  EscapeRunSpec es;
  es.seed = ex.spec.seed;
  es.block = ex.spec.block;
  es.threads = threads;
  es.cap = w.steps;
  es.fraction = 0.99;
  return es;
}

// W4's escape run timed alone; useful: its live steps.
double time_escape_run(const BenchWorkload& w, int threads, double* useful = nullptr) {
  const Experiment ex = build_experiment(Scenario::parse(w.toml, "<bench " + w.name + ">"), threads, 0.0);
  const Mat X0 = ex.initial_state();
  const auto t0 = Clock::now();
  const EscapeRunResult r = run_until_escaped(*ex.stepper, X0, escape_target(ex), escape_spec(ex, w, threads));
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  if (useful) *useful = r.useful_steps;
  return s;
}

double time_scenario_run(const std::string& toml, const std::string& name, int threads) {
  const Experiment ex = build_experiment(Scenario::parse(toml, "<bench " + name + ">"), threads, 0.0);
  const auto t0 = Clock::now();
  (void)run_experiment(ex);
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

/// v -> X^T (X v) / n: the least-squares Hessian without forming it, with Spectra's
/// operator contract. The SciPy peer applies the same two matrix-vector products, each a
/// pass over X from memory (64 MB at n = 4000, d = 2000); here they are fused over blocks
/// of kRows rows of a row-major copy of X: t = X_b v, then y += X_b^T t while X_b is still
/// in cache, so X streams from memory once per application.
class GramOperator {
 public:
  using Scalar = double;
  static constexpr Index kRows = 16;  // 16 x 2000 doubles: 256 kB, within the L2 cache
  explicit GramOperator(const Mat& X) : Xr_(X), t_(kRows) {}
  Index rows() const { return Xr_.cols(); }
  Index cols() const { return Xr_.cols(); }
  void perform_op(const double* x_in, double* y_out) const {
    const Eigen::Map<const Vec> v(x_in, Xr_.cols());
    Eigen::Map<Vec> y(y_out, Xr_.cols());
    y.setZero();
    for (Index r0 = 0; r0 < Xr_.rows(); r0 += kRows) {
      const Index rb = std::min(kRows, Xr_.rows() - r0);
      const auto B = Xr_.middleRows(r0, rb);
      t_.head(rb).noalias() = B * v;
      y.noalias() += B.transpose() * t_.head(rb);
    }
    y /= static_cast<double>(Xr_.rows());
  }

 private:
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> Xr_;
  mutable Vec t_;  // scratch: perform_op is const in Spectra's contract
};

template <class T>
T pick(T override_value, T value) {
  return override_value > 0 ? override_value : value;
}

}  // namespace

std::vector<BenchWorkload> bench_workloads(bool quick, const BenchSizes& s) {
  const std::int64_t T = pick<std::int64_t>(s.steps, quick ? 20 : 1000);
  std::vector<BenchWorkload> v;
  v.push_back(w1(pick(s.trajectories, quick ? Index{4000} : Index{100000}), pick(s.dim, Index{2}), T, 1024));
  v.push_back(w1(pick(s.trajectories, quick ? Index{512} : Index{4096}), pick(s.dim, Index{100}), T, 256));
  v.push_back(w2(pick(s.trajectories, quick ? Index{256} : Index{1024}), pick(s.dim, Index{100}), T, 256));
  v.push_back(w3(pick(s.trajectories, quick ? Index{64} : Index{256}), pick(s.dim, Index{100}), T, 64, false));
  v.push_back(w3(pick(s.trajectories, quick ? Index{64} : Index{256}), pick(s.dim, Index{100}), T, 64, true));
  const std::int64_t cap = pick<std::int64_t>(s.steps, 100000);
  v.push_back(w4(pick(s.trajectories, quick ? Index{2000} : Index{100000}), 1, cap, 4096));
  v.push_back(w4(pick(s.trajectories, quick ? Index{2000} : Index{100000}), 2, cap, 4096));
  v.push_back(loaded_escape(pick(s.trajectories, quick ? Index{500} : Index{2000}),
                            pick<std::int64_t>(s.steps, quick ? 500 : 20000)));
  // W4 1-D as above, timed with the other cores busy: hundreds of parallel regions, where a
  // descheduled thread can hold up the others (core/openmp_env.hpp, ThreadGovernor).
  BenchWorkload lw = w4(pick(s.trajectories, quick ? Index{20000} : Index{100000}), 1, cap, 4096);
  lw.name = "loaded_w4_1d";
  lw.title = "W4 1-D escape run, other cores busy; check = t(1 thread) / t(threads)";
  lw.peer = "-";
  lw.loaded = true;
  v.push_back(lw);
  BenchWorkload g;
  g.name = "normals";
  g.title = "normal generation alone (fill_normals into a 1024 x 16 buffer)";
  g.peer = "numpy standard_normal";
  g.trajectories = 1024, g.dim = 16, g.steps = quick ? 200 : 20000, g.normals_per_step = 16;
  v.push_back(g);
  BenchWorkload sp;
  sp.name = "spectra";
  sp.title = "top 10 Hessian eigenvalues by Lanczos (Spectra), least squares applied matrix-free X^T (X v) / n";
  sp.peer = "bench/eigsh_peer.py (SciPy eigsh on the same operator, same k, ncv and tolerance)";
  sp.trajectories = pick(s.trajectories, quick ? Index{400} : Index{4000});  // n: rows of X
  sp.dim = pick(s.dim, quick ? Index{200} : Index{2000});
  sp.steps = SpectraBenchSettings{}.k;
  v.push_back(sp);
  BenchWorkload m;
  m.name = "gemm";
  m.title = "Eigen DGEMM at the W2 shape (N x d) (d x d), for W2's bound; traj_steps/s = rows/s";
  m.peer = "-";
  m.trajectories = pick(s.trajectories, quick ? Index{256} : Index{1024});
  m.dim = pick(s.dim, Index{100});
  m.steps = quick ? 20 : 400;
  v.push_back(m);
  return v;
}

Mat spectra_bench_features(const BenchWorkload& w) {
  LeastSquares::Synthetic s;
  s.n = w.trajectories;
  s.d = w.dim;
  s.n_test = 0;
  s.condition = 100.0;
  s.seed = 1;
  return LeastSquares::synthetic_features(s);
}

BenchMeasurement run_bench_workload(const BenchWorkload& w, int threads, const std::function<void()>& before_timing) {
  BenchMeasurement m;
  m.name = w.name;
  m.threads = threads;
  m.trajectories = w.trajectories;
  m.dim = w.dim;
  if (w.name == "spectra") {  // one Lanczos solve, one thread (Eigen runs without its own threads)
    const Mat X = spectra_bench_features(w);
    const GramOperator op(X);
    const SpectraBenchSettings set;
    if (before_timing) before_timing();
    const auto t0 = Clock::now();
    const Eigenpairs r = lanczos_eigenpairs(op, set.k, true, set.tol);
    m.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    m.steps = set.k;
    m.operations = r.operations;
    m.converged = r.converged;
    m.eigenvalues.assign(r.values.data(), r.values.data() + r.values.size());
    m.traj_steps = m.executed_traj_steps = static_cast<double>(r.operations);
    m.traj_steps_per_s = m.traj_steps / m.seconds;  // operator applications per second
    m.check = r.values.size() > 0 ? r.values(0) : 0.0;
    m.check_name = "lambda_max";
    return m;
  }
  if (w.loaded) {
    if (before_timing) throw std::invalid_argument("bench: " + w.name + " times its own processes");
    const int cores = static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
    double useful = static_cast<double>(w.trajectories) * static_cast<double>(w.steps);
    auto timed = [&](int t) {
      return w.escape ? time_escape_run(w, t, &useful) : time_scenario_run(w.toml, w.name, t);
    };
    (void)timed(threads);  // warm-up, unloaded
    const BusyCores busy(cores - 1);
    const double t1 = timed(1);
    m.seconds = timed(threads);
    m.steps = w.steps;
    m.traj_steps = m.executed_traj_steps = useful;
    m.traj_steps_per_s = m.traj_steps / m.seconds;
    m.check = t1 / m.seconds;
    m.check_name = "speedup_over_1_thread_loaded_by_" + std::to_string(busy.count());
    return m;
  }
  if (w.name == "gemm") {  // Eigen's matrix product (one per thread), for the W2 bound
    const Index rows = w.trajectories, d = w.dim;
    auto gemm = [&](std::int64_t steps) {
#pragma omp parallel num_threads(threads)
      {
        Mat A = Mat::Constant(rows, d, 0.5), B = Mat::Identity(d, d) * 0.99, C(rows, d);
#pragma omp for schedule(static)
        for (std::int64_t k = 0; k < steps; ++k) {
          C.noalias() = A * B;
          A.swap(C);
        }
      }
    };
    gemm(threads * 2);
    if (before_timing) before_timing();
    const auto t0 = Clock::now();
    gemm(w.steps);
    m.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    m.steps = w.steps;
    m.traj_steps = m.executed_traj_steps = static_cast<double>(rows) * static_cast<double>(w.steps);
    m.traj_steps_per_s = m.traj_steps / m.seconds;
    m.check = 2.0 * m.traj_steps * static_cast<double>(d) * static_cast<double>(d) / m.seconds / 1e9;
    m.check_name = "gflops";
    return m;
  }
  if (w.toml.empty()) {  // the generator alone, one buffer per thread
    const Index rows = w.trajectories, cols = w.dim;
    auto fill = [&](std::int64_t steps) {
#pragma omp parallel num_threads(threads)
      {
        Mat Z(rows, cols);
#pragma omp for schedule(static)
        for (std::int64_t k = 0; k < steps; ++k)
          fill_normals({1, Purpose::gradient_noise, static_cast<std::uint64_t>(k)}, 0, 0, Z);
      }
    };
    fill(threads * 10);
    if (before_timing) before_timing();
    const auto t0 = Clock::now();
    fill(w.steps);
    m.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    m.steps = w.steps;
    m.traj_steps = m.executed_traj_steps = static_cast<double>(rows) * static_cast<double>(w.steps);
    m.traj_steps_per_s = m.traj_steps / m.seconds;
    m.normals_per_s = m.traj_steps * static_cast<double>(cols) / m.seconds;
    return m;
  }
  Experiment ex = build_experiment(Scenario::parse(w.toml, "<bench " + w.name + ">"), threads, 0.0);
  const Mat X0 = ex.initial_state();
  if (w.escape) {
    const Region& target = escape_target(ex);
    const EscapeRunSpec es = escape_spec(ex, w, threads);
    EscapeRunSpec warm = es;
    warm.cap = 20;
    (void)run_until_escaped(*ex.stepper, X0, target, warm);
    if (before_timing) before_timing();
    const auto t0 = Clock::now();
    const EscapeRunResult r = run_until_escaped(*ex.stepper, X0, target, es);
    m.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    m.steps = r.stop_step;
    m.traj_steps = r.useful_steps;
    m.executed_traj_steps = r.executed_steps;
    double sum = 0.0;
    for (const auto t : r.first_passage)
      if (t >= 0) sum += static_cast<double>(t);
    m.check = r.escaped > 0 ? sum / static_cast<double>(r.escaped) : 0.0;
    m.check_name = "mean_escape_steps";
  } else {
    EnsembleSpec spec = ex.spec;
    spec.every = spec.steps;
    EnsembleSpec warm = spec;
    warm.steps = warm.every = 3;
    (void)run_ensemble(*ex.stepper, X0, warm, {});
    if (before_timing) before_timing();
    const auto t0 = Clock::now();
    const RunRecord rec = run_ensemble(*ex.stepper, X0, spec, {});
    m.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    m.steps = spec.steps;
    m.traj_steps = m.executed_traj_steps = static_cast<double>(X0.rows()) * static_cast<double>(spec.steps);
    // Sanity: the mean over trajectories of the loss at the last step.
    const Vec L = per_trajectory(rec.final_state, {}, ex.loss_instances(), 1,
                                 [](const Loss& l, ConstBlockRef B, Eigen::Ref<Vec> o) { l.value(B, o); });
    m.check = L.mean();
    m.check_name = "mean_final_loss";
  }
  m.traj_steps_per_s = m.traj_steps / m.seconds;
  m.normals_per_s = m.executed_traj_steps * w.normals_per_step / m.seconds;
  return m;
}

namespace {

// What a child of run_bench_workload_in_processes sends back (plain bytes through a pipe).
struct ChildResult {
  double seconds, traj_steps, executed_traj_steps, normals_per_s, check;
  std::int64_t steps;
  char check_name[48];  // run_bench_workload's name for the check, NUL-terminated
};

bool write_all(int fd, const void* p, std::size_t n) {
  const auto* c = static_cast<const char*>(p);
  while (n > 0) {
    const ssize_t k = ::write(fd, c, n);
    if (k <= 0) return false;
    c += k, n -= static_cast<std::size_t>(k);
  }
  return true;
}

bool read_all(int fd, void* p, std::size_t n) {
  auto* c = static_cast<char*>(p);
  while (n > 0) {
    const ssize_t k = ::read(fd, c, n);
    if (k <= 0) return false;
    c += k, n -= static_cast<std::size_t>(k);
  }
  return true;
}

}  // namespace

BenchMeasurement run_bench_workload_in_processes(const BenchWorkload& w, int processes) {
  if (processes < 1) throw std::invalid_argument("bench: processes must be at least 1");
  if (w.loaded) throw std::invalid_argument("bench: " + w.name + " times its own processes");
  int ready[2], go[2], results[2];
  if (::pipe(ready) != 0 || ::pipe(go) != 0 || ::pipe(results) != 0)
    throw std::runtime_error("bench: cannot create the pipes for the processes");
  std::vector<pid_t> children;
  for (int i = 0; i < processes; ++i) {
    const pid_t pid = ::fork();
    if (pid < 0) break;
    if (pid == 0) {  // the child: warm up, say so, wait for all, time, send the result
      int status = 0;
      try {
        const BenchMeasurement m = run_bench_workload(w, 1, [&] {
          const char c = 1;
          char g = 0;
          if (!write_all(ready[1], &c, 1) || !read_all(go[0], &g, 1)) ::_exit(3);
        });
        ChildResult r{m.seconds, m.traj_steps, m.executed_traj_steps, m.normals_per_s, m.check, m.steps, {}};
        m.check_name.copy(r.check_name, sizeof r.check_name - 1);
        if (!write_all(results[1], &r, sizeof r)) status = 4;
      } catch (...) {
        status = 5;
      }
      ::_exit(status);
    }
    children.push_back(pid);
  }
  ::close(ready[1]);
  ::close(go[0]);
  ::close(results[1]);
  // All warmed up, then all released at once: the timed loops run side by side.
  bool ok = static_cast<int>(children.size()) == processes;
  for (std::size_t i = 0; ok && i < children.size(); ++i) {
    char c = 0;
    ok = read_all(ready[0], &c, 1);
  }
  const std::vector<char> release(children.size(), 1);
  if (ok) ok = write_all(go[1], release.data(), release.size());
  ::close(go[1]);
  std::vector<ChildResult> got(children.size());
  for (std::size_t i = 0; ok && i < children.size(); ++i) ok = read_all(results[0], &got[i], sizeof(ChildResult));
  ::close(ready[0]);
  ::close(results[0]);
  for (const pid_t p : children) {
    int st = 0;
    ::waitpid(p, &st, 0);
    ok = ok && WIFEXITED(st) && WEXITSTATUS(st) == 0;
  }
  if (!ok) throw std::runtime_error("bench: a process running " + w.name + " failed");
  // The work of all, over the time of the slowest: what the cores do side by side.
  BenchMeasurement m;
  m.name = w.name;
  m.threads = 1;
  m.processes = processes;
  m.trajectories = w.trajectories;
  m.dim = w.dim;
  for (const ChildResult& r : got) {
    m.seconds = std::max(m.seconds, r.seconds);
    m.traj_steps += r.traj_steps;
    m.executed_traj_steps += r.executed_traj_steps;
    m.steps = r.steps;
    m.check = r.check;
  }
  m.traj_steps_per_s = m.traj_steps / m.seconds;
  m.normals_per_s = m.executed_traj_steps * w.normals_per_step / m.seconds;
  m.check_name = got.front().check_name;  // the check of one process (all compute the same one)
  return m;
}

}  // namespace sgdnoise
