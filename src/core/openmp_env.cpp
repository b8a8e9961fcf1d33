#include "core/openmp_env.hpp"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace sgdnoise {

void tune_process_environment(char** argv) {
  if (argv == nullptr || argv[0] == nullptr) return;
  bool changed = false;
  if (std::getenv("OMP_WAIT_POLICY") == nullptr && std::getenv("GOMP_SPINCOUNT") == nullptr)
    changed |= ::setenv("OMP_WAIT_POLICY", "passive", 1) == 0;
  if (std::getenv("GLIBC_TUNABLES") == nullptr) changed |= ::setenv("GLIBC_TUNABLES", kMallocTunables, 1) == 0;
  if (!changed) return;
  ::execv("/proc/self/exe", argv);
  // Still here: /proc is not mounted or exec is not allowed. Run on with the defaults.
}

int ThreadGovernor::team(int wanted) {
  if (wanted <= 1 || solo_left_ == 0) return wanted;
  --solo_left_;
  ++solo_total_;
  return 1;
}

void ThreadGovernor::record(int team, double wall_s, double cpu_s) {
  if (team <= 1 || !(wall_s > 0.0)) return;
  wall_ += wall_s;
  cpu_ += cpu_s;
  if (++regions_ < kWindow) return;
  // cpu / wall over the window: the team's speedup over one thread with a core of its own.
  const bool paid = cpu_ >= wall_;
  regions_ = 0;
  wall_ = cpu_ = 0.0;
  if (paid) {
    solo_period_ = 16;
    return;
  }
  solo_left_ = solo_period_;
  solo_period_ = std::min<long>(2 * solo_period_, 1024);
}

double thread_cpu_seconds() {
  timespec ts{};
  if (::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return 0.0;
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

int available_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
  const long n = ::sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

std::string thread_count_warning(int threads) {
  const int cores = available_cores();
  std::ostringstream w;
  if (threads > cores) {
    w << "warning: --threads " << threads << " exceeds the " << cores
      << " core(s) this process may use; the results are the same, the run only slower";
    return w.str();
  }
  double load = 0.0;
  if (FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf", &load) != 1) load = 0.0;
    std::fclose(f);
  }
  const int idle = std::max(1, cores - static_cast<int>(std::lround(load)));
  if (threads > idle)
    w << "warning: --threads " << threads << " exceeds the ~" << idle << " idle core(s) (load average " << load
      << " on " << cores << "); the results are the same, but fewer threads may run faster";
  return w.str();
}

}  // namespace sgdnoise
